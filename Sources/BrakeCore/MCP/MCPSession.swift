/// What the MCP proxy tracks about one server connection: tool annotations and requests awaiting answers.
/// Pure and single-threaded; the CLI feeds it lines.
public final class MCPSession {
    public let server: String
    /// Annotations from `tools/list`, by tool name.
    public private(set) var hints: [String: [String: Bool]] = [:]
    /// Tool descriptions from `tools/list` (at most 2 KiB each).
    public private(set) var descriptions: [String: String] = [:]
    /// Tool input-schema properties from `tools/list`, as `name:type`.
    public private(set) var parameters: [String: [String]] = [:]
    /// Requests the agent sent and the server has not answered, by serialized id.
    public private(set) var pending: [String: JSONValue] = [:]

    public init(server: String) { self.server = server }

    /// A `tools/call` the proxy must judge.
    public struct ToolCall: Sendable {
        public var id: JSONValue
        public var tool: String
        public var arguments: JSONValue
    }

    /// Splits an agent message into the calls to judge and the message to forward (nil when nothing is left).
    /// Lines that are not JSON are forwarded unchanged: the server answers them.
    public func fromAgent(_ line: String) -> (calls: [ToolCall], forward: String?) {
        guard let v = try? JSONValue.parse(line) else { return ([], line) }
        switch v {
        case .array(let items):
            var calls: [ToolCall] = []
            var rest: [JSONValue] = []
            for item in items {
                if let c = toolCall(item) {
                    calls.append(c)
                } else {
                    rest.append(item)
                    track(item)
                }
            }
            if calls.isEmpty { return ([], line) }
            return (calls, rest.isEmpty ? nil : JSONValue.array(rest).serialized)
        case .object:
            if let c = toolCall(v) { return ([c], nil) }
            track(v)
            return ([], line)
        default:
            return ([], line)
        }
    }

    func toolCall(_ v: JSONValue) -> ToolCall? {
        guard v["method"]?.stringValue == "tools/call", let id = v["id"], let name = v["params"]?["name"]?.stringValue
        else {
            return nil
        }
        return ToolCall(id: id, tool: name, arguments: v["params"]?["arguments"] ?? .object([]))
    }

    func track(_ v: JSONValue) {
        if let id = v["id"], v["method"] != nil { pending[id.serialized] = id }
    }

    /// The call is forwarded after all: remember it as pending.
    public func forwarded(_ call: ToolCall) { pending[call.id.serialized] = call.id }

    /// Learns from a server message (tool annotations, answered requests). The line is forwarded unchanged.
    public func fromServer(_ line: String) {
        guard let v = try? JSONValue.parse(line) else { return }
        let items: [JSONValue]
        if case .array(let a) = v { items = a } else { items = [v] }
        for m in items {
            if let id = m["id"], m["method"] == nil { pending[id.serialized] = nil }
            if case .array(let tools)? = m["result"]?["tools"] {
                for t in tools {
                    guard let name = t["name"]?.stringValue else { continue }
                    var h: [String: Bool] = [:]
                    if case .object(let ann)? = t["annotations"] {
                        for (k, val) in ann { if case .bool(let b) = val { h[k] = b } }
                    }
                    hints[name] = h
                    if let d = t["description"]?.stringValue { descriptions[name] = String(d.prefix(2048)) }
                    if case .object(let props)? = t["inputSchema"]?["properties"] {
                        parameters[name] = props.prefix(64).map { k, schema in
                            k + ":" + (schema["type"]?.stringValue ?? "any")
                        }
                    }
                }
            }
        }
    }

    /// A `tools/call` result the model can read, marked as an error.
    public static func refusal(id: JSONValue, text: String) -> String {
        JSONValue.object([
            ("jsonrpc", .string("2.0")), ("id", id),
            (
                "result",
                .object([
                    ("content", .array([.object([("type", .string("text")), ("text", .string(text))])])),
                    ("isError", .bool(true)),
                    ("resultType", .string("complete")),
                ])
            ),
        ]).serialized
    }

    /// A JSON-RPC error response.
    public static func error(id: JSONValue, code: Int, message: String) -> String {
        JSONValue.object([
            ("jsonrpc", .string("2.0")), ("id", id),
            ("error", .object([("code", .number(Double(code))), ("message", .string(message))])),
        ]).serialized
    }
}
