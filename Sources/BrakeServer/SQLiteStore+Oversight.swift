import BrakeCore
import GRDB

/// The oversight reports' tables: one row per decision (what the report sums, indexed by time), the commits
/// gates reported, sign-off envelopes, decided suggestions and small settings.
extension SQLiteStore {
    static func registerOversightMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v9-oversight") { db in
            try db.execute(
                sql: """
                    CREATE TABLE decisions (
                        seq INTEGER PRIMARY KEY, time INTEGER NOT NULL, user TEXT NOT NULL, agent TEXT NOT NULL,
                        session TEXT NOT NULL, repository TEXT NOT NULL, decision TEXT NOT NULL,
                        observed TEXT NOT NULL, rule TEXT NOT NULL, stopped INTEGER NOT NULL);
                    CREATE INDEX decisions_time ON decisions(time, session, user, agent, repository, decision,
                        observed, stopped);
                    CREATE INDEX decisions_asks ON decisions(time, rule, user, repository)
                        WHERE decision = 'ask' OR observed = 'ask';
                    INSERT INTO decisions
                        SELECT seq, time, actor,
                            coalesce(json_extract(event, '$.agent'), ''), session,
                            coalesce(json_extract(event, '$.repository'), ''),
                            coalesce(json_extract(event, '$.enforced'), json_extract(event, '$.decision'), ''),
                            coalesce(json_extract(event, '$.observed'), ''),
                            coalesce(json_extract(event, '$.rules[0]'), ''),
                            json_extract(event, '$.stop') IS NOT NULL
                        FROM audit WHERE kind = 'decision';
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
                    CREATE INDEX approvals_created ON approvals(created);
                    """
            )
        }
    }

    /// The report's row of a decision, written in the decision's own transaction.
    static func writeDecisionFacts(
        _ db: Database,
        _ r: DecisionReport,
        user: String,
        audit: AuditDraft,
        seq: Int,
        now: Int
    ) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO decisions (seq, time, user, agent, session, repository, decision, observed, rule, stopped)
                VALUES (?,?,?,?,?,?,?,?,?,?)
                """
        ).execute(arguments: [
            seq, now, user, r.agent, r.session, r.repository, r.decision, r.observed, r.rules.first ?? "",
            audit.fields.contains { $0.0 == "stop" } ? 1 : 0,
        ])
    }

    public func sessionFacts(since: Int) async throws -> [SessionFacts] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT repository, user, agent, session, MIN(time) AS first, MAX(time) AS last,
                        COUNT(*) AS actions, SUM(decision = 'ask') AS asks, SUM(decision = 'deny') AS denies,
                        SUM(observed = 'ask') AS observed, SUM(stopped) AS stopped
                    FROM decisions WHERE time >= ? GROUP BY session, user, agent, repository
                    """,
                arguments: [since]
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
                    stopped: $0["stopped"]
                )
            }
        }
    }

    public func ruleAsks(since: Int) async throws -> [RuleAsks] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT rule, user, repository, SUM(decision = 'ask') AS asks, SUM(observed = 'ask') AS observed
                    FROM decisions INDEXED BY decisions_asks
                    WHERE time >= ? AND (decision = 'ask' OR observed = 'ask')
                    GROUP BY rule, user, repository
                    """,
                arguments: [since]
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

    public func approvals(since: Int) async throws -> [Approval] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT * FROM approvals WHERE created >= ? ORDER BY created, id",
                arguments: [since]
            ).map(Self.approval)
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
