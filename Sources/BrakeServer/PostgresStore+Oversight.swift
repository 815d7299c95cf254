import BrakeCore
import Logging
import PostgresNIO

/// The oversight reports on PostgreSQL: the same per-day sums as SQLite, written in each decision's transaction.
extension PostgresStore {
    public func sessionFacts(since: Int) async throws -> [SessionFacts] {
        try await read { db in
            try await rows(
                db,
                """
                SELECT repository, "user", agent, session, MIN(first) AS first, MAX(last) AS last,
                    SUM(actions)::bigint AS actions, SUM(asks)::bigint AS asks, SUM(denies)::bigint AS denies,
                    SUM(observed)::bigint AS observed, SUM(stopped)::bigint AS stopped,
                    SUM(last - first + 60)::bigint AS active
                FROM session_days WHERE day >= \(since / 86400) GROUP BY session, "user", agent, repository
                """
            ).map {
                SessionFacts(
                    repository: try $0.string("repository"),
                    user: try $0.string("user"),
                    agent: try $0.string("agent"),
                    session: try $0.string("session"),
                    first: try $0.int("first"),
                    last: try $0.int("last"),
                    actions: try $0.int("actions"),
                    asks: try $0.int("asks"),
                    denies: try $0.int("denies"),
                    observedAsks: try $0.int("observed"),
                    stopped: try $0.int("stopped"),
                    activeSeconds: try $0.int("active")
                )
            }
        }
    }

    public func ruleAsks(since: Int) async throws -> [RuleAsks] {
        try await read { db in
            try await rows(
                db,
                """
                SELECT rule, "user", repository, SUM(asks)::bigint AS asks, SUM(observed)::bigint AS observed
                FROM rule_days WHERE day >= \(since / 86400) GROUP BY rule, "user", repository
                """
            ).map {
                RuleAsks(
                    rule: try $0.string("rule"),
                    user: try $0.string("user"),
                    repository: try $0.string("repository"),
                    asks: try $0.int("asks"),
                    observed: try $0.int("observed")
                )
            }
        }
    }

    public func requestFacts(since: Int) async throws -> [RequestFact] {
        try await read { db in
            try await rows(
                db,
                "SELECT requester, agent, repository, status, created, decided FROM approvals WHERE created >= \(since)"
            ).map {
                RequestFact(
                    requester: try $0.string("requester"),
                    agent: try $0.string("agent"),
                    repository: try $0.string("repository"),
                    status: Approval.Status(rawValue: try $0.string("status")) ?? .denied,
                    created: try $0.int("created"),
                    decided: try $0.optionalInt("decided")
                )
            }
        }
    }

    public func shapeStats(since: Int, minApprovals: Int) async throws -> [ShapeStats] {
        try await read { db in
            // Shapes approved often enough and never denied (neither the request nor any vote on it: votes are this
            // store's own compact JSON, where a reason's quotes are escaped, so the text test is exact).
            let candidates = try await rows(
                db,
                """
                SELECT shape, COUNT(*) FILTER (WHERE status IN ('approved', 'used')) AS ok,
                    COUNT(*) FILTER (WHERE status = 'denied' OR position('"vote":"deny"' in votes) > 0) AS bad,
                    MIN(created) AS first, MAX(created) AS last
                FROM approvals WHERE shape != '' AND created >= \(since)
                GROUP BY shape
                HAVING COUNT(*) FILTER (WHERE status IN ('approved', 'used')) >= \(minApprovals)
                    AND COUNT(*) FILTER (WHERE status = 'denied' OR position('"vote":"deny"' in votes) > 0) = 0
                """
            )
            var out: [ShapeStats] = []
            for c in candidates {
                let shape = try c.string("shape")
                let approvers = try await rows(
                    db,
                    """
                    SELECT DISTINCT v->>'user' AS name
                    FROM approvals a, jsonb_array_elements(a.votes::jsonb) v
                    WHERE a.shape = \(shape) AND a.created >= \(since) AND a.status IN ('approved', 'used')
                        AND v->>'vote' = 'approve'
                    ORDER BY 1
                    """
                ).map { try $0.string("name") }
                let examples = try await rows(
                    db,
                    """
                    SELECT * FROM approvals
                    WHERE shape = \(shape) AND created >= \(since) AND status IN ('approved', 'used')
                    ORDER BY created, n LIMIT 3
                    """
                ).flatMap { try Self.approval($0).detail["commands"]?.strings ?? [] }
                out.append(
                    ShapeStats(
                        shape: shape,
                        approvals: try c.int("ok"),
                        approvers: approvers,
                        first: try c.int("first"),
                        last: try c.int("last"),
                        examples: examples
                    )
                )
            }
            return out
        }
    }

