import BrakeCore
import Testing

@testable import BrakeHost

#if canImport(Glibc)
import Glibc
#endif

@Suite("Where the kernel cannot confine, the hook says so once per session")
struct HookNoticeTests {
    func call(_ agent: Agent, _ payload: String, home: String, abi: Int) -> HookOutput {
        let env = ["HOME": home, "BRAKE_HOME": home + "/.brake"]
        return HookRunner.answer(
            agent: agent,
            policyFile: nil,
            wait: nil,
            payload: payload,
            env: env,
            cwd: home,
            store: LocalStore(env: env),
            control: .some(nil),
            landlockABI: abi
        )
    }

    func claude(_ command: String, session: String) -> String {
        #"{"session_id":"\#(session)","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"\#(command)"}}"#
    }

    @Test("no Landlock: the first call of a session carries the notice, later calls do not; decisions unchanged")
    func missing() throws {
        let home = scratch()
        let first = call(.claudeCode, claude("git status", session: "s1"), home: home, abi: 0)
        #expect(first.status == 0)
        let json = try JSONValue.parse(first.stdout)
        #expect(json["systemMessage"]?.stringValue?.contains("no Landlock") == true)
        // An allow stays an allow: no permission decision is added (that would skip the person's own prompt).
        #expect(json["hookSpecificOutput"] == nil)
        let second = call(.claudeCode, claude("git status", session: "s1"), home: home, abi: 0)
        #expect(second.stdout.isEmpty && second.stderr.isEmpty && second.status == 0)
        // A new session hears it again; a deny keeps its decision and gains the notice.
        let deny = call(.claudeCode, claude("rm -rf ~", session: "s2"), home: home, abi: 0)
        let d = try JSONValue.parse(deny.stdout)
        #expect(d["hookSpecificOutput"]?["permissionDecision"]?.stringValue == "deny")
        #expect(d["systemMessage"]?.stringValue?.contains("unconfined") == true)
    }

    @Test("an old Landlock is named; a complete one says nothing")
    func oldAndComplete() {
        let home = scratch()
        let old = call(.claudeCode, claude("ls", session: "a"), home: home, abi: 2)
        #expect(old.stdout.contains("truncat"))
        let fine = call(.claudeCode, claude("ls", session: "b"), home: home, abi: 7)
        #expect(fine.stdout.isEmpty && fine.stderr.isEmpty)
    }

    @Test("agents without a message field get it on stderr, their exit status unchanged")
    func otherAgents() {
        let home = scratch()
        let codex =
            #"{"session_id":"c1","turn_id":"t","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"ls"}}"#
        let out = call(.codex, codex, home: home, abi: 0)
        #expect(out.status == 0 && out.stdout.isEmpty && out.stderr.contains("no Landlock"))
        let cursor = #"{"conversation_id":"k1","hook_event_name":"beforeShellExecution","command":"ls","cwd":"/"}"#
        let c = call(.cursor, cursor, home: home, abi: 0)
        #expect(c.stdout.contains(#""permission":"allow""#) && c.stdout.contains("user_message"))
    }
}
