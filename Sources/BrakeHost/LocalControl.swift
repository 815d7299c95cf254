import BrakeCore
import BrakeWire

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One thing a person does to a machine's local state: approve or deny a request, stop, resume, look.
package struct LocalOrder: Sendable, Equatable {
    package enum Verb: String, Sendable { case approve, deny, stop, resume, status, checkpoints, undo }
    package var verb: Verb
    /// approve, deny: the request.
    package var id = ""
    /// stop, resume: the scope (all, agent, session) and its value.
    package var scope: StopScope = .all
    package var value = ""
    package var reason = ""
    /// A local system install: act on another account's state (needs the approver secret, or root).
    package var user: String?
    package var json = false
    /// checkpoints, undo: which checkpoints; undo: only say what it would do; overwrite what changed since.
    package var selection = UndoSelection()
    package var dryRun = false
    package var force = false

    package init(_ verb: Verb) { self.verb = verb }

    /// What only a person may do: these loosen (or, for undo, write the person's files on their word), so on a
    /// local system install they need the approver secret.
    package var loosens: Bool { verb == .approve || verb == .resume || (verb == .undo && !dryRun) }

    /// The order as the guard service's call arguments.
    package var wireArgs: [String] {
        [
            "control", verb.rawValue, id, scope.rawValue, value, reason, user ?? "", json ? "json" : "text",
            selection.wire, (dryRun ? "dry-run," : "") + (force ? "force" : ""),
        ]
    }

    package init?(wireArgs a: [String]) {
        guard a.count == 8 || a.count == 10, a[0] == "control", let verb = Verb(rawValue: a[1]),
            let scope = StopScope(rawValue: a[3]), StopScope.local.contains(scope)
        else { return nil }
        if a.count == 10 {
            selection = UndoSelection(wire: a[8])
            dryRun = a[9].contains("dry-run")
            force = a[9].contains("force")
        }
        self.verb = verb
        id = a[2]
        self.scope = scope
        value = a[4]
        reason = a[5]
        user = a[6].isEmpty ? nil : a[6]
        json = a[7] == "json"
    }
}

