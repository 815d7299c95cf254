/// Hook configuration for each agent: where it lives and how Brake's entry is merged in and taken out,
/// leaving everything else in the file as it was.
public enum HookConfig {
    /// The file, relative to the project root (`project`) or the home directory (user).
    public static func path(agent: Agent, project: Bool) -> String {
        switch agent {
        case .claudeCode: return project ? ".claude/settings.json" : ".claude/settings.json"
        case .cursor: return ".cursor/hooks.json"
        case .gemini: return ".gemini/settings.json"
        case .codex: return ".codex/hooks.json"
        case .copilot: return project ? ".github/hooks/brake.json" : ".copilot/hooks/brake.json"
        case .kiro: return ".kiro/hooks/brake.json"
        }
    }

    /// The agent's managed, system-wide configuration (below `$BRAKE_SYSTEM_ROOT`), which the agent's user cannot
    /// write and which outranks or survives its user and project settings; nil where the agent has none Brake can
    /// write as JSON (Codex's system layer is TOML: `CodexSystemConfig`; Kiro documents no system configuration).
    public static func systemPath(agent: Agent) -> String? {
        switch agent {
        case .claudeCode: return "/etc/claude-code/managed-settings.d/brake.json"
        case .cursor: return "/etc/cursor/hooks.json"
        case .gemini: return "/etc/gemini-cli/settings.json"
        case .copilot: return "/etc/github-copilot/policy.d/brake.json"
        case .codex, .kiro: return nil
        }
    }

    /// A managed install: Brake's entry merged as usual; Claude Code's drop-in also allows managed hooks only, so
    /// no user or project setting can add a hook that runs before Brake's or switch hooks off.
    public static func installSystem(agent: Agent, existing: JSONValue?, command: String) -> JSONValue {
        let merged = install(agent: agent, existing: existing, command: command)
        guard agent == .claudeCode, case .object(var members) = merged else { return merged }
        members.removeAll { $0.0 == "allowManagedHooksOnly" }
        members.append(("allowManagedHooksOnly", .bool(true)))
        return .object(members)
    }

    /// True when the file belongs to Brake alone (removed whole on uninstall).
    public static func ownFile(_ agent: Agent) -> Bool { agent == .copilot || agent == .kiro }

    static func isBrake(_ v: JSONValue, agent: Agent) -> Bool {
        for key in ["command", "bash"] {
            if let c = v[key]?.stringValue, isBrakeCommand(c, agent: agent) { return true }
        }
        if let action = v["action"], let c = action["command"]?.stringValue, isBrakeCommand(c, agent: agent) {
            return true
        }
        return false
    }

    /// `… brake hook AGENT …` (judged in-process) or `… brake-hook AGENT …` (through the guard service).
    static func isBrakeCommand(_ c: String, agent: Agent) -> Bool {
        if c.contains(" hook " + agent.rawValue) && c.contains("brake") { return true }
        guard let client = c.firstRange(of: "brake-hook") else { return false }
        let rest = c[client.upperBound...].drop { $0 == "'" || $0 == "\"" || $0 == " " }
        return rest == agent.rawValue || rest.hasPrefix(agent.rawValue + " ")
    }

    /// The commands of Brake's hook entries in a configuration, each once (for `brake doctor`).
    public static func brakeCommands(agent: Agent, in v: JSONValue) -> [String] {
        var out: [String] = []
        func walk(_ v: JSONValue) {
            switch v {
            case .object(let members):
                if isBrake(v, agent: agent) {
                    if let c = v["command"]?.stringValue ?? v["bash"]?.stringValue
                        ?? v["action"]?["command"]?.stringValue
                    {
                        if !out.contains(c) { out.append(c) }
                    }
                }
                for (_, m) in members { walk(m) }
            case .array(let items): items.forEach(walk)
            default: break
            }
        }
        walk(v)
        return out
    }

