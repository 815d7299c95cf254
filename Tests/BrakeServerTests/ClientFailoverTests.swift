import BrakeClient
import BrakeCore
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A one-connection-at-a-time TCP server on loopback: `answer` says what to do with each request it reads.
final class RawServer: Sendable {
    let port: Int
    private let fd: Int32
    let requests = Requests()
    private let closed = Latch()

    final class Requests: Sendable {
        private let list = Mutex<[String]>([])
        func add(_ r: String) { list.withLock { $0.append(r) } }
        var count: Int { list.withLock { $0.count } }
    }

    /// `answer`: the bytes to send back (nil: close without answering, as a replica dying mid-request).
    init(answer: @escaping @Sendable () -> String?) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        listen(fd, 16)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        self.fd = fd
        port = Int(UInt16(bigEndian: addr.sin_port))
        let (listener, requests, closed) = (fd, requests, closed)
        Thread.detach {
            while true {
                let c = accept(listener, nil, nil)
                // A signal (the suite starts processes: SIGCHLD) interrupts accept; only a closed listener ends.
                if c < 0 && (errno == EINTR || errno == ECONNABORTED) { continue }
                if c < 0 {
                    // Closed here, not by stop(): a number closed while this thread was about to call accept could
                    // be reused by the next test's server, and this thread would take that server's connections.
                    // Under the lock stop() shuts it down with, so neither touches a number the other gave back.
                    closed.value.withLock { done in
                        close(listener)
                        done = true
                    }
                    return
                }
                var buf = [UInt8](repeating: 0, count: 65536)
                var n = recv(c, &buf, buf.count, 0)
                while n < 0 && errno == EINTR { n = recv(c, &buf, buf.count, 0) }
                if n > 0 { requests.add(String(decoding: buf[0..<n], as: UTF8.self)) }
                if let reply = answer() {
                    _ = Array(reply.utf8).withUnsafeBytes { send(c, $0.baseAddress, $0.count, 0) }
                }
                close(c)
            }
        }
    }

    /// Ends the accepting thread (its accept fails), which closes the socket.
    func stop() {
        closed.value.withLock { done in if !done { shutdown(fd, Int32(SHUT_RDWR)) } }
    }

    static let ok = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"ok\":true}"
}

enum Thread {
    static func detach(_ body: @escaping @Sendable () -> Void) {
        final class Box: @unchecked Sendable {
            let body: @Sendable () -> Void
            init(_ b: @escaping @Sendable () -> Void) { body = b }
        }
        var t = pthread_t()
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        pthread_create(
            &t,
            nil,
            { p in
                let b = Unmanaged<AnyObject>.fromOpaque(p!).takeRetainedValue() as! Box
                b.body()
                return nil
            },
            box
        )
        pthread_detach(t)
    }
}

@Suite("The hook client's fail-over between servers")
struct ClientFailoverTests {
    /// A port nothing listens on (bound, then closed).
    func deadPort() throws -> Int {
        let s = try RawServer { nil }
        s.stop()
        return s.port
    }

    @Test("a server that cannot be reached is skipped; the next answers")
    func skipsUnreachable() throws {
        let live = try RawServer { RawServer.ok }
        defer { live.stop() }
        let dead = try deadPort()
        let client = try ServerClient(
            url: "http://127.0.0.1:\(dead),http://127.0.0.1:\(live.port)",
            token: "brk_x",
            timeout: 3
        )
        let v = try client.call("POST", "/v1/decisions", .object([("decision", .string("allow"))]))
        #expect(v["ok"] == .bool(true))
        #expect(live.requests.count == 1)
    }

    @Test("a request a server received and did not answer is never sent to another (no double write)")
    func noResendAfterSending() throws {
        let dying = try RawServer { nil }
        let live = try RawServer { RawServer.ok }
        defer {
            dying.stop()
            live.stop()
        }
        let client = try ServerClient(
            url: "http://127.0.0.1:\(dying.port),http://127.0.0.1:\(live.port)",
            token: "brk_x",
            timeout: 3
        )
        #expect(throws: ClientError.self) { _ = try client.call("POST", "/v1/decisions", .object([])) }
        // The servers' threads record what they read; on a loaded machine (the suite runs in parallel) they may do so
        // after the client gave up waiting for the answer.
        let deadline = ContinuousClock.now + .seconds(10)
        while dying.requests.count == 0 && ContinuousClock.now < deadline { usleep(10_000) }
        usleep(200_000)
        #expect(dying.requests.count == 1)
        #expect(live.requests.count == 0, "the request went to the second server as well")
    }

    @Test("no server answering is unreachable (callers fail closed), within one time budget")
    func noneAnswers() throws {
        let (a, b) = (try deadPort(), try deadPort())
        let client = try ServerClient(url: "http://127.0.0.1:\(a), http://127.0.0.1:\(b)", token: "brk_x", timeout: 2)
        do {
            _ = try client.call("GET", "/v1/health")
            Issue.record("a call with no server answering returned")
        } catch ClientError.unreachable(let m) {
            #expect(m.contains("127.0.0.1:\(a)") && m.contains("127.0.0.1:\(b)"))
        }
    }

    @Test("settings that cannot be used are said as such, not as an unreachable server")
    func misconfigured() {
        #expect(throws: ClientError.self) { _ = try ServerClient(url: "http://192.0.2.7:8377", token: "t") }
        do {
            _ = try ServerClient(url: "http://192.0.2.7:8377", token: "t")
        } catch ClientError.misconfigured(let m) {
            #expect(m.contains("plain HTTP"))
        } catch {
            Issue.record("expected misconfigured, got \(error)")
        }
        #expect((try? ServerClient(url: "http://192.0.2.7:8377", token: "t", allowPlain: true)) != nil)
        do {
            _ = try ServerClient(url: "https://127.0.0.1:1", token: "t", caFile: "/nonexistent/ca.pem")
            Issue.record("an unreadable CA file was accepted")
        } catch ClientError.misconfigured(let m) {
            #expect(m.contains("/nonexistent/ca.pem"))
        } catch {
            Issue.record("expected misconfigured, got \(error)")
        }
    }
}
