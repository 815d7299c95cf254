import ArgumentParser
import BrakeClient
import BrakeCore
import BrakeGuard
import BrakeHost
import BrakeServer

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - brake hook

struct Hook: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hook",
        abstract:
            "Answer an agent's pre-tool hook: reads the agent's JSON on stdin, prints only the agent's own answer.",
        discussion: "AGENT is one of: \(Agent.allCases.map(\.rawValue).joined(separator: ", "))."
    )

    @Argument(help: "The agent whose protocol to speak.") var agent: String
    @Option(name: .long, help: ArgumentHelp("Organisation policy file.", valueName: "FILE")) var policy: String?
    @OptionGroup var ask: WaitOption

    func run() throws {
        guard let a = Agent(rawValue: agent) else {
            throw ValidationError(
                "unknown agent '\(agent)'; expected one of: \(Agent.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        HookRunner.run(agent: a, policyFile: policy, wait: ask.wait)
    }
}

// MARK: - approve, deny, stop, resume, status

struct Approve: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approve",
        abstract: "Approve a pending request; the agent's identical retry then passes once."
    )
    @Argument(help: "The request id the agent was given.") var id: String
    @Option(name: .long, help: "Why (recorded in the audit log).") var reason: String?
    @OptionGroup var person: LocalPersonOptions
    func run() throws { Decide.run(id: id, approve: true, reason: reason, person: person) }
}

struct DenyRequest: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "deny", abstract: "Deny a pending request.")
    @Argument(help: "The request id the agent was given.") var id: String
    @Option(name: .long, help: "Why (shown to the agent and recorded).") var reason: String?
    @OptionGroup var person: LocalPersonOptions
    func run() throws { Decide.run(id: id, approve: false, reason: reason, person: person) }
}

/// For a local system install (`brake secret set`): whose state, and where the approver secret comes from.
struct LocalPersonOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Local system install: act on this account's agents (needs the approver secret).",
            valueName: "NAME"
        )
    ) var account: String?
    @Flag(name: .long, help: "Read the approver secret from standard input instead of the terminal.")
    var secretStdin = false

    func order(_ verb: LocalOrder.Verb) -> LocalOrder {
        var o = LocalOrder(verb)
        o.user = account
        return o
    }
}

enum Decide {
    static func run(id: String, approve: Bool, reason: String?, person: LocalPersonOptions) {
        let env = Loader.environment()
        do {
            // Requests made through the server are decided there (with roles); local ones here.
            if try ServerLink.load(env: env, store: LocalStore(env: env)) != nil, id.hasPrefix("req_") {
                try Remote.decide(id: id, approve: approve, reason: reason, json: false)
                return
            }
            var order = person.order(approve ? .approve : .deny)
            order.id = id
            order.reason = reason ?? ""
            try LocalControl.run(order, env: env, secretFromStdin: person.secretStdin)
        } catch {
            Loader.fail(error)
        }
    }
}

struct StopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop",
        abstract: "Deny every action in scope on the very next hook call, until resumed."
    )
    @OptionGroup var scope: StopScopeOptions
    @Option(name: .long, help: "Why; shown to the agent and the person.") var reason: String?
    @Flag(name: .long, help: "Only on this machine, even when a server is configured.") var local = false
    @OptionGroup var person: LocalPersonOptions

    func validate() throws { try scope.check() }

    func run() throws {
        let (scope, value) = self.scope.pair
        let env = Loader.environment()
        let store = LocalStore(env: env)
        do {
            if !local, try ServerLink.load(env: env, store: store) != nil {
                let (_, client) = try ServerLink.required("stopping")
                let s = try Remote.call(
                    client,
                    "POST",
                    "/v1/stops",
                    .object([("scope", .string(scope)), ("value", .string(value)), ("reason", .string(reason ?? ""))])
                )
                FileHandleOut.stdout(
                    "stopped \(scope == "all" ? "everything" : "\(scope) \(value)") (stop \(s["id"]?.stringValue ?? "?"); lifting it needs role \(s["lift_role"]?.stringValue ?? "?"))\n"
                )
                return
            }
            guard let kind = StopScope(rawValue: scope), StopScope.local.contains(kind) else {
                throw Failure(
                    status: ExitStatus.usage,
                    message:
                        "stopping a \(scope) needs the Brake server (`brake login`); locally: --all, --agent or --session"
                )
            }
            var order = person.order(.stop)
            order.scope = kind
            order.value = value
            order.reason = reason ?? ""
            try LocalControl.run(order, env: env, secretFromStdin: person.secretStdin)
        } catch {
            Loader.fail(error)
        }
    }
}

