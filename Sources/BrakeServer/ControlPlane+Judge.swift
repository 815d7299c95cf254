import BrakeCore

/// The server judges: hooks, `brake exec` and `brake mcp` send the raw action and its context, never a
/// verdict; the server runs the engine with its own policy, decides what needs approval and what the
/// approver sees, and signs the answer over the hook's nonce.
extension ControlPlane {
    /// Reads a raw action request; a malformed one is a 400 that names the field.
    static func actionRequest(_ body: JSONValue) throws -> ActionRequest {
        do { return try ActionRequest(json: body) } catch { throw APIError.badRequest(error.message) }
    }

    /// `POST /v1/judge`: judge, apply stops and the breaker, open or use an approval, wait for a person up
    /// to `wait` seconds, and answer with a signed verdict.
    public func judge(_ body: JSONValue, by user: User) async throws -> JSONValue {
        let request = try Self.actionRequest(body)
        guard let nonce = body["nonce"]?.stringValue, nonce.utf8.count >= 16, nonce.utf8.count <= 128 else {
            throw APIError.badRequest("'nonce' is required: a fresh random string (16 to 128 characters) per call")
        }
        var wait = 0.0
        switch body["wait"] {
        case .number(let w)?: wait = max(0, min(w, Double(config.maxWait)))
        case nil, .null?: break
        default: throw APIError.badRequest("'wait' must be a number of seconds")
        }
        var elapsed: Double?
        if case .number(let ms)? = body["elapsed_ms"], ms >= 0 { elapsed = ms }
        let j = Judge.evaluate(request, policy: policy)
        let outcome = try await report(
            DecisionReport(request, j, elapsedMS: elapsed),
            by: user,
            repositories: request.repositories
        )
        var decision = Verdict(rawValue: outcome.decision) ?? .deny
        var message = outcome.message
        var requestID = ""
        var extra: [(String, JSONValue)] = []
        if decision == .deny && message.isEmpty {
            message = j.reason
        }
        // A rule whose requirement the person at the agent's console meets (`approvers: {role: operator}`) is put
        // to them in the agent's own prompt, where the agent has one: no request, no waiting.
        if decision == .ask, j.approvers?.role == Approvers.operator,
            ["claude-code", "copilot"].contains(request.agent)
        {
            message = "\(j.reason) The person at the agent's console decides (the agent's own prompt)."
        } else if decision == .ask {
            var r = try await open(ask(request, j), by: user)
            if r.approval.status == .pending && wait > 0 {
                r.approval = try await self.wait(id: r.approval.id, timeout: wait)
                if r.approval.effectiveStatus(now: now()) == .approved,
                    let used = try await consume(id: r.approval.id, by: user, quiet: true)
                {
                    r.approval = used
                }
            }
            let a = r.approval
            requestID = a.id
            extra.append(("request", a.json(now: now())))
            switch a.effectiveStatus(now: now()) {
            case .used:
                decision = .allow
                message = "approved (request \(a.id))"
            case .denied:
                decision = .deny
                let vote = a.votes.last { $0.vote == "deny" }
                let why = vote.map { $0.reason.isEmpty ? "" : ": \($0.reason)" } ?? ""
                message =
                    "request \(a.id) for this action was denied by \(vote?.user ?? "a person")\(why). Do not retry it or try other ways to do the same thing."
            case .expired:
                decision = .deny
                message = "request \(a.id) expired; retry to open a new one"
            default:
                let minutes = max(1, (a.expires - now()) / 60)
                message =
                    "\(j.reason) This needs approval by \(a.requiredCount) × \(a.requiredRole) — request \(a.id); they have been notified (the approver's page, or `brake approvals approve \(a.id)` with their own token). Run `brake wait \(a.id)`: it returns when a person decides (exit 0: approved), then retry the identical action. The request expires in \(minutes) minutes."
            }
        }
        let signed = SignedAnswer(decision: decision, digest: j.digest, request: requestID, nonce: nonce, time: now())
            .signed(with: key)
        var members = signed.jsonMembers
        members += [
            ("message", .string(message)), ("rules", .array(j.rules.map { .string($0) })),
            ("stopped", .bool(outcome.stop != nil)), ("stops", .array(outcome.stops.map(\.json))),
            ("policy_etag", .string(policyETag)), ("user", .string(user.name)), ("seq", .number(Double(outcome.seq))),
        ]
        return .object(members + extra)
    }

