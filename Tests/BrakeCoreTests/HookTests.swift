import BrakeCore
import Testing

/// Golden tests: real payload shapes from each agent's documentation, and the exact answers each expects.
@Suite("Agent hooks")
struct HookTests {
    struct Golden: Sendable, CustomTestStringConvertible {
        var agent: Agent
        var payload: String
        var actions: [Action]
        var testDescription: String { "\(agent.rawValue): \(actions.map(\.summary).joined(separator: "; "))" }
    }

    static let goldens: [Golden] = [
        Golden(
            agent: .claudeCode,
            payload:
                #"{"session_id":"abc123","prompt_id":"550e8400","transcript_path":"/home/user/.claude/projects/x/transcript.jsonl","cwd":"/home/user/my-project","permission_mode":"default","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"npm test","description":"Run test suite","timeout":120000,"run_in_background":false},"tool_use_id":"toolu_01ABC123"}"#,
            actions: [.shell(command: "npm test")]
        ),
        Golden(
            agent: .claudeCode,
            payload:
                #"{"session_id":"s","cwd":"/p","hook_event_name":"PreToolUse","tool_name":"Write","tool_input":{"file_path":"/home/dev/.ssh/authorized_keys","content":"ssh-ed25519 AAAA"},"tool_use_id":"t"}"#,
            actions: [.write(path: "/home/dev/.ssh/authorized_keys")]
        ),
        Golden(
            agent: .claudeCode,
            payload:
                #"{"session_id":"s","cwd":"/p","hook_event_name":"PreToolUse","tool_name":"Edit","tool_input":{"file_path":"/p/.git/hooks/pre-commit","old_string":"a","new_string":"b","replace_all":false},"tool_use_id":"t"}"#,
            actions: [.edit(path: "/p/.git/hooks/pre-commit")]
        ),
        Golden(
            agent: .claudeCode,
            payload:
                #"{"session_id":"s","cwd":"/p","hook_event_name":"PreToolUse","tool_name":"mcp__postgres__query","tool_input":{"sql":"DROP TABLE users"},"tool_use_id":"t"}"#,
            actions: [.mcp(server: "postgres", tool: "query", arguments: #"{"sql":"DROP TABLE users"}"#)]
        ),
        Golden(
            agent: .codex,
            payload:
                #"{"session_id":"s","turn_id":"u1","transcript_path":null,"cwd":"/p","hook_event_name":"PreToolUse","model":"gpt-5","permission_mode":"default","tool_name":"Bash","tool_input":{"command":["bash","-lc","git status"]},"tool_use_id":"c1"}"#,
            actions: [.shell(command: "git status")]
        ),
        Golden(
            agent: .codex,
            payload:
                #"{"session_id":"s","turn_id":"u1","cwd":"/p","hook_event_name":"PreToolUse","model":"gpt-5","permission_mode":"default","tool_name":"apply_patch","tool_input":{"command":"*** Begin Patch\n*** Update File: src/app.py\n@@\n-a\n+b\n*** Delete File: old.txt\n*** Add File: .github/workflows/ci.yml\n+x\n*** End Patch"},"tool_use_id":"c2"}"#,
            actions: [.edit(path: "src/app.py"), .delete(path: "old.txt"), .write(path: ".github/workflows/ci.yml")]
        ),
        Golden(
            agent: .gemini,
            payload:
                #"{"session_id":"g","transcript_path":"/t","cwd":"/p","hook_event_name":"BeforeTool","timestamp":"2026-08-21T10:00:00Z","tool_name":"run_shell_command","tool_input":{"command":"rm -rf build","description":"clean","dir_path":"web","is_background":false}}"#,
            actions: [.shell(command: "rm -rf build")]
        ),
        Golden(
            agent: .gemini,
            payload:
                #"{"session_id":"g","cwd":"/p","hook_event_name":"BeforeTool","timestamp":"t","tool_name":"mcp_github_delete_repo","tool_input":{"repo":"acme/api"},"mcp_context":{"server_name":"github","tool_name":"delete_repo"}}"#,
            actions: [.mcp(server: "github", tool: "delete_repo", arguments: #"{"repo":"acme/api"}"#)]
        ),
        Golden(
            agent: .cursor,
            payload:
                #"{"hook_event_name":"beforeShellExecution","conversation_id":"conv-123","generation_id":"gen-456","workspace_roots":["/path/to/project"],"command":"npm install express","cwd":"/path/to/project"}"#,
            actions: [.shell(command: "npm install express")]
        ),
        Golden(
            agent: .cursor,
            payload:
                #"{"hook_event_name":"beforeReadFile","conversation_id":"c","generation_id":"g","workspace_roots":["/p"],"file_path":"/home/dev/.aws/credentials","content":"x","attachments":[]}"#,
            actions: [.read(path: "/home/dev/.aws/credentials")]
        ),
        Golden(
            agent: .cursor,
            payload:
                #"{"hook_event_name":"beforeMCPExecution","conversation_id":"c","generation_id":"g","workspace_roots":["/p"],"tool_name":"MCP:linear:delete_issue","tool_input":{"id":"X-1"},"command":"npx linear-mcp"}"#,
            actions: [.mcp(server: "linear", tool: "delete_issue", arguments: #"{"id":"X-1"}"#)]
        ),
        Golden(
            agent: .copilot,
            payload:
                #"{"sessionId":"cp1","timestamp":1767225600000,"cwd":"/p","toolName":"bash","toolArgs":"{\"command\":\"rm -rf dist\",\"description\":\"clean\"}"}"#,
            actions: [.shell(command: "rm -rf dist")]
        ),
        Golden(
            agent: .copilot,
            payload:
                #"{"hook_event_name":"PreToolUse","session_id":"cp2","timestamp":"2026-01-01T00:00:00Z","cwd":"/p","tool_name":"edit","tool_input":{"path":"/p/src/a.ts"}}"#,
            actions: [.edit(path: "/p/src/a.ts")]
        ),
        Golden(
            agent: .kiro,
            payload:
                #"{"hook_event_name":"preToolUse","cwd":"/p","tool_name":"execute_bash","tool_input":{"command":"git push --force origin main"}}"#,
            actions: [.shell(command: "git push --force origin main")]
        ),
        Golden(
            agent: .kiro,
            payload:
                #"{"hook_event_name":"preToolUse","cwd":"/current/working/directory","tool_name":"fs_read","tool_input":{"operations":[{"mode":"Line","path":"/current/working/directory/docs/hooks.md"}]}}"#,
            actions: [.read(path: "/current/working/directory/docs/hooks.md")]
        ),
        Golden(
            agent: .kiro,
            payload:
                #"{"hook_event_name":"preToolUse","cwd":"/p","tool_name":"@postgres/query","tool_input":{"sql":"select 1"}}"#,
            actions: [.mcp(server: "postgres", tool: "query", arguments: #"{"sql":"select 1"}"#)]
        ),
    ]

    @Test("Payloads become actions", arguments: goldens)
    func parse(_ g: Golden) throws {
        let call = try Hooks.parse(agent: g.agent, payload: g.payload)
        #expect(call.actions == g.actions)
    }

    @Test("Gemini's dir_path and Cursor's workspace root set the working directory")
    func workingDirectory() throws {
        #expect(try Hooks.parse(agent: .gemini, payload: Self.goldens[6].payload).cwd == "/p/web")
        let c = try Hooks.parse(
            agent: .cursor,
            payload:
                #"{"hook_event_name":"beforeShellExecution","conversation_id":"c","generation_id":"g","workspace_roots":["/w"],"command":"ls"}"#
        )
        #expect(c.cwd == "/w" && c.session == "c")
    }

    @Test("Unreadable payloads are errors, never actions", arguments: Agent.allCases)
    func unreadable(_ agent: Agent) {
        for bad in [
            "", "not json", "[]", #"{"tool_name":"Bash","tool_input":{}}"#,
            #"{"hook_event_name":"beforeShellExecution"}"#, #"{"toolName":"bash","toolArgs":"{broken"}"#,
        ] {
            #expect(throws: HookError.self, "\(agent.rawValue): \(bad)") { try Hooks.parse(agent: agent, payload: bad) }
        }
    }

    @Test("Exact answers for allow, ask and deny")
    func answers() {
        let u = "for the person"
        let a = "for the agent"
        for agent in Agent.allCases where agent != .cursor {
            #expect(
                Hooks.render(agent: agent, event: "PreToolUse", verdict: .allow, userMessage: u, agentMessage: a)
                    == HookOutput(stdout: "", stderr: "", status: 0)
            )
        }
        // Cursor's IDE under failClosed treats empty output as a failure and blocks (cursor.com/docs/hooks; reported
        // in awslabs/aidlc-workflows#743): Brake's allow is explicit there.
        #expect(
            Hooks.render(agent: .cursor, event: "preToolUse", verdict: .allow, userMessage: u, agentMessage: a).stdout
                == #"{"permission":"allow"}"# + "\n"
        )
        // Claude Code PermissionRequest wants `decision: {behavior, message}` (code.claude.com/docs/en/hooks);
        // an ask there leaves the person's own prompt alone.
        #expect(
            Hooks.render(
                agent: .claudeCode,
                event: "PermissionRequest",
                verdict: .deny,
                userMessage: u,
                agentMessage: a
            )
            .stdout
                == #"{"hookSpecificOutput":{"hookEventName":"PermissionRequest","decision":{"behavior":"deny","message":"for the agent"}}}"#
                + "\n"
        )
        #expect(
            Hooks.render(agent: .claudeCode, event: "PermissionRequest", verdict: .ask, userMessage: u, agentMessage: a)
                == HookOutput(stdout: "", stderr: "", status: 0)
        )
        // Cursor: ask "is accepted by the schema but not enforced for preToolUse today" (cursor.com/docs/hooks).
        #expect(
            Hooks.render(agent: .cursor, event: "preToolUse", verdict: .ask, userMessage: u, agentMessage: a).stdout
                == #"{"permission":"deny","user_message":"for the person","agent_message":"for the agent"}"# + "\n"
        )
        func out(_ agent: Agent, _ v: Verdict, event: String = "PreToolUse") -> HookOutput {
            Hooks.render(agent: agent, event: event, verdict: v, userMessage: u, agentMessage: a)
        }
        #expect(
            out(.claudeCode, .ask).stdout
                == #"{"hookSpecificOutput":{"hookEventName":"PreToolUse","permissionDecision":"ask","permissionDecisionReason":"for the person"}}"#
                + "\n"
        )
        #expect(
            out(.claudeCode, .deny).stdout
                == #"{"hookSpecificOutput":{"hookEventName":"PreToolUse","permissionDecision":"deny","permissionDecisionReason":"for the agent"}}"#
                + "\n"
        )
        #expect(
            out(.codex, .ask).stdout
                == #"{"hookSpecificOutput":{"hookEventName":"PreToolUse","permissionDecision":"deny","permissionDecisionReason":"for the agent"}}"#
                + "\n"
        )
        #expect(out(.codex, .deny) == out(.codex, .ask))
        #expect(
            out(.cursor, .ask, event: "beforeShellExecution").stdout
                == #"{"permission":"ask","user_message":"for the person","agent_message":"for the agent"}"# + "\n"
        )
        #expect(
            out(.cursor, .ask, event: "beforeReadFile").stdout
                == #"{"permission":"deny","user_message":"for the person","agent_message":"for the agent"}"# + "\n"
        )
        #expect(
            out(.gemini, .deny).stdout
                == #"{"decision":"deny","reason":"for the agent","systemMessage":"for the person"}"# + "\n"
        )
        #expect(
            out(.gemini, .ask).stdout
                == #"{"decision":"deny","reason":"for the agent","systemMessage":"for the person"}"# + "\n"
        )
        #expect(
            out(.copilot, .deny).stdout == #"{"permissionDecision":"deny","permissionDecisionReason":"for the agent"}"#
                + "\n"
        )
        #expect(out(.kiro, .deny) == HookOutput(stdout: "", stderr: "for the agent\n", status: 2))
        #expect(out(.kiro, .ask) == HookOutput(stdout: "", stderr: "for the agent\n", status: 2))
    }

    @Test("File and tool actions are decided by the same rules")
    func actionDecisions() {
        let ctx = Context(cwd: "/home/dev/project", home: "/home/dev")
        #expect(Engine.decide(action: .write(path: "/home/dev/.ssh/authorized_keys"), context: ctx).verdict == .ask)
        #expect(Engine.decide(action: .edit(path: "/home/dev/.bashrc"), context: ctx).verdict == .ask)
        #expect(Engine.decide(action: .write(path: ".brake/policy.yaml"), context: ctx).verdict == .deny)
        #expect(
            Engine.decide(action: .edit(path: "/home/dev/project/.claude/settings.json"), context: ctx).verdict == .deny
        )
        #expect(Engine.decide(action: .write(path: "src/app.py"), context: ctx).verdict == .allow)
        #expect(Engine.decide(action: .delete(path: "/home/dev/other/x"), context: ctx).verdict == .ask)
        #expect(Engine.decide(action: .read(path: "/home/dev/.aws/credentials"), context: ctx).verdict == .ask)
        #expect(Engine.decide(action: .read(path: "README.md"), context: ctx).verdict == .allow)
        #expect(
            Engine.decide(action: .mcp(server: "github", tool: "delete_repo", arguments: "{}"), context: ctx).verdict
                == .ask
        )
        #expect(
            Engine.decide(
                action: .mcp(server: "pg", tool: "query", arguments: #"{"sql":"DROP TABLE users"}"#),
                context: ctx
            ).verdict == .ask
        )
        #expect(
            Engine.decide(action: .mcp(server: "pg", tool: "query", arguments: #"{"sql":"select 1"}"#), context: ctx)
                .verdict == .allow
        )
        let a = Engine.decide(action: .write(path: "a"), context: ctx).digest
        #expect(a != Engine.decide(action: .write(path: "b"), context: ctx).digest)
        #expect(a != Engine.decide(action: .edit(path: "a"), context: ctx).digest)
    }
}