/// Approving, denying, stopping, resuming and looking at local state, in one place: for the CLI in-process, and
/// for the guard service of a local system install, where the state is root's and approving or resuming needs
/// the approver secret (`brake secret set`), which the agent's account cannot learn.
package enum LocalControl {
    /// Carries out `order` on `store` as the person `by`; returns what to print.
    package static func perform(
        _ order: LocalOrder,
        store: LocalStore,
        by: String,
        files: AgentFiles = .own,
        env: [String: String] = [:]
    ) throws(Failure) -> String {
        switch order.verb {
        case .checkpoints:
            return Checkpoints.list(
                CheckpointStore(home: store.home),
                session: order.selection.session,
                json: order.json
            )
        case .undo:
            let report = try Undo.run(
                order.selection,
                store: CheckpointStore(home: store.home),
                files: files,
                env: env,
                dryRun: order.dryRun,
                force: order.force
            )
            if !order.dryRun {
                try? store.audit([
                    ("decision", .string("undo")), ("checkpoints", .array(report.checkpoints.map { .string($0) })),
                    ("restored", .number(Double(report.items.filter { $0.outcome == .restored }.count))),
                    ("left", .number(Double(report.conflicts))), ("by", .string(by)),
                ])
            }
            let text = order.json ? report.json.serialized + "\n" : report.text
            if report.conflicts > 0 { throw Failure(status: ExitStatus.ask, message: text) }
            return text
        case .approve, .deny:
            let approve = order.verb == .approve
            let r = try store.withState { (state: inout LocalState) throws(Failure) -> ApprovalRequest in
                switch state.decide(id: order.id, approve: approve, now: LocalStore.now()) {
                case .success(let r):
                    try store.audit([
                        ("decision", .string(approve ? "approved" : "denied")), ("request", .string(order.id)),
                        ("digest", .string(r.digest)), ("by", .string(by)),
                        ("reason", .string(order.reason)),
                    ])
                    return r
                case .failure(let e):
                    throw Failure(status: ExitStatus.badInput, message: e.message)
                }
            }
            return "\(approve ? "approved" : "denied") \(r.id): \(r.summary)\n"
        case .stop:
            try store.withState { (state: inout LocalState) throws(Failure) in
                state.stops.removeAll { $0.scope == order.scope && $0.value == order.value }
                state.stops.append(
                    Stop.local(scope: order.scope, value: order.value, reason: order.reason, created: LocalStore.now())
                )
                try store.audit([
                    ("decision", .string("stop")), ("scope", .string(order.scope.rawValue)),
                    ("value", .string(order.value)), ("reason", .string(order.reason)), ("by", .string(by)),
                ])
            }
            return "stopped \(order.scope == .all ? "everything" : "\(order.scope.rawValue) \(order.value)")\n"
        case .resume:
            let n = try store.withState { (state: inout LocalState) throws(Failure) -> Int in
                let removed = state.resume(scope: order.scope, value: order.value)
                try store.audit([
                    ("decision", .string("resume")), ("lifted", .number(Double(removed))), ("by", .string(by)),
                    ("reason", .string(order.reason)),
                ])
                return removed
            }
            return "lifted \(n) stop\(n == 1 ? "" : "s")\n"
        case .status:
            let state = try store.withState { (s: inout LocalState) throws(Failure) -> LocalState in s }
            return status(state, json: order.json)
        }
    }

    static func status(_ state: LocalState, json: Bool) -> String {
        let now = LocalStore.now()
        let pending = state.requests.filter { $0.status == .pending && $0.expires > now }
        if json {
            // Every request with where it stands (what `brake wait` looks for), besides the pending ones.
            let requests: [JSONValue] = state.requests.map {
                let status = $0.status == .pending && $0.expires <= now ? "expired" : $0.status.rawValue
                return .object([("id", .string($0.id)), ("summary", .string($0.summary)), ("status", .string(status))])
            }
            let v = JSONValue.object([
                ("requests", .array(requests)),
                (
                    "stops",
                    .array(
                        state.stops.map {
                            .object([
                                ("scope", .string($0.scope.rawValue)), ("value", .string($0.value)),
                                ("reason", .string($0.reason)),
                            ])
                        }
                    )
                ),
                (
                    "pending",
                    .array(
                        pending.map {
                            .object([
                                ("id", .string($0.id)), ("summary", .string($0.summary)),
                                ("agent", .string($0.agent)), ("rules", .array($0.rules.map { .string($0) })),
                                ("expires_in", .number(Double($0.expires - now))),
                            ])
                        }
                    )
                ),
            ])
            return v.serialized + "\n"
        }
        var out = state.stops.isEmpty ? "no stops\n" : "stops:\n"
        for s in state.stops {
            out += "  \(s.describe): \(s.reason)\n"
        }
        out += pending.isEmpty ? "no pending requests\n" : "pending requests:\n"
        for r in pending {
            out +=
                "  \(r.id)  \(r.agent)  \(r.summary)  [\(r.rules.joined(separator: ", "))]  expires in \((r.expires - now) / 60) min\n"
        }
        return out
    }

    /// Carries out `order` where this machine keeps its local state: through the guard service on a local
    /// system install (asking for the approver secret when the order loosens), else in this process.
    package static func run(_ order: LocalOrder, env: [String: String], secretFromStdin: Bool) throws(Failure) {
        FileHandleOut.stdout(try answer(order, env: env, secretFromStdin: secretFromStdin))
    }

    /// What the order prints: carried out here, or by the guard service of a local system install.
    package static func answer(
        _ order: LocalOrder,
        env: [String: String],
        secretFromStdin: Bool
    ) throws(Failure)
        -> String
    {
        guard SystemConfig.localOnly(env) else {
            do {
                return try perform(order, store: LocalStore(env: env), by: env["USER"] ?? "unknown", env: env)
            } catch  where order.verb == .undo && error.status == ExitStatus.ask {
                FileHandleOut.stdout(error.message)
                throw Self.incomplete
            }
        }
        let socket = GuardWire.systemSocket(root: SystemConfig.root(env))
        guard let fd = GuardWire.connect(socket) else {
            throw Failure(
                status: ExitStatus.usage,
                message:
                    "this machine keeps Brake's local state in its guard service, which is not running (\(socket)); start it as root: `brake daemon`"
            )
        }
        defer { close(fd) }
        var secret: [UInt8] = []
        if order.loosens || order.user != nil, geteuid() != 0 {
            secret = Array(try readSecret(fromStdin: secretFromStdin).utf8)
        }
        let answer: GuardWire.Answer
        do {
            try GuardWire.writeAll(fd, GuardWire.encode(args: order.wireArgs, cwd: "/", env: [], payload: secret))
            answer = try GuardWire.decodeAnswer { (n: Int) throws(GuardWire.WireError) in
                try GuardWire.readExactly(fd, n)
            }
        } catch {
            throw Failure(status: ExitStatus.badInput, message: "the guard service did not answer (\(error))")
        }
        if answer.status != 0 {
            FileHandleOut.stdout(String(decoding: answer.stdout, as: UTF8.self))
            throw Failure(status: answer.status, message: String(decoding: answer.stderr, as: UTF8.self))
        }
        return String(decoding: answer.stdout, as: UTF8.self)
    }

    /// The approver secret, typed at the terminal without echo (or one line of standard input).
    package static func readSecret(fromStdin: Bool) throws(Failure) -> String {
        let fd = fromStdin ? -1 : open("/dev/tty", O_RDWR | O_CLOEXEC)
        if !fromStdin && fd < 0 {
            throw Failure(
                status: ExitStatus.usage,
                message:
                    "this needs the approver secret, typed at a terminal (none is attached); pipe it in with --secret-stdin"
            )
        }
        let input = fd >= 0 ? fd : 0
        defer { if fd >= 0 { close(fd) } }
        var saved = termios()
        let isTTY = isatty(input) == 1 && tcgetattr(input, &saved) == 0
        if isTTY {
            let prompt = "Brake approver secret: "
            _ = prompt.withCString { write(input, $0, strlen($0)) }
            var quiet = saved
            quiet.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(input, TCSANOW, &quiet)
        }
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while line.count < 4096, read(input, &byte, 1) == 1, byte != 10 { line.append(byte) }
        if isTTY {
            tcsetattr(input, TCSANOW, &saved)
            _ = write(input, "\n", 1)
        }
        if line.last == 13 { line.removeLast() }
        return String(decoding: line, as: UTF8.self)
    }

    /// The guard service's side: one order from the account `caller`, on the local state of a system install.
    package static func serve(
        _ order: LocalOrder,
        secret: String,
        caller: UInt32,
        root: String,
        attempts: SecretAttempts
    ) -> HookOutput {
        let env = ["BRAKE_SYSTEM_ROOT": root]
        guard SystemConfig.localOnly(env) else {
            return refusal(
                ExitStatus.usage,
                "this machine's approvals and stops live on the Brake server; use `brake approvals` and `brake stop` with your own token"
            )
        }
        guard let callerAccount = GuardService.account(caller) else {
            return refusal(ExitStatus.badInput, "your account (uid \(caller)) is not in the user database")
        }
        var target = caller
        var targetAccount = callerAccount
        if let name = order.user {
            guard let found = GuardService.account(named: name) else {
                return refusal(ExitStatus.usage, "no account named \(name)")
            }
            (target, targetAccount) = (found.uid, (found.name, found.home))
        }
        let store = LocalStore(env: [
            "BRAKE_HOME": GuardService.stateDirectory(root: root, uid: target), "HOME": targetAccount.home,
            "USER": targetAccount.name,
        ])
        if caller != 0 && (order.loosens || target != caller) {
            let now = LocalStore.now()
            let wait = attempts.wait(caller, now: now)
            if wait > 0 {
                return refusal(
                    ExitStatus.noPermission,
                    "too many wrong approver secrets from this account; try again in \(wait) s"
                )
            }
            let ok: Bool
            do {
                guard let hash = try ApproverSecret.load(env: env) else {
                    return refusal(ExitStatus.usage, "no approver secret is installed")
                }
                ok = hash.matches(secret)
            } catch {
                return refusal(error.status, error.message)
            }
            attempts.record(caller, ok: ok, now: now)
            if !ok {
                try? store.audit([
                    ("decision", .string("refused")), ("order", .string(order.verb.rawValue)),
                    ("request", .string(order.id)), ("by", .string(callerAccount.name)),
                    ("why", .string("wrong approver secret")),
                ])
                return refusal(
                    ExitStatus.noPermission,
                    "wrong approver secret; \(order.verb.rawValue) needs the secret set with `brake secret set`"
                )
            }
        }
        do {
            try GuardService.makeDirectories(store.home, mode: 0o700)
            // Files are read and written as the account, never as root: no group, no undo.
            guard let gid = GuardService.group(of: target) else {
                return refusal(ExitStatus.badInput, "the account (uid \(target)) has no group in the user database")
            }
            let files = AgentFiles(uid: target, gid: gid)
            let stdout = try perform(
                order,
                store: store,
                by: callerAccount.name,
                files: files,
                env: ["HOME": targetAccount.home, "USER": targetAccount.name]
            )
            return HookOutput(stdout: stdout, stderr: "", status: 0)
        } catch  where order.verb == .undo && error.status == ExitStatus.ask {
            return HookOutput(stdout: error.message, stderr: incomplete.message, status: incomplete.status)
        } catch {
            return refusal(error.status, error.message)
        }
    }

    /// `brake undo` left paths alone (changed since their checkpoint): exit 1, the report on stdout.
    static let incomplete = Failure(
        status: ExitStatus.ask,
        message: "some paths were not restored (listed above); `brake undo --force` overwrites them"
    )

    static func refusal(_ status: Int32, _ message: String) -> HookOutput {
        HookOutput(stdout: "", stderr: message, status: status)
    }
}