/// `--wait SECONDS` for hook, exec and mcp.
struct WaitOption: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Seconds to wait for a person to decide an ask (default $BRAKE_ASK_WAIT or 0: answer at once with the request id, for `brake wait ID`; keep it under the agent's hook timeout).",
            valueName: "SECONDS"
        )
    ) var wait: Double?

    func validate() throws {
        if let wait, wait < 0 { throw ValidationError("--wait takes a number of seconds, 0 or more") }
    }
}

/// The scope of a stop: exactly one of these.
struct StopScopeOptions: ParsableArguments {
    @Option(name: .long, help: "One agent session.") var session: String?
    @Option(name: .long, help: "One agent (claude-code, cursor, exec, mcp:NAME …).") var agent: String?
    @Option(name: .long, help: "One user's agents (server).") var user: String?
    @Option(name: .long, help: "One repository, as github.com/org/repo (server).") var repository: String?
    @Option(name: .long, help: "One environment, as agents set BRAKE_ENVIRONMENT (server).") var environment: String?
    @Flag(name: .long, help: "Everything.") var all = false

    func check(allowID: Bool = false, id: String? = nil) throws {
        let n = [session != nil, agent != nil, user != nil, repository != nil, environment != nil, all, id != nil]
            .filter { $0 }.count
        if n != 1 {
            throw ValidationError(
                "give exactly one of --all, --session ID, --agent NAME, --user NAME, --repository REPO, --environment ENV\(allowID ? " or --id STOP" : "")"
            )
        }
    }

    var pair: (String, String) {
        if all { return ("all", "") }
        if let session { return ("session", session) }
        if let agent { return ("agent", agent) }
        if let user { return ("user", user) }
        if let repository { return ("repository", repository) }
        if let environment { return ("environment", environment) }
        return ("id", "")
    }
}

