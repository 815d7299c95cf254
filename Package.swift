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
        .executable(name: "brake-hook", targets: ["brake-hook"]),
        .library(name: "BrakeCore", targets: ["BrakeCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.34.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
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
        // The control plane: HTTP API, storage behind one protocol, the signed audit chain.
        .target(
            name: "BrakeServer",
            dependencies: [
                "BrakeCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ],
            swiftSettings: swiftSettings
        ),
        // The one guard flow every entry point uses, behind small ports (ledger, control link, clock).
        .target(
            name: "BrakeGuard",
            dependencies: ["BrakeCore"],
            swiftSettings: swiftSettings
        ),
        // A small blocking HTTP/1.1 client for hooks: no event loop to start on the hot path.
        .target(
            name: "BrakeClient",
            dependencies: [
                "BrakeCore",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Brake on the agent's machine: its files, settings, link to the control plane and the hook runner —
        // everything a hook needs, without the server, the CLI parser or an event loop.
        .target(
            name: "BrakeHost",
            dependencies: [
                "BrakeCore", "BrakeGuard", "BrakeClient", "BrakeWire", "BrakeContain", "CBrakeSystem",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // The few Linux calls the Glibc module does not expose: per-thread file-system identity, peer credentials.
        .target(name: "CBrakeSystem"),
        // The guard service's socket protocol: length-prefixed frames, no dependencies.
        .target(name: "BrakeWire", swiftSettings: swiftSettings),
        // Containment: Landlock and a read-only mount namespace around a command, no dependencies (it runs in the
        // small single-threaded hook binary).
        .target(name: "BrakeContain", dependencies: ["CBrakeSystem"], swiftSettings: swiftSettings),
        // The hook as agents run it on every action: a small client of the guard service (`brake daemon`) that
        // starts about as fast as /bin/true, and runs `brake hook` when no service listens.
        .executableTarget(
            name: "brake-hook",
            dependencies: ["BrakeWire", "BrakeContain"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "brake",
            dependencies: [
                "BrakeCore",
                "BrakeGuard",
                "BrakeHost",
                "BrakeWire",
                "BrakeContain",
                "BrakeServer",
                "BrakeClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "BrakeBenchmarks",
            dependencies: ["BrakeCore", "BrakeClient"],
            path: "Benchmarks/BrakeBenchmarks",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BrakeCoreTests",
            dependencies: ["BrakeCore"],
            resources: [.copy("Resources")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BrakeGuardTests",
            dependencies: ["BrakeGuard", "BrakeCore", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BrakeHostTests",
            dependencies: ["BrakeHost", "BrakeWire", "BrakeCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BrakeServerTests",
            dependencies: [
                "BrakeServer",
                "BrakeClient",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
