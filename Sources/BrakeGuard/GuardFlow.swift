import BrakeCore

/// What an entry point enforces for one action, and what it tells the person and the agent.
public struct GuardOutcome: Sendable {
    /// `allow` runs it; `ask` puts it to the person through the agent's own prompt (local mode only);
    /// `deny` refuses it.
    public var verdict: Verdict
    /// For the person (empty on a silent allow).
    public var message: String
    /// For the agent.
    public var agentMessage: String
    /// The approval request opened or used for it, if any.
    public var requestID: String?
    /// A request still waits for a person (`brake exec` exits 75 for it).
    public var pending: Bool
    /// A note for the audit log (why the verdict differs from the judgement, which request was used …).
    public var note: String
    /// The local judgement of the raw action.
    public var judgement: Judgement
}

/// The one path every action takes, whatever entry point it came through (agent hooks, `brake exec`,
/// `brake mcp`): local stops, the rerouting watch, the local circuit breaker, local approvals or the control
/// plane's signed answer, and the audit record.
public struct GuardFlow<L: Ledger>: Sendable where L: Sendable {
    /// The policy this machine judges with (the server judges with its own).
    public var policy: Policy
    /// This machine's state and log.
    public var ledger: L
    /// The control plane, when one is configured.
    public var link: (any ControlLink & Sendable)?
    /// Set when a server is configured but unusable (settings incomplete or damaged): everything is refused.
    public var linkProblem: String?
    /// The clock and id source.
    public var clock: any GuardClock & Sendable
    /// Seconds to wait for a person on an ask (server only).
    public var wait: Double
    /// The repositories of the places an action runs in or changes (read from the file system by the
    /// adapter), so a repository stop follows the target wherever the session started.
    public var repositoriesOf: (@Sendable ([String]) -> [String])?
    /// Where the places an action touches really lead (symbolic links resolved on the file system at decision
    /// time, by the adapter): a path through a link is judged by the most protected place it reaches.
    public var linksOf: (@Sendable ([String]) -> [String: [String]])?
    /// The digest of a plan file an action applies (read by the adapter), binding it to the plan approved.
    public var planDigestOf: (@Sendable (String) -> String?)?
    /// Reads files the commands would run (`Judgement.wantedFiles`) into the context, with the caller's rights;
    /// true when it added anything (the request is then judged again, up to three rounds: a Makefile naming a
    /// script, the script sourcing another).
    public var scriptsOf: (@Sendable (inout Context, [String]) -> Bool)?
    /// Keeps what an action that goes ahead is about to destroy (`Judgement.checkpoint`), before the agent runs
    /// it; the adapter reads the files with the caller's rights.
    public var checkpoint: (@Sendable (ActionRequest, Judgement) -> Void)?
    /// Records, at a session's next call, what its last checkpointed step left behind.
    public var settle: (@Sendable (String) -> Void)?

    /// Creates a flow.
    public init(
        policy: Policy,
        ledger: L,
        link: (any ControlLink & Sendable)?,
        linkProblem: String? = nil,
        clock: any GuardClock & Sendable,
        wait: Double = 20,
        repositoriesOf: (@Sendable ([String]) -> [String])? = nil,
        linksOf: (@Sendable ([String]) -> [String: [String]])? = nil,
        planDigestOf: (@Sendable (String) -> String?)? = nil,
        scriptsOf: (@Sendable (inout Context, [String]) -> Bool)? = nil,
        checkpoint: (@Sendable (ActionRequest, Judgement) -> Void)? = nil,
        settle: (@Sendable (String) -> Void)? = nil
    ) {
        self.checkpoint = checkpoint
        self.settle = settle
        self.planDigestOf = planDigestOf
        self.scriptsOf = scriptsOf
        self.repositoriesOf = repositoriesOf
        self.linksOf = linksOf
        self.policy = policy
        self.ledger = ledger
        self.link = link
        self.linkProblem = linkProblem
        self.clock = clock
        self.wait = wait
    }

    enum Phase1 {
        case done(GuardOutcome)
        case server(GuardOutcome)
        /// Refused because the session was just stopped here (reported to the control plane, if any).
        case stopped(GuardOutcome, session: String, reason: String)
    }

    /// Judges and enforces one action request; what goes ahead and destroys files in the project is kept first.
    public func run(_ request: ActionRequest) -> GuardOutcome {
        if !request.session.isEmpty { settle?(request.session) }
        let o = decide(request)
        if o.verdict != .deny, !o.judgement.checkpoint.isEmpty { checkpoint?(request, o.judgement) }
        return o
    }