struct Resume: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "resume", abstract: "Lift stops.")
    @OptionGroup var scope: StopScopeOptions
    @Option(name: .long, help: "One stop by its id (server).") var id: String?
    @Option(name: .long, help: "Why (recorded).") var reason: String?
    @OptionGroup var person: LocalPersonOptions

    func validate() throws { try scope.check(allowID: true, id: id) }

    func run() throws {
        let env = Loader.environment()
        let store = LocalStore(env: env)
        // The scopes this machine's own stops can have.
        var localScope: (StopScope, String)?
        if scope.all { localScope = (.all, "") }
        if let session = scope.session { localScope = (.session, session) }
        if let agent = scope.agent { localScope = (.agent, agent) }
        do {
            if try ServerLink.load(env: env, store: store) != nil {
                let (_, client) = try ServerLink.required("resuming", person: true)
                var lifted = 0
                // A session's local rerouting stop and strikes go too.
                if let local = localScope {
                    lifted += try store.withState { (state: inout LocalState) throws(Failure) -> Int in
                        state.resume(scope: local.0, value: local.1)
                    }
                }
                let body = JSONValue.object([("reason", .string(reason ?? ""))])
                do {
                    if let id {
                        _ = try client.call("POST", "/v1/stops/\(ServerClient.escape(id))/lift", body)
                        lifted += 1
                    } else {
                        let (sc, value) = scope.pair
                        let v = try client.call(
                            "POST",
                            "/v1/stops/lift",
                            .object([
                                ("scope", .string(sc)), ("value", .string(value)), ("reason", .string(reason ?? "")),
                            ])
                        )
                        lifted += v["lifted"]?.arrayValue?.count ?? 0
                    }
                } catch ClientError.status(404, _) where lifted > 0 {
                    // Only local stops matched.
                } catch {
                    throw Failure(status: ExitStatus.badInput, message: "\(error)")
                }
                FileHandleOut.stdout("lifted \(lifted) stop\(lifted == 1 ? "" : "s")\n")
                return
            }
            guard id == nil, scope.user == nil, scope.repository == nil, scope.environment == nil else {
                throw Failure(
                    status: ExitStatus.usage,
                    message:
                        "that scope lives on the Brake server (`brake login`); locally: --all, --agent or --session"
                )
            }
            guard let local = localScope else { return }
            var order = person.order(.resume)
            order.scope = local.0
            order.value = local.1
            order.reason = reason ?? ""
            try LocalControl.run(order, env: env, secretFromStdin: person.secretStdin)
        } catch {
            Loader.fail(error)
        }
    }
}

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show stops and pending approval requests."
    )
    @Option(name: .long, help: "text or json") var format: String = "text"
    @OptionGroup var person: LocalPersonOptions

    func run() throws {
        let env = Loader.environment()
        let store = LocalStore(env: env)
        do {
            if try ServerLink.load(env: env, store: store) != nil {
                let (link, client) = try ServerLink.required("status")
                let stops = try Remote.call(client, "GET", "/v1/stops")
                let pending = try Remote.call(client, "GET", "/v1/approvals?status=pending")
                let local = try store.read()
                let v = JSONValue.object([
                    ("server", .string(link.url)), ("stops", stops["stops"] ?? .array([])),
                    ("pending", pending["approvals"] ?? .array([])),
                    (
                        "local_stops",
                        .array(
                            local.stops.map {
                                .object([
                                    ("scope", .string($0.scope.rawValue)), ("value", .string($0.value)),
                                    ("reason", .string($0.reason)),
                                ])
                            }
                        )
                    ),
                ])
                Remote.print(v, json: format == "json") {
                    var out = "server \(link.url)\n"
                    let ss = (stops["stops"]?.arrayValue ?? []).compactMap(Stop.init(json:))
                    out += ss.isEmpty ? "no stops on the control plane\n" : "stops on the control plane:\n"
                    for s in ss {
                        out +=
                            "  \(s.id)  \(s.describe)  by \(s.createdBy)\(s.reason.isEmpty ? "" : ": \(s.reason)")  (lift: \(s.liftRole))\n"
                    }
                    if !local.stops.isEmpty {
                        out +=
                            "stops on this machine (made by its guard, also sent to the control plane; `brake resume` lifts both):\n"
                        for s in local.stops {
                            out += "  \(s.describe): \(s.reason)\n"
                        }
                    }
                    let ps = pending["approvals"]?.arrayValue ?? []
                    out += ps.isEmpty ? "no pending requests\n" : "pending requests:\n"
                    for a in ps {
                        out +=
                            "  \(a["id"]?.stringValue ?? "")  \(a["requester"]?.stringValue ?? "")  \(a["agent"]?.stringValue ?? "")  \(a["summary"]?.stringValue ?? "")\n"
                    }
                    return out
                }
                return
            }
            var order = person.order(.status)
            order.json = format == "json"
            try LocalControl.run(order, env: env, secretFromStdin: person.secretStdin)
        } catch {
            Loader.fail(error)
        }
    }
}

// MARK: - log and audit verify

struct Log: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "log", abstract: "Show the local audit log.")
    @Option(name: .long, help: "Only records newer than this: 30m, 2h, 7d, or a Unix time.") var since: String?
    @Option(name: .long, help: "text (times as '5 min ago') or json (one record per line, with an ISO 8601 'at')")
    var format: String = "text"

    func validate() throws {
        guard format == "text" || format == "json" else { throw ValidationError("--format must be text or json") }
    }

    func run() throws {
        let store = LocalStore(env: Loader.environment())
        var cutoff = 0
        if let since {
            let units: [Character: Int] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
            if let u = since.last, let mult = units[u], let n = Int(since.dropLast()) {
                cutoff = LocalStore.now() - n * mult
            } else if let t = Int(since) {
                cutoff = t
            } else {
                throw ValidationError("--since takes 30m, 2h, 7d or a Unix time, not '\(since)'")
            }
        }
        guard Loader.exists(store.auditPath) else { return }
        do {
            let text = try Loader.readFile(store.auditPath)
            var out = ""
            let now = LocalStore.now()
            for line in text.split(separator: "\n") {
                guard let v = try? JSONValue.parse(String(line)), case .number(let t)? = v["time"], Int(t) >= cutoff
                else { continue }
                if format == "json", case .object(let m) = v {
                    out += JSONValue.object(m + [("at", .string(HumanTime.iso(Int(t))))]).serialized + "\n"
                    continue
                }
                let decision = v["decision"]?.stringValue ?? "?"
                let what = v["action"]?.stringValue ?? v["request"]?.stringValue ?? v["scope"]?.stringValue ?? ""
                let rules: String
                if case .array(let rs)? = v["rules"] {
                    rules = rs.compactMap(\.stringValue).joined(separator: ",")
                } else {
                    rules = ""
                }
                out +=
                    "\(HumanTime.ago(Int(t), now: now).padding(12))  \(decision.padding(8))  \((v["agent"]?.stringValue ?? "").padding(12))  \(what)\(rules.isEmpty ? "" : "  [\(rules)]")\n"
            }
            FileHandleOut.stdout(out)
        } catch {
            Loader.fail(error)
        }
    }
}

