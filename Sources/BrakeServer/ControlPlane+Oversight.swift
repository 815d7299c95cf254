import BrakeCore

/// Oversight: the reports, the suggestions an admin accepts or rejects, sign-off reports from gates, and the
/// weekly digest.
extension ControlPlane {
    /// The period a report covers: `7d`, `30d` … (1 to 3650 days).
    public static func days(_ text: String?) throws(APIError) -> Int {
        guard let text else { return 30 }
        guard text.hasSuffix("d"), let n = Int(text.dropLast()), n > 0, n <= 3650 else {
            throw APIError.badRequest("'since' takes a number of days such as 7d or 30d, not '\(text)'")
        }
        return n
    }

    /// `GET /v1/reports`: the oversight report for the last `days` days, of one team or repository.
    public func oversight(
        days: Int,
        team: String? = nil,
        repository: String? = nil,
        by user: User
    ) async throws
        -> OversightReport
    {
        try requirePerson(user, to: "reading reports")
        let t = now()
        var users: Set<String>?
        if let team {
            guard let members = config.teams[team] else {
                let known = config.teams.keys.sorted().joined(separator: ", ")
                throw APIError.badRequest(
                    "no team '\(team)' in the server configuration (teams: \(known.isEmpty ? "none configured" : known))"
                )
            }
            users = Set(members)
        }
        // Whole days (UTC): the period starts at midnight `days` days ago, so the daily sums answer it exactly.
        let since = (t - days * 86400) / 86400 * 86400
        let filter = OversightReport.Filter(
            since: since,
            until: t,
            team: team,
            users: users,
            repository: repository.flatMap { $0.isEmpty ? nil : $0 }
        )
        async let sessions = store.sessionFacts(since: since)
        async let rules = store.ruleAsks(since: since)
        async let requests = store.requestFacts(since: since)
        async let stops = store.stops(includeLifted: true)
        async let commits = store.commitFacts(since: since, repository: nil)
        async let proposals = suggestions(since: since)
        return OversightReport.build(
            filter: filter,
            sessions: try await sessions,
            ruleAsks: try await rules,
            requests: try await requests,
            stops: try await stops,
            commits: try await commits,
            suggestions: try await proposals,
            teams: config.teams
        )
    }

    /// Suggestions from the requests since `since`, leaving out what an admin decided already.
    func suggestions(since: Int) async throws -> [Suggestion] {
        let decided = Set(try await store.suggestionDecisions().map(\.id))
        return Suggestion.find(
            try await store.shapeStats(since: since, minApprovals: config.suggestApprovals),
            policy: policy,
            decided: decided,
            minApprovals: config.suggestApprovals,
            minApprovers: config.suggestApprovers
        )
    }

    /// `POST /v1/suggestions/{id}/accept|reject`: an admin's decision. Accepting adds the exception to the
    /// server's policy at once (hooks fetch it with the next ETag change); rejecting keeps it from being
    /// proposed again. Both are audited with the YAML.
    public func decideSuggestion(id: String, accept: Bool, by user: User) async throws -> SuggestionDecision {
        try require(user, atLeast: config.topRole, to: "accepting or rejecting policy suggestions")
        let t = now()
        // Proposals are found over the last 90 days of requests (the longest period the page offers).
        guard let s = try await suggestions(since: t - 90 * 86400).first(where: { $0.id == id })
        else {
            throw APIError.notFound("no open suggestion '\(id)' (decided already, or no longer supported by requests)")
        }
        let d = SuggestionDecision(
            id: s.id,
            rule: s.rule,
            pattern: s.pattern,
            repository: s.repository,
            status: accept ? "accepted" : "rejected",
            yaml: s.yaml,
            by: user.name,
            time: t
        )
        if accept {
            // Checked before it is stored: the policy with it must load.
            let accepted = try await store.suggestionDecisions().filter { $0.status == "accepted" } + [d]
            do { _ = try policyState.with(accepted, strict: true) } catch {
                throw APIError.conflict("the suggestion no longer fits the server's policy: \(error)")
            }
        }
        try await store.decideSuggestion(
            d,
            audit: AuditDraft(
                kind: accept ? "suggestion.accepted" : "suggestion.rejected",
                actor: user.name,
                fields: [
                    ("suggestion", .string(s.id)), ("rule", .string(s.rule)), ("pattern", .string(s.pattern)),
                    ("repository", .string(s.repository)), ("approvals", .number(Double(s.approvals))),
                    ("yaml", .string(s.yaml)),
                ]
            ),
            now: t
        )
        if accept { try await loadAcceptedSuggestions() }
        return d
    }

