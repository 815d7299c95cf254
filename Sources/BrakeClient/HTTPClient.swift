import BrakeCore
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a call to the control plane failed.
public enum ClientError: Error, Sendable, CustomStringConvertible {
    /// The server could not be reached or did not answer in time: callers fail closed.
    case unreachable(String)
    /// The server answered with an error status and its message.
    case status(Int, String)
    /// The server's answer was not what the protocol says.
    case malformed(String)
    /// This machine's settings for the server cannot be used (a URL, plain HTTP to another host, a CA file):
    /// callers refuse rather than work offline.
    case misconfigured(String)
    /// The server's certificate does not verify: callers refuse (an impostor must not put hooks offline).
    case untrusted(String)

    public var description: String {
        switch self {
        case .unreachable(let m): return "the Brake server cannot be reached (\(m))"
        case .status(let code, let m): return "the Brake server refused (\(code)): \(m)"
        case .malformed(let m): return "the Brake server's answer is malformed: \(m)"
        case .misconfigured(let m): return "the Brake server is not configured usably here: \(m)"
        case .untrusted(let m): return "the Brake server's certificate is not trusted: \(m)"
        }
    }
}

/// A blocking HTTP/1.1 client over one socket per call. Hooks are short-lived processes: starting an
/// event loop would cost more than the round trip itself, so this speaks just enough HTTP for the API.
public struct HTTPClient: Sendable {
    public var host: String
    public var port: Int
    public var basePath: String
    /// Set for https:// (the server's certificate is checked against it).
    public var trust: TLSTrust?

    /// Parses `http://HOST[:PORT][/PATH]` or `https://…`. Plain HTTP is refused to a host other than loopback
    /// (tokens and answers would cross the network in clear) unless `allowPlain`.
    public init(url: String, trust: @autoclosure () throws -> TLSTrust? = nil, allowPlain: Bool = false) throws {
        let secure = url.hasPrefix("https://")
        guard secure || url.hasPrefix("http://") else {
            throw ClientError.misconfigured("'\(url)' is not an http:// or https:// URL")
        }
        var rest = Substring(url.dropFirst(secure ? 8 : 7))
        var path = ""
        if let slash = rest.firstIndex(of: "/") {
            path = String(rest[slash...])
            rest = rest[..<slash]
        }
        while path.hasSuffix("/") { path.removeLast() }
        var h = String(rest)
        var p = secure ? 443 : 80
        if let colon = rest.lastIndex(of: ":"), !rest.hasSuffix("]") {
            guard let n = Int(rest[rest.index(after: colon)...]), n > 0, n < 65536 else {
                throw ClientError.misconfigured("'\(url)' has an invalid port")
            }
            p = n
            h = String(rest[..<colon])
        }
        if h.hasPrefix("[") && h.hasSuffix("]") { h = String(h.dropFirst().dropLast()) }
        guard !h.isEmpty else { throw ClientError.misconfigured("'\(url)' has no host") }
        host = h
        port = p
        basePath = path
        if !secure && !Loopback.contains(h) && !allowPlain {
            throw ClientError.misconfigured(
                "'\(url)' is plain HTTP to another host: the token and the answers would cross the network in clear. Use https:// (or set allow_plain_http where a TLS proxy on this machine or a mesh encrypts it)"
            )
        }
        self.trust = secure ? (try trust() ?? TLSTrust.system()) : nil
    }

    public struct Response: Sendable {
        public var status: Int
        public var headers: [(String, String)]
        public var body: String