@Suite("Local state, audit and redaction")
struct LocalTests {
    @Test("Approvals are bound to the digest, single-use and expire")
    func approvals() throws {
        var s = LocalState()
        let r = s.request(
            digest: "d1",
            summary: "rm",
            agent: "claude-code",
            session: "s",
            rules: ["x"],
            now: 100,
            newID: "id1"
        )
        #expect(
            s.request(
                digest: "d1",
                summary: "rm",
                agent: "claude-code",
                session: "s",
                rules: ["x"],
                now: 101,
                newID: "id2"
            ).id == "id1"
        )
        #expect(s.consumeApproval(digest: "d1", now: 102) == nil)
        guard case .success = s.decide(id: r.id, approve: true, now: 103) else {
            Issue.record("approve failed")
            return
        }
        #expect(s.consumeApproval(digest: "d2", now: 104) == nil)
        #expect(s.consumeApproval(digest: "d1", now: 104)?.id == "id1")
        #expect(s.consumeApproval(digest: "d1", now: 105) == nil)
        let late = s.request(digest: "d3", summary: "x", agent: "a", session: nil, rules: [], now: 0, newID: "id3")
        if case .success = s.decide(id: late.id, approve: true, now: LocalState.defaultTTL + 1) {
            Issue.record("expired request approved")
        }
        let round = try LocalState(json: try JSONValue.parse(s.json.serialized))
        #expect(round == s)
    }

    @Test("Stops cover their scope")
    func stops() {
        var s = LocalState()
        s.stops = [Stop.local(scope: .session, value: "s1", reason: "r", created: 0)]
        #expect(s.stop(for: "claude-code", session: "s1") != nil)
        #expect(s.stop(for: "claude-code", session: "s2") == nil)
        s.stops.append(Stop.local(scope: .agent, value: "codex", reason: "r", created: 0))
        #expect(s.stop(for: "codex", session: nil) != nil)
        s.stops.append(Stop.local(scope: .all, value: "", reason: "r", created: 0))
        #expect(s.stop(for: "kiro", session: nil) != nil)
    }

    @Test("Rerouting counts distinct attempts at the same rule")
    func rerouting() {
        var s = LocalState()
        #expect(s.strike(session: "s", rules: ["fs.delete-outside-project"], digest: "a", now: 1)?.count == 1)
        #expect(s.strike(session: "s", rules: ["fs.delete-outside-project"], digest: "a", now: 2)?.count == 1)
        #expect(s.strike(session: "s", rules: ["fs.delete-outside-project"], digest: "b", now: 3)?.count == 2)
        #expect(s.strike(session: "other", rules: ["fs.delete-outside-project"], digest: "c", now: 4)?.count == 1)
    }

    @Test("The audit chain detects edits, deletions, insertions and reordering")
    func auditChain() {
        var lines: [String] = []
        var prev = AuditLog.genesis
        for i in 1...4 {
            let (text, hash) = AuditLog.line(
                fields: [("decision", .string(i % 2 == 0 ? "allow" : "deny")), ("action", .string("cmd \(i)"))],
                seq: i,
                previous: prev
            )
            lines.append(text)
            prev = hash
        }
        let log = lines.joined(separator: "\n") + "\n"
        #expect(AuditLog.verify(log) == nil)
        #expect(AuditLog.tail(lines.last).seq == 4)
        var edited = lines
        edited[1] = edited[1].replacingOccurrences("allow", "deny")
        #expect(AuditLog.verify(edited.joined(separator: "\n")) != nil)
        var deleted = lines
        deleted.remove(at: 2)
        #expect(AuditLog.verify(deleted.joined(separator: "\n")) != nil)
        #expect(AuditLog.verify([lines[0], lines[2], lines[1], lines[3]].joined(separator: "\n")) != nil)
        // A cut tail keeps a valid chain; the head recorded beside the log catches it, and a rewritten tail.
        let head = AuditLog.parseHead(AuditLog.headLine(seq: 4, hash: prev))
        #expect(head?.seq == 4)
        #expect(AuditLog.verify(log, head: head) == nil)
        #expect(AuditLog.verify(lines.dropLast(2).joined(separator: "\n"), head: head)?.contains("cut") == true)
        var rewritten = Array(lines.dropLast())
        let (again, _) = AuditLog.line(
            fields: [("decision", .string("allow"))],
            seq: 4,
            previous: AuditLog.tail(rewritten.last).hash
        )
        rewritten.append(again)
        #expect(AuditLog.verify(rewritten.joined(separator: "\n")) == nil)
        #expect(AuditLog.verify(rewritten.joined(separator: "\n"), head: head)?.contains("rewritten") == true)
    }

    @Test("Credentials are redacted before anything is written")
    func redaction() {
        let cases: [(String, String)] = [
            ("psql postgres://app:s3cr3t@db.prod:5432/app", "psql postgres://app:***@db.prod:5432/app"),
            ("curl -H 'Authorization: Bearer abc.def.ghi' https://x", "curl -H 'Authorization: *** ***' https://x"),
            ("mysql -u root -phunter2 shop", "mysql -u root -p*** shop"),
            ("mysql --password=hunter2", "mysql --password=***"),
            ("GITHUB_TOKEN=ghp_abcdefghijklmnop1234 gh pr list", "GITHUB_TOKEN=*** gh pr list"),
            (
                "aws configure set aws_access_key_id AKIAIOSFODNN7EXAMPLE",
                "aws configure set aws_access_key_id AKIA****************"
            ),
            ("echo sk-live1234567890abcdef", "echo sk-***"),
            ("git status", "git status"),
            ("ls -p src", "ls -p src"),
            // The forms the review found stored in clear.
            ("docker login -u ci -p s3cr3tpw registry.example", "docker login -u ci -p *** registry.example"),
            ("sshpass -p hunter2 ssh deploy@web", "sshpass -p *** ssh deploy@web"),
            ("curl -u alice:hunter2 https://api.example", "curl -u alice:*** https://api.example"),
            ("curl --user=alice:hunter2 https://api.example", "curl --user=alice:*** https://api.example"),
            ("openssl enc -aes-256-cbc -k hunter2 -in a", "openssl enc -aes-256-cbc -k *** -in a"),
            ("openssl rsa -passin pass:hunter2 -in k.pem", "openssl rsa -passin *** -in k.pem"),
            ("htpasswd -b .htpasswd alice hunter2", "htpasswd -b .htpasswd alice ***"),
            (
                "curl -H 'Authorization: Bearer brk_abcdefghij_0123456789abcdef' https://x",
                "curl -H 'Authorization: *** ***' https://x"
            ),
            ("echo brk_abcdefghij_0123456789abcdefghij", "echo brk_***"),
            ("ssh -p 2222 host", "ssh -p 2222 host"),
            ("git push -u origin main", "git push -u origin main"),
            ("curl -u alice https://api.example", "curl -u alice https://api.example"),
        ]
        for (input, want) in cases { #expect(Redact.text(input) == want, "\(input)") }
    }
}

