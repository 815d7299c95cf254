import BrakeCore
import GRDB

/// The oversight reports' tables: one row per decision (what the report sums, indexed by time), the commits
/// gates reported, sign-off envelopes, decided suggestions and small settings.
extension SQLiteStore {
    static func registerOversightMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v9-oversight") { db in
            // Decisions summed per day and session (and asks per day and rule): a report over a month reads a few
            // thousand rows however many decisions there were. Filled from the audit log that exists.
            try db.execute(
                sql: """
                    CREATE TABLE session_days (
                        day INTEGER NOT NULL, session TEXT NOT NULL, user TEXT NOT NULL, agent TEXT NOT NULL,
                        repository TEXT NOT NULL, first INTEGER NOT NULL, last INTEGER NOT NULL,
                        actions INTEGER NOT NULL, asks INTEGER NOT NULL, denies INTEGER NOT NULL,
                        observed INTEGER NOT NULL, stopped INTEGER NOT NULL,
                        PRIMARY KEY (day, session, user, agent, repository));
                    CREATE TABLE rule_days (
                        day INTEGER NOT NULL, rule TEXT NOT NULL, user TEXT NOT NULL, repository TEXT NOT NULL,
                        asks INTEGER NOT NULL, observed INTEGER NOT NULL,
                        PRIMARY KEY (day, rule, user, repository));
                    CREATE TEMP TABLE facts AS
                        SELECT time / 86400 AS day, time, actor AS user, session,
                            coalesce(json_extract(event, '$.agent'), '') AS agent,
                            coalesce(json_extract(event, '$.repository'), '') AS repository,
                            coalesce(json_extract(event, '$.enforced'), json_extract(event, '$.decision'), '') AS decision,
                            coalesce(json_extract(event, '$.observed'), '') AS observed,
                            coalesce(json_extract(event, '$.rules[0]'), '') AS rule,
                            json_extract(event, '$.stop') IS NOT NULL AS stopped
                        FROM audit WHERE kind = 'decision';
                    INSERT INTO session_days
                        SELECT day, session, user, agent, repository, MIN(time), MAX(time), COUNT(*),
                            SUM(decision = 'ask'), SUM(decision = 'deny'), SUM(observed = 'ask'), SUM(stopped)
                        FROM facts GROUP BY day, session, user, agent, repository;
                    INSERT INTO rule_days
                        SELECT day, rule, user, repository, SUM(decision = 'ask'), SUM(observed = 'ask')
                        FROM facts WHERE decision = 'ask' OR observed = 'ask' GROUP BY day, rule, user, repository;
                    DROP TABLE facts;
                    ALTER TABLE approvals ADD COLUMN shape TEXT NOT NULL DEFAULT '';
                    CREATE INDEX approvals_created ON approvals(created);
                    CREATE INDEX approvals_shape ON approvals(shape, created) WHERE shape != '';
                    CREATE INDEX approvals_created_shape ON approvals(created, shape) WHERE shape != '';
                    CREATE TABLE commit_reports (
                        repository TEXT NOT NULL, sha TEXT NOT NULL, time INTEGER NOT NULL, report TEXT NOT NULL,
                        signed_at INTEGER, reported INTEGER NOT NULL, reporter TEXT NOT NULL,
                        PRIMARY KEY (repository, sha));
                    CREATE INDEX commit_reports_time ON commit_reports(time);
                    CREATE TABLE signoff_envelopes (
                        sha TEXT NOT NULL, envelope TEXT NOT NULL, reporter TEXT NOT NULL, time INTEGER NOT NULL,
                        PRIMARY KEY (sha, envelope));
                    CREATE TABLE suggestion_decisions (
                        id TEXT PRIMARY KEY, rule TEXT NOT NULL, pattern TEXT NOT NULL, repository TEXT NOT NULL,
                        status TEXT NOT NULL, yaml TEXT NOT NULL, decided_by TEXT NOT NULL, time INTEGER NOT NULL);
                    CREATE TABLE server_values (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                    """
            )
            // The shape of the requests there are, for suggestions.
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM approvals")
            let update = try db.makeStatement(sql: "UPDATE approvals SET shape = ? WHERE id = ?")
            for r in rows {
                let a = SQLiteStore.approval(r)
                let shape = Suggestion.shapeKey(a)
                if !shape.isEmpty { try update.execute(arguments: [shape, a.id]) }
            }
        }
    }

    /// The report's sums for a decision, written in the decision's own transaction.
    static func writeDecisionFacts(
        _ db: Database,
        _ r: DecisionReport,
        user: String,
        audit: AuditDraft,
        now: Int
    ) throws {
        let ask = r.decision == "ask" ? 1 : 0
        let observed = r.observed == "ask" ? 1 : 0
        try db.cachedStatement(
            sql: """
                INSERT INTO session_days (day, session, user, agent, repository, first, last, actions, asks, denies,
                    observed, stopped)
                VALUES (?,?,?,?,?,?,?,1,?,?,?,?)
                ON CONFLICT (day, session, user, agent, repository) DO UPDATE SET
                    first = min(first, excluded.first), last = max(last, excluded.last), actions = actions + 1,
                    asks = asks + excluded.asks, denies = denies + excluded.denies,
                    observed = observed + excluded.observed, stopped = stopped + excluded.stopped
                """
        ).execute(arguments: [
            now / 86400, r.session, user, r.agent, r.repository, now, now, ask, r.decision == "deny" ? 1 : 0,
            observed, audit.fields.contains { $0.0 == "stop" } ? 1 : 0,
        ])
        if ask + observed > 0 {
            try db.cachedStatement(
                sql: """
                    INSERT INTO rule_days (day, rule, user, repository, asks, observed) VALUES (?,?,?,?,?,?)
                    ON CONFLICT (day, rule, user, repository) DO UPDATE SET
                        asks = asks + excluded.asks, observed = observed + excluded.observed
                    """
            ).execute(arguments: [now / 86400, r.rules.first ?? "", user, r.repository, ask, observed])
        }
    }

    public func sessionFacts(since: Int) async throws -> [SessionFacts] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT repository, user, agent, session, MIN(first) AS first, MAX(last) AS last,
                        SUM(actions) AS actions, SUM(asks) AS asks, SUM(denies) AS denies,
                        SUM(observed) AS observed, SUM(stopped) AS stopped, SUM(last - first + 60) AS active
                    FROM session_days WHERE day >= ? GROUP BY session, user, agent, repository
                    """,
                arguments: [since / 86400]
            ).map {
                SessionFacts(
                    repository: $0["repository"],
                    user: $0["user"],
                    agent: $0["agent"],
                    session: $0["session"],
                    first: $0["first"],
                    last: $0["last"],
                    actions: $0["actions"],
                    asks: $0["asks"],
                    denies: $0["denies"],
                    observedAsks: $0["observed"],
                    stopped: $0["stopped"],
                    activeSeconds: $0["active"]
                )
            }
        }
    }

    public func ruleAsks(since: Int) async throws -> [RuleAsks] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT rule, user, repository, SUM(asks) AS asks, SUM(observed) AS observed
                    FROM rule_days WHERE day >= ? GROUP BY rule, user, repository
                    """,
                arguments: [since / 86400]
            ).map {
                RuleAsks(
                    rule: $0["rule"],
                    user: $0["user"],
                    repository: $0["repository"],
                    asks: $0["asks"],
                    observed: $0["observed"]
                )
            }
        }
    }

    public func requestFacts(since: Int) async throws -> [RequestFact] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT requester, agent, repository, status, created, decided FROM approvals WHERE created >= ?",
                arguments: [since]
            ).map {
                RequestFact(
                    requester: $0["requester"],
                    agent: $0["agent"],
                    repository: $0["repository"],
                    status: Approval.Status(rawValue: $0["status"]) ?? .denied,
                    created: $0["created"],
                    decided: $0["decided"]
                )
            }
        }
    }

    public func shapeStats(since: Int, minApprovals: Int) async throws -> [ShapeStats] {
        try await pool.read { db in
            // Shapes approved often enough and never denied (neither the request nor any vote on it: votes are this
            // store's own compact JSON, where a reason's quotes are escaped, so the text test is exact).
            let candidates = try Row.fetchAll(
                db,
                sql: """
                    SELECT shape, SUM(status IN ('approved', 'used')) AS ok,
                        SUM(status = 'denied' OR instr(votes, '"vote":"deny"') > 0) AS bad,
                        MIN(created) AS first, MAX(created) AS last
                    FROM approvals INDEXED BY approvals_created_shape WHERE shape != '' AND created >= ?
                    GROUP BY shape HAVING ok >= ? AND bad = 0
                    """,
                arguments: [since, minApprovals]
            )
            var out: [ShapeStats] = []
            for c in candidates {
                let shape: String = c["shape"]
                let approvers = try String.fetchAll(
                    db,
                    sql: """
                        SELECT DISTINCT json_extract(v.value, '$.user')
                        FROM approvals a INDEXED BY approvals_shape, json_each(a.votes) v
                        WHERE a.shape = ? AND a.shape != '' AND a.created >= ? AND a.status IN ('approved', 'used')
                            AND json_extract(v.value, '$.vote') = 'approve'
                        ORDER BY 1
                        """,
                    arguments: [shape, since]
                )
                let examples = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT * FROM approvals INDEXED BY approvals_shape
                        WHERE shape = ? AND shape != '' AND created >= ? AND status IN ('approved', 'used')
                        ORDER BY created LIMIT 3
                        """,
                    arguments: [shape, since]
                ).flatMap { Self.approval($0).detail["commands"]?.strings ?? [] }
                out.append(
                    ShapeStats(
                        shape: shape,
                        approvals: c["ok"],
                        approvers: approvers,
                        first: c["first"],
                        last: c["last"],
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
        try await pool.write { db in
            let upsert = try db.cachedStatement(
                sql: """
                    INSERT INTO commit_reports (repository, sha, time, report, signed_at, reported, reporter)
                    VALUES (?,?,?,?,?,?,?)
                    ON CONFLICT(repository, sha) DO UPDATE SET time = excluded.time, report = excluded.report,
                        signed_at = coalesce(commit_reports.signed_at, excluded.signed_at),
                        reported = excluded.reported, reporter = excluded.reporter
                    """
            )
            for f in facts {
                let signed: Int? = f.signers.isEmpty ? nil : now
                try upsert.execute(arguments: [
                    f.repository, f.sha, f.time, f.json.serialized, signed, now, user,
                ])
            }
            let insert = try db.cachedStatement(
                sql: "INSERT OR IGNORE INTO signoff_envelopes (sha, envelope, reporter, time) VALUES (?,?,?,?)"
            )
            for e in envelopes { try insert.execute(arguments: [e.commit, e.envelope, user, now]) }
            _ = try Self.append(db, audit, now: now)
        }
    }

    public func commitFacts(since: Int, repository: String?) async throws -> [CommitFact] {
        try await pool.read { db in
            var sql = "SELECT * FROM commit_reports WHERE time >= ?"
            var arguments: StatementArguments = [since]
            if let repository {
                sql += " AND repository = ?"
                arguments += [repository]
            }
            return try Row.fetchAll(db, sql: sql + " ORDER BY time DESC, sha", arguments: arguments).compactMap { r in
                let text: String = r["report"]
                guard let v = try? JSONValue.parse(text),
                    var f = try? CommitFact(json: v, repository: r["repository"], index: 0)
                else { return nil }
                f.signedAt = r["signed_at"]
                f.reported = r["reported"]
                f.reporter = r["reporter"]
                return f
            }
        }
    }

    public func signoffEnvelopes(commits: [String]) async throws -> [String: [String]] {
        try await pool.read { db in
            var out: [String: [String]] = [:]
            var i = 0
            while i < commits.count {
                let chunk = Array(commits[i..<min(i + 500, commits.count)])
                i += 500
                let marks = chunk.map { _ in "?" }.joined(separator: ",")
                for r in try Row.fetchAll(
                    db,
                    sql: "SELECT sha, envelope FROM signoff_envelopes WHERE sha IN (\(marks)) ORDER BY time",
                    arguments: StatementArguments(chunk)
                ) {
                    out[r["sha"], default: []].append(r["envelope"])
                }
            }
            return out
        }
    }

    public func suggestionDecisions() async throws -> [SuggestionDecision] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM suggestion_decisions ORDER BY time, id").map {
                SuggestionDecision(
                    id: $0["id"],
                    rule: $0["rule"],
                    pattern: $0["pattern"],
                    repository: $0["repository"],
                    status: $0["status"],
                    yaml: $0["yaml"],
                    by: $0["decided_by"],
                    time: $0["time"]
                )
            }
        }
    }

    public func decideSuggestion(_ d: SuggestionDecision, audit: AuditDraft, now: Int) async throws {
        try await pool.write { db in
            if try Int.fetchOne(db, sql: "SELECT 1 FROM suggestion_decisions WHERE id = ?", arguments: [d.id]) != nil {
                throw APIError(status: 409, message: "suggestion \(d.id) was decided already")
            }
            try db.execute(
                sql: """
                    INSERT INTO suggestion_decisions (id, rule, pattern, repository, status, yaml, decided_by, time)
                    VALUES (?,?,?,?,?,?,?,?)
                    """,
                arguments: [d.id, d.rule, d.pattern, d.repository, d.status, d.yaml, d.by, d.time]
            )
            _ = try Self.append(db, audit, now: now)
        }
    }

    public func value(_ key: String) async throws -> String? {
        try await pool.read { db in
            try String.fetchOne(db, sql: "SELECT value FROM server_values WHERE key = ?", arguments: [key])
        }
    }

    public func claimValue(_ key: String, expected: String?, _ value: String) async throws -> Bool {
        try await pool.write { db in
            if let expected {
                try db.execute(
                    sql: "UPDATE server_values SET value = ? WHERE key = ? AND value = ?",
                    arguments: [value, key, expected]
                )
            } else {
                try db.execute(
                    sql: "INSERT OR IGNORE INTO server_values (key, value) VALUES (?, ?)",
                    arguments: [key, value]
                )
            }
            return db.changesCount == 1
        }
    }

    public func setValue(_ key: String, _ value: String) async throws {
        try await pool.write { db in
            try db.execute(
                sql:
                    "INSERT INTO server_values (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                arguments: [key, value]
            )
        }
    }
}
