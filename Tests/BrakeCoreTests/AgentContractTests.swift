import BrakeCore
import Testing

/// What each agent does with a hook's answer, written from that agent's own documentation and source (cited beside
/// each branch; the quotes are in docs/agent-contracts-research.md), independently of Brake's renderer. The
/// contract table below then checks that every answer Brake gives is enforced the way Brake means it.
enum AgentModel {
    enum Effect: String, Sendable { case runs, prompts, blocked }

    static func json(_ s: String) -> JSONValue? { try? JSONValue.parse(s) }

    static func effect(_ agent: Agent, event: String, _ out: HookOutput, cloud: Bool = false) -> Effect {
        switch agent {
        case .claudeCode where event == "PermissionRequest":
            // code.claude.com/docs/en/hooks, "PermissionRequest decision control": `decision.behavior` allow|deny;
            // "Exit code 2 isn't honored for this event and the permission flow proceeds unchanged."
            guard out.status == 0, let v = json(out.stdout) else { return .prompts }
            switch v["hookSpecificOutput"]?["decision"]?["behavior"]?.stringValue {
            case "deny": return .blocked
            case "allow": return .runs
            default: return .prompts
            }
        case .claudeCode:
            // "exit 2 blocks whether or not you print JSON"; "Any other exit code doesn't block on its own";
            // "exit 0 with a parsed object that fails schema validation is a non-blocking error: the action proceeds".
            if out.status == 2 { return .blocked }
            guard out.status == 0, let v = json(out.stdout) else { return .runs }
            switch v["hookSpecificOutput"]?["permissionDecision"]?.stringValue {
            case "deny": return .blocked
            case "ask": return .prompts
            default: return .runs
            }
        case .codex:
            // pre_tool_use.rs: exit 2 blocks only with a reason on stderr ("exited with code 2 but did not write a
            // blocking reason to stderr"); any other code is Failed and does not block. output_parser.rs: ask and
            // allow-without-updatedInput are "unsupported" (Failed, proceeds); deny needs a non-empty reason.
            if out.status == 2 { return out.stderr.isEmpty ? .runs : .blocked }
            guard out.status == 0, let v = json(out.stdout),
                let d = v["hookSpecificOutput"]?["permissionDecision"]?.stringValue
            else { return .runs }
            let reason = v["hookSpecificOutput"]?["permissionDecisionReason"]?.stringValue ?? ""
            return d == "deny" && !reason.isEmpty ? .blocked : .runs
        case .gemini:
            // hookRunner.ts: JSON is parsed whatever the exit code (`stdout.trim() || stderr.trim()`); plain text with
            // exit 2 or more blocks; empty output or exit 1 continues. types.ts: 'ask' | 'block' | 'deny' | 'approve'
            // | 'allow'.
            if let v = json(out.stdout.isEmpty ? out.stderr : out.stdout), let d = v["decision"]?.stringValue {
                switch d {
                case "deny", "block": return .blocked
                case "ask": return .prompts
                default: return .runs
                }
            }
            return out.status >= 2 && !(out.stdout + out.stderr).isEmpty ? .blocked : .runs
        case .cursor:
            // cursor.com/docs/hooks: "Exit code `2` - Block the action"; with `failClosed: true` (which Brake writes)
            // "hook failures (crash, timeout, non-zero exit code, no output) block the action"; permission hooks
            // "block on invalid JSON". For preToolUse, ask "is accepted by the schema but not enforced".
            if out.status != 0 { return .blocked }
            guard let v = json(out.stdout), let p = v["permission"]?.stringValue else { return .blocked }
            switch p {
            case "deny": return .blocked
            case "allow": return .runs
            case "ask":
                return event == "beforeShellExecution" || event == "beforeMCPExecution" ? .prompts : .runs
            default: return .blocked
            }
        case .copilot:
            // docs.github.com hooks reference: "For `permissionRequest` and `preToolUse`, exit `2` is treated as a
            // deny"; "preToolUse is fail-closed—a non-zero exit (other than exit 2) denies"; "Empty output uses
            // default behavior. Under cloud agent, "ask" is treated as "deny"".
            if out.status != 0 { return .blocked }
            guard let v = json(out.stdout), let d = v["permissionDecision"]?.stringValue else { return .runs }
            switch d {
            case "deny": return .blocked
            case "ask": return cloud ? .blocked : .prompts
            default: return .runs
            }
        case .kiro:
            // aws/amazon-q-developer-cli docs/hooks.md (= kiro.dev/docs/cli/hooks): "**2**: Block tool execution,
            // return STDERR to LLM." "**Other**: Show STDERR warning to user, allow tool execution."
            return out.status == 2 ? .blocked : .runs
        }
    }
}