extension String {
    func replacingOccurrences(_ a: String, _ b: String) -> String {
        split(separator: a, omittingEmptySubsequences: false).joined(separator: b)
    }
}

@Suite("Install")
struct InstallTests {
    static let existing: [Agent: String] = [
        .claudeCode:
            #"{"permissions":{"allow":["Bash(ls)"]},"hooks":{"PreToolUse":[{"matcher":"Bash","hooks":[{"type":"command","command":"python3 guard.py"}]}],"Stop":[{"hooks":[{"type":"command","command":"notify"}]}]}}"#,
        .codex: #"{"hooks":{"PreToolUse":[{"matcher":"Bash","hooks":[{"type":"command","command":"dcg"}]}]}}"#,
        .gemini:
            #"{"theme":"dark","hooks":{"BeforeTool":[{"matcher":"write_file","hooks":[{"name":"fmt","type":"command","command":"fmt.sh"}]}]}}"#,
        .cursor:
            #"{"version":1,"hooks":{"beforeShellExecution":[{"command":"./hooks/audit.sh"}],"stop":[{"command":"./hooks/done.sh"}]}}"#,
    ]

    @Test(
        "Install merges, is idempotent, and uninstall restores the other hooks",
        arguments: [Agent.claudeCode, .codex, .gemini, .cursor]
    )
    func roundTrip(_ agent: Agent) throws {
        let before = try JSONValue.parse(Self.existing[agent]!)
        let once = HookConfig.install(
            agent: agent,
            existing: before,
            command: "/usr/local/bin/brake hook \(agent.rawValue)"
        )
        let twice = HookConfig.install(
            agent: agent,
            existing: once,
            command: "/usr/local/bin/brake hook \(agent.rawValue)"
        )
        #expect(once == twice)
        #expect(once.serialized.contains("brake hook \(agent.rawValue)"))
        #expect(HookConfig.uninstall(agent: agent, existing: once) == before)
        // The parsed pretty form is the same document.
        #expect(try JSONValue.parse(once.pretty()) == once)
    }