    func decide(_ request: ActionRequest) -> GuardOutcome {
        var j = Judge.evaluate(request, policy: policy)
        var request = request
        // What the command runs from disk, judged with its content (most commands run no file: one analysis).
        if let scriptsOf {
            for _ in 0..<3 where !j.wantedFiles.isEmpty {
                guard scriptsOf(&request.context, j.wantedFiles) else { break }
                j = Judge.evaluate(request, policy: policy)
            }
        }
        var again = false
        // `terraform apply PLANFILE` is bound to the plan file's own digest (approved with `brake plan --request`).
        if request.planDigest == nil, let plan = j.appliedPlan, let digest = planDigestOf?(plan) {
            request.planDigest = digest
            again = true
        }
        if let linksOf {
            let links = linksOf(j.places)
            if !links.isEmpty {
                request.context.links = links
                again = true
            }
        }
        if again { j = Judge.evaluate(request, policy: policy) }
        // Repositories matter only to the server's stops (and their cached copy).
        if link != nil, let repositoriesOf {
            for r in repositoriesOf([request.context.project] + j.places) where !request.repositories.contains(r) {
                request.repositories.append(r)
            }
        }
        let now = clock.now()
        var base = GuardOutcome(
            verdict: j.verdict,
            message: "",
            agentMessage: "",
            requestID: nil,
            pending: false,
            note: "",
            judgement: j
        )
        func refuse(_ m: String, note: String) -> GuardOutcome {
            var o = base
            o.verdict = .deny
            o.message = m
            o.agentMessage = m
            o.note = note
            return o
        }
        // Phase 1, under the ledger's lock: local stops, the rerouting watch, the breaker, local approvals.
        let first: Phase1
        do {
            first = try ledger.transact { (state, records) throws(GuardFailure) -> Phase1 in
                if let stop = Self.localStop(state, request) {
                    let m =
                        "Brake: a stop is in force (\(stop.describe)): \(stop.reason.isEmpty ? "no reason given" : stop.reason). Do not try other ways; wait for your human."
                    records.append(Self.record(request, j, .deny, ["stop"], "stopped"))
                    return .done(refuse(m, note: "stopped"))
                }
                if let problem = linkProblem {
                    let m = "Brake: \(problem), so this action is blocked. Run `brake login` (or `brake doctor`)."
                    records.append(Self.record(request, j, .deny, j.rules, "server misconfigured"))
                    return .done(refuse(m, note: "server misconfigured"))
                }
                var verdict = j.verdict
                if link == nil, verdict == .ask, let used = state.consumeApproval(digest: j.digest, now: now) {
                    verdict = .allow
                    base.note = "approved out of band (request \(used.id))"
                    base.requestID = used.id
                }
                let session = request.session
                if verdict != .allow, !session.isEmpty,
                    let (rule, count) = state.strike(session: session, rules: j.rules, digest: j.digest, now: now),
                    count >= policy.rerouteLimit
                {
                    let reason = "session \(session) tried \(count) different ways to do what \(rule) refused"
                    Self.stopSession(&state, session, reason, now)
                    let m =
                        "Brake: \(reason); the session is stopped until a person runs `brake resume --session \(session)`."
                    records.append(Self.record(request, j, .deny, j.rules, "rerouting stop"))
                    return .stopped(refuse(m, note: "rerouting stop"), session: session, reason: reason)
                }
                if link == nil, verdict == .allow, !session.isEmpty, j.effects.contains("mcp.destructive"),
                    state.burst(session: session, now: now) > policy.mcpDestructiveLimit
                {
                    let reason =
                        "circuit breaker: more than \(policy.mcpDestructiveLimit) destructive calls in 10 minutes by session \(session)"
                    Self.stopSession(&state, session, reason, now)
                    let m =
                        "Brake: \(reason); the session is stopped until a person runs `brake resume --session \(session)`."
                    records.append(Self.record(request, j, .deny, j.rules, "circuit breaker"))
                    return .done(refuse(m, note: "circuit breaker"))
                }
                if link != nil { return .server(base) }
                var o = base
                o.verdict = verdict
                if verdict == .ask {
                    let r = state.request(
                        digest: j.digest,
                        summary: j.summary,
                        agent: request.agent,
                        session: session.isEmpty ? nil : session,
                        rules: j.rules,
                        now: now,
                        newID: clock.newID()
                    )
                    o.requestID = r.id
                    o.pending = true
                    o.note = "request \(r.id)"
                    let who = j.approvers.map { " (\($0.count) × \($0.role))" } ?? ""
                    let tail =
                        " This needs a person's approval\(who). Stop and ask your human to run `brake approve \(r.id)` in their own terminal; `brake wait \(r.id)` returns once they have decided, then retry the identical action. Request \(r.id) expires in 15 minutes."
                    o.message = "Brake: " + j.reason + tail
                    o.agentMessage = "Brake: " + (j.agentMessage.isEmpty ? j.reason : j.agentMessage) + tail
                } else if verdict == .deny {
                    o.message = "Brake: " + j.reason
                    o.agentMessage = "Brake: " + (j.agentMessage.isEmpty ? j.reason : j.agentMessage)
                }
                records.append(Self.record(request, j, verdict, j.rules, o.note))
                return .done(o)
            }
        } catch {
            return refuse(
                "Brake cannot use its state (\(error.message)), so this action is blocked.",
                note: "state unusable"
            )
        }
        if case .stopped(let o, let session, let reason) = first {
            link?.reportStop(session: session, reason: reason)
            return o
        }
        guard case .server(let pending) = first, let link else {
            if case .done(let o) = first { return o }
            return refuse("Brake: internal error", note: "internal error")
        }
        // Phase 2, without the lock (a long poll must not hold up other agents): the control plane judges the
        // raw action itself; this machine's judgement can only tighten it.
        var sent = request
        // Only what the engine reads leaves the machine: the place variables and what the commands reference,
        // values of secret-looking names replaced.
        sent.context.env = ActionRequest.environment(
            request.context.env,
            referenced: j.referencedVariables,
            settings: policy.settings
        )
        sent.localVerdict = j.verdict
        sent.localRules = j.rules
        sent.localEnforce = policy.observe.explicitEnforce
        var o = pending
        switch link.judge(sent, wait: wait) {
        case .unreachable(let why):
            o = offline(o, request, why, link: link)
            link.spool(request, judgement: j, enforced: o.verdict)
        case .failed(let why):
            o = refuse(
                "Brake: the control plane refused or failed (\(why)), so this action is blocked. If your token was revoked or the server's key changed, ask your administrator (`brake doctor`).",
                note: "server error"
            )
        case .answer(let a):
            o.verdict = j.verdict == .deny ? .deny : a.signed.decision
            // The server waited already; what is still open is refused — unless it put the action to the person at
            // the agent's console (a signed ask without a request), which the agent's own prompt does.
            if o.verdict == .ask && !a.signed.request.isEmpty { o.verdict = .deny }
            o.requestID = a.signed.request.isEmpty ? nil : a.signed.request
            o.pending = a.pending
            o.note = a.signed.request.isEmpty ? "" : "request \(a.signed.request)"
            if o.verdict == .deny {
                let m = a.message.isEmpty ? j.reason : a.message
                o.message = "Brake: " + m
                o.agentMessage =
                    "Brake: " + (a.message.isEmpty && !j.agentMessage.isEmpty ? j.agentMessage : m)
            }
        }
        try? ledger.append([Self.record(request, j, o.verdict, j.rules, o.note)])
        return o
    }

