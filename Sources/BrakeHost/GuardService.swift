import BrakeClient
import BrakeCore
import BrakeWire
import CBrakeSystem
import Dispatch

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
    /// Writes the local log records of answered calls, in order, after their answers have gone out.
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
        let slots = DispatchSemaphore(value: concurrency)
        let calls = DispatchQueue(label: "brake.guard.calls", attributes: .concurrent)
        while true {
            let fd = accept(listener, nil, nil)
            if fd < 0 {
                if errno == EINTR || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE { continue }
                throw Failure(status: ExitStatus.badInput, message: "accept: \(Loader.string(strerror(errno)))")
            }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            slots.wait()
            let service = self
            // A queue of its own: libdispatch reuses idle threads and adds one when every thread is blocked (a
            // call may long-poll the server for minutes).
            calls.async {
                service.serve(fd)
                close(fd)
                slots.signal()
            }
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
        let output = answer(call, uid: uid, gid: gid)
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
    }

    /// The answer to one call from the user `uid`.
    package func answer(_ call: GuardWire.Call, uid: UInt32, gid: UInt32) -> HookOutput {
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
        let contained = call.args.first == "contained" && call.args.count == 4
        var parsed: HookEntry.Arguments?
        if !contained {
            switch HookEntry.parse(call.args) {
            case .failure(let refusal): return refusal.output
            case .success(let a): parsed = a
            }
        }
        let agent = parsed?.agent ?? .claudeCode
        var env: [String: String] = [:]
        for entry in call.env {
            guard let eq = entry.firstIndex(of: "=") else { continue }
            let name = String(entry[..<eq])
            // Brake's own settings come from this service's configuration, never from the caller.
            if name.hasPrefix("BRAKE_") && name != "BRAKE_ASK_WAIT" { continue }
            env[name] = String(entry[entry.index(after: eq)...])
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
            store = LocalStore(env: env, afterAnswer: logWriter)
            files = AgentFiles(uid: uid, gid: gid)
        } else {
            guard uid == geteuid() else {
                return HookEntry.Refusal("this guard service answers only its own user", agent).output
            }
            for (k, v) in ownEnv where k.hasPrefix("BRAKE_") { env[k] = v }
            store = LocalStore(env: env, afterAnswer: logWriter)
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

    /// The account of this name: its uid, name and home directory.
    static func account(named name: String) -> (uid: UInt32, name: String, home: String)? {
        var pw = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buf = [CChar](repeating: 0, count: 16384)
        guard getpwnam_r(name, &pw, &buf, buf.count, &result) == 0, result != nil else { return nil }
        return (pw.pw_uid, Loader.string(pw.pw_name), Loader.string(pw.pw_dir))
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