    public func addCommitFacts(
        _ facts: [CommitFact],
        envelopes: [(commit: String, envelope: String)],
        user: String,
        audit: AuditDraft,
        now: Int
    ) async throws {
        try await transaction { db in
            for f in facts {
                let signed: Int? = f.signers.isEmpty ? nil : now
                try await exec(
                    db,
                    """
                    INSERT INTO commit_reports (repository, sha, time, report, signed_at, reported, reporter)
                    VALUES (\(f.repository), \(f.sha), \(f.time), \(f.json.serialized), \(signed), \(now), \(user))
                    ON CONFLICT (repository, sha) DO UPDATE SET time = excluded.time, report = excluded.report,
                        signed_at = coalesce(commit_reports.signed_at, excluded.signed_at),
                        reported = excluded.reported, reporter = excluded.reporter
                    """
                )
            }
            for e in envelopes {
                try await exec(
                    db,
                    """
                    INSERT INTO signoff_envelopes (sha, envelope, reporter, time)
                    VALUES (\(e.commit), \(e.envelope), \(user), \(now)) ON CONFLICT DO NOTHING
                    """
                )
            }
            try await append(db, audit, now: now)
        }
    }

    public func commitFacts(since: Int, repository: String?) async throws -> [CommitFact] {
        try await read { db in
            let q: PostgresQuery =
                repository.map {
                    "SELECT * FROM commit_reports WHERE time >= \(since) AND repository = \($0) ORDER BY time DESC, sha"
                } ?? "SELECT * FROM commit_reports WHERE time >= \(since) ORDER BY time DESC, sha"
            return try await rows(db, q).compactMap { r in
                guard let v = try? JSONValue.parse(try r.string("report")),
                    var f = try? CommitFact(json: v, repository: try r.string("repository"), index: 0)
                else { return nil }
                f.signedAt = try r.optionalInt("signed_at")
                f.reported = try r.int("reported")
                f.reporter = try r.string("reporter")
                return f
            }
        }
    }

    public func signoffEnvelopes(commits: [String]) async throws -> [String: [String]] {
        guard !commits.isEmpty else { return [:] }
        return try await read { db in
            var out: [String: [String]] = [:]
            for r in try await rows(
                db,
                "SELECT sha, envelope FROM signoff_envelopes WHERE sha = ANY(\(commits)) ORDER BY time, envelope"
            ) {
                out[try r.string("sha"), default: []].append(try r.string("envelope"))
            }
            return out
        }
    }

    public func suggestionDecisions() async throws -> [SuggestionDecision] {
        try await read { db in
            try await rows(db, "SELECT * FROM suggestion_decisions ORDER BY time, id").map {
                SuggestionDecision(
                    id: try $0.string("id"),
                    rule: try $0.string("rule"),
                    pattern: try $0.string("pattern"),
                    repository: try $0.string("repository"),
                    status: try $0.string("status"),
                    yaml: try $0.string("yaml"),
                    by: try $0.string("decided_by"),
                    time: try $0.int("time")
                )
            }
        }
    }

    public func decideSuggestion(_ d: SuggestionDecision, audit: AuditDraft, now: Int) async throws {
        try await transaction { db in
            let inserted = try await rows(
                db,
                """
                INSERT INTO suggestion_decisions (id, rule, pattern, repository, status, yaml, decided_by, time)
                VALUES (\(d.id), \(d.rule), \(d.pattern), \(d.repository), \(d.status), \(d.yaml), \(d.by), \(d.time))
                ON CONFLICT (id) DO NOTHING RETURNING id
                """
            )
            if inserted.isEmpty { throw APIError(status: 409, message: "suggestion \(d.id) was decided already") }
            try await append(db, audit, now: now)
            // Every replica serves the policy with it at once.
            try await notify(db, .policy)
        }
    }

    public func value(_ key: String) async throws -> String? {
        try await read { db in
            try await rows(db, "SELECT value FROM server_values WHERE key = \(key)").first?.string("value")
        }
    }

    public func setValue(_ key: String, _ value: String) async throws {
        try await transaction { db in
            try await exec(
                db,
                """
                INSERT INTO server_values (key, value) VALUES (\(key), \(value))
                ON CONFLICT (key) DO UPDATE SET value = excluded.value
                """
            )
        }
    }

    public func claimValue(_ key: String, expected: String?, _ value: String) async throws -> Bool {
        try await transaction { db in
            let r: [PostgresRandomAccessRow]
            if let expected {
                r = try await rows(
                    db,
                    "UPDATE server_values SET value = \(value) WHERE key = \(key) AND value = \(expected) RETURNING key"
                )
            } else {
                r = try await rows(
                    db,
                    "INSERT INTO server_values (key, value) VALUES (\(key), \(value)) ON CONFLICT DO NOTHING RETURNING key"
                )
            }
            return !r.isEmpty
        }
    }
}