    @Test("Claude's shell prefix: set beside the hook, never over another wrapper, removed with the hook")
    func shellPrefix() throws {
        let before = try JSONValue.parse(
            #"{"theme":"dark","env":{"FOO":"1"},"hooks":{"PostToolUse":[{"matcher":"Edit","hooks":[{"type":"command","command":"fmt"}]}]}}"#
        )
        let hooked = HookConfig.install(
            agent: .claudeCode,
            existing: before,
            command: "'/usr/local/bin/brake-hook' claude-code"
        )
        let contained = try #require(HookConfig.containShell(hooked, prefix: "'/usr/local/bin/brake-hook' shell"))
        #expect(contained["env"]?["CLAUDE_CODE_SHELL_PREFIX"]?.stringValue == "'/usr/local/bin/brake-hook' shell")
        #expect(contained["env"]?["FOO"]?.stringValue == "1")
        #expect(HookConfig.containShell(contained, prefix: "'/usr/local/bin/brake-hook' shell") == contained)
        #expect(HookConfig.uninstall(agent: .claudeCode, existing: contained) == before)
        // Another wrapper is the operator's: not replaced, and not removed by uninstalling Brake.
        let other = try JSONValue.parse(#"{"env":{"CLAUDE_CODE_SHELL_PREFIX":"/opt/corp/logger.sh"}}"#)
        #expect(HookConfig.containShell(other, prefix: "brake-hook shell") == nil)
        #expect(HookConfig.uninstall(agent: .claudeCode, existing: other) == other)
        // With nothing else in env, uninstall removes the key whole.
        let bare = try #require(HookConfig.containShell(.object([]), prefix: "/b/brake-hook shell"))
        #expect(HookConfig.uninstall(agent: .claudeCode, existing: bare) == .object([]))
    }

    @Test(
        "The guard service's client replaces the in-process hook and back, and is recognised as Brake's",
        arguments: [Agent.claudeCode, .codex, .gemini, .cursor]
    )
    func serviceClient(_ agent: Agent) throws {
        let before = try JSONValue.parse(Self.existing[agent]!)
        let inProcess = HookConfig.install(
            agent: agent,
            existing: before,
            command: "/usr/local/bin/brake hook \(agent.rawValue)"
        )
        let client = HookConfig.install(
            agent: agent,
            existing: inProcess,
            command: "/usr/local/bin/brake-hook \(agent.rawValue)"
        )
        #expect(!client.serialized.contains("brake hook"))
        #expect(
            Set(HookConfig.brakeCommands(agent: agent, in: client)) == ["/usr/local/bin/brake-hook \(agent.rawValue)"]
        )
        #expect(HookConfig.uninstall(agent: agent, existing: client) == before)
        // Another agent's client, or a program merely named like it, is not this agent's Brake hook.
        let other = agent == .cursor ? "claude-code" : "cursor"
        #expect(
            HookConfig.brakeCommands(agent: agent, in: .object([("command", .string("brake-hook \(other)"))])).isEmpty
        )
        #expect(
            HookConfig.brakeCommands(
                agent: agent,
                in: .object([("command", .string("brake-hooks \(agent.rawValue)x"))])
            ).isEmpty
        )
    }

    @Test("A managed install: documented system paths, and Claude Code allows managed hooks only")
    func system() throws {
        #expect(HookConfig.systemPath(agent: .claudeCode) == "/etc/claude-code/managed-settings.d/brake.json")
        #expect(HookConfig.systemPath(agent: .gemini) == "/etc/gemini-cli/settings.json")
        #expect(HookConfig.systemPath(agent: .cursor) == "/etc/cursor/hooks.json")
        #expect(HookConfig.systemPath(agent: .copilot) == "/etc/github-copilot/policy.d/brake.json")
        #expect(HookConfig.systemPath(agent: .codex) == nil && HookConfig.systemPath(agent: .kiro) == nil)
        let once = HookConfig.installSystem(
            agent: .claudeCode,
            existing: nil,
            command: "/usr/local/bin/brake-hook claude-code"
        )
        #expect(once["allowManagedHooksOnly"] == .bool(true))
        #expect(HookConfig.brakeCommands(agent: .claudeCode, in: once) == ["/usr/local/bin/brake-hook claude-code"])
        #expect(
            HookConfig.installSystem(
                agent: .claudeCode,
                existing: once,
                command: "/usr/local/bin/brake-hook claude-code"
            ) == once
        )
        // Another agent's managed file keeps what the organisation put there.
        let org = try JSONValue.parse(#"{"security":{"auth":"oauth"}}"#)
        let gemini = HookConfig.installSystem(agent: .gemini, existing: org, command: "brake-hook gemini")
        #expect(gemini["security"] == org["security"] && gemini["allowManagedHooksOnly"] == nil)
        #expect(HookConfig.uninstall(agent: .gemini, existing: gemini) == org)
    }

    @Test("Every agent's install records what its tools produced after they ran; uninstall removes that too")
    func postToolHooks() throws {
        let gemini = HookConfig.install(agent: .gemini, existing: nil, command: "brake-hook gemini")
        #expect(gemini["hooks"]?["AfterTool"]?.serialized.contains("brake-hook gemini") == true)
        #expect(HookConfig.uninstall(agent: .gemini, existing: gemini)?["hooks"] == nil)
        let cursor = HookConfig.install(agent: .cursor, existing: nil, command: "brake-hook cursor")
        for event in ["afterFileEdit", "afterShellExecution"] {
            let entry = try #require(cursor["hooks"]?[event]?.arrayValue?.first)
            // After the fact there is nothing to block: no failClosed there (it stays on every "before" entry).
            #expect(entry["command"]?.stringValue == "brake-hook cursor" && entry["failClosed"] == nil)
        }
        #expect(cursor["hooks"]?["beforeShellExecution"]?.arrayValue?.first?["failClosed"] == .bool(true))
        let copilot = HookConfig.install(agent: .copilot, existing: nil, command: "brake-hook copilot")
        #expect(copilot["hooks"]?["PostToolUse"]?.serialized.contains("brake-hook copilot") == true)
        let kiro = HookConfig.install(agent: .kiro, existing: nil, command: "brake-hook kiro")
        #expect(kiro["hooks"]?.arrayValue?.compactMap { $0["trigger"]?.stringValue } == ["PreToolUse", "PostToolUse"])
        let agentFile = HookConfig.installAgentFile(
            existing: try JSONValue.parse(#"{"name":"dev","hooks":{"postToolUse":[{"command":"mine"}]}}"#),
            command: "brake-hook kiro"
        )
        #expect(agentFile["hooks"]?["postToolUse"]?.arrayValue?.count == 2)
        #expect(
            HookConfig.uninstallAgentFile(existing: agentFile).serialized
                == #"{"name":"dev","hooks":{"postToolUse":[{"command":"mine"}]}}"#
        )
    }

    @Test("Agents with their own file get a whole file and lose it on uninstall", arguments: [Agent.copilot, .kiro])
    func ownFile(_ agent: Agent) {
        let c = HookConfig.install(agent: agent, existing: nil, command: "brake hook \(agent.rawValue)")
        #expect(c.serialized.contains("brake hook \(agent.rawValue)"))
        #expect(HookConfig.uninstall(agent: agent, existing: c) == nil)
    }
}

