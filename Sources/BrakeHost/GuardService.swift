import BrakeClient
import BrakeCore
import BrakeWire
import CBrakeSystem
import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `brake daemon`: the machine's guard service. It answers `brake-hook` calls on a local socket, warm (a hook
/// then costs a small process and one local round trip instead of starting the engine cold), and, run by root
/// for a system install, from state and credentials the agents' accounts cannot read or write: each caller is
/// known by the kernel's peer credentials, its local state lives under a root-owned directory per user, its
/// files are read with its own rights (`AgentFiles`), and the Brake settings in its environment are ignored.
package struct GuardService: Sendable {
    /// The socket to listen on.
    package var socketPath: String
    /// Set for a system install: the root of `etc/brake`, `run/brake` and `var/lib/brake`.
    package var systemRoot: String?
    /// The user-mode service's own environment (its `BRAKE_HOME` is the state every caller shares).
    package var ownEnv: [String: String]
    /// Calls answered at once; more wait for a free slot.
    package var concurrency = 128
    /// Kept connections to the control plane, shared by every call.
    let pool = HTTPClient.Pool()
    /// Does what answered calls left for after their answers (log records, the cached stops and policy), one job
    /// at a time and in the order the answers went out: two calls' cache writes never race, and an older answer
    /// never overwrites a newer one's stops.
    let logWriter = DispatchQueue(label: "brake.guard.log")
    /// Wrong approver secrets per account (a local system install).
    let attempts = SecretAttempts()

    package init(socketPath: String, systemRoot: String?, ownEnv: [String: String]) {
        self.socketPath = socketPath
        self.systemRoot = systemRoot
        self.ownEnv = ownEnv
    }

    /// The configuration for this process: a system service when `$BRAKE_SYSTEM_ROOT/etc/brake/server.json`
    /// exists (root only), else the user's own.
    package static func configured(env: [String: String], socket: String?) throws(Failure) -> GuardService {
        if SystemConfig.installed(env) {
            guard geteuid() == 0 else {
                throw Failure(
                    status: ExitStatus.usage,
                    message:
                        "this machine has a system install (\(SystemConfig.path(env))); its guard service runs as root (systemd unit: `brake daemon --unit`)"
                )
            }
            let root = SystemConfig.root(env)
            return GuardService(
                socketPath: socket ?? GuardWire.systemSocket(root: root),
                systemRoot: root,
                ownEnv: env
            )
        }
        return GuardService(socketPath: socket ?? GuardWire.socketPath(env: env), systemRoot: nil, ownEnv: env)
    }

    /// Where a system install keeps one user's local state (root-owned, 0700).
    package static func stateDirectory(root: String, uid: UInt32) -> String { root + "/var/lib/brake/users/\(uid)" }

    // MARK: serving

    /// Binds the socket and answers calls until the process is stopped.
    package func run(ready: (() -> Void)? = nil) throws(Failure) -> Never {
        signal(SIGPIPE, SIG_IGN)
        let listener = try bind()
        ready?()
        // Leader and followers: the thread that accepts a call answers it itself (no hand-over to a woken worker
        // on every hook call), after making sure another thread waits in `accept` for the next one. A call may
        // long-poll the server for minutes; threads are added while all wait on calls, up to `concurrency`.
        let threads = Acceptors(limit: concurrency)
        threads.add(self, listener)
        while true { pause() }
    }

    /// One accepting thread: accepts, answers, and goes back to accepting unless enough others already wait.
    func acceptLoop(_ listener: Int32, _ threads: Acceptors) {
        while true {
            threads.waiting(+1)
            let fd = accept(listener, nil, nil)
            let others = threads.waiting(-1)
            if fd < 0 {
                if errno == EINTR || errno == ECONNABORTED || errno == EAGAIN { continue }
                if errno == EMFILE || errno == ENFILE {
                    usleep(10_000)  // out of descriptors: calls wait in the backlog until some close
                    continue
                }
                FileHandleOut.stderr("brake daemon: accept: \(Loader.string(strerror(errno)))\n")
                exit(ExitStatus.badInput)
            }
            if others == 0 && threads.reserve() { threads.add(self, listener) }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            serve(fd)
            close(fd)
            if threads.leave(idle: 2) { return }
        }
    }

    func bind() throws(Failure) -> Int32 {
        let dir = Paths.dirname(socketPath)
        if systemRoot != nil {
            // The directory is root's: no other account can put a socket of its own in its place.
            try Self.makeDirectories(dir, mode: 0o755)
            chmod(dir, 0o755)
        } else {
            try Self.makeDirectories(dir, mode: 0o700)
        }
        if let fd = GuardWire.connect(socketPath) {
            close(fd)
            throw Failure(status: ExitStatus.usage, message: "a guard service is already listening on \(socketPath)")
        }
        unlink(socketPath)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(socketPath.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else {
            throw Failure(status: ExitStatus.usage, message: "the socket path \(socketPath) is too long")
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { p in
            for (i, b) in bytes.enumerated() { p[i] = b }
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure(status: ExitStatus.badInput, message: "cannot create a socket") }
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0, listen(fd, 512) == 0 else {
            throw Failure(
                status: ExitStatus.badInput,
                message: "cannot listen on \(socketPath): \(Loader.string(strerror(errno)))"
            )
        }
        // Every agent account may call a system service; a user's service only its own (its directory is 0700).
        chmod(socketPath, systemRoot != nil ? 0o666 : 0o600)
        return fd
    }

    package static func makeDirectories(_ dir: String, mode: mode_t) throws(Failure) {
        var path = ""
        for part in dir.split(separator: "/") {
            path += "/" + part
            if !Loader.exists(path) && mkdir(path, mode) != 0 && errno != EEXIST {
                throw Failure(
                    status: ExitStatus.badInput,
                    message: "cannot create \(path): \(Loader.string(strerror(errno)))"
                )
            }
        }
    }

    /// Answers one connection: a call in, an answer out. A call that cannot be read gets no answer, which the
    /// client turns into a deny.
    func serve(_ fd: Int32) {
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var pid: pid_t = 0
        var uid: uid_t = 0
        var gid: gid_t = 0
        guard brake_peer(fd, &pid, &uid, &gid) == 0 else { return }
        guard
            let call = try? GuardWire.decodeCall({ (n: Int) throws(GuardWire.WireError) in
                try GuardWire.readExactly(fd, n)
            })
        else { return }
        let later = AfterAnswer()
        let output = answer(call, uid: uid, gid: gid, later: later)
        try? GuardWire.writeAll(
            fd,
            GuardWire.encode(
                GuardWire.Answer(
                    status: output.status,
                    stdout: Array(output.stdout.utf8),
                    stderr: Array(output.stderr.utf8)
                )
            )
        )
        logWriter.async { later.run() }
    }

    /// The answer to one call from the user `uid`.
    package func answer(_ call: GuardWire.Call, uid: UInt32, gid: UInt32, later: AfterAnswer? = nil) -> HookOutput {
        if call.args.first == "control" {
            guard let root = systemRoot, let order = LocalOrder(wireArgs: call.args) else {
                return LocalControl.refusal(
                    ExitStatus.usage,
                    systemRoot == nil
                        ? "only a system install's guard service keeps local state for others"
                        : "the guard service did not understand this order; is `brake` the same version as the service?"
                )
            }
            return LocalControl.serve(
                order,
                secret: String(decoding: call.payload, as: UTF8.self),
                caller: uid,
                root: root,
                attempts: attempts
            )
        }
        // `contained ACCESS PATH COMMAND`: brake-hook contain reports what the kernel refused, for the audit log.
        // `containment NAME`: brake-hook shell asks for the confinement of a command the caller runs in its cwd.
        let contained = call.args.first == "contained" && call.args.count == 4
        var parsed: HookEntry.Arguments?
        if !contained && call.args.first != "containment" {
            switch HookEntry.parse(call.args) {
            case .failure(let refusal): return refusal.output
            case .success(let a): parsed = a
            }
        }
        let agent = parsed?.agent ?? .claudeCode
        var env: [String: String] = [:]
        env.reserveCapacity(call.env.count + 4)
        for entry in call.env {
            // Split on the first "=" in UTF-8 (no grapheme breaking over every variable of every call).
            let utf8 = entry.utf8
            guard let eq = utf8.firstIndex(of: UInt8(ascii: "=")) else { continue }
            let name = String(entry[..<eq])
            // Brake's own settings come from this service's configuration, never from the caller.
            if name.hasPrefix("BRAKE_") && name != "BRAKE_ASK_WAIT" { continue }
            env[name] = String(entry[utf8.index(after: eq)...])
        }
        let store: LocalStore
        var files = AgentFiles.own
        if let root = systemRoot {
            guard uid != 0 || geteuid() != 0 else {
                return HookEntry.Refusal(
                    "agents do not run as root on a machine with a system install; run the agent as its own user",
                    agent
                ).output
            }
            env["BRAKE_SYSTEM_ROOT"] = root
            // Who the caller is comes from the kernel, not from variables it may have set.
            if let account = Self.account(uid) {
                env["HOME"] = account.home
                env["USER"] = account.name
                env["LOGNAME"] = account.name
            }
            let dir = Self.stateDirectory(root: root, uid: uid)
            do { try Self.makeDirectories(dir, mode: 0o700) } catch {
                return HookEntry.Refusal("the guard service cannot keep state (\(error.message))", agent).output
            }
            env["BRAKE_HOME"] = dir
            store = LocalStore(env: env, afterAnswer: later)
            files = AgentFiles(uid: uid, gid: gid)
        } else {
            guard uid == geteuid() else {
                return HookEntry.Refusal("this guard service answers only its own user", agent).output
            }
            for (k, v) in ownEnv where k.hasPrefix("BRAKE_") { env[k] = v }
            store = LocalStore(env: env, afterAnswer: later)
        }
        if call.args.first == "containment" {
            return Self.containment(
                name: call.args.count > 1 ? call.args[1] : "standard",
                call: call,
                env: env,
                files: files,
                store: store
            )
        }
        guard let arguments = parsed else {
            // The caller's own account reports; the kernel said who it is.
            try? store.append([
                [
                    ("event", .string("containment.refused")), ("access", .string(call.args[1])),
                    ("path", .string(call.args[2])), ("command", .string(String(call.args[3].prefix(2000)))),
                    ("cwd", .string(call.cwd)), ("uid", .number(Double(uid))),
                ]
            ])
            return HookOutput(stdout: "", stderr: "", status: 0)
        }
        let control = ServerControl.load(env: env, store: store)
        control??.pool = pool
        return HookRunner.answer(
            agent: arguments.agent,
            policyFile: arguments.policy,
            wait: arguments.wait,
            payload: String(decoding: call.payload, as: UTF8.self),
            env: env,
            cwd: call.cwd.hasPrefix("/") ? call.cwd : "/",
            store: store,
            control: control,
            files: files
        )
    }

    /// The confinement of a command the caller starts in its working directory: the profile `name` from the
    /// policy as this service loads it for the caller (its project's layer read with the caller's rights, which
    /// can only tighten), as `brake-hook contain` arguments, NUL-separated on stdout. A policy that cannot be
    /// loaded or a profile it does not name is an error (exit 70): the command is then not run.
    static func containment(
        name: String,
        call: GuardWire.Call,
        env: [String: String],
        files: AgentFiles,
        store: LocalStore
    ) -> HookOutput {
        let cwd = call.cwd.hasPrefix("/") ? call.cwd : "/"
        do {
            let profile = try files.read { () throws(Failure) -> ContainmentProfile? in
                let policy = try Loader.policy(
                    LoadOptions(policy: nil, cwd: cwd, actor: "agent"),
                    env: env,
                    projectRoot: Loader.projectRoot(from: cwd)
                )
                return ContainedRun.profile(name, policy: policy, cwd: cwd, env: env, extraWrite: [])
            }
            guard var profile else {
                return HookOutput(stdout: "", stderr: "the policy names no containment profile '\(name)'", status: 70)
            }
            // The command the agent's wrapper evaluates, if an approval that the hook just used covers it: the
            // places it changes become writable and its program's credentials readable, for this one run.
            if !call.payload.isEmpty,
                let command = ShellWrapper.evaluated(String(decoding: call.payload, as: UTF8.self)),
                let grant = store.takeGrant(command: command)
            {
                profile = profile.granting(grant.places)
                if let program = grant.program {
                    profile = profile.readingCredentials(of: program, home: env["HOME"] ?? "/")
                }
            }
            return HookOutput(stdout: profile.arguments.joined(separator: "\u{0}"), stderr: "", status: 0)
        } catch {
            return HookOutput(stdout: "", stderr: "Brake's policy cannot be loaded (\(error.message))", status: 70)
        }
    }

    /// The account of this name: its uid, name and home directory.
    static func account(named name: String) -> (uid: UInt32, name: String, home: String)? {
        var pw = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buf = [CChar](repeating: 0, count: 16384)
        guard getpwnam_r(name, &pw, &buf, buf.count, &result) == 0, result != nil else { return nil }
        return (pw.pw_uid, Loader.string(pw.pw_name), Loader.string(pw.pw_dir))
    }

    /// The account's primary group.
    static func group(of uid: UInt32) -> UInt32? {
        var pw = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buf = [CChar](repeating: 0, count: 16384)
        guard getpwuid_r(uid, &pw, &buf, buf.count, &result) == 0, result != nil else { return nil }
        return pw.pw_gid
    }

    /// The account's name and home directory, from the system's user database.
    static func account(_ uid: UInt32) -> (name: String, home: String)? {
        var pw = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buf = [CChar](repeating: 0, count: 16384)
        guard getpwuid_r(uid, &pw, &buf, buf.count, &result) == 0, result != nil else { return nil }
        return (Loader.string(pw.pw_name), Loader.string(pw.pw_dir))
    }
}

/// The guard service's accepting threads: how many there are and how many wait in `accept`.
final class Acceptors: Sendable {
    let limit: Int
    let counts = Mutex<(waiting: Int, total: Int)>((0, 0))

    init(limit: Int) { self.limit = limit }

    /// Adjusts the number of threads waiting in `accept`; returns it.
    @discardableResult
    func waiting(_ delta: Int) -> Int {
        counts.withLock {
            $0.waiting += delta
            return $0.waiting
        }
    }

    /// Claims room for one more thread; false at the limit (calls then wait in the socket's backlog).
    func reserve() -> Bool {
        counts.withLock {
            guard $0.total < limit else { return false }
            $0.total += 1
            return true
        }
    }

    /// Whether this thread should end, because at least `idle` others already wait for calls (one always stays).
    func leave(idle: Int) -> Bool {
        counts.withLock {
            guard $0.waiting >= idle, $0.total > 1 else { return false }
            $0.total -= 1
            return true
        }
    }

    /// Starts an accepting thread (its place is already reserved, or it is the first).
    func add(_ service: GuardService, _ listener: Int32) {
        counts.withLock { if $0.total == 0 { $0.total = 1 } }
        let body: @Sendable () -> Void = { service.acceptLoop(listener, self) }
        let box = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
        var thread = pthread_t()
        let started = pthread_create(
            &thread,
            nil,
            { arg in
                Unmanaged<ThreadBody>.fromOpaque(arg!).takeRetainedValue().body()
                return nil
            },
            box
        )
        if started == 0 {
            pthread_detach(thread)
        } else {
            Unmanaged<ThreadBody>.fromOpaque(box).release()
            counts.withLock { $0.total -= 1 }
        }
    }
}

final class ThreadBody: Sendable {
    let body: @Sendable () -> Void
    init(_ body: @escaping @Sendable () -> Void) { self.body = body }
}