    /// Applies the accepted suggestions to the policy (at start and after an acceptance); returns those that no
    /// longer load (left out, for the server to say).
    @discardableResult
    public func loadAcceptedSuggestions() async throws -> [String] {
        policyState.apply(try await store.suggestionDecisions().filter { $0.status == "accepted" })
    }

    // MARK: sign-offs

    /// `POST /v1/signoffs`: what `brake gate` or `brake signoff` found about commits of a repository — their
    /// provenance with evidence, requirements, signers, pass or fail — and the sign-off envelopes made (a person's
    /// or CI's token, never an agent's). The server keeps them for reports and the page; it does not judge
    /// signatures (the gate checks every envelope against the roster's keys, wherever it came from).
    public func recordSignoffs(_ body: JSONValue, by user: User) async throws -> Int {
        // Reports and sign-off coverage read these: an agent's token has no business writing them.
        try requirePerson(user, to: "reporting sign-offs")
        guard let repository = body["repository"]?.stringValue, !repository.isEmpty, repository.count <= 300 else {
            throw APIError.badRequest("'repository' is required: the repository's identity (its origin URL)")
        }
        guard let items = body["commits"]?.arrayValue, items.count <= 5000 else {
            throw APIError.badRequest("'commits' must be a list of at most 5,000 commit reports")
        }
        let facts = try items.enumerated().map { (i, v) throws(APIError) in
            try CommitFact(json: v, repository: repository, index: i)
        }
        var envelopes: [(commit: String, envelope: String)] = []
        for (i, e) in (body["envelopes"]?.arrayValue ?? []).enumerated() {
            // Filed under the commit its statement names ('commit', when given, must be that one).
            guard let text = e["envelope"]?.stringValue, text.utf8.count <= 16384,
                let commit = Signoff.claimedCommit(text),
                e["commit"]?.stringValue.map({ $0.lowercased() == commit }) ?? true
            else {
                throw APIError.badRequest(
                    "envelopes[\(i)] must be a sign-off 'envelope' (DSSE JSON, as `brake signoff` writes it) whose statement names a commit; 'commit', if given, must be that commit"
                )
            }
            envelopes.append((commit, text))
        }
        let source = body["source"]?.stringValue == "signoff" ? "signoff" : "gate"
        try await store.addCommitFacts(
            facts,
            envelopes: envelopes,
            user: user.name,
            audit: AuditDraft(
                kind: "signoff.reported",
                actor: user.name,
                fields: [
                    ("repository", .string(repository)), ("source", .string(source)),
                    ("commits", .number(Double(facts.count))), ("envelopes", .number(Double(envelopes.count))),
                    ("failed", .array(facts.filter { !$0.passed }.prefix(20).map { .string($0.sha) })),
                ]
            ),
            now: now()
        )
        return facts.count
    }

    /// `POST /v1/signoffs/lookup`: the sign-off envelopes recorded for these commits (for `brake gate`).
    public func lookupSignoffs(_ body: JSONValue) async throws -> [String: [String]] {
        guard let list = body["commits"]?.arrayValue, list.count <= 20000 else {
            throw APIError.badRequest("'commits' must be a list of at most 20,000 commit ids")
        }
        let commits = try list.map { v throws(APIError) in
            guard let s = v.stringValue, s.count == 40, s.allSatisfy(\.isHexDigit) else {
                throw APIError.badRequest("'commits' holds something that is not a 40-hex commit id")
            }
            return s.lowercased()
        }
        return try await store.signoffEnvelopes(commits: commits)
    }

