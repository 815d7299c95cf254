import BrakeCore
import Logging
import NIOSSL
import PostgresNIO
import Synchronization

/// The backend for several replicas: one PostgreSQL database through PostgresNIO's connection pool.
///
/// Every replica writes the one audit chain: an append takes a transaction-scoped advisory lock before it reads
/// the head, so appends from all processes form one total order. Changes other replicas must see at once (stops,
/// identities, requests, the policy) are announced with `NOTIFY` in the transaction that makes them; every
/// replica listens and drops its caches or wakes its long-polls when they commit.
public final class PostgresStore: ControlStore {
    let client: PostgresClient
    let runner: Task<Void, Never>
    let listener: Task<Void, Never>
    let logger: Logger
    let batcher: PostgresDecisionBatcher
    let handlers = Handlers()
    let listening = Flag()
    /// The database as the operator named it, without a password (for messages).
    public let name: String

    /// The notification channel every replica listens on.
    static let channel = "brake_changes"
    /// Advisory lock keys (one namespace for Brake: the high bits spell "brak").
    static let migrationLock: Int64 = 0x6272_616B_0000_0001
    static let auditLock: Int64 = 0x6272_616B_0000_0002
    static let checkpointLock: Int64 = 0x6272_616B_0000_0003

    /// Connects, migrates the schema under an advisory lock (replicas starting together wait for each other) and
    /// starts listening for other replicas' changes.
    public init(_ target: DatabaseURL, password: String?, maxConnections: Int = 20) async throws {
        var config = PostgresClient.Configuration(
            host: target.host,
            port: target.port,
            username: target.user,
            password: password,
            database: target.database,
            tls: try target.tls()
        )
        config.options.maximumConnections = maxConnections
        config.options.connectTimeout = .seconds(5)
        var logger = Logger(label: "brake-postgres")
        logger.logLevel = .warning
        self.logger = logger
        name = target.display
        var poolLogger = logger
        poolLogger.logLevel = .error
        let client = PostgresClient(configuration: config, backgroundLogger: poolLogger)
        self.client = client
        runner = Task { await client.run() }
        let handlers = self.handlers
        let listening = self.listening
        listener = Task {
            await Self.listen(client: client, logger: logger, listening: listening) { change in
                handlers.deliver(change)
            }
        }
        batcher = PostgresDecisionBatcher(client: client, logger: logger)
        do {
            try await Self.migrate(client: client, logger: logger)
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    /// Ends the listener and the pool.
    public func close() {
        listener.cancel()
        runner.cancel()
    }

    /// True while this process receives other replicas' notifications.
    public var isListening: Bool { listening.value }

    public var isShared: Bool { true }

    public func onChange(_ handler: @escaping @Sendable (StoreChange) -> Void) {
        handlers.add(handler)
    }

    /// Listens on one pooled connection for as long as the store lives, reconnecting after a failure (caches fall
    /// back to their short lifetimes meanwhile).
    static func listen(
        client: PostgresClient,
        logger: Logger,
        listening: Flag,
        deliver: @escaping @Sendable (StoreChange) -> Void
    ) async {
        var delay = Duration.milliseconds(100)
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: channel) { notifications in
                        listening.set(true)
                        // Whatever happened while nobody listened is unknown: drop everything once.
                        deliver(.all)
                        delay = .milliseconds(100)
                        for try await n in notifications {
                            if let change = StoreChange(payload: n.payload) { deliver(change) }
                        }
                    }
                }
            } catch {
                if Task.isCancelled { break }
                logger.warning("listening for other replicas' changes failed (\(error)); retrying")
            }
            listening.set(false)
            deliver(.all)
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(5))
        }
        listening.set(false)
    }

    // MARK: transactions

    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws (its own error is
    /// rethrown, so an `APIError` keeps its status).
    func transaction<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await Self.transaction(client, logger, body)
    }

    static func transaction<T: Sendable>(
        _ client: PostgresClient,
        _ logger: Logger,
        _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await client.withConnection { db in
            try await db.query("BEGIN", logger: logger)
            do {
                let value = try await body(db)
                try await db.query("COMMIT", logger: logger)
                return value
            } catch {
                _ = try? await db.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    /// Reads on one pooled connection.
    func read<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await client.withConnection { db in try await body(db) }
    }

    func rows(_ db: PostgresConnection, _ q: PostgresQuery) async throws -> [PostgresRandomAccessRow] {
        try await Self.rows(db, q, logger)
    }

    static func rows(
        _ db: PostgresConnection,
        _ q: PostgresQuery,
        _ logger: Logger
    ) async throws
        -> [PostgresRandomAccessRow]
    {
        try await db.query(q, logger: logger).collect().map { $0.makeRandomAccess() }
    }

    func exec(_ db: PostgresConnection, _ q: PostgresQuery) async throws {
        try await db.query(q, logger: logger)
    }

    /// Announces a change to every replica when the transaction commits.
    static func notify(_ db: PostgresConnection, _ change: StoreChange, _ logger: Logger) async throws {
        try await db.query("SELECT pg_notify(\(channel), \(change.payload))", logger: logger)
    }

    func notify(_ db: PostgresConnection, _ change: StoreChange) async throws {
        try await Self.notify(db, change, logger)
    }

    // MARK: audit

    static func append(
        _ db: PostgresConnection,
        _ d: AuditDraft,
        now: Int,
        _ logger: Logger
    ) async throws
        -> AuditChain.Entry
    {
        // One total order for every replica: the lock is held until this transaction ends.
        try await db.query("SELECT pg_advisory_xact_lock(\(auditLock))", logger: logger)
        let last = try await rows(db, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", logger).first
        let seq = (try last.map { try $0.int("seq") } ?? 0) + 1
        let prev = try last.map { try $0.string("hash") } ?? AuditChain.genesis
        let event = d.canonical(seq: seq, time: now)
        let hash = AuditChain.hash(previous: prev, event: event)
        try await db.query(
            """
            INSERT INTO audit (seq, time, kind, actor, session, destructive, tool, event, prev_hash, hash)
            VALUES (\(seq), \(now), \(d.kind), \(d.actor), \(d.session), \(d.destructive ? 1 : 0), \(d.tool), \(event),
                \(prev), \(hash))
            """,
            logger: logger
        )
        return AuditChain.Entry(seq: seq, event: event, prevHash: prev, hash: hash)
    }

    func append(_ db: PostgresConnection, _ d: AuditDraft, now: Int) async throws {
        _ = try await Self.append(db, d, now: now, logger)
    }

    public func append(_ audit: AuditDraft, now: Int) async throws -> AuditChain.Entry {
        try await transaction { db in try await Self.append(db, audit, now: now, logger) }
    }

    static func entry(_ r: PostgresRandomAccessRow) throws -> AuditChain.Entry {
        AuditChain.Entry(
            seq: try r.int("seq"),
            event: try r.string("event"),
            prevHash: try r.string("prev_hash"),
            hash: try r.string("hash")
        )
    }

    public func auditRange(from: Int, limit: Int) async throws -> [AuditChain.Entry] {
        try await read { db in
            try await rows(
                db,
                "SELECT seq, event, prev_hash, hash FROM audit WHERE seq >= \(from) ORDER BY seq LIMIT \(limit)"
            ).map(Self.entry)
        }
    }

    public func auditHead() async throws -> (size: Int, hash: String) {
        try await read { db in
            let r = try await rows(db, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").first
            return (try r.map { try $0.int("seq") } ?? 0, try r.map { try $0.string("hash") } ?? AuditChain.genesis)
        }
    }

    public func addCheckpoint(_ c: AuditChain.Checkpoint) async throws {
        try await transaction { db in try await Self.insertCheckpoint(db, c, logger) }
    }

    static func insertCheckpoint(_ db: PostgresConnection, _ c: AuditChain.Checkpoint, _ logger: Logger) async throws {
        try await db.query(
            """
            INSERT INTO checkpoints (tree_size, head_hash, time, signature) VALUES (\(c.treeSize), \(c.headHash),
                \(c.time), \(c.signature))
            ON CONFLICT (tree_size) DO UPDATE SET head_hash = excluded.head_hash, time = excluded.time,
                signature = excluded.signature
            """,
            logger: logger
        )
    }

    public func checkpoints() async throws -> [AuditChain.Checkpoint] {
        try await read { db in
            try await rows(db, "SELECT * FROM checkpoints ORDER BY tree_size").map(Self.checkpoint)
        }
    }

    static func checkpoint(_ r: PostgresRandomAccessRow) throws -> AuditChain.Checkpoint {
        AuditChain.Checkpoint(
            treeSize: try r.int("tree_size"),
            headHash: try r.string("head_hash"),
            time: try r.int("time"),
            signature: try r.string("signature")
        )
    }

    public func checkpointing(
        _ body:
            @escaping @Sendable (_ head: (size: Int, hash: String), _ last: AuditChain.Checkpoint?) throws
            -> AuditChain.Checkpoint?
    ) async throws -> AuditChain.Checkpoint? {
        try await transaction { db in
            // One replica at a time decides whether the cluster's checkpoint is due, and signs it.
            try await exec(db, "SELECT pg_advisory_xact_lock(\(Self.checkpointLock))")
            let last = try await rows(db, "SELECT * FROM checkpoints ORDER BY tree_size DESC LIMIT 1").first
                .map(Self.checkpoint)
            let r = try await rows(db, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").first
            let head = (try r.map { try $0.int("seq") } ?? 0, try r.map { try $0.string("hash") } ?? AuditChain.genesis)
            guard let c = try body(head, last) else { return nil }
            try await Self.insertCheckpoint(db, c, logger)
            return c
        }
    }

    // MARK: agent records

    public func addAgentRecords(_ records: [AgentRecord], user: String, now: Int) async throws {
        try await transaction { db in
            for r in records {
                try await exec(
                    db,
                    """
                    INSERT INTO agent_records (kind, blob, commit_sha, record, "user", time)
                    VALUES (\(r.kind.rawValue), \(r.blob), \(r.commit), \(r.json.serialized), \(user), \(now))
                    """
                )
            }
        }
    }

    public func agentRecords(blobs: [String], commits: [String]) async throws -> [AgentRecord] {
        try await read { db in
            var out: [AgentRecord] = []
            if !blobs.isEmpty {
                out += try await rows(db, "SELECT record FROM agent_records WHERE blob = ANY(\(blobs)) ORDER BY id")
                    .compactMap(Self.agentRecord)
            }
            if !commits.isEmpty {
                out += try await rows(
                    db,
                    "SELECT record FROM agent_records WHERE commit_sha = ANY(\(commits)) ORDER BY id"
                ).compactMap(Self.agentRecord)
            }
            return out
        }
    }

    static func agentRecord(_ r: PostgresRandomAccessRow) throws -> AgentRecord? {
        (try? JSONValue.parse(try r.string("record"))).flatMap { AgentRecord(json: $0) }
    }

    // MARK: identities

    public func userCount() async throws -> Int {
        try await read { db in try await rows(db, "SELECT COUNT(*) AS n FROM users").first?.int("n") ?? 0 }
    }

    static func user(_ r: PostgresRandomAccessRow) throws -> User {
        User(
            name: try r.string("name"),
            role: try r.string("role"),
            created: try r.int("created"),
            email: try r.string("email")
        )
    }

    public func addUser(_ user: User, token: TokenRecord, audit: AuditDraft, now: Int) async throws -> User {
        try await transaction { db in
            let inserted = try await rows(
                db,
                """
                INSERT INTO users (name, role, created, email) VALUES (\(user.name), \(user.role), \(user.created),
                    \(user.email))
                ON CONFLICT (name) DO NOTHING RETURNING name
                """
            )
            if inserted.isEmpty {
                throw APIError.conflict("a user named '\(user.name)' already exists; choose another name")
            }
            try await insertToken(db, token)
            try await append(db, audit, now: now)
            try await notify(db, .identities)
            return user
        }
    }

    func insertToken(_ db: PostgresConnection, _ t: TokenRecord) async throws {
        try await exec(
            db,
            """
            INSERT INTO tokens (id, "user", label, hash, created, revoked, scope)
            VALUES (\(t.id), \(t.user), \(t.label), \(t.hash), \(t.created), \(t.revoked), \(t.scope))
            """
        )
    }

    public func removeUser(user: String, keep: String, audit: AuditDraft, now: Int) async throws -> [String] {
        try await transaction { db in
            // Role changes are serialised on the users table: two removals at once cannot both pass the check.
            try await exec(db, "LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE")
            guard let role = try await rows(db, "SELECT role FROM users WHERE name = \(user)").first?.string("role"),
                role != User.removed
            else { throw APIError.notFound("no user named '\(user)'") }
            try await exec(db, "UPDATE users SET role = \(User.removed) WHERE name = \(user)")
            let left = try await rows(db, "SELECT COUNT(*) AS n FROM users WHERE role = \(keep)").first?.int("n") ?? 0
            if left == 0 { throw APIError.conflict("'\(user)' is the last \(keep); make another user \(keep) first") }
            let ids = try await rows(
                db,
                #"SELECT id FROM tokens WHERE "user" = \#(user) AND revoked IS NULL ORDER BY id"#
            ).map { try $0.string("id") }
            try await exec(db, #"UPDATE tokens SET revoked = \#(now) WHERE "user" = \#(user) AND revoked IS NULL"#)
            try await exec(db, #"DELETE FROM web_sessions WHERE "user" = \#(user)"#)
            var draft = audit
            draft.fields.append(("tokens", .array(ids.map { .string($0) })))
            try await append(db, draft, now: now)
            try await notify(db, .identities)
            return ids
        }
    }

    public func users() async throws -> [User] {
        try await read { db in try await rows(db, "SELECT * FROM users ORDER BY name").map(Self.user) }
    }

    public func user(named name: String) async throws -> User? {
        try await read { db in try await rows(db, "SELECT * FROM users WHERE name = \(name)").first.map(Self.user) }
    }

    public func setRole(user: String, role: String, keep: String, audit: AuditDraft, now: Int) async throws {
        try await transaction { db in
            try await exec(db, "LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE")
            let changed = try await rows(db, "UPDATE users SET role = \(role) WHERE name = \(user) RETURNING name")
            guard changed.count == 1 else { throw APIError.notFound("no user named '\(user)'") }
            let left = try await rows(db, "SELECT COUNT(*) AS n FROM users WHERE role = \(keep)").first?.int("n") ?? 0
            if left == 0 {
                throw APIError.conflict("'\(user)' is the last \(keep); make another user \(keep) first")
            }
            try await append(db, audit, now: now)
            try await notify(db, .identities)
        }
    }

    public func addToken(_ token: TokenRecord, audit: AuditDraft, now: Int) async throws {
        try await transaction { db in
            guard try await !rows(db, "SELECT name FROM users WHERE name = \(token.user)").isEmpty
            else { throw APIError.notFound("no user named '\(token.user)'") }
            try await insertToken(db, token)
            try await append(db, audit, now: now)
        }
    }

    static func token(_ r: PostgresRandomAccessRow) throws -> TokenRecord {
        TokenRecord(
            id: try r.string("id"),
            user: try r.string("user"),
            label: try r.string("label"),
            hash: try r.string("hash"),
            created: try r.int("created"),
            revoked: try r.optionalInt("revoked"),
            scope: try r.string("scope")
        )
    }

    public func revokeToken(id: String, audit: AuditDraft, now: Int) async throws -> TokenRecord? {
        try await transaction { db in
            guard var t = try await rows(db, "SELECT * FROM tokens WHERE id = \(id) FOR UPDATE").first.map(Self.token)
            else { return nil }
            if t.revoked == nil {
                try await exec(db, "UPDATE tokens SET revoked = \(now) WHERE id = \(id)")
                t.revoked = now
                try await append(db, audit, now: now)
                try await notify(db, .identities)
            }
            return t
        }
    }

    public func tokens(user: String?) async throws -> [TokenRecord] {
        try await read { db in
            if let user {
                return try await rows(db, #"SELECT * FROM tokens WHERE "user" = \#(user) ORDER BY created, id"#)
                    .map(Self.token)
            }
            return try await rows(db, "SELECT * FROM tokens ORDER BY created, id").map(Self.token)
        }
    }

    public func authenticate(tokenHash: String) async throws -> User? {
        try await read { db in
            try await rows(
                db,
                """
                SELECT users.*, tokens.scope AS token_scope FROM tokens JOIN users ON users.name = tokens."user"
                WHERE tokens.hash = \(tokenHash) AND tokens.revoked IS NULL
                """
            ).first.map { row in
                var u = try Self.user(row)
                u.scope = try row.string("token_scope")
                return u
            }
        }
    }

    // MARK: decisions and sessions

    /// Decision reports are committed in groups (one transaction for all reports waiting while the previous
    /// group was written); each caller returns once its own report is committed.
    public func recordDecision(_ r: DecisionReport, user: String, audit: AuditDraft, now: Int) async throws -> Int {
        try await batcher.submit(.init(report: r, user: user, audit: audit, now: now))
    }

    /// Writes a group of decision reports in one transaction with a fixed number of statements, whatever the
    /// group's size: the audit lock first (so no other lock is held while waiting for it: replicas' groups cannot
    /// deadlock), the events chained in memory and inserted together, and the sessions' and reports' sums
    /// added per key. Returns each report's audit sequence number.
    static func writeDecisions(
        _ db: PostgresConnection,
        _ items: [PostgresDecisionBatcher.Item],
        _ logger: Logger
    )
        async throws -> [Int]
    {
        guard !items.isEmpty else { return [] }
        try await db.query("SELECT pg_advisory_xact_lock(\(auditLock))", logger: logger)
        let last = try await rows(db, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", logger).first
        var seq = try last.map { try $0.int("seq") } ?? 0
        var prev = try last.map { try $0.string("hash") } ?? AuditChain.genesis
        var a = AuditColumns()
        var sessions: [String: SessionSum] = [:]
        var order: [String] = []
        var days: [DayKey: DaySum] = [:]
        var rules: [RuleKey: (asks: Int, observed: Int)] = [:]
        var seqs: [Int] = []
        for item in items {
            let r = item.report
            seq += 1
            let event = AuditDraft.event(seq: seq, tail: item.eventTail)
            let hash = AuditChain.hash(previous: prev, event: event)
            a.add(seq: seq, time: item.now, draft: item.audit, event: event, prev: prev, hash: hash)
            prev = hash
            seqs.append(seq)
            let deny = r.decision == "deny" ? 1 : 0
            if !r.session.isEmpty {
                if sessions[r.session] == nil {
                    order.append(r.session)
                    sessions[r.session] = SessionSum(
                        user: item.user,
                        agent: r.agent,
                        repository: r.repository,
                        first: item.now,
                        last: item.now
                    )
                }
                sessions[r.session]!.last = max(sessions[r.session]!.last, item.now)
                sessions[r.session]!.actions += 1
                sessions[r.session]!.refused += deny
            }
            let ask = r.decision == "ask" ? 1 : 0
            let observed = r.observed == "ask" ? 1 : 0
            let key = DayKey(
                day: item.now / 86400,
                session: r.session,
                user: item.user,
                agent: r.agent,
                repository: r.repository
            )
            var d = days[key] ?? DaySum(first: item.now, last: item.now)
            d.first = min(d.first, item.now)
            d.last = max(d.last, item.now)
            d.actions += 1
            d.asks += ask
            d.denies += deny
            d.observed += observed
            d.stopped += item.audit.fields.contains { $0.0 == "stop" } ? 1 : 0
            days[key] = d
            if ask + observed > 0 {
                let rk = RuleKey(
                    day: item.now / 86400,
                    rule: r.rules.first ?? "",
                    user: item.user,
                    repository: r.repository
                )
                let sum = rules[rk] ?? (0, 0)
                rules[rk] = (sum.asks + ask, sum.observed + observed)
            }
        }
        try await db.query(
            """
            INSERT INTO audit (seq, time, kind, actor, session, destructive, tool, event, prev_hash, hash)
            SELECT * FROM unnest(\(a.seq)::bigint[], \(a.time)::bigint[], \(a.kind)::text[], \(a.actor)::text[],
                \(a.session)::text[], \(a.destructive)::bigint[], \(a.tool)::text[], \(a.event)::text[],
                \(a.prev)::text[], \(a.hash)::text[])
            """,
            logger: logger
        )
        if !order.isEmpty {
            let list = order.map { ($0, sessions[$0]!) }
            try await db.query(
                """
                INSERT INTO sessions (id, "user", agent, repository, first, last, actions, refused)
                SELECT * FROM unnest(\(list.map(\.0))::text[], \(list.map(\.1.user))::text[],
                    \(list.map(\.1.agent))::text[], \(list.map(\.1.repository))::text[], \(list.map(\.1.first))::bigint[],
                    \(list.map(\.1.last))::bigint[], \(list.map(\.1.actions))::bigint[], \(list.map(\.1.refused))::bigint[])
                ON CONFLICT (id) DO UPDATE SET last = greatest(sessions.last, excluded.last),
                    actions = sessions.actions + excluded.actions, refused = sessions.refused + excluded.refused
                """,
                logger: logger
            )
        }
        let d = days.sorted { $0.key < $1.key }
        try await db.query(
            """
            INSERT INTO session_days (day, session, "user", agent, repository, first, last, actions, asks, denies,
                observed, stopped)
            SELECT * FROM unnest(\(d.map(\.key.day))::bigint[], \(d.map(\.key.session))::text[],
                \(d.map(\.key.user))::text[], \(d.map(\.key.agent))::text[], \(d.map(\.key.repository))::text[],
                \(d.map(\.value.first))::bigint[], \(d.map(\.value.last))::bigint[], \(d.map(\.value.actions))::bigint[],
                \(d.map(\.value.asks))::bigint[], \(d.map(\.value.denies))::bigint[], \(d.map(\.value.observed))::bigint[],
                \(d.map(\.value.stopped))::bigint[])
            ON CONFLICT (day, session, "user", agent, repository) DO UPDATE SET
                first = least(session_days.first, excluded.first), last = greatest(session_days.last, excluded.last),
                actions = session_days.actions + excluded.actions, asks = session_days.asks + excluded.asks,
                denies = session_days.denies + excluded.denies, observed = session_days.observed + excluded.observed,
                stopped = session_days.stopped + excluded.stopped
            """,
            logger: logger
        )
        if !rules.isEmpty {
            let rs = rules.sorted { $0.key < $1.key }
            try await db.query(
                """
                INSERT INTO rule_days (day, rule, "user", repository, asks, observed)
                SELECT * FROM unnest(\(rs.map(\.key.day))::bigint[], \(rs.map(\.key.rule))::text[],
                    \(rs.map(\.key.user))::text[], \(rs.map(\.key.repository))::text[], \(rs.map(\.value.asks))::bigint[],
                    \(rs.map(\.value.observed))::bigint[])
                ON CONFLICT (day, rule, "user", repository) DO UPDATE SET
                    asks = rule_days.asks + excluded.asks, observed = rule_days.observed + excluded.observed
                """,
                logger: logger
            )
        }
        return seqs
    }

    public func destructiveCount(session: String?, user: String?, tool: String?, since: Int) async throws -> Int {
        try await read { db in
            let column = session == nil ? "actor" : "session"
            let key = session ?? user ?? ""
            let q: PostgresQuery =
                tool.map {
                    """
                    SELECT COUNT(*) AS n FROM audit WHERE destructive = 1 AND \(unescaped: column) = \(key)
                        AND tool = \($0) AND time >= \(since)
                    """
                }
                    ?? """
                    SELECT COUNT(*) AS n FROM audit WHERE destructive = 1 AND \(unescaped: column) = \(key)
                        AND time >= \(since)
                    """
            return try await rows(db, q).first?.int("n") ?? 0
        }
    }

    public func admitDestructive(slot: String, since: Int, limit: Int, now: Int) async throws -> Int {
        try await transaction { db in
            // Every replica admits under the same lock: parallel calls on several replicas cannot all slip under
            // the limit while the committed count lags behind.
            try await exec(db, "SELECT pg_advisory_xact_lock(hashtextextended(\(slot), 0))")
            let n =
                try await rows(
                    db,
                    "SELECT COUNT(*) AS n FROM breaker_admissions WHERE slot = \(slot) AND time > \(since)"
                ).first?.int("n") ?? 0
            if n < limit {
                try await exec(db, "INSERT INTO breaker_admissions (slot, time) VALUES (\(slot), \(now))")
            }
            if now % 64 == 0 {
                // Admissions older than a day count for no breaker window.
                try await exec(db, "DELETE FROM breaker_admissions WHERE time < \(now - 86_400)")
            }
            return n
        }
    }

    static func session(_ r: PostgresRandomAccessRow) throws -> SessionSummary {
        SessionSummary(
            id: try r.string("id"),
            user: try r.string("user"),
            agent: try r.string("agent"),
            repository: try r.string("repository"),
            first: try r.int("first"),
            last: try r.int("last"),
            actions: try r.int("actions"),
            refused: try r.int("refused")
        )
    }

    public func sessions(limit: Int) async throws -> [SessionSummary] {
        try await read { db in
            try await rows(db, "SELECT * FROM sessions ORDER BY last DESC, id LIMIT \(limit)").map(Self.session)
        }
    }

    public func session(id: String) async throws -> SessionSummary? {
        try await read { db in try await rows(db, "SELECT * FROM sessions WHERE id = \(id)").first.map(Self.session) }
    }

    public func sessionEvents(id: String, limit: Int) async throws -> [AuditChain.Entry] {
        try await read { db in
            try await rows(
                db,
                "SELECT seq, event, prev_hash, hash FROM audit WHERE session = \(id) ORDER BY seq DESC LIMIT \(limit)"
            ).map(Self.entry).reversed()
        }
    }

    // MARK: approvals

    static func approval(_ r: PostgresRandomAccessRow) throws -> Approval {
        let votes = ((try? JSONValue.parse(try r.string("votes")))?.arrayValue ?? []).compactMap(Vote.init(json:))
        return Approval(
            id: try r.string("id"),
            digest: try r.string("digest"),
            summary: try r.string("summary"),
            detail: (try? JSONValue.parse(try r.string("detail"))) ?? .null,
            requester: try r.string("requester"),
            agent: try r.string("agent"),
            session: try r.string("session"),
            repository: try r.string("repository"),
            environment: try r.string("environment"),
            requiredRole: try r.string("required_role"),
            requiredCount: try r.int("required_count"),
            status: Approval.Status(rawValue: try r.string("status")) ?? .denied,
            created: try r.int("created"),
            expires: try r.int("expires"),
            votes: votes,
            decided: try r.optionalInt("decided"),
            used: try r.optionalInt("used")
        )
    }

    public func insertApproval(_ a: Approval, audit: AuditDraft, now: Int) async throws {
        try await transaction { db in
            let votes = JSONValue.array(a.votes.map(\.json)).serialized
            try await exec(
                db,
                """
                INSERT INTO approvals (id, digest, summary, detail, requester, agent, session, repository,
                    environment, required_role, required_count, status, created, expires, votes, decided, used, shape)
                VALUES (\(a.id), \(a.digest), \(a.summary), \(a.detail.serialized), \(a.requester), \(a.agent),
                    \(a.session), \(a.repository), \(a.environment), \(a.requiredRole), \(a.requiredCount),
                    \(a.status.rawValue), \(a.created), \(a.expires), \(votes), \(a.decided), \(a.used),
                    \(Suggestion.shapeKey(a)))
                """
            )
            try await append(db, audit, now: now)
            try await notify(db, .approval(a.id))
        }
    }

    public func approval(id: String) async throws -> Approval? {
        try await read { db in try await rows(db, "SELECT * FROM approvals WHERE id = \(id)").first.map(Self.approval) }
    }

    public func approvals(status: Approval.Status?, limit: Int) async throws -> [Approval] {
        try await read { db in
            if let status {
                return try await rows(
                    db,
                    "SELECT * FROM approvals WHERE status = \(status.rawValue) ORDER BY created DESC, id LIMIT \(limit)"
                ).map(Self.approval)
            }
            return try await rows(db, "SELECT * FROM approvals ORDER BY created DESC, id LIMIT \(limit)")
                .map(Self.approval)
        }
    }

    public func findApproval(digest: String, requester: String, statuses: [Approval.Status]) async throws -> Approval? {
        try await read { db in
            try await rows(
                db,
                """
                SELECT * FROM approvals WHERE digest = \(digest) AND requester = \(requester)
                    AND status = ANY(\(statuses.map(\.rawValue)))
                ORDER BY created DESC, n DESC LIMIT 1
                """
            ).first.map(Self.approval)
        }
    }

    public func updateApproval(
        id: String,
        now: Int,
        _ body: @escaping @Sendable (inout Approval) throws -> AuditDraft?
    ) async throws -> Approval? {
        try await transaction { db in
            // The row is locked until commit: a vote on one replica and a use on another are applied one after
            // the other, each to what the previous left (a request is used exactly once).
            guard
                var a = try await rows(db, "SELECT * FROM approvals WHERE id = \(id) FOR UPDATE").first
                    .map(Self.approval)
            else { return nil }
            if let draft = try body(&a) {
                let votes = JSONValue.array(a.votes.map(\.json)).serialized
                try await exec(
                    db,
                    """
                    UPDATE approvals SET status = \(a.status.rawValue), votes = \(votes), decided = \(a.decided),
                        used = \(a.used), expires = \(a.expires) WHERE id = \(id)
                    """
                )
                try await append(db, draft, now: now)
                try await notify(db, .approval(id))
            }
            return a
        }
    }

    // MARK: web sessions

    public func createWebSession(hash: String, user: String, tokenHash: String, csrf: String, expires: Int) async throws
    {
        try await transaction { db in
            try await exec(
                db,
                """
                INSERT INTO web_sessions (hash, "user", token_hash, csrf, expires)
                VALUES (\(hash), \(user), \(tokenHash), \(csrf), \(expires))
                """
            )
        }
    }

    public func webSession(hash: String, now: Int) async throws -> WebSession? {
        try await read { db in
            guard
                let r = try await rows(
                    db,
                    """
                    SELECT users.*, web_sessions.csrf, web_sessions.expires FROM web_sessions
                    JOIN users ON users.name = web_sessions."user"
                    JOIN tokens ON tokens.hash = web_sessions.token_hash AND tokens.revoked IS NULL
                    WHERE web_sessions.hash = \(hash) AND web_sessions.expires > \(now)
                    """
                ).first
            else { return nil }
            return WebSession(user: try Self.user(r), csrf: try r.string("csrf"), expires: try r.int("expires"))
        }
    }

    public func deleteWebSession(hash: String) async throws {
        try await transaction { db in try await exec(db, "DELETE FROM web_sessions WHERE hash = \(hash)") }
    }

    // MARK: stops

    static func stop(_ r: PostgresRandomAccessRow) throws -> Stop {
        Stop(
            id: try r.string("id"),
            // A scope this version does not know (a newer writer) covers everything: it fails closed.
            scope: StopScope(rawValue: try r.string("scope")) ?? .all,
            value: try r.string("value"),
            reason: try r.string("reason"),
            createdBy: try r.string("created_by"),
            created: try r.int("created"),
            liftRole: try r.string("lift_role"),
            automatic: try r.int("automatic") != 0,
            liftedBy: try r.optionalString("lifted_by"),
            lifted: try r.optionalInt("lifted")
        )
    }

    func insertStopRow(_ db: PostgresConnection, _ s: Stop) async throws {
        try await exec(
            db,
            """
            INSERT INTO stops (id, scope, value, reason, created_by, created, lift_role, automatic)
            VALUES (\(s.id), \(s.scope.rawValue), \(s.value), \(s.reason), \(s.createdBy), \(s.created),
                \(s.liftRole), \(s.automatic ? 1 : 0))
            """
        )
    }

    public func insertStop(_ s: Stop, audit: AuditDraft, now: Int) async throws {
        try await transaction { db in
            try await insertStopRow(db, s)
            try await append(db, audit, now: now)
            try await notify(db, .stops)
        }
    }

    public func insertAutomaticStop(_ s: Stop, audit: AuditDraft, now: Int) async throws -> Stop {
        try await transaction { db in
            // Trips of one key on every replica wait for each other here.
            try await exec(
                db,
                "SELECT pg_advisory_xact_lock(hashtextextended(\("stop|" + s.scope.rawValue + "|" + s.value), 0))"
            )
            if let active = try await rows(
                db,
                """
                SELECT * FROM stops WHERE lifted IS NULL AND automatic = 1 AND scope = \(s.scope.rawValue)
                    AND value = \(s.value) LIMIT 1
                """
            ).first.map(Self.stop) {
                return active
            }
            try await insertStopRow(db, s)
            try await append(db, audit, now: now)
            try await notify(db, .stops)
            return s
        }
    }

    public func stops(includeLifted: Bool) async throws -> [Stop] {
        try await read { db in
            try await rows(
                db,
                includeLifted
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
        try await transaction { db in
            guard var s = try await rows(db, "SELECT * FROM stops WHERE id = \(id) FOR UPDATE").first.map(Self.stop)
            else { return nil }
            if let draft = try body(&s) {
                try await exec(
                    db,
                    """
                    UPDATE stops SET lifted_by = \(s.liftedBy), lifted = \(s.lifted), reason = \(s.reason)
                    WHERE id = \(id)
                    """
                )
                try await append(db, draft, now: now)
                try await notify(db, .stops)
            }
            return s
        }
    }
}

/// Group commit for decision reports on PostgreSQL: reports that arrive while a group is being written are
/// written together as the next group, in one transaction (one round of commit for many hooks).
actor PostgresDecisionBatcher {
    typealias Item = DecisionWrite

    let client: PostgresClient
    let logger: Logger
    var pending: [(Item, CheckedContinuation<Int, any Error>)] = []
    var draining = false

    init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    func submit(_ item: Item) async throws -> Int {
        try await withCheckedThrowingContinuation { c in
            pending.append((item, c))
            if !draining {
                draining = true
                Task { await self.drain() }
            }
        }
    }

    func drain() async {
        while !pending.isEmpty {
            let batch = Array(pending.prefix(500))
            pending.removeFirst(batch.count)
            let items = batch.map(\.0)
            let logger = self.logger
            do {
                let seqs = try await PostgresStore.transaction(client, logger) { db in
                    try await PostgresStore.writeDecisions(db, items, logger)
                }
                for (i, entry) in batch.enumerated() { entry.1.resume(returning: seqs[i]) }
            } catch {
                // One report the database refuses must not fail the others written with it: each alone.
                for entry in batch {
                    do {
                        let seq = try await PostgresStore.transaction(client, logger) { db in
                            try await PostgresStore.writeDecisions(db, [entry.0], logger)
                        }
                        entry.1.resume(returning: seq[0])
                    } catch {
                        entry.1.resume(throwing: error)
                    }
                }
            }
        }
        draining = false
    }
}

extension PostgresRandomAccessRow {
    func int(_ column: String) throws -> Int { try self[column].decode(Int.self) }
    func optionalInt(_ column: String) throws -> Int? { try self[column].decode(Int?.self) }
    func string(_ column: String) throws -> String { try self[column].decode(String.self) }
    func optionalString(_ column: String) throws -> String? { try self[column].decode(String?.self) }
}

/// A flag shared between tasks.
final class Flag: Sendable {
    private let state = Mutex(false)
    var value: Bool { state.withLock { $0 } }
    func set(_ v: Bool) { state.withLock { $0 = v } }
    /// Sets the flag; true only for the call that set it first.
    func claim() -> Bool {
        state.withLock { was in
            defer { was = true }
            return !was
        }
    }
}

/// The handlers a store calls with other processes' changes.
final class Handlers: Sendable {
    private let list = Mutex<[@Sendable (StoreChange) -> Void]>([])
    func add(_ h: @escaping @Sendable (StoreChange) -> Void) { list.withLock { $0.append(h) } }
    func deliver(_ change: StoreChange) { for h in list.withLock({ $0 }) { h(change) } }
}

/// A group's audit events as columns (inserted with one `unnest`).
struct AuditColumns {
    var seq: [Int] = []
    var time: [Int] = []
    var kind: [String] = []
    var actor: [String] = []
    var session: [String] = []
    var destructive: [Int] = []
    var tool: [String] = []
    var event: [String] = []
    var prev: [String] = []
    var hash: [String] = []

    mutating func add(seq s: Int, time t: Int, draft d: AuditDraft, event e: String, prev p: String, hash h: String) {
        seq.append(s)
        time.append(t)
        kind.append(d.kind)
        actor.append(d.actor)
        session.append(d.session)
        destructive.append(d.destructive ? 1 : 0)
        tool.append(d.tool)
        event.append(e)
        prev.append(p)
        hash.append(h)
    }
}

struct SessionSum {
    var user: String
    var agent: String
    var repository: String
    var first: Int
    var last: Int
    var actions = 0
    var refused = 0
}

struct DayKey: Hashable, Comparable {
    var day: Int
    var session: String
    var user: String
    var agent: String
    var repository: String

    static func < (a: DayKey, b: DayKey) -> Bool {
        (a.day, a.session, a.user, a.agent, a.repository) < (b.day, b.session, b.user, b.agent, b.repository)
    }
}

struct DaySum {
    var first: Int
    var last: Int
    var actions = 0
    var asks = 0
    var denies = 0
    var observed = 0
    var stopped = 0
}

struct RuleKey: Hashable, Comparable {
    var day: Int
    var rule: String
    var user: String
    var repository: String

    static func < (a: RuleKey, b: RuleKey) -> Bool {
        (a.day, a.rule, a.user, a.repository) < (b.day, b.rule, b.user, b.repository)
    }
}
