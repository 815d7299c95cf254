import NIOCore
import NIOEmbedded
import Testing

@testable import BrakeServer

@Suite("Connections past the limits")
struct ConnectionShedderTests {
    func connected(_ ip: String) throws -> EmbeddedChannel {
        let c = EmbeddedChannel()
        try c.connect(to: try SocketAddress(ipAddress: ip, port: 40000)).wait()
        return c
    }

    @Test("one client past its cap loses its own longest-idle connections; other clients and busy ones keep theirs")
    func perClient() throws {
        let shedder = ConnectionShedder(limit: 1000, perClient: 16)
        let others = try (0..<5).map { _ in try connected("10.0.0.2") }
        for c in others { shedder.opened(c) }
        let busy = try connected("10.0.0.1")
        shedder.opened(busy)
        shedder.request(busy, started: true)
        var flood: [EmbeddedChannel] = []
        for _ in 0..<40 {
            let c = try connected("10.0.0.1")
            flood.append(c)
            shedder.opened(c)
        }
        #expect(shedder.count(client: "10.0.0.1") <= 16)
        #expect(shedder.count(client: "10.0.0.2") == 5 && others.allSatisfy(\.isActive))
        #expect(busy.isActive, "a connection in the middle of a request is never closed")
        #expect(flood.last!.isActive, "the newest connection (the one just opened) is kept")
        #expect(!flood[0].isActive, "the longest-idle ones go first")
    }

    @Test("past the overall limit the longest-idle connections of anyone are closed")
    func overall() throws {
        let shedder = ConnectionShedder(limit: 16, perClient: 1000)
        var all: [EmbeddedChannel] = []
        for i in 0..<30 {
            let c = try connected("10.0.1.\(i % 3)")
            all.append(c)
            shedder.opened(c)
        }
        #expect(shedder.count <= 16)
        #expect(!all[0].isActive && all[29].isActive)
    }
}