@Suite("State identity")
struct StateIdentityTests {
    @Test("Plans against another lineage or an older serial are flagged")
    func mismatch() throws {
        var s = LocalState()
        #expect(s.stateMismatch(directory: "/infra", lineage: "a", serial: 1) == nil)
        s.applied.append(AppliedState(directory: "/infra", lineage: "a", serial: 5, time: 0))
        #expect(s.stateMismatch(directory: "/infra", lineage: "a", serial: 5) == nil)
        #expect(s.stateMismatch(directory: "/infra", lineage: "a", serial: 7) == nil)
        #expect(s.stateMismatch(directory: "/infra", lineage: "a", serial: 4)?.contains("stale") == true)
        #expect(s.stateMismatch(directory: "/infra", lineage: "b", serial: 9)?.contains("lineage") == true)
        #expect(s.stateMismatch(directory: "/other", lineage: "b", serial: 1) == nil)
        #expect(try LocalState(json: try JSONValue.parse(s.json.serialized)) == s)
    }
}

@Suite("MCP session")
struct MCPSessionTests {
    @Test("tools/call is split out of batches; annotations and pending requests are tracked")
    func framing() throws {
        let s = MCPSession(server: "mail")
        s.fromServer(
            #"{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"list","annotations":{"readOnlyHint":true}},{"name":"purge_box","description":"Permanently deletes a mailbox.","inputSchema":{"type":"object","properties":{"ids":{"type":"array"}}},"annotations":{"readOnlyHint":true}},{"name":"archive_all","annotations":{"destructiveHint":true}}]}}"#
        )
        #expect(s.hints["purge_box"] == ["readOnlyHint": true] && s.hints["archive_all"] == ["destructiveHint": true])
        #expect(
            s.descriptions["purge_box"] == "Permanently deletes a mailbox."
                && s.parameters["purge_box"] == ["ids:array"]
        )
        let (calls, forward) = s.fromAgent(
            #"[{"jsonrpc":"2.0","id":2,"method":"ping"},{"jsonrpc":"2.0","id":"x","method":"tools/call","params":{"name":"archive_all","arguments":{"box":"ü"}}}]"#
        )
        #expect(calls.count == 1 && calls[0].id == .string("x") && calls[0].tool == "archive_all")
        #expect(forward == #"[{"jsonrpc":"2.0","id":2,"method":"ping"}]"#)
        #expect(s.pending.count == 1)
        s.fromServer(#"{"jsonrpc":"2.0","id":2,"result":{}}"#)
        #expect(s.pending.isEmpty)
        #expect(s.fromAgent("not json").forward == "not json")
        let refusal = try JSONValue.parse(MCPSession.refusal(id: .number(5), text: "no"))
        #expect(refusal["result"]?["isError"] == .bool(true) && refusal["id"] == .number(5))
    }

