import BrakeCore
import BrakeHost
import BrakeWire
import Dispatch
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A fresh directory under /tmp that every account may enter (the service reads it as its caller).
func scratch() -> String {
    var template = Array("/tmp/brake-host-XXXXXX".utf8CString)
    let dir = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    chmod(dir, 0o755)
    return dir
}

func write(_ path: String, _ text: String, mode: mode_t = 0o644) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode)
    precondition(fd >= 0, "cannot write \(path)")
    _ = Array(text.utf8).withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
    close(fd)
    chmod(path, mode)
}

func claudeCall(_ command: String, cwd: String, env: [String] = []) -> GuardWire.Call {
    let payload =
        #"{"session_id":"s1","cwd":"\#(cwd)","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"\#(command)"},"tool_use_id":"t1"}"#
    return GuardWire.Call(
        args: ["claude-code"],
        cwd: cwd,
        env: ["PATH=/usr/bin:/bin"] + env,
        payload: Array(payload.utf8)
    )
}

/// Claude Code's verdict for an answer: exit 2 or a JSON deny blocks, any other answer lets the tool run.
func verdict(_ out: HookOutput) -> String {
    if out.status == 2 || out.stdout.contains(#""permissionDecision":"deny""#) { return "deny" }
    if out.stdout.contains(#""permissionDecision":"ask""#) { return "ask" }
    return out.status == 0 ? "allow" : "crash"
}

@Suite("The guard service's wire format")
struct GuardWireTests {
    func reader(_ bytes: [UInt8]) -> (Int) throws(GuardWire.WireError) -> [UInt8] {
        var offset = 0
        return { (n: Int) throws(GuardWire.WireError) -> [UInt8] in
            guard offset + n <= bytes.count else { throw .closed }
            defer { offset += n }
            return Array(bytes[offset..<(offset + n)])
        }
    }

    @Test("a call and an answer survive the trip, bytes intact")
    func roundTrip() throws {
        let call = GuardWire.Call(
            args: ["claude-code", "--wait", "3"],
            cwd: "/home/dev/pröject",
            env: ["A=1", "EMPTY=", "B=x=y"],
            payload: Array("{\"x\":\"\u{0}é\"}".utf8) + [0xFF, 0xFE]
        )
        #expect(try GuardWire.decodeCall(reader(GuardWire.encode(call))) == call)
        let answer = GuardWire.Answer(status: 2, stdout: Array("{}".utf8), stderr: [])
        #expect(try GuardWire.decodeAnswer(reader(GuardWire.encode(answer))) == answer)
    }

    @Test("a cut, foreign or oversized frame is an error, never a call")
    func malformed() {
        let whole = GuardWire.encode(claudeCall("ls", cwd: "/tmp"))
        #expect(throws: GuardWire.WireError.closed) { try GuardWire.decodeCall(reader(Array(whole.dropLast()))) }
        #expect(throws: GuardWire.WireError.self) { try GuardWire.decodeCall(reader(Array("HTTP/1.1 200".utf8))) }
        var huge = GuardWire.magic
        withUnsafeBytes(of: UInt32(GuardWire.maxField + 1).littleEndian) { huge.append(contentsOf: $0) }
        #expect(throws: GuardWire.WireError.self) { try GuardWire.decodeCall(reader(huge)) }
    }
}

@Suite("The guard service answers hooks for other accounts")
struct GuardServiceTests {
    static let nobody: UInt32 = 65534

    func service(_ root: String) -> GuardService {
        GuardService(socketPath: root + "/run/brake/guard.sock", systemRoot: root, ownEnv: [:])
    }

    @Test("a containment refusal reported by brake-hook contain lands in the caller's own audit log")
    func containmentRefusal() throws {
        let root = scratch()
        let s = service(root)
        let call = GuardWire.Call(
            args: ["contained", "writing", "/home/a/.brake/settings.yaml", "python3 -c ..."],
            cwd: "/home/a/proj",
            env: [],
            payload: []
        )
        #expect(s.answer(call, uid: Self.nobody, gid: Self.nobody).status == 0)
        // The service writes its log after answering: wait for it (at most two seconds).
        let path = GuardService.stateDirectory(root: root, uid: Self.nobody) + "/audit.jsonl"
        var log = ""
        for _ in 0..<200 where !log.contains("containment.refused") {
            log = (try? Loader.readFile(path)) ?? ""
            usleep(10_000)
        }
        #expect(log.contains("containment.refused") && log.contains("/home/a/.brake/settings.yaml"))
        #expect(log.contains(#""uid":65534"#))
        // A malformed report is not a hook call and not a record: it is refused like any unknown agent.
        let bad = GuardWire.Call(args: ["contained", "writing"], cwd: "/", env: [], payload: [])
        #expect(s.answer(bad, uid: Self.nobody, gid: Self.nobody).status != 0)
    }

    @Test("routine work passes and a wipe is denied, recorded in the caller's own state directory")
    func judges() {
        let root = scratch()
        let project = scratch()
        let s = service(root)
        #expect(
            verdict(s.answer(claudeCall("git status", cwd: project), uid: Self.nobody, gid: Self.nobody)) == "allow"
        )
        #expect(verdict(s.answer(claudeCall("rm -rf ~", cwd: project), uid: Self.nobody, gid: Self.nobody)) == "deny")
        let state = GuardService.stateDirectory(root: root, uid: Self.nobody)
        let log = (try? Loader.readFile(state + "/audit.jsonl")) ?? ""
        #expect(log.split(separator: "\n").count == 2)
        var st = stat()
        #expect(stat(state, &st) == 0 && st.st_uid == geteuid() && st.st_mode & 0o077 == 0)
    }

    @Test("Brake settings in the caller's environment are ignored: its state, policy and server stay the service's")
    func ignoresCallerSettings() {
        let root = scratch()
        let project = scratch()
        let elsewhere = scratch()
        // Honoured, this layer would loosen the wipe to an ask and the dead server would answer for it.
        write(elsewhere + "/loose.yaml", "overrides:\n  - rule: fs.wipe-root-or-home\n    decision: ask\n")
        let env = [
            "BRAKE_HOME=\(elsewhere)", "BRAKE_POLICY=\(elsewhere)/loose.yaml", "BRAKE_SERVER=http://127.0.0.1:9",
            "BRAKE_TOKEN=brk_fake", "BRAKE_SYSTEM_ROOT=\(elsewhere)", "HOME=\(elsewhere)",
        ]
        let out = service(root).answer(
            claudeCall("rm -rf ~", cwd: project, env: env),
            uid: Self.nobody,
            gid: Self.nobody
        )
        #expect(verdict(out) == "deny")
        #expect(out.stdout.contains("Never delete / or a home directory") && !out.stdout.contains("server"))
        #expect(access(elsewhere + "/audit.jsonl", F_OK) != 0)
        #expect(access(GuardService.stateDirectory(root: root, uid: Self.nobody) + "/audit.jsonl", F_OK) == 0)
    }

    @Test(
        "the caller's files are read with its own rights: a policy it cannot read is an error, not root's secret",
        .enabled(if: geteuid() == 0, "reading as another account needs root")
    )
    func readsAsCaller() {
        let root = scratch()
        let project = scratch()
        mkdir(project + "/.git", 0o755)
        mkdir(project + "/.brake", 0o755)
        // Root's file, which the caller's account cannot read, reached through the repository's policy layer.
        let secret = scratch() + "/root-only.yaml"
        write(
            secret,
            "rules:\n  - id: secret.marker\n    decision: deny\n    message: secret marker\n    match: {effect: fs.delete}\n",
            mode: 0o600
        )
        symlink(secret, project + "/.brake/policy.yaml")
        let out = service(root).answer(claudeCall("rm notes.txt", cwd: project), uid: Self.nobody, gid: Self.nobody)
        #expect(verdict(out) == "deny")
        #expect(out.stdout.contains("cannot read") && !out.stdout.contains("secret marker"))
        // The same layer readable by the caller applies (and only tightens).
        chmod(secret, 0o644)
        let tightened = service(root).answer(
            claudeCall("rm notes.txt", cwd: project),
            uid: Self.nobody,
            gid: Self.nobody
        )
        #expect(verdict(tightened) == "deny" && tightened.stdout.contains("secret marker"))
        // The thread's own identity is back: root reads root's file again.
        chmod(secret, 0o600)
        #expect((try? Loader.readFile(secret)) != nil)
        #expect(
            (try? AgentFiles(uid: Self.nobody, gid: Self.nobody).read { () throws(Failure) in
                try Loader.readFile(secret)
            }) == nil
        )
    }

    @Test("a misconfigured hook and a root caller are refused in the agent's protocol")
    func refusals() {
        let root = scratch()
        var call = claudeCall("ls", cwd: "/tmp")
        call.args = ["claude-cod"]
        #expect(verdict(service(root).answer(call, uid: Self.nobody, gid: Self.nobody)) == "deny")
        call.args = ["claude-code", "--wiat", "3"]
        #expect(verdict(service(root).answer(call, uid: Self.nobody, gid: Self.nobody)) == "deny")
        if geteuid() == 0 {
            #expect(verdict(service(root).answer(claudeCall("ls", cwd: "/tmp"), uid: 0, gid: 0)) == "deny")
        }
    }

    @Test("callers that hang do not hold up the next call: another thread takes the socket while all are busy")
    func busyCallers() throws {
        let home = scratch()
        let socket = home + "/guard.sock"
        let s = GuardService(
            socketPath: socket,
            systemRoot: nil,
            ownEnv: ["BRAKE_HOME": home + "/.brake", "HOME": home]
        )
        let ready = DispatchSemaphore(value: 0)
        DispatchQueue.global().async { _ = try? s.run(ready: { ready.signal() }) }
        #expect(ready.wait(timeout: .now() + 10) == .success)
        // Three callers connect and send nothing: each keeps a thread waiting for its call (up to 10 s).
        var stalled: [Int32] = []
        for _ in 0..<3 {
            if let fd = GuardWire.connect(socket) { stalled.append(fd) }
            usleep(50_000)
        }
        defer { for fd in stalled { close(fd) } }
        #expect(stalled.count == 3)
        let fd = try #require(GuardWire.connect(socket))
        defer { close(fd) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var started = timespec()
        clock_gettime(CLOCK_MONOTONIC, &started)
        try GuardWire.writeAll(fd, GuardWire.encode(claudeCall("git status", cwd: home)))
        let answer = try GuardWire.decodeAnswer { (n: Int) throws(GuardWire.WireError) in
            try GuardWire.readExactly(fd, n)
        }
        var ended = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ended)
        let out = HookOutput(
            stdout: String(decoding: answer.stdout, as: UTF8.self),
            stderr: String(decoding: answer.stderr, as: UTF8.self),
            status: answer.status
        )
        #expect(verdict(out) == "allow", "\(out.stderr)")
        #expect(ended.tv_sec - started.tv_sec < 3)
    }

    /// A home with a git project in it, and a guard service of this user's own that keeps its state there.
    static func ownService() -> (home: String, project: String, service: GuardService) {
        let home = scratch()
        let project = home + "/proj"
        mkdir(project, 0o755)
        mkdir(project + "/.git", 0o755)
        let s = GuardService(
            socketPath: home + "/guard.sock",
            systemRoot: nil,
            ownEnv: ["BRAKE_HOME": home + "/.brake"]
        )
        return (home, project, s)
    }

    @Test("brake-hook shell's confinement comes from the service's policy for the caller's project, or nothing runs")
    func containmentProfile() throws {
        let (home, project, s) = Self.ownService()
        func ask(_ name: String, env: [String] = []) -> HookOutput {
            s.answer(
                GuardWire.Call(args: ["containment", name], cwd: project, env: ["HOME=" + home] + env, payload: []),
                uid: geteuid(),
                gid: getegid()
            )
        }
        let out = ask("standard", env: ["TMPDIR=/etc"])
        #expect(out.status == 0, "\(out.stderr)")
        let args = out.stdout.split(separator: "\u{0}").map(String.init)
        #expect(args.count % 2 == 0)
        var writable: [String] = []
        var denied: [String] = []
        for i in stride(from: 0, to: args.count - 1, by: 2) {
            if args[i] == "--write" { writable.append(args[i + 1]) }
            if args[i] == "--deny-read" { denied.append(args[i + 1]) }
        }
        #expect(writable.first == project && writable.contains("/tmp") && !writable.contains("/etc"))
        #expect(denied.contains(home + "/.ssh") && denied.contains(home + "/.aws/credentials"))
        // A profile the policy does not name, or a policy that cannot be loaded: an error, so nothing runs.
        #expect(ask("nope").status == 70)
        mkdir(project + "/.brake", 0o755)
        write(project + "/.brake/policy.yaml", "rules: [this is not a rule\n")
        let broken = ask("standard")
        #expect(broken.status == 70 && broken.stdout.isEmpty && broken.stderr.contains("policy"))
    }

    @Test("an approved command's grant reaches its confinement through the shell prefix, once, for that text only")
    func approvedGrant() throws {
        let (home, project, s) = Self.ownService()
        mkdir(home + "/old-data", 0o755)
        let store = LocalStore(env: ["BRAKE_HOME": home + "/.brake"])
        store.recordGrant(
            ApprovalGrant(
                command: "rm -rf ~/old-data",
                places: [home + "/old-data"],
                program: "rm",
                expires: LocalStore.now() + 60
            )
        )
        func ask(_ wrapped: String) -> [String] {
            let out = s.answer(
                GuardWire.Call(
                    args: ["containment", "standard"],
                    cwd: project,
                    env: ["HOME=" + home],
                    payload: Array(wrapped.utf8)
                ),
                uid: geteuid(),
                gid: getegid()
            )
            return out.stdout.split(separator: "\u{0}").map(String.init)
        }
        // Something else beside the approved command: no grant (and the grant stays for the real run).
        #expect(!ask("eval 'rm -rf ~/old-data' && rm -rf ~/keep").contains(home + "/old-data"))
        #expect(!ask("eval 'rm -rf ~/other'").contains(home + "/old-data"))
        let granted = ask("source /s || true && eval 'rm -rf ~/old-data' < /dev/null && pwd -P >| /tmp/cwd")
        #expect(granted.contains(home + "/old-data") && granted.contains("--remove-in") && granted.contains(home))
        // Once: the next run of the same text is confined by the standard profile alone.
        #expect(!ask("eval 'rm -rf ~/old-data'").contains(home + "/old-data"))
        // An expired grant is never taken.
        store.recordGrant(ApprovalGrant(command: "x", places: ["/x"], program: nil, expires: LocalStore.now() - 1))
        #expect(store.takeGrant(command: "x") == nil)
    }

    @Test("after the tool ran, the hook records and stays silent, even for a call it cannot read")
    func postTool() {
        let root = scratch()
        let project = scratch()
        let s = service(root)
        for payload in [
            #"{"session_id":"s1","cwd":"\#(project)","hook_event_name":"PostToolUse","tool_name":"Bash","tool_input":{"command":"ls"}}"#,
            #"{"session_id":"s1","cwd":"\#(project)","hook_event_name":"PostToolUse","tool_name":"Bash","tool_input":{}}"#,
        ] {
            let call = GuardWire.Call(args: ["claude-code"], cwd: project, env: [], payload: Array(payload.utf8))
            let out = s.answer(call, uid: Self.nobody, gid: Self.nobody)
            #expect(out.status == 0 && out.stdout.isEmpty && out.stderr.isEmpty, "\(out)")
        }
        // The same unreadable call before the tool runs is refused.
        let pre =
            #"{"session_id":"s1","cwd":"\#(project)","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{}}"#
        let refused = s.answer(
            GuardWire.Call(args: ["claude-code"], cwd: project, env: [], payload: Array(pre.utf8)),
            uid: Self.nobody,
            gid: Self.nobody
        )
        #expect(verdict(refused) == "deny")
    }
}
