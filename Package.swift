// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "brake",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "brake", targets: ["brake"]),
        .library(name: "BrakeCore", targets: ["BrakeCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
    ],
    targets: [
        // The decision engine: pure functions of immutable values, no I/O, no clock.
        .target(
            name: "BrakeCore",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "brake",
            dependencies: [
                "BrakeCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "BrakeBenchmarks",
            dependencies: ["BrakeCore"],
            path: "Benchmarks/BrakeBenchmarks",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BrakeCoreTests",
            dependencies: ["BrakeCore"],
            resources: [.copy("Resources")],
            swiftSettings: swiftSettings
        ),
    ]
)