        public func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }
    }

    /// A connection opened in the background while its caller does other work: a hook opens it first thing,
    /// so the TCP handshake overlaps reading and judging the action. Used by at most one `send`.
    public final class Opening: @unchecked Sendable {
        // @unchecked: owned by one thread (the hook's), handed over once.
        fileprivate var fd: Int32

        fileprivate init(fd: Int32) { self.fd = fd }

        /// Takes the socket (once); nil afterwards.
        fileprivate func take() -> Int32? {
            guard fd >= 0 else { return nil }
            defer { fd = -1 }
            return fd
        }

        deinit { if fd >= 0 { close(fd) } }
    }

    /// Idle keep-alive connections for a long-running caller (the guard service): a call then skips the
    /// handshake and the server's connection setup. A connection idle for longer than `maxIdle` is not reused
    /// (the server closes idle connections itself).
    public final class Pool: @unchecked Sendable {
        // @unchecked: every access to `idle` holds `lock`.
        private var idle: [(fd: Int32, since: Double)] = []
        private let lock = PthreadLock()
        public let maxIdle: Double

        public init(maxIdle: Double = 10) { self.maxIdle = maxIdle }

        fileprivate func take() -> Int32? {
            lock.locked {
                let now = HTTPClient.monotonic()
                while let last = idle.popLast() {
                    if now - last.since < maxIdle { return last.fd }
                    close(last.fd)
                }
                return nil
            }
        }

        fileprivate func give(_ fd: Int32) {
            let kept: Bool = lock.locked {
                guard idle.count < 64 else { return false }
                idle.append((fd, HTTPClient.monotonic()))
                return true
            }
            if !kept { close(fd) }
        }

        deinit { for c in idle { close(c.fd) } }
    }

    /// Starts connecting without waiting for the handshake; nil when that cannot even start (the request then
    /// connects as usual and reports the error).
    public func open() -> Opening? {
        guard let started = try? startConnect(deadline: Self.monotonic() + 1, wait: false) else { return nil }
        return Opening(fd: started.0)
    }

    /// One request; `timeout` bounds connecting and the whole exchange (seconds). `opening` is a connection
    /// started earlier with `open()`; when it failed, the request connects afresh.
    public func send(
        method: String,
        path: String,
        headers: [(String, String)] = [],
        body: String? = nil,
        timeout: Double,
        opening: Opening? = nil,
        pool: Pool? = nil
    ) throws -> Response {
        let deadline = Self.monotonic() + timeout
        do {
            return try sendStaged(method, path, headers, body, deadline: deadline, connectBy: deadline, opening, pool)
        } catch {
            throw error.error
        }
    }

    /// A failed call, and whether the request had been (even partly) written when it failed: one that had not
    /// can be sent to another server without being done twice.
    struct Staged: Error {
        var error: ClientError
        var sent: Bool
    }

    /// `send`, with connecting (and the TLS handshake) bounded by `connectBy` and failures marked by stage.
    func sendStaged(
        _ method: String,
        _ path: String,
        _ headers: [(String, String)],
        _ body: String?,
        deadline: Double,
        connectBy: Double,
        _ opening: Opening?,
        _ pool: Pool?
    ) throws(Staged) -> Response {
        func staged(_ error: any Error, sent: Bool) -> Staged {
            switch error {
            case let e as ClientError: return Staged(error: e, sent: sent)
            case is Unanswered:
                return Staged(error: .unreachable("the server closed the connection without answering"), sent: sent)
            default: return Staged(error: .unreachable("\(error)"), sent: sent)
            }
        }
        // TLS sessions live on the thread that made them: they are not kept between calls.
        let pool = trust == nil ? pool : nil
        if let pool, let fd = pool.take() {
            // A kept connection the server may have closed meanwhile: if it fails before any answer arrives,
            // the call is made again on a fresh connection.
            do {
                return try exchange(fd, method, path, headers, body, deadline, pool: pool)
            } catch is Unanswered {
            } catch {
                throw staged(error, sent: true)
            }
        }
        let connectDeadline = min(deadline, connectBy)
        var early: Int32?
        if let fd = opening?.take() {
            if (try? finishConnect(fd, deadline: connectDeadline)) != nil { early = fd } else { close(fd) }
        }
        let fd: Int32
        do { fd = try early ?? connect(deadline: connectDeadline) } catch { throw staged(error, sent: false) }
        guard let trust else {
            do { return try exchange(fd, method, path, headers, body, deadline, pool: pool) } catch {
                throw staged(error, sent: true)
            }
        }
        defer { close(fd) }
        let session: TLSSession
        do {
            session = try TLSSession(fd: fd, host: host, port: port, trust: trust, deadline: connectDeadline) {
                try wait(fd, events: $0, deadline: connectDeadline)
            }
        } catch {
            throw staged(error, sent: false)
        }
        do { return try exchange(fd, method, path, headers, body, deadline, pool: nil, tls: session) } catch {
            throw staged(error, sent: true)
        }
    }

    /// The connection closed before any byte of an answer.
    struct Unanswered: Error {}

    /// One request and its response on `fd`; the connection goes back to `pool` when the response was read
    /// whole and the server keeps it open, else it is closed.
    func exchange(
        _ fd: Int32,
        _ method: String,
        _ path: String,
        _ headers: [(String, String)],
        _ body: String?,
        _ deadline: Double,
        pool: Pool?,
        tls: TLSSession? = nil
    ) throws -> Response {
        var reusable = false
        defer {
            // A TLS connection is closed by its caller, after its session.
            if tls == nil { if reusable, let pool { pool.give(fd) } else { close(fd) } }
        }
        let connection = pool == nil ? "Connection: close\r\n" : ""
        var req = "\(method) \(basePath)\(path) HTTP/1.1\r\nHost: \(host):\(port)\r\n\(connection)"
        req += "User-Agent: brake\r\nAccept: application/json\r\n"
        for (k, v) in headers { req += "\(k): \(v)\r\n" }
        if let body {
            req += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body
        } else {
            req += "Content-Length: 0\r\n\r\n"
        }
        var bytes = Array(req.utf8)
        var sent = 0
        if let tls {
            try tls.send(bytes) { try wait(fd, events: $0, deadline: deadline) }
            sent = bytes.count
        }
        while sent < bytes.count {
            try wait(fd, events: Int16(POLLOUT), deadline: deadline)
            let n = bytes.withUnsafeMutableBytes {
                Glibc.send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL))
            }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                if pool != nil && (errno == EPIPE || errno == ECONNRESET) { throw Unanswered() }
                throw ClientError.unreachable("send: \(String(cString: strerror(errno)))")
            }
            sent += n
        }
        bytes = []
        // Only what `recv` writes is read: the buffer need not be zeroed first (a judged answer is < 1 KiB).
        var buf = [UInt8](unsafeUninitializedCapacity: 65536) { _, count in count = 65536 }
        var headerEnd: Int?
        var contentLength: Int?
        while true {
            if let end = headerEnd, let len = contentLength, bytes.count >= end + len { break }
            let n: Int
            if let tls {
                n = try tls.recv(into: &buf) { try wait(fd, events: $0, deadline: deadline) }
            } else {
                try wait(fd, events: Int16(POLLIN), deadline: deadline)
                n = recv(fd, &buf, buf.count, 0)
            }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                if pool != nil && bytes.isEmpty && errno == ECONNRESET { throw Unanswered() }
                throw ClientError.unreachable("receive: \(String(cString: strerror(errno)))")
            }
            if n == 0 {
                if pool != nil && bytes.isEmpty { throw Unanswered() }
                break
            }
            bytes.append(contentsOf: buf[0..<n])
            if bytes.count > 64 << 20 { throw ClientError.malformed("response larger than 64 MiB") }
            if headerEnd == nil, let e = Self.find(bytes, Array("\r\n\r\n".utf8)) {
                headerEnd = e + 4
                let head = String(decoding: bytes[0..<e], as: UTF8.self)
                for line in head.split(separator: "\r\n").dropFirst() {
                    if let c = line.firstIndex(of: ":"), line[..<c].lowercased() == "content-length" {
                        contentLength = Int(line[line.index(after: c)...].trimmingSpaces)
                    }
                }
            }
        }
        guard let end = headerEnd else {
            if bytes.isEmpty { throw ClientError.unreachable("the server closed the connection without answering") }
            throw ClientError.malformed("no complete HTTP header")
        }
        let head = String(decoding: bytes[0..<(end - 4)], as: UTF8.self)
        let lines = head.split(separator: "\r\n")
        let statusParts = lines.first?.split(separator: " ") ?? []
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else {
            throw ClientError.malformed("bad status line '\(lines.first ?? "")'")
        }
        var hs: [(String, String)] = []
        for line in lines.dropFirst() {
            if let c = line.firstIndex(of: ":") {
                hs.append((String(line[..<c]), String(line[line.index(after: c)...].trimmingSpaces)))
            }
        }
        if let len = contentLength, bytes.count < end + len {
            // Cut short (the connection closed early): never act on part of an answer.
            throw ClientError.malformed("the answer ended after \(bytes.count - end) of \(len) bytes")
        }
        let bodyEnd = contentLength.map { min(bytes.count, end + $0) } ?? bytes.count
        reusable =
            contentLength != nil && bytes.count == bodyEnd
            && !hs.contains { $0.0.lowercased() == "connection" && $0.1.lowercased() == "close" }
        return Response(status: status, headers: hs, body: String(decoding: bytes[end..<bodyEnd], as: UTF8.self))
    }

    func connect(deadline: Double) throws -> Int32 {
        try startConnect(deadline: deadline, wait: true).0
    }

    /// Waits for a non-blocking connect to complete.
    func finishConnect(_ fd: Int32, deadline: Double) throws {
        try wait(fd, events: Int16(POLLOUT), deadline: deadline)
        var err: Int32 = 0
        var len = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len)
        if err != 0 { throw ClientError.unreachable("connect to \(host):\(port): \(String(cString: strerror(err)))") }
    }

    /// Resolves the host and connects to its first address that answers; without `wait`, returns the first
    /// socket whose connect has started (the handshake completes in the background).
    func startConnect(deadline: Double, wait waiting: Bool) throws -> (Int32, Bool) {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var res: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &res)
        guard rc == 0, let first = res else {
            throw ClientError.unreachable("cannot resolve \(host): \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(res) }
        var lastError = "no address"
        var ai: UnsafeMutablePointer<addrinfo>? = first
        while let a = ai {
            ai = a.pointee.ai_next
            let fd = socket(a.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            if fd < 0 { continue }
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            let flags = fcntl(fd, F_GETFL)
            _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
            if Glibc.connect(fd, a.pointee.ai_addr, a.pointee.ai_addrlen) == 0 { return (fd, true) }
            if errno == EINPROGRESS {
                if !waiting { return (fd, false) }
                do {
                    try finishConnect(fd, deadline: deadline)
                    return (fd, true)
                } catch {
                    lastError = "\(error)"
                }
            } else {
                lastError = String(cString: strerror(errno))
            }
            close(fd)
        }
        throw ClientError.unreachable("connect to \(host):\(port): \(lastError)")
    }

    func wait(_ fd: Int32, events: Int16, deadline: Double) throws {
        while true {
            let left = deadline - Self.monotonic()
            if left <= 0 { throw ClientError.unreachable("timed out talking to \(host):\(port)") }
            var p = pollfd(fd: fd, events: events, revents: 0)
            let n = poll(&p, 1, Int32(max(1, left * 1000)))
            if n > 0 { return }
            if n < 0 && errno != EINTR { throw ClientError.unreachable("poll: \(String(cString: strerror(errno)))") }
        }
    }

    static func monotonic() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    static func find(_ hay: [UInt8], _ needle: [UInt8]) -> Int? {
        guard hay.count >= needle.count else { return nil }
        var i = 0
        while i + needle.count <= hay.count {
            if hay[i] == needle[0] && Array(hay[i..<(i + needle.count)]) == needle { return i }
            i += 1
        }
        return nil
    }
}

extension Substring {
    var trimmingSpaces: String {
        var s = self
        while s.first == " " || s.first == "\t" { s = s.dropFirst() }
        while s.last == " " || s.last == "\t" { s = s.dropLast() }
        return String(s)
    }
}

/// The control plane's API as the CLI, hooks, `brake exec` and `brake mcp` use it.
///
/// `url` may list several servers (`https://a,https://b`: replicas of one control plane). A call goes to the
/// one that answered last in this process (first, the first listed) and moves on to the next when it cannot be
/// reached; an answer — any status — ends the call. When none answers, the call fails (`ClientError.unreachable`)
/// and callers fail closed.
public struct ServerClient: Sendable {
    /// The first server listed.
    public var http: HTTPClient
    /// Every server listed, in order.
    public var servers: [HTTPClient]
    public var token: String
    public var url: String
    /// Seconds for ordinary calls (long polls add their own wait).
    public var timeout: Double

    /// Kept connections to the first server (a long-running caller's); nil closes each connection after its call.
    public var pool: HTTPClient.Pool?

    public init(
        url: String,
        token: String,
        timeout: Double = 5,
        pool: HTTPClient.Pool? = nil,
        caFile: String? = nil,
        allowPlain: Bool = false
    ) throws {
        self.pool = pool
        self.url = url
        let urls = url.split(separator: ",").map { String($0.trimmingSpaces) }.filter { !$0.isEmpty }
        guard !urls.isEmpty else { throw ClientError.misconfigured("no server URL given") }
        var trust: TLSTrust?
        var list: [HTTPClient] = []
        for u in urls {
            list.append(
                try HTTPClient(
                    url: u,
                    trust: try {
                        if trust == nil, let caFile { trust = try TLSTrust.cached(caFile: caFile) }
                        return trust
                    }(),
                    allowPlain: allowPlain
                )
            )
        }
        servers = list
        http = list[0]
        self.token = token
        self.timeout = timeout
    }

    /// Which listed server answered last, per list (a long-running caller keeps going to a live one).
    private static let preferred = Mutex<[String: Int]>([:])

    /// One request with fail-over: the server that answered last first, then the others in order. The whole call
    /// keeps to `timeout`; a server is left for the next only when connecting to it (or its TLS handshake) failed —
    /// once a request has been written, its failure is the call's (it is never done twice). A server whose
    /// certificate does not verify makes the call fail as untrusted when no other answers.
    func send(
        _ method: String,
        _ path: String,
        body: String?,
        timeout: Double,
        opening: HTTPClient.Opening? = nil
    ) throws -> HTTPClient.Response {
        let deadline = HTTPClient.monotonic() + timeout
        let first = servers.count > 1 ? (Self.preferred.withLock { $0[url] } ?? 0) : 0
        var failures: [String] = []
        var untrusted: ClientError?
        for k in 0..<servers.count {
            let i = (first + k) % servers.count
            let now = HTTPClient.monotonic()
            if now >= deadline { break }
            // With another server to try, a silent one may hold at most a third of what is left.
            let connectBy = k < servers.count - 1 ? now + max(0.5, (deadline - now) / 3) : deadline
            do {
                let r = try servers[i].sendStaged(
                    method,
                    path,
                    [("Authorization", "Bearer \(token)")],
                    body,
                    deadline: deadline,
                    connectBy: connectBy,
                    i == 0 ? opening : nil,
                    i == 0 ? pool : nil
                )
                if servers.count > 1 && i != first { Self.preferred.withLock { $0[url] = i } }
                return r
            } catch {
                if error.sent { throw error.error }
                if case .untrusted = error.error { untrusted = error.error }
                let e = error.error
                failures.append(servers.count > 1 ? "\(servers[i].host):\(servers[i].port): \(e)" : "\(e)")
            }
        }
        if let untrusted { throw untrusted }
        if failures.count == 1, servers.count == 1 {
            throw ClientError.unreachable(failures[0].droppingPrefix("the Brake server cannot be reached ("))
        }
        throw ClientError.unreachable(failures.isEmpty ? "timed out" : failures.joined(separator: "; "))
    }

    /// Calls the API; a 2xx answer's JSON body, or a `ClientError`.
    public func call(
        _ method: String,
        _ path: String,
        _ body: JSONValue? = nil,
        extraTimeout: Double = 0,
        opening: HTTPClient.Opening? = nil
    )
        throws -> JSONValue
    {
        let r = try send(method, path, body: body?.serialized, timeout: timeout + extraTimeout, opening: opening)
        let parsed = try? JSONValue.parse(r.body)
        guard (200..<300).contains(r.status) else {
            throw ClientError.status(r.status, parsed?["error"]?.stringValue ?? r.body)
        }
        guard let v = parsed else { throw ClientError.malformed("not JSON: \(r.body.prefix(200))") }
        return v
    }

    /// Raw text (the policy, the OpenAPI document).
    public func text(_ path: String) throws -> HTTPClient.Response {
        try send("GET", path, body: nil, timeout: timeout)
    }

    /// Percent-encodes a query or path value.
    public static func escape(_ s: String) -> String { Percent.encode(s) }
}

/// A mutex for the few shared structures of a blocking client.
final class PthreadLock: @unchecked Sendable {
    private var mutex = pthread_mutex_t()

    init() { pthread_mutex_init(&mutex, nil) }
    deinit { pthread_mutex_destroy(&mutex) }

    func locked<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return try body()
    }
}

extension String {
    /// Without `prefix` (and the matching ")" at the end) when it starts with it.
    fileprivate func droppingPrefix(_ prefix: String) -> String {
        guard hasPrefix(prefix), hasSuffix(")") else { return self }
        return String(dropFirst(prefix.count).dropLast())
    }
}