    /// The configuration with Brake's hook present exactly once.
    public static func install(agent: Agent, existing: JSONValue?, command: String) -> JSONValue {
        if ownFile(agent) { return ownConfig(agent: agent, command: command) }
        // An older entry of Brake's (another path, another version's shape) is replaced, not kept beside the new one.
        var root = existing.map { uninstall(agent: agent, existing: $0) ?? .object([]) } ?? .object([])
        for (event, matcher) in events(agent) {
            var groups = array(root["hooks"]?[event])
            let already = groups.contains { g in
                array(g["hooks"]).contains { isBrake($0, agent: agent) } || isBrake(g, agent: agent)
            }
            if already { continue }
            groups.append(entry(agent: agent, matcher: matcher, command: command, event: event))
            var hooks = root["hooks"] ?? .object([])
            hooks = set(hooks, event, .array(groups))
            root = set(root, "hooks", hooks)
        }
        if agent == .cursor, root["version"] == nil {
            if case .object(let m) = root { root = .object([("version", .number(1))] + m) }
        }
        return root
    }

    /// Claude Code runs every shell command it runs for the agent (its Bash tool, hooks, stdio MCP servers) as
    /// `$CLAUDE_CODE_SHELL_PREFIX 'COMMAND'` when the variable is set: with `brake-hook shell` there, each runs
    /// confined by the policy's containment profile.
    public static let shellPrefixVariable = "CLAUDE_CODE_SHELL_PREFIX"

    /// Whether a shell prefix is Brake's.
    public static func isBrakePrefix(_ prefix: String) -> Bool {
        prefix.contains("brake-hook") && prefix.contains(" shell")
    }

    /// The settings with Brake's shell prefix set; nil when another prefix is already there (an operator's wrapper
    /// is not replaced silently).
    public static func containShell(_ root: JSONValue, prefix: String) -> JSONValue? {
        var env = root["env"] ?? .object([])
        if let other = env[shellPrefixVariable]?.stringValue, !other.isEmpty, !isBrakePrefix(other) { return nil }
        env = set(env, shellPrefixVariable, .string(prefix))
        return set(root, "env", env)
    }

    /// The settings without Brake's shell prefix (another prefix is left alone).
    static func uncontainShell(_ root: JSONValue) -> JSONValue {
        guard case .object(let env)? = root["env"], let p = root["env"]?[shellPrefixVariable]?.stringValue,
            isBrakePrefix(p), case .object(let top) = root
        else { return root }
        let rest = env.filter { $0.0 != shellPrefixVariable }
        return rest.isEmpty ? .object(top.filter { $0.0 != "env" }) : set(root, "env", .object(rest))
    }

    /// The configuration without Brake's hook (nil when the file should be removed).
    public static func uninstall(agent: Agent, existing: JSONValue) -> JSONValue? {
        if ownFile(agent) { return nil }
        var root = agent == .claudeCode ? uncontainShell(existing) : existing
        guard case .object(var hooksMembers)? = root["hooks"] else { return root }
        for (i, member) in hooksMembers.enumerated().reversed() {
            guard case .array(let groups) = member.1 else { continue }
            var kept: [JSONValue] = []
            for g in groups {
                if isBrake(g, agent: agent) { continue }
                if case .array(let handlers)? = g["hooks"] {
                    let rest = handlers.filter { !isBrake($0, agent: agent) }
                    if rest.isEmpty && !handlers.isEmpty { continue }
                    kept.append(set(g, "hooks", .array(rest)))
                } else {
                    kept.append(g)
                }
            }
            if kept.isEmpty && !groups.isEmpty {
                hooksMembers.remove(at: i)
            } else {
                hooksMembers[i].1 = .array(kept)
            }
        }
        root = set(root, "hooks", .object(hooksMembers))
        if case .object(let m)? = root["hooks"], m.isEmpty, case .object(let top) = root {
            root = .object(top.filter { $0.0 != "hooks" })
        }
        return root
    }

    static func events(_ agent: Agent) -> [(String, String?)] {
        switch agent {
        // After a file tool or a shell command ran, Claude Code's hook records what it produced (provenance).
        case .claudeCode: return [("PreToolUse", "*"), ("PostToolUse", "Write|Edit|MultiEdit|NotebookEdit|Bash")]
        // Codex documents PostToolUse with the same payload (developers.openai.com/codex/hooks).
        case .codex: return [("PreToolUse", "*"), ("PostToolUse", "*")]
        // Gemini's AfterTool carries the same tool_name/tool_input (geminicli.com/docs/hooks/reference).
        case .gemini: return [("BeforeTool", ".*"), ("AfterTool", "write_file|replace|run_shell_command")]
        // Cursor's afterFileEdit (file_path) and afterShellExecution (command) come after the edit or command ran.
        case .cursor:
            return [
                ("beforeShellExecution", nil), ("beforeMCPExecution", nil), ("beforeReadFile", nil),
                ("preToolUse", "Write|Edit|StrReplace|Delete|MultiEdit"), ("afterFileEdit", nil),
                ("afterShellExecution", nil),
            ]
        case .copilot, .kiro: return []
        }
    }