    /// The server cannot be reached: the last known stops hold, asks are refused, the rest keeps its verdict.
    func offline(_ o: GuardOutcome, _ request: ActionRequest, _ why: String, link: any ControlLink) -> GuardOutcome {
        var o = o
        let cache = link.lastKnownStops()
        let repositories = request.repositories.isEmpty ? [""] : request.repositories
        for repository in repositories {
            let scope = ActionScope(
                user: cache.user,
                agent: request.agent,
                session: request.session.isEmpty ? nil : request.session,
                repository: repository.isEmpty ? nil : repository,
                environment: request.environment.isEmpty ? nil : request.environment
            )
            if let stop = cache.stops.first(where: { $0.covers(scope) }) {
                o.verdict = .deny
                o.message =
                    "Brake: a stop is in force (\(stop.describe)): \(stop.reason.isEmpty ? "no reason given" : stop.reason). Do not try other ways; wait for your human."
                o.agentMessage = o.message
                o.note = "stopped (last known; server unreachable)"
                return o
            }
        }
        let j = o.judgement
        switch j.verdict {
        case .ask:
            o.verdict = .deny
            o.message =
                "Brake: \(j.reason) It needs a person's approval, but \(why), so it is refused. Retry once the server is back."
            o.agentMessage = o.message
            o.note = "server unreachable"
        case .deny:
            o.verdict = .deny
            o.message = "Brake: " + j.reason
            o.agentMessage = "Brake: " + (j.agentMessage.isEmpty ? j.reason : j.agentMessage)
        case .allow:
            o.verdict = .allow
            o.note = "server unreachable"
        }
        return o
    }

    /// A local stop on this agent (or its family: `mcp` for `mcp:github`) or session.
    static func localStop(_ state: LocalState, _ request: ActionRequest) -> Stop? {
        let session = request.session.isEmpty ? nil : request.session
        if let s = state.stop(for: request.agent, session: session) { return s }
        if let colon = request.agent.firstIndex(of: ":") {
            return state.stop(for: String(request.agent[..<colon]), session: session)
        }
        return nil
    }

    static func stopSession(_ state: inout LocalState, _ session: String, _ reason: String, _ now: Int) {
        if !state.stops.contains(where: { $0.scope == .session && $0.value == session }) {
            state.stops.append(Stop.local(scope: .session, value: session, reason: reason, created: now))
        }
    }

    /// The local audit record of one call.
    public static func record(
        _ request: ActionRequest,
        _ j: Judgement,
        _ verdict: Verdict,
        _ rules: [String],
        _ note: String
    ) -> AuditRecord {
        var f: AuditRecord = [
            ("agent", .string(request.agent)), ("session", request.session.isEmpty ? .null : .string(request.session)),
            ("tool", .string(request.tool)), ("action", .string(j.summary)), ("decision", .string(verdict.rawValue)),
            ("rules", .array(rules.map { .string($0) })), ("digest", .string(j.digest)),
        ]
        if let observed = j.observed { f.append(("observed", .string(observed.rawValue))) }
        if !note.isEmpty { f.append(("note", .string(note))) }
        return f
    }
}