    /// What a person is asked, from the server's own judgement.
    func ask(_ request: ActionRequest, _ j: Judgement) -> Ask {
        Ask(
            digest: j.digest,
            summary: j.summary,
            detail: j.detail(request),
            rules: j.rules,
            approvers: j.approvers,
            agent: request.agent,
            session: request.session,
            repository: request.repository,
            environment: request.environment
        )
    }

    /// `POST /v1/approvals`: open a request for a raw action without running it. The server judges it; only
    /// an action its policy asks about can be requested, with the requirement and summary it computes.
    public func request(_ body: JSONValue, by user: User) async throws -> RequestResult {
        let request = try Self.actionRequest(body)
        let j = Judge.evaluate(request, policy: policy)
        switch j.verdict {
        case .allow:
            throw APIError.conflict("the server's policy allows this action; there is nothing to approve")
        case .deny:
            throw APIError.forbidden("the server's policy refuses this action (\(j.reason)); it cannot be approved")
        case .ask:
            return try await open(ask(request, j), by: user)
        }
    }
}

extension ControlPlane {
    /// `POST /v1/plans`: open a request bound to an infrastructure plan. The server analyses the plan itself
    /// (blast radius, data-loss classes, production evidence) with its own policy; what the requester says
    /// about it is not used. A plan the policy refuses cannot be requested.
    public func requestPlan(_ body: JSONValue, by user: User) async throws -> RequestResult {
        guard let text = body["plan"]?.stringValue, !text.isEmpty else {
            throw APIError.badRequest(
                "'plan' is required: the plan as JSON text (`terraform show -json`, a change set …)"
            )
        }
        guard let fileDigest = body["digest"]?.stringValue, fileDigest.hasPrefix("sha256:") else {
            throw APIError.badRequest("'digest' is required: sha256:… of the plan file that will be applied")
        }
        // A JSON plan file is its own text: the digest must match it.
        if body["binary"]?.boolValue != true, Engine.hexDigest(text) != fileDigest {
            throw APIError.badRequest("'digest' does not match the plan text; send the file's own digest")
        }
        let type = body["format"]?.stringValue
        if let type, !["terraform", "cloudformation", "kubernetes"].contains(type) {
            throw APIError.badRequest("'format' must be terraform, cloudformation or kubernetes")
        }
        let c = body["context"] ?? .object([])
        guard let cwd = c["cwd"]?.stringValue, cwd.hasPrefix("/"), let home = c["home"]?.stringValue,
            home.hasPrefix("/")
        else {
            throw APIError.badRequest("'context.cwd' and 'context.home' are required (absolute paths)")
        }
        // Who asks is known from the token, not from what the requester says: a person's plan or an agent's.
        var context = Context(cwd: cwd, home: home, actor: user.scope == "person" ? .human : .agent)
        context.kubeContext = c["kube_context"]?.stringValue
        context.terraformWorkspace = c["terraform_workspace"]?.stringValue
        let report: PlanReport
        switch PlanInput.analyze(text, type: type, context: context, settings: policy.settings) {
        case .success(let r): report = r
        case .failure(let e): throw APIError.badRequest("the plan cannot be read: \(e.message)")
        }
        let digest = report.format == "cloudformation" ? (ChangeSet.contentDigest(text) ?? fileDigest) : fileDigest
        let decision = Engine.decide(plan: report, digest: digest, context: context, policy: policy)
        if decision.verdict == .deny {
            let why = decision.reasons.first.map { "\($0.message) (\($0.rule))" } ?? ""
            throw APIError.forbidden("the server's policy refuses this plan (\(why)); it cannot be approved")
        }
        let file = String((body["file"]?.stringValue ?? "plan").prefix(200))
        let summary =
            "plan \(file): "
            + ["create", "update", "replace", "delete", "forget"].map { "\(report.counts[$0] ?? 0) \($0)" }
            .joined(separator: ", ")
        let planJSON = (try? JSONValue.parse(PlanInput.json(report, decision, nil))) ?? .null
        return try await open(
            Ask(
                digest: digest,
                summary: summary,
                detail: .object([
                    ("plan", planJSON), ("commands", .array([.string("apply \(file)")])),
                    ("reasons", decision.reasonsJSON), ("labels", .array(decision.labels.map { .string($0) })),
                ]),
                rules: decision.reasons.map(\.rule),
                approvers: decision.approvers,
                agent: body["agent"]?.stringValue ?? "",
                session: body["session"]?.stringValue ?? "",
                repository: body["repository"]?.stringValue ?? "",
                environment: body["environment"]?.stringValue ?? ""
            ),
            by: user
        )
    }
}