    static func entry(agent: Agent, matcher: String?, command: String, event: String = "") -> JSONValue {
        switch agent {
        case .claudeCode, .codex:
            return .object([
                ("matcher", .string(matcher ?? "*")),
                (
                    "hooks",
                    .array([
                        .object([("type", .string("command")), ("command", .string(command)), ("timeout", .number(30))])
                    ])
                ),
            ])
        case .gemini:
            return .object([
                ("matcher", .string(matcher ?? ".*")),
                (
                    "hooks",
                    .array([
                        .object([
                            ("name", .string("brake")), ("type", .string("command")), ("command", .string(command)),
                            ("timeout", .number(30000)),
                        ])
                    ])
                ),
            ])
        case .cursor:
            // failClosed: a crashed or timed-out hook blocks instead of letting the action through.
            // An explicit timeout: Cursor's default is the platform's, and under failClosed a timeout blocks.
            // After the edit or command ran there is nothing to block: those entries do not fail closed.
            var m: [(String, JSONValue)] = [("command", .string(command))]
            if !event.hasPrefix("after") { m.append(("failClosed", .bool(true))) }
            m.append(("timeout", .number(30)))
            if let matcher { m.append(("matcher", .string(matcher))) }
            return .object(m)
        case .copilot, .kiro:
            return .null
        }
    }

    static func ownConfig(agent: Agent, command: String) -> JSONValue {
        if agent == .copilot {
            return .object([
                ("version", .number(1)),
                (
                    "hooks",
                    .object([
                        (
                            "preToolUse",
                            .array([
                                .object([
                                    ("type", .string("command")), ("bash", .string(command)),
                                    ("timeoutSec", .number(30)),
                                ])
                            ])
                        ),
                        // The PascalCase event gets the payload with hook_event_name (docs.github.com, Copilot
                        // hooks): what the tool produced is recorded after it ran.
                        (
                            "PostToolUse",
                            .array([
                                .object([
                                    ("type", .string("command")), ("bash", .string(command)),
                                    ("timeoutSec", .number(30)),
                                ])
                            ])
                        ),
                    ])
                ),
            ])
        }
        return .object([
            ("version", .string("v1")),
            (
                "hooks",
                .array([
                    .object([
                        // No matcher: Kiro v3 reads it as a regular expression and matches every tool without
                        // one (kiro.dev/docs/cli/v3/hooks), and `*` is not a valid one.
                        ("name", .string("brake")), ("trigger", .string("PreToolUse")),
                        ("action", .object([("type", .string("command")), ("command", .string(command))])),
                        ("timeout", .number(30)), ("enabled", .bool(true)),
                    ]),
                    .object([
                        ("name", .string("brake-record")), ("trigger", .string("PostToolUse")),
                        ("action", .object([("type", .string("command")), ("command", .string(command))])),
                        ("timeout", .number(30)), ("enabled", .bool(true)),
                    ]),
                ])
            ),
        ])
    }

    /// Amazon Q Developer CLI and Kiro CLI 2.x read hooks only from agent files (`hooks.preToolUse` of
    /// `.amazonq/cli-agents/*.json`, `.kiro/agents/*.json`): the folders, project-relative or home-relative.
    public static func agentFileFolders(project: Bool) -> [String] {
        project ? [".kiro/agents", ".amazonq/cli-agents"] : [".kiro/agents", ".aws/amazonq/cli-agents"]
    }

    /// An agent file with Brake's `preToolUse` hook (and its `postToolUse` recorder) present exactly once (the
    /// command replaced if it changed).
    public static func installAgentFile(existing: JSONValue, command: String) -> JSONValue {
        let base = uninstallAgentFile(existing: existing)
        var hooks = base["hooks"] ?? .object([])
        for event in ["preToolUse", "postToolUse"] {
            var list = array(hooks[event])
            list.append(
                .object([("matcher", .string("*")), ("command", .string(command)), ("timeout_ms", .number(30000))])
            )
            hooks = set(hooks, event, .array(list))
        }
        return set(base, "hooks", hooks)
    }

