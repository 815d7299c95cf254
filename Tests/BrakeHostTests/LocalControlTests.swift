import BrakeCore
import BrakeHost
import BrakeWire
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("The approver secret of a local system install")
struct ApproverSecretTests {
    @Test("only the right secret matches; a short one is refused; the file keeps a hash, never the secret")
    func matches() throws {
        let hash = try ApproverSecret.make("correct horse battery", rounds: 1 << 10)
        #expect(hash.matches("correct horse battery"))
        #expect(!hash.matches("correct horse batterY"))
        #expect(!hash.matches(""))
        #expect(!hash.json.serialized.contains("horse"))
        #expect(throws: Failure.self) { try ApproverSecret.make("short", rounds: 1 << 10) }
        // Two hashes of one secret differ (fresh salt).
        #expect(try ApproverSecret.make("correct horse battery", rounds: 1 << 10).json != hash.json)
    }

    @Test("the installed file is read back; a damaged one is an error, never 'no secret'")
    func loads() throws {
        let root = scratch()
        let env = ["BRAKE_SYSTEM_ROOT": root]
        #expect(try ApproverSecret.load(env: env) == nil)
        mkdir(root + "/etc", 0o755)
        mkdir(root + "/etc/brake", 0o755)
        let hash = try ApproverSecret.make("a long enough secret", rounds: 1 << 10)
        write(ApproverSecret.path(env), hash.json.serialized, mode: 0o600)
        #expect(try ApproverSecret.load(env: env)?.matches("a long enough secret") == true)
        #expect(SystemConfig.localOnly(env) && SystemConfig.installed(env))
        write(ApproverSecret.path(env), #"{"kdf":"scrypt","n":1,"salt":"AA=="}"#, mode: 0o600)
        #expect(throws: Failure.self) { try ApproverSecret.load(env: env) }
    }

    @Test("after three wrong secrets each try waits longer; the right one clears the count")
    func slowsGuessing() {
        let a = SecretAttempts()
        for _ in 0..<2 { a.record(7, ok: false, now: 100) }
        #expect(a.wait(7, now: 100) == 0)
        a.record(7, ok: false, now: 100)
        #expect(a.wait(7, now: 100) == 5)
        #expect(a.wait(7, now: 105) == 0)
        a.record(7, ok: false, now: 105)
        #expect(a.wait(7, now: 105) == 10)
        #expect(a.wait(8, now: 105) == 0)
        a.record(7, ok: true, now: 120)
        #expect(a.wait(7, now: 120) == 0)
    }

    @Test("an order survives the socket; a server-only scope or a foreign shape is not an order")
    func orderWire() {
        var o = LocalOrder(.resume)
        o.scope = .session
        o.value = "s 1"
        o.reason = "done"
        o.user = "dev"
        #expect(LocalOrder(wireArgs: o.wireArgs) == o)
        #expect(LocalOrder(wireArgs: ["control", "resume", "", "user", "dev", "", "", "text"]) == nil)
        #expect(LocalOrder(wireArgs: ["control", "approve", "x"]) == nil)
        #expect(LocalOrder(wireArgs: ["claude-code"]) == nil)
    }
}

@Suite("Approving and resuming through the guard service of a local system install")
struct LocalControlServiceTests {
    static let nobody: UInt32 = 65534
    static let secret = "purple otter ledger"

    func install() throws -> (root: String, service: GuardService) {
        let root = scratch()
        mkdir(root + "/etc", 0o755)
        mkdir(root + "/etc/brake", 0o755)
        let hash = try ApproverSecret.make(Self.secret, rounds: 1 << 10)
        write(ApproverSecret.path(["BRAKE_SYSTEM_ROOT": root]), hash.json.serialized, mode: 0o600)
        return (root, GuardService(socketPath: root + "/run/brake/guard.sock", systemRoot: root, ownEnv: [:]))
    }

    func control(_ s: GuardService, _ order: LocalOrder, secret: String = "", uid: UInt32 = nobody) -> HookOutput {
        s.answer(
            GuardWire.Call(args: order.wireArgs, cwd: "/", env: [], payload: Array(secret.utf8)),
            uid: uid,
            gid: uid
        )
    }

    func pending(_ s: GuardService) -> [String] {
        var o = LocalOrder(.status)
        o.json = true
        let out = control(s, o)
        let v = try? JSONValue.parse(out.stdout)
        return (v?["pending"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue }
    }

    @Test(
        "a request is approved only with the secret, and then exactly that action passes",
        .enabled(if: geteuid() == 0, "the service reads files as the caller, which needs root")
    )
    func approve() throws {
        let (_, s) = try install()
        let project = scratch()
        let push = claudeCall("git push --force origin main", cwd: project)
        #expect(verdict(s.answer(push, uid: Self.nobody, gid: Self.nobody)) == "ask")
        let ids = pending(s)
        try #require(ids.count == 1)
        var o = LocalOrder(.approve)
        o.id = ids[0]
        let wrong = control(s, o, secret: "purple otter ledgeR")
        #expect(wrong.status == 77 && wrong.stderr.contains("wrong approver secret"))
        #expect(pending(s) == ids)
        #expect(verdict(s.answer(push, uid: Self.nobody, gid: Self.nobody)) == "ask")
        #expect(control(s, o, secret: Self.secret).status == 0)
        #expect(verdict(s.answer(push, uid: Self.nobody, gid: Self.nobody)) == "allow")
    }

    @Test(
        "anyone may stop; resuming needs the secret (or root); another account's state needs it too",
        .enabled(if: geteuid() == 0, "the service reads files as the caller, which needs root")
    )
    func stopAndResume() throws {
        let (_, s) = try install()
        let project = scratch()
        var stop = LocalOrder(.stop)
        stop.scope = .session
        stop.value = "s1"
        stop.reason = "hold"
        #expect(control(s, stop).status == 0)
        #expect(verdict(s.answer(claudeCall("ls", cwd: project), uid: Self.nobody, gid: Self.nobody)) == "deny")
        var resume = LocalOrder(.resume)
        resume.scope = .session
        resume.value = "s1"
        #expect(control(s, resume).status == 77)
        #expect(verdict(s.answer(claudeCall("ls", cwd: project), uid: Self.nobody, gid: Self.nobody)) == "deny")
        var foreign = LocalOrder(.status)
        foreign.user = "root"
        #expect(control(s, foreign).status == 77)
        resume.user = "nobody"
        #expect(control(s, resume, uid: 0).status == 0)
        #expect(verdict(s.answer(claudeCall("ls", cwd: project), uid: Self.nobody, gid: Self.nobody)) == "allow")
    }

    @Test("a user's own guard service keeps no state for others")
    func userServiceRefuses() {
        let s = GuardService(socketPath: "/tmp/x.sock", systemRoot: nil, ownEnv: [:])
        let out = s.answer(
            GuardWire.Call(args: LocalOrder(.approve).wireArgs, cwd: "/", env: [], payload: []),
            uid: 1000,
            gid: 1000
        )
        #expect(out.status == 64)
    }
}
