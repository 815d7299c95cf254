import NIOCore
import NIOEmbedded
import NIOSSL
import NIOTLS
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// How a client checks the server's certificate: the system's roots, or a pinned CA file from trusted
/// configuration (then only certificates that CA issued are accepted). Made once per process.
public final class TLSTrust: Sendable {
    let context: NIOSSLContext
    public let caFile: String?

    public init(caFile: String?) throws {
        var c = TLSConfiguration.makeClientConfiguration()
        c.minimumTLSVersion = .tlsv12
        c.certificateVerification = .fullVerification
        if let caFile {
            // Only this CA: the system's roots are not consulted.
            c.trustRoots = .file(caFile)
        }
        do {
            context = try NIOSSLContext(configuration: c)
        } catch {
            throw ClientError.misconfigured(
                "cannot use the CA file \(caFile ?? "(system roots)") for TLS: \(error); give a readable PEM file"
            )
        }
        self.caFile = caFile
    }

    /// The system's roots, loaded once per process.
    public static func system() throws -> TLSTrust { try cached(caFile: nil) }

    /// One context per CA file for the life of the process (loading roots costs more than a handshake).
    public static func cached(caFile: String?) throws -> TLSTrust {
        let key = caFile ?? ""
        if let t = contexts.withLock({ $0[key] }) { return t }
        let t = try TLSTrust(caFile: caFile)
        contexts.withLock { $0[key] = t }
        return t
    }

    private static let contexts = Mutex<[String: TLSTrust]>([:])
}

/// TLS over the client's blocking socket: NIOSSL's client handler on an `EmbeddedChannel`, fed by hand (bytes
/// read from the socket go in, bytes it wants sent come out). No event loop runs; one thread owns a session for
/// its whole life.
final class TLSSession {
    private let channel: EmbeddedChannel
    private let fd: Int32
    private let watcher = HandshakeWatcher()
    /// Plaintext read but not yet handed out.
    private var pending: [UInt8] = []

    /// Handshakes on `fd` (connected); the certificate must be valid for `host` (a name, or an IP address in the
    /// certificate's IP entries).
    init(fd: Int32, host: String, port: Int, trust: TLSTrust, deadline: Double, wait: (Int16) throws -> Void) throws {
        self.fd = fd
        channel = EmbeddedChannel()
        let isAddress = (try? SocketAddress(ipAddress: host, port: port)) != nil
        do {
            let handler = try NIOSSLClientHandler(context: trust.context, serverHostname: isAddress ? nil : host)
            try channel.pipeline.syncOperations.addHandler(handler)
            try channel.pipeline.syncOperations.addHandler(watcher)
            // The socket's real peer: what a certificate's IP entries are checked against.
            let peer = try Self.peerAddress(fd) ?? SocketAddress(ipAddress: isAddress ? host : "0.0.0.0", port: port)
            channel.remoteAddress = peer
            channel.connect(to: peer, promise: nil)
            while !watcher.done {
                try flush(wait)
                try channel.throwIfErrorCaught()
                if watcher.done { break }
                guard try receive(wait) else {
                    throw ClientError.unreachable("the server closed the connection during the TLS handshake")
                }
                try channel.throwIfErrorCaught()
            }
            try flush(wait)
        } catch let e as ClientError {
            throw e
        } catch {
            // Socket errors are ClientErrors (above); what NIOSSL refuses is the certificate or the handshake.
            throw ClientError.untrusted("TLS with \(host):\(port) failed: \(error)")
        }
    }

    static func peerAddress(_ fd: Int32) -> SocketAddress? {
        var storage = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &len) == 0 }
        }
        guard ok else { return nil }
        switch Int32(storage.ss_family) {
        case AF_INET:
            let a = withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee }
            }
            return SocketAddress(a, host: "")
        case AF_INET6:
            let a = withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee }
            }
            return SocketAddress(a, host: "")
        default: return nil
        }
    }

    /// Ends the session without waiting for the server's close_notify (the caller closes the socket next):
    /// `finish()` would wait for it forever, no event loop runs here.
    deinit {
        // NIOSSL holds the close until the server's close_notify or its shutdown timeout: the embedded loop's
        // clock is moved past that timeout, so the channel closes and its pipeline (and SSL object) is freed.
        channel.close(promise: nil)
        channel.embeddedEventLoop.advanceTime(by: .seconds(60))
        while (try? channel.readOutbound(as: ByteBuffer.self)) != nil {}
        while (try? channel.readInbound(as: ByteBuffer.self)) != nil {}
    }

    /// Sends bytes the channel wants on the wire.
    private func flush(_ wait: (Int16) throws -> Void) throws {
        while let out = try channel.readOutbound(as: ByteBuffer.self) {
            var bytes = Array(out.readableBytesView)
            var sent = 0
            while sent < bytes.count {
                try wait(Int16(POLLOUT))
                let n = bytes.withUnsafeMutableBytes {
                    Glibc.send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL))
                }
                if n < 0 {
                    if errno == EINTR || errno == EAGAIN { continue }
                    throw ClientError.unreachable("send: \(String(cString: strerror(errno)))")
                }
                sent += n
            }
            bytes = []
        }
    }

    /// Reads once from the socket into the channel; false at end of stream.
    private func receive(_ wait: (Int16) throws -> Void) throws -> Bool {
        var buf = [UInt8](repeating: 0, count: 16384)
        while true {
            try wait(Int16(POLLIN))
            let n = Glibc.recv(fd, &buf, buf.count, 0)
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw ClientError.unreachable("receive: \(String(cString: strerror(errno)))")
            }
            if n == 0 { return false }
            var b = channel.allocator.buffer(capacity: n)
            b.writeBytes(buf[0..<n])
            try channel.writeInbound(b)
            return true
        }
    }

    /// Encrypts and sends all of `bytes`.
    func send(_ bytes: [UInt8], wait: (Int16) throws -> Void) throws {
        var b = channel.allocator.buffer(capacity: bytes.count)
        b.writeBytes(bytes)
        try channel.writeOutbound(b)
        try flush(wait)
        try channel.throwIfErrorCaught()
    }

    /// Decrypted bytes into `buffer`: how many, 0 at the end of the stream.
    func recv(into buffer: inout [UInt8], wait: (Int16) throws -> Void) throws -> Int {
        func drain() throws {
            while let plain = try channel.readInbound(as: ByteBuffer.self) { pending += plain.readableBytesView }
        }
        try drain()
        while pending.isEmpty {
            // A close_notify or a plain close both end the stream (the caller checks the answer's length).
            if watcher.closed { return 0 }
            let more = try receive(wait)
            try flush(wait)
            do { try channel.throwIfErrorCaught() } catch let e as NIOSSLError where e == .uncleanShutdown {}
            try drain()
            if !more && pending.isEmpty { return 0 }
        }
        let n = min(buffer.count, pending.count)
        buffer.replaceSubrange(0..<n, with: pending[0..<n])
        pending.removeFirst(n)
        return n
    }
}

/// Notes when the handshake completes and when the server closes the TLS stream.
private final class HandshakeWatcher: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    var done = false
    var closed = false

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let e = event as? TLSUserEvent {
            switch e {
            case .handshakeCompleted: done = true
            case .shutdownCompleted: closed = true
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        context.fireChannelInactive()
    }
}
