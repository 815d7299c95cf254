import BrakeCore
import BrakeServer
import Crypto
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A flag shared between threads or tasks (set once: stop, done).
final class Latch: Sendable {
    let value = Mutex(false)
}

/// A temporary directory removed when the value goes away.
final class TempDir: Sendable {
    let path: String
    init() throws {
        var template = Array("/tmp/brake-test-XXXXXX".utf8CString)
        guard let p = mkdtemp(&template) else { throw APIError(status: 0, message: "mkdtemp failed") }
        path = String(cString: p)
    }
    deinit { _ = system("rm -rf '\(path)'") }
}

enum Curve25519Key {
    static func make() -> Curve25519.Signing.PrivateKey { Curve25519.Signing.PrivateKey() }
}

/// A clock tests move by hand.
final class TestClock: Sendable {
    let value = Mutex(1_000_000)
    var now: Int { value.withLock { $0 } }
    func advance(_ seconds: Int) { value.withLock { $0 += seconds } }
}

/// A PostgreSQL server for the tests, started once per test process from Debian's binaries by
/// `scripts/postgres-temp.sh` (stopped by its watchdog when this process ends); each test gets its own database.
/// Nil — and a visible message — only where the server binaries are not installed.
actor PostgresTestServer {
    static let shared = PostgresTestServer()
    private var port: Int?
    private var tried = false
    private var count = 0
    private let dir: TempDir? = try? TempDir()
    static let password = "brake-test"

    static var repositoryRoot: String {
        var path = #filePath
        for _ in 0..<3 { path = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)]) }
        return path
    }

    /// A new empty database's URL (without the password), or nil when PostgreSQL is not installed here.
    func newDatabase() throws -> DatabaseURL? {
        if !tried {
            tried = true
            guard let dir else { throw APIError(status: 0, message: "no temporary directory for PostgreSQL") }
            let (status, out) = Self.run(
                "\(Self.repositoryRoot)/scripts/postgres-temp.sh start \(dir.path)/pg \(getpid()) 2>&1"
            )
            if status == 3 << 8 {
                print("◇ SKIPPED: PostgreSQL tests need Debian's postgresql package (\(out))")
                return nil
            }
            guard status == 0, let p = Int(out.split(separator: "\n").last ?? "") else {
                throw APIError(status: 0, message: "the test PostgreSQL server did not start: \(out)")
            }
            port = p
        }
        guard let port else { return nil }
        count += 1
        let name = "brake_test_\(count)"
        let (status, out) = Self.run(
            "PGPASSWORD=\(Self.password) psql -h 127.0.0.1 -p \(port) -U brake -d postgres -qc 'CREATE DATABASE \(name)' 2>&1"
        )
        guard status == 0 else { throw APIError(status: 0, message: "CREATE DATABASE failed: \(out)") }
        return try DatabaseURL("postgres://brake@127.0.0.1:\(port)/\(name)?sslmode=disable")
    }

    static func run(_ command: String) -> (Int32, String) {
        guard let f = popen(command, "r") else { return (-1, "popen failed") }
        var out = ""
        var buffer = [CChar](repeating: 0, count: 4096)
        while fgets(&buffer, Int32(buffer.count), f) != nil {
            out += String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        return (pclose(f), out.trimmingCharacters(in: " \n"))
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let c = s.first, set.contains(c) { s = s.dropFirst() }
        while let c = s.last, set.contains(c) { s = s.dropLast() }
        return String(s)
    }
}