@Suite("Each agent enforces exactly what Brake decides")
struct AgentContractTests {
    /// One agent event: a payload of the documented shape, what it is, and the effect Brake means by an ask there.
    struct Case: Sendable, CustomTestStringConvertible {
        var agent: Agent
        var event: String
        var payload: String
        var action: Action
        /// Where the agent can put a question to its person, an ask prompts; elsewhere it must block.
        var askEffect: AgentModel.Effect
        var cloud = false
        /// Brake's allow means "no objection": the agent's own flow goes on (on PermissionRequest, that is the
        /// person's prompt Claude Code was about to show).
        var allowEffect: AgentModel.Effect { event == "PermissionRequest" ? .prompts : .runs }
        var testDescription: String { "\(agent.rawValue) \(event)\(cloud ? " (cloud)" : ""): \(action.summary)" }
    }

    static let cases: [Case] = [
        // code.claude.com/docs/en/hooks "PreToolUse input": session_id, transcript_path, cwd, permission_mode,
        // hook_event_name, tool_name, tool_input, tool_use_id. "ask prompts the user to confirm".
        Case(
            agent: .claudeCode,
            event: "PreToolUse",
            payload:
                #"{"session_id":"s","transcript_path":"/t","cwd":"/p","permission_mode":"default","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"git push --force origin main"},"tool_use_id":"t1"}"#,
            action: .shell(command: "git push --force origin main"),
            askEffect: .prompts
        ),
        // Same page, "PermissionRequest": the same fields, sent when Claude Code is about to ask the person.
        Case(
            agent: .claudeCode,
            event: "PermissionRequest",
            payload:
                #"{"session_id":"s","cwd":"/p","permission_mode":"default","hook_event_name":"PermissionRequest","tool_name":"Write","tool_input":{"file_path":"/p/.github/workflows/ci.yml","content":"x"}}"#,
            action: .write(path: "/p/.github/workflows/ci.yml"),
            askEffect: .prompts
        ),
        // openai/codex pre_tool_use.rs command_input_json: "Shell-like tools pass { "command": ... } as tool_input";
        // output_parser.rs rejects ask, so Codex has no prompt Brake can use.
        Case(
            agent: .codex,
            event: "PreToolUse",
            payload:
                #"{"session_id":"s","turn_id":"u","transcript_path":null,"cwd":"/p","hook_event_name":"PreToolUse","model":"gpt-5","permission_mode":"default","tool_name":"Bash","tool_input":{"command":"terraform destroy"},"tool_use_id":"c"}"#,
            action: .shell(command: "terraform destroy"),
            askEffect: .blocked
        ),
        // google-gemini/gemini-cli docs/hooks/reference.md BeforeTool: tool_name, tool_input, mcp_context. A hook ask
        // overrides Gemini's own policy deny (scheduler.ts), so Brake's ask must block there.
        Case(
            agent: .gemini,
            event: "BeforeTool",
            payload:
                #"{"session_id":"g","transcript_path":"/t","cwd":"/p","hook_event_name":"BeforeTool","timestamp":"t","tool_name":"run_shell_command","tool_input":{"command":"git push --force origin main"}}"#,
            action: .shell(command: "git push --force origin main"),
            askEffect: .blocked
        ),
        // cursor.com/docs/hooks beforeShellExecution: command, cwd, plus the common conversation_id,
        // generation_id, workspace_roots; permission allow|deny|ask.
        Case(
            agent: .cursor,
            event: "beforeShellExecution",
            payload:
                #"{"hook_event_name":"beforeShellExecution","conversation_id":"c","generation_id":"g","workspace_roots":["/p"],"command":"git push --force origin main","cwd":"/p"}"#,
            action: .shell(command: "git push --force origin main"),
            askEffect: .prompts
        ),
        // Same page, beforeMCPExecution: tool_name, tool_input, url or command, mcp_server_name.
        Case(
            agent: .cursor,
            event: "beforeMCPExecution",
            payload:
                #"{"hook_event_name":"beforeMCPExecution","conversation_id":"c","generation_id":"g","workspace_roots":["/p"],"tool_name":"delete_issue","tool_input":"{\"id\":\"X-1\"}","mcp_server_name":"linear","command":"npx linear-mcp"}"#,
            action: .mcp(server: "linear", tool: "delete_issue", arguments: #"{"id":"X-1"}"#),
            askEffect: .prompts
        ),
        // Same page, preToolUse: tool_name, tool_input; "ask is accepted by the schema but not enforced".
        Case(
            agent: .cursor,
            event: "preToolUse",
            payload:
                #"{"hook_event_name":"preToolUse","conversation_id":"c","generation_id":"g","workspace_roots":["/p"],"tool_name":"Write","tool_input":{"file_path":"/home/dev/.ssh/authorized_keys","content":"k"}}"#,
            action: .write(path: "/home/dev/.ssh/authorized_keys"),
            askEffect: .blocked
        ),
        // Same page, beforeReadFile: file_path, content, attachments; no ask for reads.
        Case(
            agent: .cursor,
            event: "beforeReadFile",
            payload:
                #"{"hook_event_name":"beforeReadFile","conversation_id":"c","generation_id":"g","workspace_roots":["/p"],"file_path":"/home/dev/.aws/credentials","content":"x","attachments":[]}"#,
            action: .read(path: "/home/dev/.aws/credentials"),
            askEffect: .blocked
        ),
        // github/docs hooks-reference "preToolUse": {sessionId, timestamp, cwd, toolName, toolArgs}; older
        // hooks-configuration.md sent toolArgs as a JSON string, so both shapes are accepted.
        Case(
            agent: .copilot,
            event: "preToolUse",
            payload:
                #"{"sessionId":"cp","timestamp":1767225600000,"cwd":"/p","toolName":"bash","toolArgs":"{\"command\":\"git push --force origin main\"}"}"#,
            action: .shell(command: "git push --force origin main"),
            askEffect: .prompts
        ),
        Case(
            agent: .copilot,
            event: "preToolUse",
            payload:
                #"{"sessionId":"cp","timestamp":1767225600000,"cwd":"/p","toolName":"bash","toolArgs":{"command":"git push --force origin main"}}"#,
            action: .shell(command: "git push --force origin main"),
            askEffect: .blocked,
            cloud: true
        ),
        // Same page: PascalCase PreToolUse gives snake_case fields and Claude tool names ("edit, str_replace_editor,
        // apply_patch | Edit").
        Case(
            agent: .copilot,
            event: "PreToolUse",
            payload:
                #"{"hook_event_name":"PreToolUse","session_id":"cp","timestamp":"t","cwd":"/p","tool_name":"str_replace_editor","tool_input":{"path":"/p/.git/hooks/pre-push"}}"#,
            action: .edit(path: "/p/.git/hooks/pre-push"),
            askEffect: .prompts
        ),
        // aws/amazon-q-developer-cli docs/hooks.md preToolUse: hook_event_name, cwd, tool_name, tool_input; exit 2
        // blocks, there is no ask.
        Case(
            agent: .kiro,
            event: "preToolUse",
            payload:
                #"{"hook_event_name":"preToolUse","cwd":"/p","tool_name":"execute_bash","tool_input":{"command":"git push --force origin main"}}"#,
            action: .shell(command: "git push --force origin main"),
            askEffect: .blocked
        ),
        // Kiro CLI v3 (kiro.dev/docs/cli/v3/hooks): "Receives hook context as JSON on stdin"; the IDE's captured
        // payload is {session_id, hook_event_name, cwd, tool_name, tool_input}, MCP tools `mcp_<server>_<tool>`.
        // Exit 2 blocks. (The full v3 field list is not documented: docs/agent-contracts-research-2.md §1.)
        Case(
            agent: .kiro,
            event: "preToolUse",
            payload:
                #"{"session_id":"k","hook_event_name":"preToolUse","cwd":"/p","tool_name":"mcp_postgres_query","tool_input":{"sql":"DROP TABLE users"}}"#,
            action: .mcp(server: "postgres", tool: "query", arguments: #"{"sql":"DROP TABLE users"}"#),
            askEffect: .blocked
        ),
        Case(
            agent: .kiro,
            event: "preToolUse",
            payload:
                #"{"session_id":"k","hook_event_name":"preToolUse","cwd":"/p","tool_name":"delete_file","tool_input":{"path":"/p/.git/hooks/pre-push"}}"#,
            action: .delete(path: "/p/.git/hooks/pre-push"),
            askEffect: .blocked
        ),
    ]

    @Test("The documented payload becomes the action", arguments: cases)
    func payload(_ c: Case) throws {
        let call = try Hooks.parse(agent: c.agent, payload: c.payload)
        #expect(call.actions == [c.action])
    }

    @Test("Allow runs, deny blocks, ask prompts only where the agent enforces a prompt", arguments: cases)
    func enforced(_ c: Case) {
        func effect(_ v: Verdict) -> AgentModel.Effect {
            let out = Hooks.render(agent: c.agent, event: c.event, verdict: v, userMessage: "u", agentMessage: "a")
            return AgentModel.effect(c.agent, event: c.event, out, cloud: c.cloud)
        }
        #expect(effect(.allow) == c.allowEffect)
        #expect(effect(.deny) == .blocked)
        #expect(effect(.ask) == c.askEffect)
    }

    @Test("A hook that cannot answer (bad call, unknown agent, crash) blocks in every agent", arguments: cases)
    func failures(_ c: Case) {
        // What `brake hook` prints when it cannot judge: a deny in the agent's protocol (HookEntry.Refusal), and
        // for a crash the signal handler's exit 2 with the reason on stderr.
        let refusal = Hooks.render(agent: c.agent, event: c.event, verdict: .deny, userMessage: "u", agentMessage: "a")
        let crash = HookOutput(stdout: "", stderr: "Brake crashed, so this action is blocked\n", status: 2)
        #expect(AgentModel.effect(c.agent, event: c.event, refusal, cloud: c.cloud) == .blocked)
        if c.event != "PermissionRequest" {
            #expect(AgentModel.effect(c.agent, event: c.event, crash, cloud: c.cloud) == .blocked)
        }
    }

    @Test("The models are not Brake's renderer: silence and stray exits mean what each agent documents")
    func modelsDiffer() {
        let silence = HookOutput(stdout: "", stderr: "", status: 0)
        let exit1 = HookOutput(stdout: "", stderr: "oops", status: 1)
        #expect(AgentModel.effect(.claudeCode, event: "PreToolUse", exit1) == .runs)
        #expect(AgentModel.effect(.codex, event: "PreToolUse", HookOutput(stdout: "", stderr: "", status: 2)) == .runs)
        #expect(AgentModel.effect(.copilot, event: "preToolUse", exit1) == .blocked)
        #expect(AgentModel.effect(.cursor, event: "preToolUse", silence) == .blocked)
        #expect(AgentModel.effect(.kiro, event: "preToolUse", exit1) == .runs)
        #expect(AgentModel.effect(.claudeCode, event: "PermissionRequest", silence) == .prompts)
    }

    /// The timeout each install writes, in the unit that agent reads, stays above the longest wait Brake spends in
    /// a hook (`--wait`, default 20 s): claude/codex `timeout` in seconds (Claude default 600, Codex 600), Gemini in
    /// milliseconds (default 60000), Cursor seconds with failClosed, Copilot `timeoutSec` (default 30), Kiro 2.x
    /// `timeout_ms`.
    @Test("Every installed hook's timeout is in the agent's unit and longer than Brake's own wait")
    func timeouts() throws {
        let cmd = "/usr/local/bin/brake-hook"
        func timeout(_ agent: Agent) -> (Double, String)? {
            let v = HookConfig.install(agent: agent, existing: nil, command: cmd)
            let text = v.serialized
            for (key, scale) in [("\"timeout_ms\":", 0.001), ("\"timeoutSec\":", 1.0), ("\"timeout\":", 1.0)] {
                if let r = text.firstRange(of: key) {
                    let digits = text[r.upperBound...].prefix { $0.isNumber }
                    let n = Double(digits) ?? 0
                    // Gemini's `timeout` is milliseconds.
                    return (agent == .gemini ? n / 1000 : n * scale, key)
                }
            }
            return nil
        }
        for agent in [Agent.claudeCode, .codex, .gemini, .cursor, .copilot, .kiro] {
            let t = try #require(timeout(agent), "\(agent.rawValue) install writes a timeout")
            #expect(t.0 >= 25 && t.0 <= 60, "\(agent.rawValue): \(t.0) s from \(t.1)")
        }
        let cursor = HookConfig.install(agent: .cursor, existing: nil, command: cmd).serialized
        #expect(cursor.contains(#""failClosed":true"#))
    }
}