    @Test("Annotations only raise risk, unless a layer the agent cannot write trusts the server")
    func hints() throws {
        let ctx = Context(cwd: "/home/dev/project", home: "/home/dev")
        func verdict(
            _ server: String,
            _ tool: String,
            _ args: String = "{}",
            hints: [String: Bool] = [:],
            description: String = "",
            parameters: [String] = [],
            policy: Policy = .standard
        ) -> Verdict {
            Engine.decide(
                action: .mcp(server: server, tool: tool, arguments: args),
                context: ctx,
                policy: policy,
                toolHints: hints,
                toolDescription: description,
                toolParameters: parameters
            ).verdict
        }
        // A server that marks a deleting tool read-only is not believed.
        #expect(verdict("mail", "delete_message", hints: ["readOnlyHint": true]) == .ask)
        #expect(verdict("m", "purge_cache_report", hints: ["readOnlyHint": true]) == .ask)
        // A trusted server, named by a layer that may loosen, is believed.
        var trusting = Policy.standard
        try trusting.merge(yaml: "settings:\n  mcp_trusted_servers: [m]\n", source: "/etc/brake/policy.yaml")
        #expect(verdict("m", "purge_cache_report", hints: ["readOnlyHint": true], policy: trusting) == .allow)
        #expect(verdict("other", "purge_cache_report", hints: ["readOnlyHint": true], policy: trusting) == .ask)
        // The repository (a layer the agent can write) may not trust a server.
        var repo = Policy.standard
        try repo.merge(
            yaml: "settings:\n  mcp_trusted_servers: [m]\n",
            source: "project/.brake/policy.yaml",
            mayLoosen: false
        )
        #expect(verdict("m", "purge_cache_report", hints: ["readOnlyHint": true], policy: repo) == .ask)
        #expect(repo.ignored.contains { $0.contains("mcp_trusted_servers") })
        // Annotations and descriptions raise: a calm name that says it deletes is asked about.
        #expect(verdict("m", "sync", hints: ["destructiveHint": true]) == .ask)
        #expect(verdict("m", "tidy", description: "Permanently deletes every message older than a date.") == .ask)
        #expect(verdict("m", "tidy", description: "Lists messages; see delete_message to delete one.") == .allow)
        #expect(verdict("m", "send_email") == .ask)
        #expect(verdict("m", "get_weather") == .allow)
        // Judged like the service's own API: many ids, or a query, make a deletion bulk.
        let bulk = Engine.decide(
            action: .mcp(server: "gmail", tool: "batch_delete", arguments: #"{"ids":["a","b","c"]}"#),
            context: ctx
        )
        #expect(bulk.verdict == .ask && bulk.reasons.contains { $0.rule == "saas.bulk-delete" })
        let query = Engine.decide(
            action: .mcp(server: "gmail", tool: "trash_messages", arguments: #"{"query":"in:anywhere"}"#),
            context: ctx
        )
        #expect(query.reasons.contains { $0.rule == "saas.bulk-delete" })
    }
}

@Suite("Amazon Q and Kiro payloads")
struct KiroPayloadTests {
    @Test("MCP tools arrive as @server/tool (aws/amazon-q-developer-cli docs/hooks.md)")
    func mcpNames() throws {
        let call = try Hooks.parse(
            agent: .kiro,
            payload:
                #"{"hook_event_name":"preToolUse","cwd":"/w","tool_name":"@postgres/query","tool_input":{"sql":"DROP TABLE t"}}"#
        )
        #expect(call.actions == [.mcp(server: "postgres", tool: "query", arguments: #"{"sql":"DROP TABLE t"}"#)])
    }
}

@Suite("Shell wrapper")
struct ShellWrapperTests {
    @Test("the command Claude's wrapper evaluates is found; anything added beside it voids the match")
    func evaluated() {
        let claude =
            "source /home/a/.claude/shell-snapshots/snapshot-bash-1.sh || true && eval 'rm -rf ~/old-data' < /dev/null && pwd -P >| /tmp/claude-1-cwd"
        #expect(ShellWrapper.evaluated(claude) == "rm -rf ~/old-data")
        #expect(ShellWrapper.evaluated("shopt -u extglob 2>/dev/null || true && eval 'ls -la'") == "ls -la")
        // Quoting as the agent does it: the evaluated text is the word's value.
        #expect(ShellWrapper.evaluated(#"eval 'echo '"'"'hi'"'"''"#) == "echo 'hi'")
        for voided in [
            "eval 'rm -rf ~/old-data' && rm -rf ~/keep",
            "eval 'rm -rf ~/old-data'; eval 'rm -rf ~/keep'",
            "eval 'rm -rf ~/old-data' &",
            "eval \"$CMD\"",
            "X=1 eval 'rm -rf ~/old-data'",
            "eval 'a' | cat",
            "source x || true",
            "eval 'a' 'b'",
            "eval 'unterminated",
        ] {
            #expect(ShellWrapper.evaluated(voided) == nil, "\(voided)")
        }
    }

    @Test("the program an approved command starts with")
    func program() {
        #expect(ShellWrapper.program("terraform apply -auto-approve") == "terraform")
        #expect(ShellWrapper.program("/usr/bin/aws s3 rm s3://b --recursive && echo done") == "/usr/bin/aws")
        #expect(ShellWrapper.program("$(x)") == nil)
    }
}
