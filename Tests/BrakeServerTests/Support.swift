import BrakeCore
import BrakeServer
import Crypto
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

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
