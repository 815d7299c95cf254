import BrakeCore
import Testing

@Suite("Loopback hosts (plain HTTP is allowed only there)")
struct LoopbackTests {
    @Test(
        "loopback addresses and localhost",
        arguments: [
            "localhost", "LOCALHOST", "127.0.0.1", "127.1.2.3", "127.255.255.254", "::1", "[::1]", "0:0:0:0:0:0:0:1",
            "0000:0000::0001",
        ]
    )
    func loopback(_ host: String) {
        #expect(Loopback.contains(host))
    }

    @Test(
        "names and addresses that only look like loopback",
        arguments: [
            "127.db.example.com", "127.0.0.1.nip.io", "128.0.0.1", "127.0.0", "127.0.0.1.5", "127.0.0.256",
            "localhost.example.com", "::2", "::1:0", "1::", "", "0.0.0.0", "::", "127.0.0.01a", "::ffff:127.0.0.1",
        ]
    )
    func notLoopback(_ host: String) {
        #expect(!Loopback.contains(host))
    }
}
