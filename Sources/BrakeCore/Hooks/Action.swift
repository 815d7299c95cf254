/// One thing an agent wants to do, in Brake's own terms, whatever agent or tool it came from.
public enum Action: Sendable, Equatable {
    /// A shell command line.
    case shell(command: String)
    /// Create or overwrite a file.
    case write(path: String)
    /// Change part of a file.
    case edit(path: String)
    /// Delete a file.
    case delete(path: String)
    /// Read a file.
    case read(path: String)
    /// Call a tool on an MCP server.
    case mcp(server: String, tool: String, arguments: String)
    /// A tool Brake has no rules for (searches, web fetches, sub-agents …).
    case other(tool: String)

    /// A short description for people and the audit log.
    public var summary: String {
        switch self {
        case .shell(let c): return c
        case .write(let p): return "write \(p)"
        case .edit(let p): return "edit \(p)"
        case .delete(let p): return "delete \(p)"
        case .read(let p): return "read \(p)"
        case .mcp(let s, let t, _): return "mcp \(s)/\(t)"
        case .other(let t): return "tool \(t)"
        }
    }

    /// The canonical JSON the digest covers.
    var canonical: JSONValue {
        switch self {
        case .shell(let c): return .object([("kind", .string("shell")), ("command", .string(c))])
        case .write(let p): return .object([("kind", .string("write")), ("path", .string(p))])
        case .edit(let p): return .object([("kind", .string("edit")), ("path", .string(p))])
        case .delete(let p): return .object([("kind", .string("delete")), ("path", .string(p))])
        case .read(let p): return .object([("kind", .string("read")), ("path", .string(p))])
        case .mcp(let s, let t, let a):
            return .object([
                ("kind", .string("mcp")), ("server", .string(s)), ("tool", .string(t)), ("arguments", .string(a)),
            ])
        case .other(let t): return .object([("kind", .string("other")), ("tool", .string(t))])
        }
    }
}

extension Engine {
    /// Words in MCP tool names that mark a destructive call.
    public static let destructiveToolWords: Set<String> = [
        "delete", "remove", "drop", "destroy", "purge", "truncate", "wipe", "erase", "terminate", "kill", "reset",
        "uninstall", "revoke", "rm", "send", "transfer", "pay", "publish", "archive", "trash", "cancel",
    ]

    /// Decides any action: shell commands go through the shell analysis, file and tool actions become effects.
    public static func decide(
        action: Action,
        context: Context,
        policy: Policy = .standard,
        toolHints: [String: Bool] = [:],
        toolDescription: String = "",
        toolParameters: [String] = []
    ) -> Decision {
        if case .shell(let command) = action {
            return decide(command, context: context, policy: policy)
        }
        let analyzer = Analyzer(context: context, settings: policy.settings)
        var analysis = Analysis()
        func target(_ path: String) -> Target {
            let p = analyzer.resolvePath(path)
            return Target(path: p, cls: Paths.classify(p, context: context, settings: policy.settings), written: path)
        }
        switch action {
        case .shell:
            break
        case .write(let path), .edit(let path):
            let t = target(path)
            let kind = t.cls == .device ? "disk.overwrite" : "fs.write"
            analysis.effects.append(
                Effect(
                    kind,
                    attrs: ["via": .string("agent file tool")],
                    targets: [t],
                    invocation: -1,
                    detail: "writes \(path)"
                )
            )
        case .delete(let path):
            analysis.effects.append(
                Effect(
                    "fs.delete",
                    attrs: ["recursive": .bool(false), "via": .string("agent file tool")],
                    targets: [target(path)],
                    invocation: -1,
                    detail: "deletes \(path)"
                )
            )
        case .read(let path):
            let t = target(path)
            if let p = t.path, analyzer.isCredentialPath(p, includeDotEnv: false) {
                analysis.effects.append(
                    Effect("secret.read", targets: [t], invocation: -1, detail: "reads credentials (\(path))")
                )
            }
        case .mcp(let server, let tool, let arguments):
            let parsed = try? JSONValue.parse(arguments)
            let judged = MCPToolJudge.effects(
                MCPToolJudge.Facts(
                    server: server,
                    tool: tool,
                    arguments: parsed,
                    hints: toolHints,
                    description: toolDescription,
                    parameters: toolParameters,
                    trusted: policy.settings.mcpTrustedServers.contains(server)
                )
            )
            // Every call is an effect too, so a policy can name servers and tools:
            // match: {effect: mcp.call, attrs: {server: [github], tool: [merge_pull_request]}}
            analysis.effects.append(
                Effect(
                    "mcp.call",
                    attrs: [
                        "server": .string(server), "tool": .string(tool), "read_only": .bool(judged.readOnly),
                        "destructive": .bool(judged.destructive),
                        "idempotent": .bool(toolHints["idempotentHint"] == true),
                        "open_world": .bool(toolHints["openWorldHint"] != false),
                        // Leaves of the arguments for `arguments:` selectors in rules ("path=value").
                        "arguments": .list(
                            (parsed.map { ArgumentPath.leaves($0) } ?? []).map { $0.0 + "=" + $0.1 }
                        ),
                    ],
                    invocation: -1,
                    detail: "MCP tool \(server)/\(tool)"
                )
            )
            analysis.effects += judged.effects
            // Tools that take SQL or shell text are checked like the real thing.
            var texts = [arguments]
            if let parsed = try? JSONValue.parse(arguments) { texts = parsed.allStrings }
            let kinds = texts.flatMap { SQL.destructive($0) }
            if !kinds.isEmpty {
                analysis.effects.append(
                    Effect(
                        "db.destructive",
                        attrs: ["statement": .list(kinds), "engine": .string("mcp \(server)")],
                        invocation: -1,
                        detail: "MCP tool \(server)/\(tool) runs \(kinds.joined(separator: ", "))"
                    )
                )
            }
        case .other:
            break
        }
        var decision = decide(
            analysis: analysis,
            command: action.summary,
            context: context,
            policy: policy,
            trace: false
        )
        decision.digest = digest(action: action, context: context)
        decision.commands = [action.summary]
        return decision
    }

    /// The digest of a non-shell action and where it happens.
    static func digest(action: Action, context: Context) -> String {
        var members: [(String, JSONValue)] = [
            ("v", .number(1)), ("action", action.canonical), ("cwd", .string(Paths.normalize(context.cwd))),
        ]
        let targets = context.targets
        if !targets.isEmpty { members.append(("targets", .object(targets.map { ($0.0, .string($0.1)) }))) }
        let canonical = JSONValue.object(members).serialized
        return hexDigest(canonical)
    }
}

extension JSONValue {
    /// Every string value inside, depth first.
    var allStrings: [String] {
        switch self {
        case .string(let s): return [s]
        case .array(let items): return items.flatMap(\.allStrings)
        case .object(let members): return members.flatMap(\.1.allStrings)
        default: return []
        }
    }
}