    /// An agent file without Brake's hooks (other hooks and settings kept as they were).
    public static func uninstallAgentFile(existing: JSONValue) -> JSONValue {
        guard var h = existing["hooks"] else { return existing }
        var changed = false
        for event in ["preToolUse", "postToolUse"] {
            guard case .array(let list)? = h[event] else { continue }
            let rest = list.filter { !isBrake($0, agent: .kiro) }
            if rest.count == list.count { continue }
            changed = true
            if rest.isEmpty, case .object(let m) = h {
                h = .object(m.filter { $0.0 != event })
            } else {
                h = set(h, event, .array(rest))
            }
        }
        if !changed { return existing }
        if case .object(let m) = h, m.isEmpty, case .object(let root) = existing {
            return .object(root.filter { $0.0 != "hooks" })
        }
        return set(existing, "hooks", h)
    }

    static func array(_ v: JSONValue?) -> [JSONValue] {
        if case .array(let a)? = v { return a }
        return []
    }

    static func set(_ obj: JSONValue, _ key: String, _ value: JSONValue) -> JSONValue {
        guard case .object(var m) = obj else { return .object([(key, value)]) }
        if let i = m.firstIndex(where: { $0.0 == key }) { m[i].1 = value } else { m.append((key, value)) }
        return .object(m)
    }
}

extension JSONValue {
    /// Indented JSON for files people edit, members in their original order.
    public func pretty(indent: String = "") -> String {
        let inner = indent + "  "
        switch self {
        case .array(let items):
            if items.isEmpty { return "[]" }
            return "[\n" + items.map { inner + $0.pretty(indent: inner) }.joined(separator: ",\n") + "\n" + indent + "]"
        case .object(let members):
            if members.isEmpty { return "{}" }
            return "{\n"
                + members.map { inner + JSONValue.string($0.0).serialized + ": " + $0.1.pretty(indent: inner) }.joined(
                    separator: ",\n"
                ) + "\n" + indent + "}"
        default:
            return serialized
        }
    }
}

/// MCP server configurations (`mcpServers`): wrap each stdio server in `brake mcp`, and unwrap it again.
public enum MCPConfig {
    /// The file, relative to the project root or the home directory.
    public static func path(agent: Agent, project: Bool) -> String? {
        switch agent {
        case .claudeCode: return project ? ".mcp.json" : ".claude.json"
        case .cursor: return ".cursor/mcp.json"
        case .gemini: return ".gemini/settings.json"
        default: return nil
        }
    }

    static func isWrapped(_ server: JSONValue) -> Bool {
        guard case .array(let args)? = server["args"] else { return false }
        return args.first?.stringValue == "mcp" && args.count >= 4 && args[1].stringValue == "--name"
    }

    /// Every stdio server runs behind `brake mcp --name NAME --`; HTTP servers are left alone and listed.
    public static func wrap(_ root: JSONValue, brake: String) -> (JSONValue, wrapped: [String], skipped: [String]) {
        guard case .object(var servers)? = root["mcpServers"] else { return (root, [], []) }
        var wrapped: [String] = []
        var skipped: [String] = []
        for (i, (name, server)) in servers.enumerated() {
            guard let command = server["command"]?.stringValue else {
                skipped.append(name)
                continue
            }
            if isWrapped(server) { continue }
            var args: [JSONValue] = [.string("mcp"), .string("--name"), .string(name), .string("--"), .string(command)]
            if case .array(let old)? = server["args"] { args += old }
            servers[i].1 = HookConfig.set(HookConfig.set(server, "command", .string(brake)), "args", .array(args))
            wrapped.append(name)
        }
        return (HookConfig.set(root, "mcpServers", .object(servers)), wrapped, skipped)
    }

    /// Restores the original command and arguments of every wrapped server.
    public static func unwrap(_ root: JSONValue) -> JSONValue {
        guard case .object(var servers)? = root["mcpServers"] else { return root }
        for (i, (_, server)) in servers.enumerated() where isWrapped(server) {
            guard case .array(let args)? = server["args"], args.count >= 5 else { continue }
            var s = HookConfig.set(server, "command", args[4])
            let rest = Array(args.dropFirst(5))
            if rest.isEmpty, case .object(let m) = s {
                s = .object(m.filter { $0.0 != "args" })
            } else {
                s = HookConfig.set(s, "args", .array(rest))
            }
            servers[i].1 = s
        }
        return HookConfig.set(root, "mcpServers", .object(servers))
    }
}
