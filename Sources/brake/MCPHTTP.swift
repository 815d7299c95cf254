import AsyncHTTPClient
import BrakeCore
import BrakeHost
import Dispatch
import HTTPTypes
import Hummingbird
import NIOHTTP1
import Synchronization

/// `brake mcp --listen HOST:PORT --upstream URL`: the same judgement for a remote server over Streamable
/// HTTP. The agent talks to this endpoint; POST bodies are judged (`tools/call` refused in the protocol's
/// own terms), everything else — GET event streams, DELETE, headers such as `Mcp-Session-Id` — passes
/// through, and responses (JSON or server-sent events) stream back unchanged while tool annotations are
/// learned from `tools/list` results.
final class MCPHTTPProxy: Sendable {
    let loop: Mutex<ProxyLoop>
    let upstream: String
    static let passHeaders: Set<String> = [
        "accept", "content-type", "mcp-session-id", "mcp-protocol-version", "authorization", "mcp-method",
        "mcp-name", "last-event-id",
    ]

    init(loop: sending ProxyLoop, upstream: String) {
        self.loop = Mutex(loop)
        self.upstream = upstream
    }

    /// Feeds server-sent events or a JSON body to the session (annotations, answered requests).
    func learn(_ text: String) {
        if text.hasPrefix("{") || text.hasPrefix("[") {
            loop.withLock { $0.session.fromServer(text) }
            return
        }
        for line in text.split(separator: "\n") where line.hasPrefix("data:") {
            let data = String(line.dropFirst(5)).trimmingCharacters
            loop.withLock { $0.session.fromServer(data) }
        }
    }

    func upstreamRequest(_ req: Request, method: NIOHTTP1.HTTPMethod, body: String?) -> HTTPClientRequest {
        var r = HTTPClientRequest(url: upstream)
        r.method = method
        for field in req.headers where Self.passHeaders.contains(field.name.canonicalName) {
            r.headers.add(name: field.name.rawName, value: field.value)
        }
        if let body { r.body = .bytes(ByteBuffer(string: body)) }
        return r
    }

    func response(from r: HTTPClientResponse, prefix: [String], learnJSON: Bool) async throws -> Response {
        var headers: HTTPFields = [:]
        for (name, value) in r.headers {
            let lower = name.lowercased()
            if ["content-type", "mcp-session-id", "cache-control", "mcp-protocol-version"].contains(lower),
                let n = HTTPField.Name(name)
            {
                headers[n] = value
            }
        }
        let type = r.headers.first(name: "content-type") ?? ""
        if type.hasPrefix("text/event-stream") {
            // Stream, learning from each chunk; refusals (if any) go first as their own events.
            let first = ByteBuffer(string: prefix.map { "event: message\ndata: \($0)\n\n" }.joined())
            let tail = r.body.map { (buf: ByteBuffer) -> ByteBuffer in
                self.learn(String(buffer: buf))
                return buf
            }
            let all = PrefixedStream(first: first, rest: tail)
            return Response(status: .init(code: Int(r.status.code)), headers: headers, body: .init(asyncSequence: all))
        }
        let buf = try await r.body.collect(upTo: 64 << 20)
        var text = String(buffer: buf)
        if learnJSON { learn(text) }
        if !prefix.isEmpty {
            var items = prefix.compactMap { try? JSONValue.parse($0) }
            if let v = try? JSONValue.parse(text) {
                if case .array(let a) = v { items += a } else { items.append(v) }
            }
            text = JSONValue.array(items).serialized
            headers[.contentType] = "application/json"
        }
        return Response(
            status: .init(code: Int(r.status.code)),
            headers: headers,
            body: .init(byteBuffer: ByteBuffer(string: text))
        )
    }

    /// Judges on a dispatch thread: an ask may long-poll the control plane for `--wait` seconds, which must
    /// not hold one of the few threads that serve HTTP.
    func judge(_ call: MCPSession.ToolCall) async -> String? {
        await withCheckedContinuation { (done: CheckedContinuation<String?, Never>) in
            DispatchQueue.global().async { done.resume(returning: self.loop.withLock { $0.judge(call) }) }
        }
    }

    func post(_ req: Request) async -> Response {
        var r = req
        guard let buf = try? await r.body.collect(upTo: 64 << 20) else {
            return Response(status: .contentTooLarge)
        }
        let text = String(buffer: buf)
        let (calls, forward) = loop.withLock { $0.session.fromAgent(text) }
        var refusals: [String] = []
        var allowed: [JSONValue] = []
        for call in calls {
            if let refusal = await judge(call) {
                refusals.append(refusal)
            } else {
                loop.withLock { $0.session.forwarded(call) }
                allowed.append(
                    .object([
                        ("jsonrpc", .string("2.0")), ("id", call.id), ("method", .string("tools/call")),
                        ("params", .object([("name", .string(call.tool)), ("arguments", call.arguments)])),
                    ])
                )
            }
        }
        var body: String?
        if calls.isEmpty || (calls.count == 1 && allowed.count == 1 && forward == nil) {
            body = text  // unchanged bytes for the common case
        } else {
            var items: [JSONValue] = []
            if let f = forward, let v = try? JSONValue.parse(f) {
                if case .array(let a) = v { items += a } else { items.append(v) }
            }
            items += allowed
            if !items.isEmpty { body = items.count == 1 ? items[0].serialized : JSONValue.array(items).serialized }
        }
        guard let body else {
            // Everything was refused: answer here, in JSON-RPC.
            let out = refusals.count == 1 ? refusals[0] : "[" + refusals.joined(separator: ",") + "]"
            return Response(
                status: .ok,
                headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: out))
            )
        }
        do {
            let up = try await HTTPClient.shared.execute(
                upstreamRequest(req, method: .POST, body: body),
                timeout: .seconds(300)
            )
            return try await response(from: up, prefix: refusals, learnJSON: true)
        } catch {
            return badGateway("\(error)")
        }
    }

    func passThrough(_ req: Request, _ method: NIOHTTP1.HTTPMethod) async -> Response {
        do {
            let up = try await HTTPClient.shared.execute(
                upstreamRequest(req, method: method, body: nil),
                timeout: .hours(24)
            )
            return try await response(from: up, prefix: [], learnJSON: false)
        } catch {
            return badGateway("\(error)")
        }
    }

    func badGateway(_ why: String) -> Response {
        Response(
            status: .badGateway,
            headers: [.contentType: "application/json"],
            body: .init(
                byteBuffer: ByteBuffer(
                    string: MCPSession.error(
                        id: .null,
                        code: -32603,
                        message: "the MCP server \(upstream) cannot be reached: \(why)"
                    )
                )
            )
        )
    }

    func run(host: String, port: Int) async throws {
        let router = Router()
        router.post("**") { req, _ in await self.post(req) }
        router.get("**") { req, _ in await self.passThrough(req, .GET) }
        router.delete("**") { req, _ in await self.passThrough(req, .DELETE) }
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "brake-mcp")
        )
        try await app.runService()
    }
}

/// One buffer, then the rest of a stream.
struct PrefixedStream<Rest: AsyncSequence & Sendable>: AsyncSequence, Sendable where Rest.Element == ByteBuffer {
    typealias Element = ByteBuffer
    let first: ByteBuffer
    let rest: Rest

    struct AsyncIterator: AsyncIteratorProtocol {
        var first: ByteBuffer?
        var rest: Rest.AsyncIterator
        mutating func next() async throws -> ByteBuffer? {
            if let f = first {
                first = nil
                if f.readableBytes > 0 { return f }
            }
            return try await rest.next()
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(first: first, rest: rest.makeAsyncIterator()) }
}
