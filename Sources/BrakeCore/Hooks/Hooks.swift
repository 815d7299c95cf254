/// The coding agents whose hook protocols Brake speaks.
public enum Agent: String, Sendable, CaseIterable {
    case claudeCode = "claude-code"
    case cursor
    case gemini
    case codex
    case copilot
    case kiro

    /// True when the agent shows its own approval prompt for an `ask` answer.
    public var hasNativeAsk: Bool {
        switch self {
        case .claudeCode, .cursor, .gemini, .copilot: return true
        case .codex, .kiro: return false
        }
    }
}

/// One hook invocation, normalized.
public struct HookCall: Sendable, Equatable {
    public var agent: Agent
    public var event: String
    public var session: String?
    public var cwd: String?
    public var tool: String
    public var actions: [Action]
}

/// A payload Brake cannot read.
public struct HookError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// What the hook prints and how it exits.
public struct HookOutput: Sendable, Equatable {
    public var stdout: String
    public var stderr: String
    public var status: Int32

    public init(stdout: String, stderr: String, status: Int32) {
        self.stdout = stdout
        self.stderr = stderr
        self.status = status
    }
}

/// Agent hook protocols: payload in, normalized call out; decision in, the agent's own answer out.
public enum Hooks {
    // MARK: - Reading payloads

    public static func parse(agent: Agent, payload: String) throws(HookError) -> HookCall {
        let root: JSONValue
        do { root = try JSONValue.parse(payload) } catch {
            throw HookError(message: "the hook payload is not valid JSON (\(error.description))")
        }
        guard case .object = root else { throw HookError(message: "the hook payload is not a JSON object") }
        switch agent {
        case .claudeCode, .codex: return try parseClaudeStyle(agent, root)
        case .gemini: return try parseGemini(root)
        case .cursor: return try parseCursor(root)
        case .copilot: return try parseCopilot(root)
        case .kiro: return try parseKiro(root)
        }
    }

    static func string(_ v: JSONValue?) -> String? { v?.stringValue }

    static func require(_ v: JSONValue?, _ what: String) throws(HookError) -> String {
        guard let s = v?.stringValue, !s.isEmpty else { throw HookError(message: "the hook payload has no \(what)") }
        return s
    }

    /// A command given as a string or as an argv array.
    static func commandText(_ v: JSONValue?) -> String? {
        switch v {
        case .string(let s)?: return s
        case .array(let items)?:
            let words = items.compactMap(\.stringValue)
            guard words.count == items.count, !words.isEmpty else { return nil }
            // `["bash", "-lc", "script"]`: the script is the command.
            if words.count == 3, ["bash", "sh", "zsh"].contains(Paths.basename(words[0])), words[1].hasPrefix("-"),
                words[1].contains("c")
            {
                return words[2]
            }
            return words.map(shellQuote).joined(separator: " ")
        default: return nil
        }
    }

    public static func shellQuote(_ s: String) -> String {
        if !s.isEmpty && s.allSatisfy({ $0.isLetter || $0.isNumber || "-_./=:@%+,".contains($0) }) { return s }
        return "'" + s.replacingAll("'", with: "'\\''") + "'"
    }

    /// Tool names → actions for the shapes shared by Claude Code, Codex and (PascalCase) Copilot.
    static func actions(tool: String, input: JSONValue?, mcpSeparator: String) throws(HookError) -> [Action] {
        let lower = tool.lowercased()
        if let (server, name) = mcpName(tool, separator: mcpSeparator) {
            return [.mcp(server: server, tool: name, arguments: input?.serialized ?? "{}")]
        }
        switch lower {
        case "bash", "powershell", "shell", "exec_command", "local_shell", "container.exec", "run_shell_command",
            "execute_bash", "execute_cmd", "runterminalcommand", "run_in_terminal", "terminal":
            guard let c = commandText(input?["command"] ?? input?["cmd"]) else {
                throw HookError(message: "the \(tool) call has no command")
            }
            return [.shell(command: c)]
        case "write", "create", "write_file", "createfile", "fs_write":
            return [.write(path: try require(input?["file_path"] ?? input?["path"] ?? input?["filePath"], "file path"))]
        case "edit", "multiedit", "replace", "str_replace", "strreplace", "editfiles", "notebookedit",
            "str_replace_editor":
            return [
                .edit(
                    path: try require(
                        input?["file_path"] ?? input?["path"] ?? input?["notebook_path"] ?? input?["filePath"],
                        "file path"
                    )
                )
            ]
        case "delete", "delete_file", "deletefile", "remove_file":
            return [.delete(path: try require(input?["file_path"] ?? input?["path"], "file path"))]
        case "read", "view", "read_file", "fs_read":
            if let p = string(input?["file_path"] ?? input?["path"]) { return [.read(path: p)] }
            return [.other(tool: tool)]
        case "apply_patch", "applypatch":
            let text =
                [input?["patch"], input?["input"], input?["command"], input].compactMap { commandText($0) }.first ?? ""
            let changes = Patch.paths(text)
            if changes.isEmpty { throw HookError(message: "the apply_patch call has no patch Brake can read") }
            return changes
        default:
            return [.other(tool: tool)]
        }
    }