    // MARK: the digest

    /// The digest's text: the week's headline figures and a link to the Reports page.
    public func digestText(_ r: OversightReport, days: Int) -> String {
        let lat = r.totals.latencies
        let p50 = OversightReport.duration(OversightReport.percentile(lat, 0.5))
        let p90 = OversightReport.duration(OversightReport.percentile(lat, 0.9))
        var lines = [
            "*Brake digest — last \(days) days*",
            "• \(r.totals.actions) agent actions decided: \(r.totals.asks) asked, \(r.totals.denies) denied, \(r.stops) stops (\(r.breakerTrips) by the circuit breaker)",
            "• approvals: \(r.approved) of \(r.requests) requests approved; p50 \(p50), p90 \(p90); \(String(format1: Double(lat.reduce(0, +)) / 3600)) hours waiting on people",
            "• AI-assisted commits: \(r.aiAssisted.count) of \(r.commits.count); signed off \(r.signedOff.count) of \(r.needing.count) that need it",
        ]
        if r.totals.wouldAsk > 0 {
            lines.append("• observe mode: enforcing would have asked \(r.totals.wouldAsk) times")
        }
        if let top = r.rules.first {
            // Slack reads <…> as links and mentions: a name from the record is shown, never interpreted.
            let name = top.rule.replacingAll("&", "&amp;").replacingAll("<", "&lt;").replacingAll(">", "&gt;")
            lines.append("• rule asking most: \(name) (\(top.asks + top.wouldAsk))")
        }
        if !r.suggestions.isEmpty {
            lines.append("• \(r.suggestions.count) suggestion(s) to ask less, waiting for an admin")
        }
        lines.append("Reports: \(link("/ui/reports"))")
        return lines.joined(separator: "\n")
    }

    /// Sends the digest through the webhooks (event `digest`) and remembers when.
    @discardableResult
    public func sendDigest(days: Int = 7, by actor: String = "brake-serve") async throws -> String {
        let system = User(name: actor, role: config.topRole, created: 0)
        let r = try await oversight(days: days, by: system)
        let text = digestText(r, days: days)
        let t = now()
        notifier.emit(
            "digest",
            text: text,
            fields: [
                ("period_days", .number(Double(days))), ("actions", .number(Double(r.totals.actions))),
                ("asks", .number(Double(r.totals.asks))), ("denies", .number(Double(r.totals.denies))),
                ("would_ask", .number(Double(r.totals.wouldAsk))),
                ("approval_latency", OversightReport.latencyJSON(lat(r))),
                ("suggestions", .number(Double(r.suggestions.count))), ("url", .string(link("/ui/reports"))),
            ],
            now: t
        )
        try await store.setValue("digest.last", String(t))
        return text
    }

    private func lat(_ r: OversightReport) -> [Int] { r.totals.latencies }

    /// Sends the digest when `digest_days` have passed since the last one (the first one that long after the
    /// server first ran); called by the housekeeping loop.
    public func digestIfDue() async throws {
        guard config.digestDays > 0, !config.webhooks.isEmpty else { return }
        let t = now()
        guard let text = try await store.value("digest.last"), let last = Int(text) else {
            _ = try await store.claimValue("digest.last", expected: nil, String(t))
            return
        }
        // Replicas share the schedule: the one that moves the time on sends it.
        guard t - last >= config.digestDays * 86400,
            try await store.claimValue("digest.last", expected: text, String(t))
        else { return }
        try await sendDigest(days: config.digestDays)
    }
}

extension String {
    func replacingAll(_ target: String, _ replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
