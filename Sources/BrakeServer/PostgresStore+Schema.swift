import Logging
import PostgresNIO

/// The PostgreSQL schema, as numbered migrations recorded in `brake_migrations`. They run on start inside one
/// transaction that holds an advisory lock: replicas starting together apply each migration once, and a replica
/// that finds a newer schema than it knows refuses to start instead of writing rows it does not understand.
extension PostgresStore {
    static let migrations: [(name: String, sql: [String])] = [
        (
            "v1",
            [
                "CREATE TABLE users (name TEXT PRIMARY KEY, role TEXT NOT NULL, created BIGINT NOT NULL, email TEXT NOT NULL DEFAULT '')",
                """
                CREATE TABLE tokens (
                    id TEXT PRIMARY KEY, "user" TEXT NOT NULL REFERENCES users(name), label TEXT NOT NULL,
                    hash TEXT NOT NULL UNIQUE, created BIGINT NOT NULL, revoked BIGINT,
                    scope TEXT NOT NULL DEFAULT 'person')
                """,
                """
                CREATE TABLE approvals (
                    id TEXT PRIMARY KEY, n BIGSERIAL, digest TEXT NOT NULL, summary TEXT NOT NULL, detail TEXT NOT NULL,
                    requester TEXT NOT NULL, agent TEXT NOT NULL, session TEXT NOT NULL, repository TEXT NOT NULL,
                    environment TEXT NOT NULL, required_role TEXT NOT NULL, required_count BIGINT NOT NULL,
                    status TEXT NOT NULL, created BIGINT NOT NULL, expires BIGINT NOT NULL, votes TEXT NOT NULL,
                    decided BIGINT, used BIGINT, shape TEXT NOT NULL DEFAULT '')
                """,
                "CREATE INDEX approvals_digest ON approvals(digest, requester)",
                "CREATE INDEX approvals_status ON approvals(status, created)",
                "CREATE INDEX approvals_created ON approvals(created)",
                "CREATE INDEX approvals_shape ON approvals(shape, created) WHERE shape != ''",
                """
                CREATE TABLE stops (
                    id TEXT PRIMARY KEY, scope TEXT NOT NULL, value TEXT NOT NULL, reason TEXT NOT NULL,
                    created_by TEXT NOT NULL, created BIGINT NOT NULL, lift_role TEXT NOT NULL,
                    automatic BIGINT NOT NULL, lifted_by TEXT, lifted BIGINT)
                """,
                "CREATE INDEX stops_active ON stops(created, id) WHERE lifted IS NULL",
                """
                CREATE TABLE sessions (
                    id TEXT PRIMARY KEY, "user" TEXT NOT NULL, agent TEXT NOT NULL, repository TEXT NOT NULL,
                    first BIGINT NOT NULL, last BIGINT NOT NULL, actions BIGINT NOT NULL, refused BIGINT NOT NULL)
                """,
                "CREATE INDEX sessions_last ON sessions(last)",
                """
                CREATE TABLE audit (
                    seq BIGINT PRIMARY KEY, time BIGINT NOT NULL, kind TEXT NOT NULL, actor TEXT NOT NULL,
                    session TEXT NOT NULL, destructive BIGINT NOT NULL, tool TEXT NOT NULL DEFAULT '',
                    event TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL)
                """,
                "CREATE INDEX audit_session ON audit(session, seq)",
                "CREATE INDEX audit_destructive ON audit(session, time) WHERE destructive = 1",
                "CREATE INDEX audit_actor ON audit(actor, time) WHERE destructive = 1",
                "CREATE INDEX audit_destructive_tool ON audit(session, tool, time) WHERE destructive = 1",
                """
                CREATE TABLE checkpoints (
                    tree_size BIGINT PRIMARY KEY, head_hash TEXT NOT NULL, time BIGINT NOT NULL,
                    signature TEXT NOT NULL)
                """,
                """
                CREATE TABLE web_sessions (
                    hash TEXT PRIMARY KEY, "user" TEXT NOT NULL REFERENCES users(name), csrf TEXT NOT NULL,
                    expires BIGINT NOT NULL, token_hash TEXT NOT NULL)
                """,
                """
                CREATE TABLE agent_records (
                    id BIGSERIAL PRIMARY KEY, kind TEXT NOT NULL, blob TEXT NOT NULL, commit_sha TEXT NOT NULL,
                    record TEXT NOT NULL, "user" TEXT NOT NULL, time BIGINT NOT NULL)
                """,
                "CREATE INDEX agent_records_blob ON agent_records(blob) WHERE blob != ''",
                "CREATE INDEX agent_records_commit ON agent_records(commit_sha) WHERE commit_sha != ''",
                "CREATE TABLE breaker_admissions (slot TEXT NOT NULL, time BIGINT NOT NULL)",
                "CREATE INDEX breaker_admissions_slot ON breaker_admissions(slot, time)",
                """
                CREATE TABLE session_days (
                    day BIGINT NOT NULL, session TEXT NOT NULL, "user" TEXT NOT NULL, agent TEXT NOT NULL,
                    repository TEXT NOT NULL, first BIGINT NOT NULL, last BIGINT NOT NULL, actions BIGINT NOT NULL,
                    asks BIGINT NOT NULL, denies BIGINT NOT NULL, observed BIGINT NOT NULL, stopped BIGINT NOT NULL,
                    PRIMARY KEY (day, session, "user", agent, repository))
                """,
                """
                CREATE TABLE rule_days (
                    day BIGINT NOT NULL, rule TEXT NOT NULL, "user" TEXT NOT NULL, repository TEXT NOT NULL,
                    asks BIGINT NOT NULL, observed BIGINT NOT NULL, PRIMARY KEY (day, rule, "user", repository))
                """,
                """
                CREATE TABLE commit_reports (
                    repository TEXT NOT NULL, sha TEXT NOT NULL, time BIGINT NOT NULL, report TEXT NOT NULL,
                    signed_at BIGINT, reported BIGINT NOT NULL, reporter TEXT NOT NULL, PRIMARY KEY (repository, sha))
                """,
                "CREATE INDEX commit_reports_time ON commit_reports(time)",
                """
                CREATE TABLE signoff_envelopes (
                    sha TEXT NOT NULL, envelope TEXT NOT NULL, reporter TEXT NOT NULL, time BIGINT NOT NULL,
                    PRIMARY KEY (sha, envelope))
                """,
                """
                CREATE TABLE suggestion_decisions (
                    id TEXT PRIMARY KEY, rule TEXT NOT NULL, pattern TEXT NOT NULL, repository TEXT NOT NULL,
                    status TEXT NOT NULL, yaml TEXT NOT NULL, decided_by TEXT NOT NULL, time BIGINT NOT NULL)
                """,
                "CREATE TABLE server_values (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            ]
        )
    ]

    static func migrate(client: PostgresClient, logger: Logger) async throws {
        try await transaction(client, logger) { db in
            try await db.query("SELECT pg_advisory_xact_lock(\(migrationLock))", logger: logger)
            try await db.query(
                "CREATE TABLE IF NOT EXISTS brake_migrations (name TEXT PRIMARY KEY, applied TIMESTAMPTZ NOT NULL DEFAULT now())",
                logger: logger
            )
            let applied = Set(
                try await rows(db, "SELECT name FROM brake_migrations", logger).map { try $0.string("name") }
            )
            let known = Set(migrations.map(\.name))
            if let unknown = applied.subtracting(known).sorted().first {
                throw APIError(
                    status: 0,
                    message:
                        "the database's schema has migration '\(unknown)', which this version of brake does not know: a newer brake serve has used it; run that version (or newer) here"
                )
            }
            for m in migrations where !applied.contains(m.name) {
                for statement in m.sql { try await db.query(PostgresQuery(unsafeSQL: statement), logger: logger) }
                try await db.query("INSERT INTO brake_migrations (name) VALUES (\(m.name))", logger: logger)
            }
            return ()
        }
    }
}