    /// `mcp__server__tool` (Claude, Codex), `mcp_server_tool` (Gemini), `@server/tool` (Kiro).
    static func mcpName(_ tool: String, separator: String) -> (String, String)? {
        if tool.hasPrefix("@"), let slash = tool.firstIndex(of: "/") {
            return (String(tool[tool.index(after: tool.startIndex)..<slash]), String(tool[tool.index(after: slash)...]))
        }
        guard tool.hasPrefix("mcp" + separator) else { return nil }
        let rest = tool.dropFirst(3 + separator.count)
        guard let r = rest.firstRange(of: separator) else { return (String(rest), "") }
        return (String(rest[..<r.lowerBound]), String(rest[r.upperBound...]))
    }

    static func parseClaudeStyle(_ agent: Agent, _ root: JSONValue) throws(HookError) -> HookCall {
        let tool = try require(root["tool_name"], "tool_name")
        return HookCall(
            agent: agent,
            event: string(root["hook_event_name"]) ?? "PreToolUse",
            session: string(root["session_id"]),
            cwd: string(root["cwd"]),
            tool: tool,
            actions: try actions(tool: tool, input: root["tool_input"], mcpSeparator: "__")
        )
    }

    static func parseGemini(_ root: JSONValue) throws(HookError) -> HookCall {
        let tool = try require(root["tool_name"], "tool_name")
        let input = root["tool_input"]
        var acts: [Action]
        if let ctx = root["mcp_context"], let server = string(ctx["server_name"]) {
            acts = [.mcp(server: server, tool: string(ctx["tool_name"]) ?? tool, arguments: input?.serialized ?? "{}")]
        } else {
            acts = try actions(tool: tool, input: input, mcpSeparator: "_")
        }
        var cwd = string(root["cwd"])
        if tool == "run_shell_command", let dir = string(input?["dir_path"]), !dir.isEmpty {
            cwd = dir.hasPrefix("/") ? dir : Paths.resolve(dir, cwd: cwd ?? "/")
        }
        if acts.isEmpty { acts = [.other(tool: tool)] }
        return HookCall(
            agent: .gemini,
            event: string(root["hook_event_name"]) ?? "BeforeTool",
            session: string(root["session_id"]),
            cwd: cwd,
            tool: tool,
            actions: acts
        )
    }

    /// Cursor sends MCP parameters as a JSON string: the arguments are what it holds, not the string.
    static func cursorToolInput(_ v: JSONValue?) -> String {
        if case .string(let s)? = v, let parsed = try? JSONValue.parse(s) { return parsed.serialized }
        return v?.serialized ?? "{}"
    }

    static func parseCursor(_ root: JSONValue) throws(HookError) -> HookCall {
        let event = try require(root["hook_event_name"], "hook_event_name")
        var cwd = string(root["cwd"])
        if cwd == nil || cwd == "", case .array(let roots)? = root["workspace_roots"],
            let first = roots.first?.stringValue
        {
            cwd = first
        }
        let session = string(root["conversation_id"])
        switch event {
        // afterShellExecution: the same command after it ran (what it produced is recorded, nothing is judged).
        case "beforeShellExecution", "afterShellExecution":
            return HookCall(
                agent: .cursor,
                event: event,
                session: session,
                cwd: cwd,
                tool: "Shell",
                actions: [.shell(command: try require(root["command"], "command"))]
            )
        case "beforeMCPExecution":
            let raw = try require(root["tool_name"], "tool_name")
            // `mcp_server_name` is the server's key in mcp.json; older Cursor versions only sent url or command.
            var server = string(root["mcp_server_name"]) ?? string(root["url"]) ?? string(root["command"]) ?? "mcp"
            var tool = raw
            if raw.hasPrefix("MCP:") {
                let parts = raw.split(separator: ":", maxSplits: 2).map(String.init)
                if parts.count == 3 {
                    server = parts[1]
                    tool = parts[2]
                }
            }
            return HookCall(
                agent: .cursor,
                event: event,
                session: session,
                cwd: cwd,
                tool: raw,
                actions: [.mcp(server: server, tool: tool, arguments: cursorToolInput(root["tool_input"]))]
            )
        // After the edit: what it produced is recorded (provenance), nothing is judged.
        case "afterFileEdit":
            return HookCall(
                agent: .cursor,
                event: event,
                session: session,
                cwd: cwd,
                tool: "Edit",
                actions: [.edit(path: try require(root["file_path"], "file_path"))]
            )
        case "beforeReadFile":
            return HookCall(
                agent: .cursor,
                event: event,
                session: session,
                cwd: cwd,
                tool: "Read",
                actions: [.read(path: try require(root["file_path"], "file_path"))]
            )
        default:
            let tool = try require(root["tool_name"], "tool_name")
            return HookCall(
                agent: .cursor,
                event: event,
                session: session,
                cwd: cwd,
                tool: tool,
                actions: try actions(tool: tool, input: root["tool_input"], mcpSeparator: "__")
            )
        }
    }