extension String {
    func padding(_ n: Int) -> String { count >= n ? self : self + String(repeating: " ", count: n - count) }
}

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Check the audit log.",
        subcommands: [Verify.self, Export.self]
    )

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract:
                "Write the server's audit log with its signed checkpoints as JSON lines (for `brake audit verify FILE`)."
        )
        @Option(name: .shortAndLong, help: ArgumentHelp("Write here instead of stdout.", valueName: "FILE"))
        var output: String?

        func run() throws {
            do {
                let (link, client) = try ServerLink.required("exporting the audit log")
                let (entries, cps, key) = try ServerAudit.download(client)
                let text = ServerAudit.exportText(entries, cps, key: key, server: link.url)
                if let output {
                    try LocalStore(env: Loader.environment()).writeAtomically(output, text)
                    FileHandleOut.stderr("wrote \(entries.count) events and \(cps.count) checkpoints to \(output)\n")
                } else {
                    FileHandleOut.stdout(text)
                }
            } catch {
                Loader.fail(error)
            }
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Detect any edit, deletion, insertion, reordering or truncation in an audit log.",
            discussion:
                "With a server configured it downloads the whole log and checks the chain and every signed checkpoint here, against the key pinned at `brake login`. FILE may be a local log or a `brake audit export`. --data-dir checks a server's database directly."
        )
        @Argument(help: "An audit log or export (default: the server's log, else the local one).") var file: String?
        @Option(name: .long, help: ArgumentHelp("Check a server's data directory directly.", valueName: "DIR"))
        var dataDir: String?
        @Option(
            name: .long,
            help: ArgumentHelp(
                "The server's public key (base64) to check checkpoints with (default: the key pinned by `brake login`); never the key beside the database.",
                valueName: "KEY"
            )
        )
        var key: String?
        @Flag(name: .long, help: "Check this machine's local log even when a server is configured.") var local = false
        @OptionGroup var output: FormatOption

        func run() throws {
            let env = Loader.environment()
            let store = LocalStore(env: env)
            do {
                if let dataDir {
                    // The trust root lives elsewhere: a key given here or pinned at login, never the one in DIR
                    // (whoever rewrote the database could have re-signed with that one).
                    let pinned = try? ServerLink.load(env: env, store: store)?.pinnedKey
                    guard let keyText = key ?? pinned ?? nil, let publicKey = ServerAudit.key(keyText) else {
                        throw Failure(
                            status: ExitStatus.usage,
                            message:
                                "give --key (the server's public key, from its banner or /v1/audit/public-key, kept apart from its data directory) or `brake login` to pin it; the key beside the database proves nothing"
                        )
                    }
                    let db = dataDir + "/brake.sqlite"
                    guard Loader.exists(db) else {
                        throw Failure(status: ExitStatus.badInput, message: "no database at \(db)")
                    }
                    let sqlite = try SQLiteStore(path: db)
                    final class Box: @unchecked Sendable { var report: AuditChain.Report? }
                    let box = Box()
                    if let e = blockingRun({
                        box.report = try await ServerAudit.verifyStore(sqlite, publicKey: publicKey)
                    }) {
                        throw Failure(status: ExitStatus.badInput, message: "\(e)")
                    }
                    ServerAudit.report(box.report!, json: output.json, source: db, keyNote: nil)
                    return
                }
                let link = try ServerLink.load(env: env, store: store)
                if let file {
                    let text = try Loader.readFile(file)
                    if let (entries, cps, offered) = try ServerAudit.parseExport(text) {
                        var (keyText, note, _) = ServerAudit.trustedKey(offered: offered, pinned: link?.pinnedKey)
                        if link?.pinnedKey == nil {
                            note =
                                "checkpoints checked against the key inside the export; `brake login` pins the server's key"
                        }
                        let r = AuditChain.verify(entries, checkpoints: cps, publicKey: ServerAudit.key(keyText))
                        ServerAudit.report(r, json: output.json, source: file, keyNote: note)
                        return
                    }
                }
                if file == nil, !local, let link {
                    let (entries, cps, offered) = try ServerAudit.download(try link.client(timeout: 30))
                    let (keyText, note, _) = ServerAudit.trustedKey(offered: offered, pinned: link.pinnedKey)
                    var r = AuditChain.verify(entries, checkpoints: cps, publicKey: ServerAudit.key(keyText))
                    if let note { r.problems.append(note) }
                    if let pinned = ServerAudit.checkPin(entries, store: store) { r.problems.append(pinned) }
                    ServerAudit.savePin(cps, report: r, store: store)
                    ServerAudit.report(r, json: output.json, source: link.url, keyNote: nil)
                    return
                }
                let path = file ?? store.auditPath
                let text = try Loader.readFile(path)
                let headFile = path + ".head"
                let head = Loader.exists(headFile) ? (try? Loader.readFile(headFile)).flatMap(AuditLog.parseHead) : nil
                if let problem = AuditLog.verify(text, head: head) {
                    FileHandleOut.stderr("brake: \(path): \(problem)\n")
                    Glibc.exit(1)
                }
                let n = text.split(separator: "\n").count
                FileHandleOut.stdout("ok: \(n) records, chain intact\n")
            } catch {
                Loader.fail(error)
            }
        }
    }
}

