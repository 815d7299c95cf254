import BrakeCore
import GRDB
import Synchronization

/// The embedded default backend: one SQLite file through GRDB, in WAL mode.
///
/// `synchronous = NORMAL` in WAL mode survives a killed process (SIGKILL, OOM) without losing a committed
/// transaction; `durability: .full` also survives power loss at the cost of an fsync per commit.
public final class SQLiteStore: ControlStore {
    public enum Durability: Sendable { case normal, full }

    let pool: DatabasePool
    public let path: String
    let batcher: DecisionBatcher
    let checkpointer: WALCheckpointer
    let admitted = Mutex<[String: [Int]]>([:])

    public convenience init(path: String, durability: Durability = .normal) throws {
        try self.init(path: path, durability: durability, wal: .standard)
    }

    init(path: String, durability: Durability = .normal, wal: WALCheckpointer.Policy) throws {
        var config = Configuration()
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(durability == .full ? "FULL" : "NORMAL")")
            try db.execute(sql: "PRAGMA foreign_keys = ON")
            // The log is copied back by the background checkpointer, not inside a commit (the writer's own threshold
            // is only a backstop), and shrunk by it when writes pause (a size limit applied when the writer restarts
            // the log stalled that commit 20 ms).
            try db.execute(sql: "PRAGMA wal_autocheckpoint = \(wal.backstop)")
        }
        self.path = path
        pool = try DatabasePool(path: path, configuration: config)
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE users (name TEXT PRIMARY KEY, role TEXT NOT NULL, created INTEGER NOT NULL);
                    CREATE TABLE tokens (
                        id TEXT PRIMARY KEY, user TEXT NOT NULL REFERENCES users(name), label TEXT NOT NULL,
                        hash TEXT NOT NULL UNIQUE, created INTEGER NOT NULL, revoked INTEGER);
                    CREATE TABLE approvals (
                        id TEXT PRIMARY KEY, digest TEXT NOT NULL, summary TEXT NOT NULL, detail TEXT NOT NULL,
                        requester TEXT NOT NULL, agent TEXT NOT NULL, session TEXT NOT NULL,
                        repository TEXT NOT NULL, environment TEXT NOT NULL, required_role TEXT NOT NULL,
                        required_count INTEGER NOT NULL, status TEXT NOT NULL, created INTEGER NOT NULL,
                        expires INTEGER NOT NULL, votes TEXT NOT NULL, decided INTEGER, used INTEGER);
                    CREATE INDEX approvals_digest ON approvals(digest, requester);
                    CREATE INDEX approvals_status ON approvals(status, created);
                    CREATE TABLE stops (
                        id TEXT PRIMARY KEY, scope TEXT NOT NULL, value TEXT NOT NULL, reason TEXT NOT NULL,
                        created_by TEXT NOT NULL, created INTEGER NOT NULL, lift_role TEXT NOT NULL,
                        automatic INTEGER NOT NULL, lifted_by TEXT, lifted INTEGER);
                    CREATE TABLE sessions (
                        id TEXT PRIMARY KEY, user TEXT NOT NULL, agent TEXT NOT NULL, repository TEXT NOT NULL,
                        first INTEGER NOT NULL, last INTEGER NOT NULL, actions INTEGER NOT NULL,
                        refused INTEGER NOT NULL);
                    CREATE TABLE audit (
                        seq INTEGER PRIMARY KEY, time INTEGER NOT NULL, kind TEXT NOT NULL, actor TEXT NOT NULL,
                        session TEXT NOT NULL, destructive INTEGER NOT NULL, event TEXT NOT NULL,
                        prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
                    CREATE INDEX audit_session ON audit(session, seq);
                    CREATE INDEX audit_destructive ON audit(destructive, session, time);
                    CREATE INDEX audit_actor ON audit(destructive, actor, time);
                    CREATE TABLE checkpoints (
                        tree_size INTEGER PRIMARY KEY, head_hash TEXT NOT NULL, time INTEGER NOT NULL,
                        signature TEXT NOT NULL);
                    """
            )
        }
        migrator.registerMigration("v2-web-sessions") { db in
            try db.execute(
                sql: """
                    CREATE TABLE web_sessions (
                        hash TEXT PRIMARY KEY, user TEXT NOT NULL REFERENCES users(name), csrf TEXT NOT NULL,
                        expires INTEGER NOT NULL);
                    """
            )
        }
        migrator.registerMigration("v3-audit-tool") { db in
            try db.execute(
                sql: """
                    ALTER TABLE audit ADD COLUMN tool TEXT NOT NULL DEFAULT '';
                    CREATE INDEX audit_destructive_tool ON audit(destructive, session, tool, time);
                    """
            )
        }
        migrator.registerMigration("v4-web-session-token") { db in
            // Sessions made before they were tied to a token end here (their token is unknown).
            try db.execute(
                sql: """
                    DELETE FROM web_sessions;
                    ALTER TABLE web_sessions ADD COLUMN token_hash TEXT NOT NULL DEFAULT '';
                    """
            )
        }
        migrator.registerMigration("v5-token-scope") { db in
            try db.execute(sql: "ALTER TABLE tokens ADD COLUMN scope TEXT NOT NULL DEFAULT 'person'")
        }
        migrator.registerMigration("v6-breaker-partial-indexes") { db in
            // The breaker counts only destructive events; most decisions are not, and indexing them anyway cost
            // every hook's commit three index updates.
            try db.execute(
                sql: """
                    DROP INDEX audit_destructive;
                    DROP INDEX audit_actor;
                    DROP INDEX audit_destructive_tool;
                    CREATE INDEX audit_destructive ON audit(session, time) WHERE destructive = 1;
                    CREATE INDEX audit_actor ON audit(actor, time) WHERE destructive = 1;
                    CREATE INDEX audit_destructive_tool ON audit(session, tool, time) WHERE destructive = 1;
                    """
            )
        }
        migrator.registerMigration("v7-agent-records") { db in
            try db.execute(
                sql: """
                    CREATE TABLE agent_records (
                        id INTEGER PRIMARY KEY, kind TEXT NOT NULL, blob TEXT NOT NULL, commit_sha TEXT NOT NULL,
                        record TEXT NOT NULL, user TEXT NOT NULL, time INTEGER NOT NULL);
                    CREATE INDEX agent_records_blob ON agent_records(blob) WHERE blob != '';
                    CREATE INDEX agent_records_commit ON agent_records(commit_sha) WHERE commit_sha != '';
                    """
            )
        }
        migrator.registerMigration("v8-user-email") { db in
            try db.execute(sql: "ALTER TABLE users ADD COLUMN email TEXT NOT NULL DEFAULT ''")
        }
        Self.registerOversightMigrations(&migrator)
        try migrator.migrate(pool)
        checkpointer = try WALCheckpointer(
            path: path,
            configuration: config,
            writer: pool,
            policy: wal
        )
        batcher = DecisionBatcher(pool: pool, checkpointer: checkpointer)
    }

    // MARK: agent records

    public func addAgentRecords(_ records: [AgentRecord], user: String, now: Int) async throws {
        try await pool.write { db in
            let insert = try db.cachedStatement(
                sql: "INSERT INTO agent_records (kind, blob, commit_sha, record, user, time) VALUES (?,?,?,?,?,?)"
            )
            for r in records {
                try insert.execute(arguments: [r.kind.rawValue, r.blob, r.commit, r.json.serialized, user, now])
            }
        }
    }

    public func agentRecords(blobs: [String], commits: [String]) async throws -> [AgentRecord] {
        try await pool.read { db in
            var out: [AgentRecord] = []
            // In chunks: SQLite bounds the number of parameters of one statement.
            for (column, keys) in [("blob", blobs), ("commit_sha", commits)] {
                var i = 0
                while i < keys.count {
                    let chunk = Array(keys[i..<min(keys.count, i + 500)])
                    i += chunk.count
                    let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                    let rows = try String.fetchAll(
                        db,
                        sql: "SELECT record FROM agent_records WHERE \(column) IN (\(marks)) ORDER BY id",
                        arguments: StatementArguments(chunk)
                    )
                    out += rows.compactMap { (try? JSONValue.parse($0)).flatMap { AgentRecord(json: $0) } }
                }
            }
            return out
        }
    }

    // MARK: audit

    static func append(_ db: Database, _ d: AuditDraft, now: Int) throws -> AuditChain.Entry {
        let (size, prev) = try head(db)
        let event = d.canonical(seq: size + 1, time: now)
        let hash = try insertEvent(db, seq: size + 1, now: now, d, event: event, prev: prev)
        return AuditChain.Entry(seq: size + 1, event: event, prevHash: prev, hash: hash)
    }

    /// The chain's last sequence number and hash (genesis when empty), as of the transaction's snapshot.
    static func head(_ db: Database) throws -> (size: Int, hash: String) {
        let last = try Row.fetchOne(db.cachedStatement(sql: "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1"))
        return (last.map { $0["seq"] as Int } ?? 0, last.map { $0["hash"] as String } ?? AuditChain.genesis)
    }

    /// Inserts an event rendered for `seq` after `prev`; returns its hash.
    static func insertEvent(
        _ db: Database,
        seq: Int,
        now: Int,
        _ d: AuditDraft,
        event: String,
        prev: String
    ) throws -> String {
        let hash = AuditChain.hash(previous: prev, event: event)
        try db.cachedStatement(
            sql:
                "INSERT INTO audit (seq, time, kind, actor, session, destructive, tool, event, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?)"
        ).execute(arguments: [seq, now, d.kind, d.actor, d.session, d.destructive ? 1 : 0, d.tool, event, prev, hash])
        return hash
    }

    public func append(_ audit: AuditDraft, now: Int) async throws -> AuditChain.Entry {
        try await pool.write { db in try Self.append(db, audit, now: now) }
    }

    static func entry(_ r: Row) -> AuditChain.Entry {
        AuditChain.Entry(seq: r["seq"], event: r["event"], prevHash: r["prev_hash"], hash: r["hash"])
    }

    public func auditRange(from: Int, limit: Int) async throws -> [AuditChain.Entry] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT seq, event, prev_hash, hash FROM audit WHERE seq >= ? ORDER BY seq LIMIT ?",
                arguments: [from, limit]
            ).map(Self.entry)
        }
    }

    public func auditHead() async throws -> (size: Int, hash: String) {
        try await pool.read { db in try Self.head(db) }
    }

    public func addCheckpoint(_ c: AuditChain.Checkpoint) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO checkpoints (tree_size, head_hash, time, signature) VALUES (?,?,?,?)",
                arguments: [c.treeSize, c.headHash, c.time, c.signature]
            )
        }
    }

    public func checkpointing(
        _ body:
            @escaping @Sendable (_ head: (size: Int, hash: String), _ last: AuditChain.Checkpoint?) throws
            -> AuditChain.Checkpoint?
    ) async throws -> AuditChain.Checkpoint? {
        try await pool.write { db in
            let last = try Row.fetchOne(db, sql: "SELECT * FROM checkpoints ORDER BY tree_size DESC LIMIT 1").map {
                AuditChain.Checkpoint(
                    treeSize: $0["tree_size"],
                    headHash: $0["head_hash"],
                    time: $0["time"],
                    signature: $0["signature"]
                )
            }
            guard let c = try body(try Self.head(db), last) else { return nil }
            try db.execute(
                sql: "INSERT OR REPLACE INTO checkpoints (tree_size, head_hash, time, signature) VALUES (?,?,?,?)",
                arguments: [c.treeSize, c.headHash, c.time, c.signature]
            )
            return c
        }
    }

    // MARK: shared state

    /// One process uses a SQLite file (WAL mode shares it between processes on one host only, and `brake serve`
    /// holds it alone): admissions are counted in this process, under one lock.
    public func admitDestructive(slot: String, since: Int, limit: Int, now: Int) async throws -> Int {
        admitted.withLock { admitted -> Int in
            if admitted.count > 50_000 { admitted = admitted.filter { $0.value.last ?? 0 > now - 3600 } }
            var times = (admitted[slot] ?? []).filter { $0 > since }
            let n = times.count
            if n < limit { times.append(now) }
            admitted[slot] = times
            return n
        }
    }

    public var isShared: Bool { false }

    /// Every change is made by this process, which clears its own caches: nothing to announce.
    public func onChange(_ handler: @escaping @Sendable (StoreChange) -> Void) {}

    public func checkpoints() async throws -> [AuditChain.Checkpoint] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM checkpoints ORDER BY tree_size").map {
                AuditChain.Checkpoint(
                    treeSize: $0["tree_size"],
                    headHash: $0["head_hash"],
                    time: $0["time"],
                    signature: $0["signature"]
                )
            }
        }
    }

    // MARK: identities

    public func userCount() async throws -> Int {
        try await pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM users") ?? 0 }
    }

    public func addUser(_ user: User, token: TokenRecord, audit: AuditDraft, now: Int) async throws -> User {
        try await pool.write { db in
            if try Row.fetchOne(db, sql: "SELECT name FROM users WHERE name = ?", arguments: [user.name]) != nil {
                throw APIError.conflict("a user named '\(user.name)' already exists; choose another name")
            }
            try db.execute(
                sql: "INSERT INTO users (name, role, created, email) VALUES (?,?,?,?)",
                arguments: [user.name, user.role, user.created, user.email]
            )
            try Self.insertToken(db, token)
            _ = try Self.append(db, audit, now: now)
            return user
        }
    }

    static func insertToken(_ db: Database, _ t: TokenRecord) throws {
        try db.execute(
            sql: "INSERT INTO tokens (id, user, label, hash, created, revoked, scope) VALUES (?,?,?,?,?,?,?)",
            arguments: [t.id, t.user, t.label, t.hash, t.created, t.revoked, t.scope]
        )
    }

    static func user(_ r: Row) -> User {
        User(name: r["name"], role: r["role"], created: r["created"], email: r["email"] ?? "")
    }

    public func removeUser(user: String, keep: String, audit: AuditDraft, now: Int) async throws -> [String] {
        try await pool.write { db in
            guard let role = try String.fetchOne(db, sql: "SELECT role FROM users WHERE name = ?", arguments: [user]),
                role != User.removed
            else { throw APIError.notFound("no user named '\(user)'") }
            try db.execute(sql: "UPDATE users SET role = ? WHERE name = ?", arguments: [User.removed, user])
            let left = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM users WHERE role = ?", arguments: [keep]) ?? 0
            if left == 0 { throw APIError.conflict("'\(user)' is the last \(keep); make another user \(keep) first") }
            let ids = try String.fetchAll(
                db,
                sql: "SELECT id FROM tokens WHERE user = ? AND revoked IS NULL ORDER BY id",
                arguments: [user]
            )
            try db.execute(
                sql: "UPDATE tokens SET revoked = ? WHERE user = ? AND revoked IS NULL",
                arguments: [now, user]
            )
            try db.execute(sql: "DELETE FROM web_sessions WHERE user = ?", arguments: [user])
            var draft = audit
            draft.fields.append(("tokens", .array(ids.map { .string($0) })))
            _ = try Self.append(db, draft, now: now)
            return ids
        }
    }

    public func users() async throws -> [User] {
        try await pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM users ORDER BY name").map(Self.user) }
    }

    public func user(named name: String) async throws -> User? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM users WHERE name = ?", arguments: [name]).map(Self.user)
        }
    }

    public func setRole(user: String, role: String, keep: String, audit: AuditDraft, now: Int) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE users SET role = ? WHERE name = ?", arguments: [role, user])
            guard db.changesCount == 1 else { throw APIError.notFound("no user named '\(user)'") }
            let left = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM users WHERE role = ?", arguments: [keep]) ?? 0
            if left == 0 {
                throw APIError.conflict("'\(user)' is the last \(keep); make another user \(keep) first")
            }
            _ = try Self.append(db, audit, now: now)
        }
    }

    public func addToken(_ token: TokenRecord, audit: AuditDraft, now: Int) async throws {
        try await pool.write { db in
            guard try Row.fetchOne(db, sql: "SELECT name FROM users WHERE name = ?", arguments: [token.user]) != nil
            else { throw APIError.notFound("no user named '\(token.user)'") }
            try Self.insertToken(db, token)
            _ = try Self.append(db, audit, now: now)
        }
    }

    static func token(_ r: Row) -> TokenRecord {
        TokenRecord(
            id: r["id"],
            user: r["user"],
            label: r["label"],
            hash: r["hash"],
            created: r["created"],
            revoked: r["revoked"],
            scope: r["scope"]
        )
    }

    public func revokeToken(id: String, audit: AuditDraft, now: Int) async throws -> TokenRecord? {
        try await pool.write { db in
            guard
                var t = try Row.fetchOne(db, sql: "SELECT * FROM tokens WHERE id = ?", arguments: [id]).map(Self.token)
            else { return nil }
            if t.revoked == nil {
                try db.execute(sql: "UPDATE tokens SET revoked = ? WHERE id = ?", arguments: [now, id])
                t.revoked = now
                _ = try Self.append(db, audit, now: now)
            }
            return t
        }
    }

    public func tokens(user: String?) async throws -> [TokenRecord] {
        try await pool.read { db in
            if let user {
                return try Row.fetchAll(
                    db,
                    sql: "SELECT * FROM tokens WHERE user = ? ORDER BY created, id",
                    arguments: [user]
                ).map(Self.token)
            }
            return try Row.fetchAll(db, sql: "SELECT * FROM tokens ORDER BY created, id").map(Self.token)
        }
    }

    public func authenticate(tokenHash: String) async throws -> User? {
        try await pool.read { db in
            try Row.fetchOne(
                db,
                sql:
                    "SELECT users.*, tokens.scope AS token_scope FROM tokens JOIN users ON users.name = tokens.user WHERE tokens.hash = ? AND tokens.revoked IS NULL",
                arguments: [tokenHash]
            ).map { row in
                var u = Self.user(row)
                u.scope = row["token_scope"]
                return u
            }
        }
    }

    // MARK: decisions and sessions

    /// Decision reports are the bulk of the traffic: they are committed in groups (one transaction for all
    /// reports waiting while the previous group was written), and each caller returns only after its own
    /// report is durable.
    public func recordDecision(_ r: DecisionReport, user: String, audit: AuditDraft, now: Int) async throws -> Int {
        try await batcher.submit(DecisionBatcher.Item(report: r, user: user, audit: audit, now: now))
    }

    /// Writes a group of decision reports in the caller's transaction and returns each one's audit sequence
    /// number. The chain's head is read once for the group; each event was rendered by its own request.
    static func writeDecisions(_ db: Database, _ items: [DecisionWrite]) throws -> [Int] {
        var (seq, prev) = try head(db)
        var seqs: [Int] = []
        seqs.reserveCapacity(items.count)
        for item in items {
            let (r, d, now) = (item.report, item.audit, item.now)
            if !r.session.isEmpty {
                let refused = r.decision == "deny" ? 1 : 0
                try db.cachedStatement(
                    sql: """
                        INSERT INTO sessions (id, user, agent, repository, first, last, actions, refused)
                        VALUES (?,?,?,?,?,?,1,?)
                        ON CONFLICT(id) DO UPDATE SET last = excluded.last, actions = actions + 1,
                            refused = refused + excluded.refused
                        """
                ).execute(arguments: [r.session, item.user, r.agent, r.repository, now, now, refused])
            }
            seq += 1
            let event = AuditDraft.event(seq: seq, tail: item.eventTail)
            prev = try insertEvent(db, seq: seq, now: now, d, event: event, prev: prev)
            seqs.append(seq)
            try writeDecisionFacts(db, r, user: item.user, audit: d, now: now)
        }
        return seqs
    }

    public func destructiveCount(session: String?, user: String?, tool: String?, since: Int) async throws -> Int {
        try await pool.read { db in
            let (column, key) = session.map { ("session", $0) } ?? ("actor", user ?? "")
            let sql =
                "SELECT COUNT(*) FROM audit WHERE destructive = 1 AND \(column) = ? AND time >= ?"
                + (tool == nil ? "" : " AND tool = ?")
            var arguments: StatementArguments = [key, since]
            if let tool { arguments += [tool] }
            return try Int.fetchOne(db, sql: sql, arguments: arguments) ?? 0
        }
    }

    static func session(_ r: Row) -> SessionSummary {
        SessionSummary(
            id: r["id"],
            user: r["user"],
            agent: r["agent"],
            repository: r["repository"],
            first: r["first"],
            last: r["last"],
            actions: r["actions"],
            refused: r["refused"]
        )
    }

    public func sessions(limit: Int) async throws -> [SessionSummary] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM sessions ORDER BY last DESC, id LIMIT ?", arguments: [limit])
                .map(Self.session)
        }
    }

    public func session(id: String) async throws -> SessionSummary? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM sessions WHERE id = ?", arguments: [id]).map(Self.session)
        }
    }

    public func sessionEvents(id: String, limit: Int) async throws -> [AuditChain.Entry] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql:
                    "SELECT seq, event, prev_hash, hash FROM audit WHERE session = ? ORDER BY seq DESC LIMIT ?",
                arguments: [id, limit]
            ).map(Self.entry).reversed()
        }
    }

    // MARK: approvals

    static func approval(_ r: Row) -> Approval {
        let votesText: String = r["votes"]
        let votes = ((try? JSONValue.parse(votesText))?.arrayValue ?? []).compactMap(Vote.init(json:))
        let detailText: String = r["detail"]
        return Approval(
            id: r["id"],
            digest: r["digest"],
            summary: r["summary"],
            detail: (try? JSONValue.parse(detailText)) ?? .null,
            requester: r["requester"],
            agent: r["agent"],
            session: r["session"],
            repository: r["repository"],
            environment: r["environment"],
            requiredRole: r["required_role"],
            requiredCount: r["required_count"],
            status: Approval.Status(rawValue: r["status"]) ?? .denied,
            created: r["created"],
            expires: r["expires"],
            votes: votes,
            decided: r["decided"],
            used: r["used"]
        )
    }

    static func save(_ db: Database, _ a: Approval, insert: Bool) throws {
        let votes = JSONValue.array(a.votes.map(\.json)).serialized
        if insert {
            try db.execute(
                sql: """
                    INSERT INTO approvals (id, digest, summary, detail, requester, agent, session, repository,
                        environment, required_role, required_count, status, created, expires, votes, decided, used)
                    VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
                    """,
                arguments: [
                    a.id, a.digest, a.summary, a.detail.serialized, a.requester, a.agent, a.session, a.repository,
                    a.environment, a.requiredRole, a.requiredCount, a.status.rawValue, a.created, a.expires, votes,
                    a.decided, a.used,
                ]
            )
            let shape = Suggestion.shapeKey(a)
            if !shape.isEmpty {
                try db.execute(sql: "UPDATE approvals SET shape = ? WHERE id = ?", arguments: [shape, a.id])
            }
        } else {
            try db.execute(
                sql: "UPDATE approvals SET status = ?, votes = ?, decided = ?, used = ?, expires = ? WHERE id = ?",
                arguments: [a.status.rawValue, votes, a.decided, a.used, a.expires, a.id]
            )
        }
    }

    public func insertApproval(_ a: Approval, audit: AuditDraft, now: Int) async throws {
        try await pool.write { db in
            try Self.save(db, a, insert: true)
            _ = try Self.append(db, audit, now: now)
        }
    }

    public func approval(id: String) async throws -> Approval? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM approvals WHERE id = ?", arguments: [id]).map(Self.approval)
        }
    }

    public func approvals(status: Approval.Status?, limit: Int) async throws -> [Approval] {
        try await pool.read { db in
            if let status {
                return try Row.fetchAll(
                    db,
                    sql: "SELECT * FROM approvals WHERE status = ? ORDER BY created DESC, id LIMIT ?",
                    arguments: [status.rawValue, limit]
                ).map(Self.approval)
            }
            return try Row.fetchAll(
                db,
                sql: "SELECT * FROM approvals ORDER BY created DESC, id LIMIT ?",
                arguments: [limit]
            ).map(Self.approval)
        }
    }

    public func findApproval(digest: String, requester: String, statuses: [Approval.Status]) async throws -> Approval? {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT * FROM approvals WHERE digest = ? AND requester = ? ORDER BY created DESC, rowid DESC",
                arguments: [digest, requester]
            ).map(Self.approval).first { statuses.contains($0.status) }
        }
    }

    public func updateApproval(
        id: String,
        now: Int,
        _ body: @escaping @Sendable (inout Approval) throws -> AuditDraft?
    ) async throws -> Approval? {
        try await pool.write { db in
            guard
                var a = try Row.fetchOne(db, sql: "SELECT * FROM approvals WHERE id = ?", arguments: [id])
                    .map(Self.approval)
            else { return nil }
            if let draft = try body(&a) {
                try Self.save(db, a, insert: false)
                _ = try Self.append(db, draft, now: now)
            }
            return a
        }
    }

    // MARK: web sessions

    public func createWebSession(
        hash: String,
        user: String,
        tokenHash: String,
        csrf: String,
        expires: Int
    )
        async throws
    {
        try await pool.write { db in
            try db.execute(
                sql: "INSERT INTO web_sessions (hash, user, token_hash, csrf, expires) VALUES (?,?,?,?,?)",
                arguments: [hash, user, tokenHash, csrf, expires]
            )
        }
    }

    public func webSession(hash: String, now: Int) async throws -> WebSession? {
        try await pool.read { db in
            guard
                let r = try Row.fetchOne(
                    db,
                    sql:
                        """
                        SELECT users.*, web_sessions.csrf, web_sessions.expires FROM web_sessions
                        JOIN users ON users.name = web_sessions.user
                        JOIN tokens ON tokens.hash = web_sessions.token_hash AND tokens.revoked IS NULL
                        WHERE web_sessions.hash = ? AND web_sessions.expires > ?
                        """,
                    arguments: [hash, now]
                )
            else { return nil }
            return WebSession(user: Self.user(r), csrf: r["csrf"], expires: r["expires"])
        }
    }

    public func deleteWebSession(hash: String) async throws {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM web_sessions WHERE hash = ?", arguments: [hash])
        }
    }

    // MARK: stops

    static func stop(_ r: Row) -> Stop {
        Stop(
            id: r["id"],
            // A scope this version does not know (a newer writer) covers everything: it fails closed.
            scope: StopScope(rawValue: r["scope"] as String) ?? .all,
            value: r["value"],
            reason: r["reason"],
            createdBy: r["created_by"],
            created: r["created"],
            liftRole: r["lift_role"],
            automatic: (r["automatic"] as Int) != 0,
            liftedBy: r["lifted_by"],
            lifted: r["lifted"]
        )
    }

    static func insertStopRow(_ db: Database, _ s: Stop) throws {
        try db.execute(
            sql: """
                INSERT INTO stops (id, scope, value, reason, created_by, created, lift_role, automatic)
                VALUES (?,?,?,?,?,?,?,?)
                """,
            arguments: [
                s.id, s.scope.rawValue, s.value, s.reason, s.createdBy, s.created, s.liftRole, s.automatic ? 1 : 0,
            ]
        )
    }

    public func insertStop(_ s: Stop, audit: AuditDraft, now: Int) async throws {
        try await pool.write { db in
            try Self.insertStopRow(db, s)
            _ = try Self.append(db, audit, now: now)
        }
    }

    public func insertAutomaticStop(_ s: Stop, audit: AuditDraft, now: Int) async throws -> Stop {
        try await pool.write { db in
            if let active = try Row.fetchOne(
                db,
                sql: "SELECT * FROM stops WHERE lifted IS NULL AND automatic = 1 AND scope = ? AND value = ? LIMIT 1",
                arguments: [s.scope.rawValue, s.value]
            ).map(Self.stop) {
                return active
            }
            try Self.insertStopRow(db, s)
            _ = try Self.append(db, audit, now: now)
            return s
        }
    }

    public func stops(includeLifted: Bool) async throws -> [Stop] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: includeLifted
                    ? "SELECT * FROM stops ORDER BY created, id"
                    : "SELECT * FROM stops WHERE lifted IS NULL ORDER BY created, id"
            ).map(Self.stop)
        }
    }

    public func updateStop(
        id: String,
        now: Int,
        _ body: @escaping @Sendable (inout Stop) throws -> AuditDraft?
    ) async throws -> Stop? {
        try await pool.write { db in
            guard var s = try Row.fetchOne(db, sql: "SELECT * FROM stops WHERE id = ?", arguments: [id]).map(Self.stop)
            else { return nil }
            if let draft = try body(&s) {
                try db.execute(
                    sql: "UPDATE stops SET lifted_by = ?, lifted = ?, reason = ? WHERE id = ?",
                    arguments: [s.liftedBy, s.lifted, s.reason, id]
                )
                _ = try Self.append(db, draft, now: now)
            }
            return s
        }
    }
}

/// Group commit for decision reports. A report that arrives while nothing is being written is written at once
/// and synchronously: a commit without fsync (WAL, `synchronous = NORMAL`) takes a fraction of a millisecond,
/// less than the thread hops of an asynchronous write (the hook's latency when agents are few). Reports that
/// arrive meanwhile queue behind the actor and are written as one group (the throughput when they are many).
///
/// Groups are written synchronously on the actor too: awaiting GRDB's queue instead cost two thread hops per group,
/// and with 16 connections 6,300–6,400 reports/s against 7,100–7,400 (the same binary, alternating runs). The price
/// is one of the cooperative threads held for the commit (about 1 ms; up to the log's catch-up, about 50–80 ms, a few
/// times a minute at full load) — never a wait on another process for long: the server holds its file alone.
actor DecisionBatcher {
    typealias Item = DecisionWrite

    let pool: DatabasePool
    let checkpointer: WALCheckpointer
    var pending: [(Item, CheckedContinuation<Int, any Error>)] = []
    var draining = false
    /// When the last write ended: a report arriving after a quiet moment is written at once.
    var lastWrite = ContinuousClock.now - .seconds(1)

    init(pool: DatabasePool, checkpointer: WALCheckpointer) {
        self.pool = pool
        self.checkpointer = checkpointer
    }

    func submit(_ item: Item) async throws -> Int {
        if !draining && ContinuousClock.now - lastWrite > .microseconds(500) {
            // Quiet: written at once, synchronously, in the caller's task (the actor is busy meanwhile, so others
            // queue behind it and are written as the next group).
            defer {
                lastWrite = ContinuousClock.now
                checkpointer.nudge()
            }
            return try Self.writeNow(pool) { db in try SQLiteStore.writeDecisions(db, [item])[0] }
        }
        return try await withCheckedThrowingContinuation { c in
            pending.append((item, c))
            if !draining {
                draining = true
                Task { await self.drain() }
            }
        }
    }

    /// GRDB's synchronous write (from an async context the asynchronous overload would be chosen).
    static func writeNow<T>(_ pool: DatabasePool, _ body: (Database) throws -> T) throws -> T {
        try pool.write(body)
    }

    /// Writes every report queued so far as one group. It runs after the reports that arrived during the previous
    /// write have been added (they were queued on the actor before it).
    func drain() {
        let batch = pending
        pending = []
        draining = false
        let items = batch.map(\.0)
        do {
            let seqs = try Self.writeNow(pool) { db in try SQLiteStore.writeDecisions(db, items) }
            lastWrite = ContinuousClock.now
            checkpointer.nudge()
            for (i, entry) in batch.enumerated() { entry.1.resume(returning: seqs[i]) }
        } catch {
            for entry in batch { entry.1.resume(throwing: error) }
        }
    }
}