    static func parseCopilot(_ root: JSONValue) throws(HookError) -> HookCall {
        if let tool = string(root["toolName"]) {
            var input = root["toolArgs"]
            if let text = input?.stringValue {
                do { input = try JSONValue.parse(text) } catch {
                    throw HookError(message: "toolArgs is a string that is not JSON (\(error.description))")
                }
            }
            return HookCall(
                agent: .copilot,
                event: "preToolUse",
                session: string(root["sessionId"]),
                cwd: string(root["cwd"]),
                tool: tool,
                actions: try actions(tool: tool, input: input, mcpSeparator: "__")
            )
        }
        let tool = try require(root["tool_name"], "toolName or tool_name")
        return HookCall(
            agent: .copilot,
            event: string(root["hook_event_name"]) ?? "PreToolUse",
            session: string(root["session_id"]),
            cwd: string(root["cwd"]),
            tool: tool,
            actions: try actions(tool: tool, input: root["tool_input"], mcpSeparator: "__")
        )
    }

    static func parseKiro(_ root: JSONValue) throws(HookError) -> HookCall {
        let tool = try require(root["tool_name"], "tool_name")
        let input = root["tool_input"]
        var acts: [Action]
        if tool == "fs_read", case .array(let ops)? = input?["operations"] {
            acts = ops.compactMap { string($0["path"]).map { Action.read(path: $0) } }
        } else if tool == "fs_write", let path = string(input?["path"]) {
            acts = [string(input?["command"]) == "create" ? .write(path: path) : .edit(path: path)]
        } else if tool.hasPrefix("@"), let slash = tool.firstIndex(of: "/") {
            // Q CLI and Kiro name MCP tools `@server/tool` (docs/hooks.md in aws/amazon-q-developer-cli).
            let server = String(tool[tool.index(after: tool.startIndex)..<slash])
            let name = String(tool[tool.index(after: slash)...])
            acts = [.mcp(server: server, tool: name, arguments: input?.serialized ?? "{}")]
        } else {
            // Kiro v3 names MCP tools `mcp_<server>_<tool>`; Q CLI and Kiro 2.x `@server/tool` (above).
            let separator = tool.hasPrefix("mcp_") && !tool.hasPrefix("mcp__") ? "_" : "__"
            acts = try actions(tool: tool, input: input, mcpSeparator: separator)
        }
        if acts.isEmpty { acts = [.other(tool: tool)] }
        return HookCall(
            agent: .kiro,
            event: string(root["hook_event_name"]) ?? "preToolUse",
            session: string(root["session_id"]),
            cwd: string(root["cwd"]),
            tool: tool,
            actions: acts
        )
    }

    // MARK: - Answering