/// `brake wait ID`: what an agent runs after Brake answered "needs approval, request ID": blocks until a person
/// decides, then exits 0 (approved: retry the identical action), 77 (denied) or 75 (still pending or expired).
struct WaitRequest: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wait",
        abstract: "Wait for a person to decide a request; exit 0 when approved (then retry the identical action).",
        discussion: """
            Agents may run it. It prints what it waits for every few seconds on stderr. Exit status: 0 approved \
            (retry the identical action now), 77 denied (do not retry), 75 still pending after --timeout or \
            expired (retry the action to open a new request), 65 unknown request or server unreachable.
            """
    )
    @Argument(help: "The request id Brake gave.") var id: String
    @Option(name: .long, help: ArgumentHelp("Give up after this many seconds (at most 3600).", valueName: "SECONDS"))
    var timeout: Double = 300

    func validate() throws {
        guard timeout > 0, timeout <= 3600 else { throw ValidationError("--timeout takes 1 to 3600 seconds") }
    }

    func run() throws {
        let env = Loader.environment()
        do {
            let outcome = try RequestWaiter.wait(id: id, timeout: timeout, env: env) {
                FileHandleOut.stderr($0 + "\n")
            }
            switch outcome {
            case .approved(let by):
                FileHandleOut.stdout(
                    "request \(id) was approved\(by.isEmpty ? "" : " by \(by)"): retry the identical action now\n"
                )
            case .denied(let by, let reason):
                throw Failure(
                    status: 77,
                    message:
                        "request \(id) was denied by \(by)\(reason.isEmpty ? "" : ": \(reason)"). Do not retry it or try other ways to do the same thing."
                )
            case .expired:
                throw Failure(status: 75, message: "request \(id) expired; retry the action to open a new one")
            case .used:
                throw Failure(
                    status: ExitStatus.badInput,
                    message: "request \(id) was approved and has been used; a new attempt asks again"
                )
            case .stillPending:
                throw Failure(
                    status: 75,
                    message: "request \(id) is still waiting for a person after \(Int(timeout)) s"
                )
            }
        } catch {
            Loader.fail(error)
        }
    }
}
