import BrakeCore
import BrakeHost
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What the post-tool hook records from a real tool call on a real repository.
@Suite("Agent recorder")
struct AgentRecorderTests {
    @Test("Commands that make commits are recognised by the git subcommand, not by the words")
    func makers() {
        let env = ["HOME": "/home/dev"]
        for c in ["git commit -m x", "git -C sub commit -am x", "make && git commit -q -m 'y'", "git rebase main"] {
            #expect(AgentRecorder.makesCommits(c, cwd: "/home/dev/p", env: env), "\(c)")
        }
        for c in ["git status", "echo git commit", "git log --grep commit", "ls commit"] {
            #expect(!AgentRecorder.makesCommits(c, cwd: "/home/dev/p", env: env), "\(c)")
        }
    }

    /// A scratch directory with a repository (a `.git` marker) in it.
    static func repository() -> (dir: String, repo: String) {
        let dir = scratch()
        mkdir(dir + "/repo", 0o755)
        mkdir(dir + "/repo/.git", 0o755)
        return (dir, dir + "/repo")
    }

    @Test("A file tool's write is recorded by its blob, relative to the repository; files outside one are not")
    func fileWrite() throws {
        let (dir, repo) = Self.repository()
        mkdir(repo + "/src", 0o755)
        write(repo + "/src/app.py", "hello\n")
        write(dir + "/loose.txt", "hello\n")
        let payload =
            #"{"session_id":"s1","cwd":"\#(repo)","hook_event_name":"PostToolUse","tool_name":"Write","tool_input":{"file_path":"src/app.py","content":"hello\n"}}"#
        let call = try Hooks.parse(agent: .claudeCode, payload: payload)
        let records = AgentRecorder.records(call, cwd: repo, env: ["HOME": dir], files: .own, now: 5)
        #expect(records.count == 1)
        #expect(records.first?.blob == "ce013625030ba8dba906f756967f9e9ca394464a")
        #expect(records.first?.path == "src/app.py" && records.first?.repository == repo)
        #expect(records.first?.session == "s1" && records.first?.agent == "claude-code")
        let outside = try Hooks.parse(
            agent: .claudeCode,
            payload:
                #"{"session_id":"s1","cwd":"\#(dir)","hook_event_name":"PostToolUse","tool_name":"Write","tool_input":{"file_path":"\#(dir)/loose.txt"}}"#
        )
        #expect(AgentRecorder.records(outside, cwd: dir, env: ["HOME": dir], files: .own).isEmpty)
        // Codex's apply_patch, after it ran: every file the patch touched, as it is now.
        let patch = "*** Begin Patch\n*** Update File: src/app.py\n@@\n-hi\n+hello\n*** End Patch\n"
        let codex = try Hooks.parse(
            agent: .codex,
            payload: JSONValue.object([
                ("session_id", .string("c1")), ("cwd", .string(repo)), ("hook_event_name", .string("PostToolUse")),
                ("tool_name", .string("apply_patch")), ("tool_input", .object([("command", .string(patch))])),
            ]).serialized
        )
        let patched = AgentRecorder.records(codex, cwd: repo, env: ["HOME": dir], files: .own)
        #expect(patched.map(\.path) == ["src/app.py"] && patched.first?.agent == "codex")
    }

    @Test("Every agent's post-tool payload records the file its tool wrote")
    func otherAgents() throws {
        let (dir, repo) = Self.repository()
        write(repo + "/app.py", "hello\n")
        let payloads: [(Agent, String)] = [
            (
                .gemini,
                #"{"session_id":"g1","cwd":"\#(repo)","hook_event_name":"AfterTool","tool_name":"write_file","tool_input":{"file_path":"\#(repo)/app.py","content":"hello\n"},"tool_response":{}}"#
            ),
            (
                .cursor,
                #"{"conversation_id":"k1","hook_event_name":"afterFileEdit","workspace_roots":["\#(repo)"],"file_path":"\#(repo)/app.py","edits":[{"old_string":"hi","new_string":"hello"}]}"#
            ),
            (
                .copilot,
                #"{"session_id":"p1","cwd":"\#(repo)","hook_event_name":"PostToolUse","tool_name":"create","tool_input":{"path":"\#(repo)/app.py","file_text":"hello\n"}}"#
            ),
            (
                .kiro,
                #"{"session_id":"q1","cwd":"\#(repo)","hook_event_name":"postToolUse","tool_name":"fs_write","tool_input":{"command":"create","path":"\#(repo)/app.py"}}"#
            ),
        ]
        for (agent, payload) in payloads {
            let call = try Hooks.parse(agent: agent, payload: payload)
            #expect(AgentRecorder.postToolEvents.contains(call.event), "\(agent): \(call.event)")
            let records = AgentRecorder.records(call, cwd: repo, env: ["HOME": dir], files: .own)
            #expect(records.map(\.blob) == ["ce013625030ba8dba906f756967f9e9ca394464a"], "\(agent)")
            #expect(records.first?.agent == agent.rawValue && records.first?.path == "app.py", "\(agent)")
        }
        // Cursor's afterShellExecution is a shell action after the fact (a commit it made is read from git).
        let shell = try Hooks.parse(
            agent: .cursor,
            payload:
                #"{"conversation_id":"k1","hook_event_name":"afterShellExecution","command":"ls","cwd":"\#(repo)"}"#
        )
        #expect(shell.event == "afterShellExecution" && shell.actions == [.shell(command: "ls")])
    }
}