    /// The agent's own answer. `allow` prints nothing: in several agents an explicit allow would skip the
    /// person's own prompt, and Codex rejects it.
    public static func render(
        agent: Agent,
        event: String,
        verdict: Verdict,
        userMessage: String,
        agentMessage: String
    ) -> HookOutput {
        func json(_ v: JSONValue) -> HookOutput { HookOutput(stdout: v.serialized + "\n", stderr: "", status: 0) }
        if verdict == .allow {
            // Cursor's IDE reads empty output under failClosed as a failure and blocks; its answer is explicit.
            if agent == .cursor { return json(.object([("permission", .string("allow"))])) }
            return HookOutput(stdout: "", stderr: "", status: 0)
        }
        let word = verdict == .deny ? "deny" : "ask"
        switch agent {
        case .claudeCode where event == "PermissionRequest":
            // The person is being asked already: a deny answers for them (`decision: {behavior, message}`, per
            // code.claude.com/docs/en/hooks); an ask leaves the prompt to the person.
            if verdict == .ask { return HookOutput(stdout: "", stderr: "", status: 0) }
            return json(
                .object([
                    (
                        "hookSpecificOutput",
                        .object([
                            ("hookEventName", .string("PermissionRequest")),
                            (
                                "decision",
                                .object([("behavior", .string("deny")), ("message", .string(agentMessage))])
                            ),
                        ])
                    )
                ])
            )
        case .claudeCode:
            // For deny the reason reaches the model; for ask it reaches the person.
            return json(
                .object([
                    (
                        "hookSpecificOutput",
                        .object([
                            ("hookEventName", .string(event.isEmpty ? "PreToolUse" : event)),
                            ("permissionDecision", .string(word)),
                            ("permissionDecisionReason", .string(verdict == .deny ? agentMessage : userMessage)),
                        ])
                    )
                ])
            )
        case .codex:
            // Codex rejects `ask`: anything short of allow is a deny with a non-empty reason.
            return json(
                .object([
                    (
                        "hookSpecificOutput",
                        .object([
                            ("hookEventName", .string("PreToolUse")), ("permissionDecision", .string("deny")),
                            ("permissionDecisionReason", .string(agentMessage)),
                        ])
                    )
                ])
            )
        case .cursor:
            // Cursor enforces ask only for shell and MCP calls: for preToolUse it "is accepted by the schema but not
            // enforced" (cursor.com/docs/hooks), and beforeReadFile has no ask. There an ask is a deny that tells
            // the agent how to get approval.
            let w = event == "beforeShellExecution" || event == "beforeMCPExecution" ? word : "deny"
            return json(
                .object([
                    ("permission", .string(w)), ("user_message", .string(userMessage)),
                    ("agent_message", .string(agentMessage)),
                ])
            )
        case .gemini:
            // A hook's `ask` replaces the verdict of Gemini's own policy engine, a deny included
            // (packages/core/src/scheduler/scheduler.ts: `if (hookDecision === 'ask') { decision =
            // PolicyDecision.ASK_USER; }`), so an ask could open a prompt the organisation's Gemini policy had
            // closed. Brake answers deny there, with how to get approval.
            return json(
                .object([
                    ("decision", .string("deny")), ("reason", .string(agentMessage)),
                    ("systemMessage", .string(userMessage)),
                ])
            )
        case .copilot:
            return json(
                .object([("permissionDecision", .string(word)), ("permissionDecisionReason", .string(agentMessage))])
            )
        case .kiro:
            // Exit 2 blocks; stderr goes to the model. There is no ask.
            return HookOutput(stdout: "", stderr: agentMessage + "\n", status: 2)
        }
    }
}

extension Hooks {
    /// The answer with a notice for the person added where the agent shows one (Claude Code and Gemini CLI:
    /// `systemMessage`; Cursor: `user_message`), else on stderr; the decision and exit status stay as they were.
    public static func adding(notice: String, to output: HookOutput, agent: Agent) -> HookOutput {
        var out = output
        switch agent {
        case .claudeCode, .gemini, .cursor:
            let key = agent == .cursor ? "user_message" : "systemMessage"
            var fields: [(String, JSONValue)] = []
            if !out.stdout.isEmpty {
                guard case .object(let f)? = try? JSONValue.parse(out.stdout) else {
                    out.stderr += notice + "\n"
                    return out
                }
                fields = f
            }
            if let i = fields.firstIndex(where: { $0.0 == key }), let old = fields[i].1.stringValue {
                fields[i].1 = .string(notice + "\n" + old)
            } else {
                fields.append((key, .string(notice)))
            }
            out.stdout = JSONValue.object(fields).serialized + "\n"
        case .codex, .copilot, .kiro:
            out.stderr += notice + "\n"
        }
        return out
    }
}

/// Codex `apply_patch` envelopes: the files a patch adds, updates, moves or deletes.
public enum Patch {
    public static func paths(_ text: String) -> [Action] {
        var out: [Action] = []
        for raw in text.split(separator: "\n") {
            let line = raw.trimmingSpaces
            if line.hasPrefix("*** Add File: ") {
                out.append(.write(path: String(line.dropFirst(14)).trimmingSpaces))
            } else if line.hasPrefix("*** Update File: ") {
                out.append(.edit(path: String(line.dropFirst(17)).trimmingSpaces))
            } else if line.hasPrefix("*** Delete File: ") {
                out.append(.delete(path: String(line.dropFirst(17)).trimmingSpaces))
            } else if line.hasPrefix("*** Move to: ") {
                out.append(.write(path: String(line.dropFirst(13)).trimmingSpaces))
            }
        }
        return out
    }
}
