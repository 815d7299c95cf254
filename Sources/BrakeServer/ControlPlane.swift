import BrakeCore
import Crypto
import Prometheus
import Synchronization

/// Hot-path caches: token → user and the active stops. Every change made through this process clears
/// them at once, and so does a change another replica announces through the store; they also expire after a
/// second or two, so a change nobody announced (an operator's SQL, a lost connection) is seen within that time.
final class Caches: Sendable {
    let users = Mutex<(generation: Int, map: [String: (User, ContinuousClock.Instant)])>((0, [:]))
    let stops = Mutex<([Stop], ContinuousClock.Instant)?>(nil)
    static let userTTL = Duration.seconds(2)
    static let stopsTTL = Duration.seconds(1)

    /// A lookup that began before a clear must not put back what the clear removed (a revoked token): every
    /// clear starts a new generation, and only a lookup of the current one is kept.
    func clearUsers() {
        users.withLock {
            $0.generation += 1
            $0.map.removeAll()
        }
    }
    func clearStops() { stops.withLock { $0 = nil } }
}

/// The control plane's rules, independent of HTTP: who may do what, how approvals move, when the circuit
/// breaker trips. Every change goes through the store together with its audit event.
public struct ControlPlane: Sendable {
    public let store: any ControlStore
    public let config: ServerConfig
    /// The organisation policy with the suggestions admins accepted; replaced whole when one is accepted.
    let policyState: PolicyState
    /// The policy the server judges with.
    public var policy: Policy { policyState.current.policy }
    /// The organisation policy as served to hooks (empty when only the built-in policy applies).
    public var policyText: String { policyState.current.text }
    public var policyETag: String { policyState.current.etag }
    let key: Curve25519.Signing.PrivateKey
    let clock: @Sendable () -> Int
    let caches = Caches()
    let signals = ApprovalSignals()
    public let metrics: ServerMetrics
    public let notifier: Notifier

    public init(
        store: any ControlStore,
        config: ServerConfig,
        policy: Policy,
        policyText: String,
        key: Curve25519.Signing.PrivateKey,
        clock: @escaping @Sendable () -> Int,
        webhookBackoff: Duration = .milliseconds(500),
        webhookTimeout: Duration = .seconds(10)
    ) {
        let metrics = ServerMetrics()
        self.metrics = metrics
        self.notifier = Notifier(
            hooks: config.webhooks,
            retries: config.webhookRetries,
            backoff: webhookBackoff,
            attemptTimeout: webhookTimeout,
            metrics: metrics
        )
        self.store = store
        self.config = config
        self.policyState = PolicyState(base: policy, text: policyText)
        self.key = key
        self.clock = clock
        // Other replicas' changes: caches drop what changed, long-polls on a request wake, the policy reloads.
        let (caches, signals, policyState) = (caches, signals, policyState)
        store.onChange { [store] change in
            switch change {
            case .identities: caches.clearUsers()
            case .stops: caches.clearStops()
            case .approval(let id): signals.signal(id)
            case .policy, .all:
                caches.clearUsers()
                caches.clearStops()
                Task { try? policyState.apply(await store.suggestionDecisions().filter { $0.status == "accepted" }) }
                if change == .all { signals.signalAll() }
            }
        }
    }

    public var publicKey: Curve25519.Signing.PublicKey { key.publicKey }
    public var publicKeyBase64: String { Base64.encode(Array(key.publicKey.rawRepresentation)) }
    public func now() -> Int { clock() }

    // MARK: identities

    public static func hashToken(_ token: String) -> String { AuditChain.hash(previous: "brake-token:", event: token) }

    /// A new random token: `brk_ID_SECRET`; only its hash is stored.
    public static func newToken() -> (id: String, token: String) {
        let id = randomString(10)
        return (id, "brk_\(id)_\(randomString(32))")
    }

    static func randomString(_ n: Int) -> String {
        let alphabet = Array("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var g = SystemRandomNumberGenerator()
        return String((0..<n).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &g)] })
    }

    public func authenticate(bearer: String?) async throws -> User {
        guard let b = bearer, b.hasPrefix("brk_") else { throw APIError.unauthorized }
        let hash = Self.hashToken(b)
        let now = ContinuousClock.now
        let (cached, generation) = caches.users.withLock { ($0.map[hash], $0.generation) }
        if let (user, until) = cached, until > now { return user }
        guard let user = try await store.authenticate(tokenHash: hash) else { throw APIError.unauthorized }
        caches.users.withLock { if $0.generation == generation { $0.map[hash] = (user, now + Caches.userTTL) } }
        return user
    }

    /// The active stops, from the cache when it is fresh (never on a store replicas share: a stop made on another
    /// replica must block the very next action here).
    public func activeStops() async throws -> [Stop] {
        if store.isShared { return try await store.stops(includeLifted: false) }
        let now = ContinuousClock.now
        if let (list, until) = caches.stops.withLock({ $0 }), until > now { return list }
        let list = try await store.stops(includeLifted: false)
        caches.stops.withLock { $0 = (list, now + Caches.stopsTTL) }
        return list
    }

    /// Deciding, lifting and managing need a person's token: an agent's hook token cannot do them even when
    /// its owner could.
    func requirePerson(_ user: User, to what: String) throws {
        if user.scope != "person" {
            throw APIError.forbidden(
                "\(what) needs a person's token; this is an agent token (it may report decisions, ask for approvals and use them)"
            )
        }
    }

    func require(_ user: User, atLeast role: String, to what: String) throws {
        try requirePerson(user, to: what)
        if config.userRank(user.role) < config.rank(role) {
            throw APIError.forbidden("\(what) needs role \(role) or higher; \(user.name) is \(user.role)")
        }
    }

    func validRole(_ role: String) throws {
        if !config.roles.contains(role) {
            throw APIError.badRequest("unknown role '\(role)'; roles are: \(config.roles.joined(separator: ", "))")
        }
    }

    static func validName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64
            && name.unicodeScalars.allSatisfy {
                ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0)
                    || "-_.@".unicodeScalars.contains($0)
            }
    }

    /// On first start: an admin user and its token (returned once), or nil when users exist.
    public func bootstrap(admin: String = "admin", token given: String? = nil) async throws -> String? {
        guard try await store.userCount() == 0 else { return nil }
        var (id, token) = Self.newToken()
        if let given {
            // brk_ID_SECRET, as `brake serve --new-admin-token` makes it: the secret is what authenticates.
            let parts = given.split(separator: "_", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3, parts[0] == "brk", parts[1].count >= 6, parts[2].count >= 32,
                given.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }), given.allSatisfy(\.isASCII)
            else {
                throw APIError.badRequest(
                    "the admin token file must hold one token brk_ID_SECRET (an ID of 6+ and a secret of 32+ letters or digits); make one with `brake serve --new-admin-token`"
                )
            }
            (id, token) = (String(parts[1]), given)
        }
        let t = now()
        do {
            _ = try await store.addUser(
                User(name: admin, role: config.topRole, created: t),
                token: TokenRecord(id: id, user: admin, label: "bootstrap", hash: Self.hashToken(token), created: t),
                audit: AuditDraft(
                    kind: "user.created",
                    actor: "brake-serve",
                    fields: [("user", .string(admin)), ("role", .string(config.topRole)), ("token", .string(id))]
                ),
                now: t
            )
        } catch let e as APIError where e.status == 409 {
            // Another replica starting at the same time made the first user.
            return nil
        }
        return token
    }

    public func addUser(name: String, role: String, email: String = "", by actor: User) async throws -> (User, String) {
        try require(actor, atLeast: config.topRole, to: "adding users")
        guard Self.validName(name) else {
            throw APIError.badRequest("user names are 1–64 letters, digits, '-', '_', '.', '@'; got '\(name)'")
        }
        try validRole(role)
        let mail = String(email.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
        if !mail.isEmpty && (mail.count > 254 || !mail.contains("@") || mail.contains(" ") || mail.hasPrefix("@")) {
            throw APIError.badRequest("'\(mail)' is not an e-mail address")
        }
        let (id, token) = Self.newToken()
        let t = now()
        var fields: [(String, JSONValue)] = [("user", .string(name)), ("role", .string(role)), ("token", .string(id))]
        if !mail.isEmpty { fields.append(("email", .string(mail))) }
        let u = try await store.addUser(
            User(name: name, role: role, created: t, email: mail),
            token: TokenRecord(id: id, user: name, label: "initial", hash: Self.hashToken(token), created: t),
            audit: AuditDraft(kind: "user.created", actor: actor.name, fields: fields),
            now: t
        )
        return (u, token)
    }

    /// Removes a person: their tokens stop working at once and their page sessions end; their name stays in the
    /// audit log. Nobody removes themselves, and the last user of the top role stays.
    public func removeUser(name: String, by actor: User) async throws -> [String] {
        try require(actor, atLeast: config.topRole, to: "removing users")
        guard name != actor.name else {
            throw APIError.conflict("you cannot remove yourself; another \(config.topRole) can")
        }
        defer { caches.clearUsers() }
        return try await store.removeUser(
            user: name,
            keep: config.topRole,
            audit: AuditDraft(kind: "user.removed", actor: actor.name, fields: [("user", .string(name))]),
            now: now()
        )
    }

    public func setRole(name: String, role: String, by actor: User) async throws -> User {
        try require(actor, atLeast: config.topRole, to: "changing roles")
        try validRole(role)
        guard let target = try await store.user(named: name) else { throw APIError.notFound("no user named '\(name)'") }
        defer { caches.clearUsers() }
        // The last-admin check runs inside the store's transaction: two admins demoting each other at once
        // cannot both succeed.
        try await store.setRole(
            user: name,
            role: role,
            keep: config.topRole,
            audit: AuditDraft(
                kind: "user.role",
                actor: actor.name,
                fields: [("user", .string(name)), ("from", .string(target.role)), ("role", .string(role))]
            ),
            now: now()
        )
        return User(name: name, role: role, created: target.created)
    }

    public func createToken(
        for name: String?,
        label: String,
        scope: String = "person",
        by actor: User
    ) async throws
        -> (TokenRecord, String)
    {
        try requirePerson(actor, to: "creating tokens")
        guard ["person", "agent"].contains(scope) else {
            throw APIError.badRequest("'scope' is person or agent, not '\(scope)'")
        }
        let owner = name ?? actor.name
        if owner != actor.name { try require(actor, atLeast: config.topRole, to: "creating tokens for others") }
        let (id, token) = Self.newToken()
        let t = now()
        let record = TokenRecord(
            id: id,
            user: owner,
            label: label,
            hash: Self.hashToken(token),
            created: t,
            scope: scope
        )
        try await store.addToken(
            record,
            audit: AuditDraft(
                kind: "token.created",
                actor: actor.name,
                fields: [
                    ("user", .string(owner)), ("token", .string(id)), ("label", .string(label)),
                    ("scope", .string(scope)),
                ]
            ),
            now: t
        )
        return (record, token)
    }

    public func revokeToken(id: String, by actor: User) async throws -> TokenRecord {
        try requirePerson(actor, to: "revoking tokens")
        let all = try await store.tokens(user: nil)
        guard let t = all.first(where: { $0.id == id }) else { throw APIError.notFound("no token with id '\(id)'") }
        if t.user != actor.name { try require(actor, atLeast: config.topRole, to: "revoking others' tokens") }
        defer { caches.clearUsers() }
        guard
            let r = try await store.revokeToken(
                id: id,
                audit: AuditDraft(
                    kind: "token.revoked",
                    actor: actor.name,
                    fields: [("user", .string(t.user)), ("token", .string(id))]
                ),
                now: now()
            )
        else { throw APIError.notFound("no token with id '\(id)'") }
        return r
    }

    public func tokens(for actor: User, all: Bool) async throws -> [TokenRecord] {
        if all {
            try require(actor, atLeast: config.topRole, to: "listing everyone's tokens")
            return try await store.tokens(user: nil)
        }
        return try await store.tokens(user: actor.name)
    }

    // MARK: decisions, stops and the circuit breaker

    public struct Outcome: Sendable {
        public var decision: String
        public var stop: Stop?
        public var stops: [Stop]
        public var seq: Int
        public var message: String
    }

    func scope(of r: DecisionReport, user: User) -> ActionScope {
        ActionScope(
            user: user.name,
            agent: r.agent,
            session: r.session.isEmpty ? nil : r.session,
            repository: r.repository.isEmpty ? nil : r.repository,
            environment: r.environment.isEmpty ? nil : r.environment
        )
    }

    /// Records what a hook decided; a stop in scope or a tripped breaker turns it into a deny.
    public func report(_ r: DecisionReport, by user: User, repositories: [String] = []) async throws -> Outcome {
        let t = now()
        var stops = try await activeStops()
        let s = scope(of: r, user: user)
        var final = r.decision
        var stop = stops.first { $0.covers(s) }
        // A repository stop follows the action: any repository it runs in or changes.
        for repository in repositories where stop == nil {
            var other = s
            other.repository = repository
            stop = stops.first { $0.covers(other) }
        }
        var message = ""
        let destructive = config.isDestructive(effects: r.effects, labels: r.labels)
        if let stop {
            final = "deny"
            message = "a stop is in force (\(stop.describe)): \(stop.reason.isEmpty ? "no reason given" : stop.reason)"
        } else if destructive && r.decision != "deny" {
            for b in config.breakers {
                let key = b.scope == "session" ? r.session : user.name
                if key.isEmpty { continue }
                let committed = try await store.destructiveCount(
                    session: b.scope == "session" ? key : nil,
                    user: b.scope == "user" ? key : nil,
                    tool: b.perTool ? r.tool : nil,
                    since: t - b.window
                )
                let slot = "\(b.name)|\(key)|\(b.perTool ? r.tool : "")"
                // Admissions include actions not yet committed (on any replica): parallel calls cannot all slip
                // under the limit while the committed count lags behind.
                let admitted = try await store.admitDestructive(
                    slot: slot,
                    since: t - b.window,
                    limit: committed >= b.limit ? 0 : b.limit,
                    now: t
                )
                let n = max(admitted, committed)
                if n >= b.limit {
                    let what = b.perTool ? "destructive \(r.tool) calls" : "destructive actions"
                    let reason =
                        "circuit breaker \(b.name): more than \(b.limit) \(what) by \(b.scope) \(key) in \(b.window / 60) minutes"
                    let candidate = Stop(
                        id: "stp_" + Self.randomString(10),
                        scope: StopScope(rawValue: b.scope) ?? .session,
                        value: key,
                        reason: reason,
                        createdBy: "circuit-breaker",
                        created: t,
                        liftRole: b.liftRole,
                        automatic: true
                    )
                    defer { caches.clearStops() }
                    let auto = try await store.insertAutomaticStop(
                        candidate,
                        audit: AuditDraft(
                            kind: "stop.created",
                            actor: "circuit-breaker",
                            session: r.session,
                            fields: [
                                ("stop", candidate.json), ("breaker", .string(b.name)), ("count", .number(Double(n))),
                            ]
                        ),
                        now: t
                    )
                    stops.append(auto)
                    stop = auto
                    if auto.id == candidate.id {
                        // Only the trip that made the stop announces it.
                        metrics.stopCreated(automatic: true)
                        notifier.emit(
                            "breaker.tripped",
                            text:
                                "Brake circuit breaker: \(reason). \(b.scope.capitalized1) \(key) (\(user.name), \(r.agent)) is stopped; lifting it needs \(b.liftRole): \(link("/ui/stops"))",
                            fields: [("stop", auto.json), ("user", .string(user.name)), ("agent", .string(r.agent))],
                            now: t
                        )
                    }
                    final = "deny"
                    message = auto.reason + "; a person with role \(b.liftRole) must lift stop \(auto.id)"
                    break
                }
            }
        }
        var fields: [(String, JSONValue)] = [
            // Hooks redact before sending; the server does it again so a client's slip never lands in the log.
            ("agent", .string(r.agent)), ("tool", .string(r.tool)), ("action", .string(Redact.text(r.action))),
            ("decision", .string(r.decision)), ("rules", .array(r.rules.map { .string($0) })),
            ("labels", .array(r.labels.map { .string($0) })), ("digest", .string(r.digest)),
        ]
        if !r.repository.isEmpty { fields.append(("repository", .string(r.repository))) }
        if !r.environment.isEmpty { fields.append(("environment", .string(r.environment))) }
        if final != r.decision { fields.append(("enforced", .string(final))) }
        if !r.observed.isEmpty { fields.append(("observed", .string(r.observed))) }
        if let stop { fields.append(("stop", .string(stop.id))) }
        metrics.decision(outcome: final, rules: r.rules)
        if let ms = r.elapsedMS { metrics.hookReported.record(ms) }
        var recorded = r
        recorded.decision = final
        let seq = try await store.recordDecision(
            recorded,
            user: user.name,
            audit: AuditDraft(
                kind: "decision",
                actor: user.name,
                session: r.session,
                destructive: destructive && final != "deny",
                tool: r.tool,
                fields: fields
            ),
            now: t
        )
        return Outcome(decision: final, stop: stop, stops: stops, seq: seq, message: message)
    }

    /// `POST /v1/provenance`: what agents produced, as a hook recorded it right after the tool ran. A record only
    /// ever adds evidence of AI use (the gate's sign-off requirements), so any authenticated caller may send them.
    public func recordAgentWork(_ body: JSONValue, by user: User) async throws -> Int {
        guard let items = body["records"]?.arrayValue else {
            throw APIError.badRequest("'records' must be a list of agent records (kind file with blob, or commit)")
        }
        if items.count > 5000 { throw APIError.badRequest("send at most 5,000 records per call") }
        var records: [AgentRecord] = []
        for (i, item) in items.enumerated() {
            guard let r = AgentRecord(json: item) else {
                throw APIError.badRequest(
                    "records[\(i)] is not an agent record: 'kind' file with a 40-hex 'blob', or commit with a 40-hex 'commit'"
                )
            }
            records.append(r)
        }
        try await store.addAgentRecords(records, user: user.name, now: now())
        return records.count
    }

    /// `POST /v1/checkpoints`: what a hook kept on its machine before a destructive step (paths and counts, never
    /// content), recorded as `checkpoint` audit events of the session, so its page shows what can be undone there.
    public func recordCheckpoints(_ body: JSONValue, by user: User) async throws -> Int {
        guard let items = body["checkpoints"]?.arrayValue, items.count <= 100 else {
            throw APIError.badRequest("'checkpoints' must be a list of at most 100 checkpoint summaries")
        }
        for (i, item) in items.enumerated() {
            guard let id = item["id"]?.stringValue, id.hasPrefix("ck-"), id.count < 64,
                let session = item["session"]?.stringValue, session.count <= 256
            else {
                throw APIError.badRequest("checkpoints[\(i)] needs an 'id' (ck-…) and a 'session'")
            }
            func text(_ k: String, _ n: Int = 300) -> JSONValue {
                .string(String((item[k]?.stringValue ?? "").prefix(n)))
            }
            func count(_ k: String) -> JSONValue { .number(Double(max(0, item[k]?.intValue ?? 0))) }
            let paths = (item["paths"]?.strings ?? []).prefix(20).map { JSONValue.string(String($0.prefix(500))) }
            let git = (item["git"]?.strings ?? []).prefix(10).map { JSONValue.string(String($0.prefix(500))) }
            _ = try await store.append(
                AuditDraft(
                    kind: "checkpoint",
                    actor: user.name,
                    session: session,
                    fields: [
                        ("checkpoint", .string(id)), ("agent", text("agent", 100)), ("host", text("host", 255)),
                        ("action", text("action", 2000)), ("kept", count("kept")), ("paths", .array(paths)),
                        ("git", .array(git)), ("skipped", count("skipped")), ("unresolved", count("unresolved")),
                    ]
                ),
                now: now()
            )
        }
        return items.count
    }

    /// `POST /v1/provenance/lookup`: the records of any of these blobs or commits (for `brake gate`).
    public func lookupAgentWork(_ body: JSONValue) async throws -> [AgentRecord] {
        func ids(_ key: String) throws -> [String] {
            guard let v = body[key] else { return [] }
            guard let a = v.arrayValue, a.count <= 20000 else {
                throw APIError.badRequest("'\(key)' must be a list of at most 20,000 object ids")
            }
            return try a.map {
                guard let s = $0.stringValue, s.count == 40, s.allSatisfy(\.isHexDigit) else {
                    throw APIError.badRequest("'\(key)' holds something that is not a 40-hex git object id")
                }
                return s.lowercased()
            }
        }
        let records = try await store.agentRecords(blobs: try ids("blobs"), commits: try ids("commits"))
        // Signed on request (for notes a CI runner checks against the pinned key): only what this server holds.
        guard case .bool(true)? = body["signed"] else { return records }
        return records.map { $0.signed(with: key) }
    }

    /// Decisions a hook made while the server was unreachable, sent later: recorded in the audit log with
    /// the time the hook gave (never in the future, at most a week back) and marked as spooled. They happened
    /// already, so no stop or breaker applies to them now.
    public func recordSpooled(_ body: JSONValue, by user: User) async throws -> Int {
        guard let items = body["reports"]?.arrayValue else {
            throw APIError.badRequest("'reports' must be a list of decision reports")
        }
        if items.count > 5000 { throw APIError.badRequest("send at most 5,000 spooled reports per call") }
        let t = now()
        var n = 0
        // All or nothing: a malformed report refuses the call before anything is recorded.
        let reports = try items.map { item in (try DecisionReport(json: item), item) }
        for (r, item) in reports {
            // An agent token's offline window is a day; a person's machine may catch up on a week.
            let window = user.scope == "person" ? 7 * 86400 : 86400
            let when = min(t, max(t - window, item["time"]?.intValue ?? t))
            var fields: [(String, JSONValue)] = [
                ("agent", .string(r.agent)), ("tool", .string(r.tool)), ("action", .string(Redact.text(r.action))),
                ("decision", .string(r.decision)), ("rules", .array(r.rules.map { .string($0) })),
                ("labels", .array(r.labels.map { .string($0) })), ("digest", .string(r.digest)),
                ("spooled", .bool(true)), ("reported_time", .number(Double(when))),
            ]
            if !r.observed.isEmpty { fields.append(("observed", .string(r.observed))) }
            var counted = r
            if let enforced = item["enforced"]?.stringValue, ["allow", "ask", "deny"].contains(enforced) {
                fields.append(("enforced", .string(enforced)))
                // The reports count what happened: an ask refused while the server was away is a deny.
                counted.decision = enforced
            }
            _ = try await store.recordDecision(
                counted,
                user: user.name,
                audit: AuditDraft(kind: "decision", actor: user.name, session: r.session, tool: r.tool, fields: fields),
                now: t
            )
            n += 1
        }
        return n
    }

    /// Reads a stop scope from a request, naming the valid ones when it is not one.
    public static func stopScope(_ text: String?) throws -> StopScope {
        guard let text, let scope = StopScope(rawValue: text) else {
            throw APIError.badRequest(
                "'scope' must be one of: \(StopScope.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        return scope
    }

    public func createStop(scope: StopScope, value: String, reason: String, by user: User) async throws -> Stop {
        if scope != .all && value.isEmpty {
            throw APIError.badRequest("a \(scope) stop needs 'value': which \(scope) to stop")
        }
        // An agent token may stop a session or an agent (its own brake), never people, repositories or everyone.
        if user.scope != "person" && ![.session, .agent].contains(scope) {
            throw APIError.forbidden(
                "an agent token may stop only a session or an agent; stopping a \(scope) needs a person's token"
            )
        }
        let t = now()
        let s = Stop(
            id: "stp_" + Self.randomString(10),
            scope: scope,
            value: scope == .all ? "" : value,
            reason: reason,
            createdBy: user.name,
            created: t,
            liftRole: config.stopLiftRole,
            automatic: false
        )
        defer { caches.clearStops() }
        try await store.insertStop(
            s,
            audit: AuditDraft(kind: "stop.created", actor: user.name, fields: [("stop", s.json)]),
            now: t
        )
        metrics.stopCreated(automatic: false)
        notifier.emit(
            "stop.created",
            text:
                "Brake: \(user.name) stopped \(s.describe)\(reason.isEmpty ? "" : ": \(reason)"). Agents in scope are refused until someone with role \(s.liftRole) lifts it: \(link("/ui/stops"))",
            fields: [("stop", s.json), ("by", .string(user.name))],
            now: t
        )
        return s
    }

    public func liftStop(id: String, reason: String, by user: User) async throws -> Stop {
        try requirePerson(user, to: "lifting a stop")
        let config = self.config
        let t = now()
        defer { caches.clearStops() }
        guard
            let s = try await store.updateStop(
                id: id,
                now: t,
                { s in
                    if s.lifted != nil {
                        throw APIError.conflict("stop \(id) was already lifted by \(s.liftedBy ?? "?")")
                    }
                    if config.userRank(user.role) < config.rank(s.liftRole) {
                        throw APIError.forbidden(
                            "lifting stop \(id) needs role \(s.liftRole) or higher; \(user.name) is \(user.role)"
                        )
                    }
                    s.lifted = t
                    s.liftedBy = user.name
                    return AuditDraft(
                        kind: "stop.lifted",
                        actor: user.name,
                        fields: [
                            ("stop", .string(id)), ("scope", .string(s.scope.rawValue)), ("value", .string(s.value)),
                            ("reason", .string(reason)),
                        ]
                    )
                }
            )
        else { throw APIError.notFound("no stop with id '\(id)'; `brake status` lists them") }
        notifier.emit(
            "stop.lifted",
            text: "Brake: \(user.name) lifted the stop on \(s.describe)\(reason.isEmpty ? "" : ": \(reason)").",
            fields: [("stop", s.json), ("by", .string(user.name))],
            now: t
        )
        return s
    }

    /// Lifts every active stop matching scope and value (`brake resume --session S`).
    public func liftStops(scope: StopScope, value: String, reason: String, by user: User) async throws -> [Stop] {
        let matching = try await store.stops(includeLifted: false).filter {
            $0.scope == scope && (scope == .all || $0.value == value)
        }
        if matching.isEmpty {
            throw APIError.notFound("no active stop for \(scope == .all ? "everything" : "\(scope) \(value)")")
        }
        var out: [Stop] = []
        for s in matching { out.append(try await liftStop(id: s.id, reason: reason, by: user)) }
        return out
    }

    // MARK: approvals

    /// The strictest requirement among the rules that asked, as this server's policy defines them; what
    /// the hook claimed can only tighten it.
    func requirement(rules: [String], claimed: Approvers?) -> (String, Int) {
        // Only when every rule that asks leaves it to the agent's operator is the operator the one to decide.
        let asked = rules.compactMap { id in policy.rules.first { $0.id == id }?.approvers.role }
        if !asked.isEmpty, asked.allSatisfy({ $0 == Approvers.operator }),
            claimed == nil || claimed?.role == Approvers.operator
        {
            return (Approvers.operator, 1)
        }
        var role = config.roles[min(1, config.roles.count - 1)]
        var count = 1
        var found = false
        for id in rules {
            if let r = policy.rules.first(where: { $0.id == id }) {
                found = true
                if config.rank(r.approvers.role) > config.rank(role) { role = r.approvers.role }
                count = max(count, r.approvers.count)
            }
        }
        if !found { role = config.rank("senior") > config.rank(role) ? "senior" : role }
        if let c = claimed {
            if config.rank(c.role) > config.rank(role) { role = c.role }
            count = max(count, c.count)
        }
        if !config.roles.contains(role) { role = config.roles[config.rank(role)] }
        return (role, min(count, 10))
    }

    public struct RequestResult: Sendable {
        public var approval: Approval
        /// A fresh request was opened (not an existing pending one).
        public var created: Bool
    }

    /// What a person is asked to approve, all computed by the server from the raw action or plan.
    public struct Ask: Sendable {
        public var digest: String
        public var summary: String
        public var detail: JSONValue
        public var rules: [String]
        /// The policy's own requirement for the rules that asked (the server's policy, never the client's).
        public var approvers: Approvers?
        public var agent: String
        public var session: String
        public var repository: String
        public var environment: String
    }

    /// Opens a request for an asked action — or, when this requester already holds an approved, unused
    /// request for the identical digest, consumes it (status `used`: the action may run once).
    public func open(_ ask: Ask, by user: User) async throws -> RequestResult {
        let digest = ask.digest
        let t = now()
        if let ready = try await store.findApproval(digest: digest, requester: user.name, statuses: [.approved]),
            ready.effectiveStatus(now: t) == .approved
        {
            if let used = try await consume(id: ready.id, by: user, quiet: true) {
                return RequestResult(approval: used, created: false)
            }
        }
        // A recent deny stands: asking again within the request lifetime gets the same answer.
        if let denied = try await store.findApproval(digest: digest, requester: user.name, statuses: [.denied]),
            (denied.decided ?? denied.created) + config.approvalTTL > t
        {
            return RequestResult(approval: denied, created: false)
        }
        if let pending = try await store.findApproval(digest: digest, requester: user.name, statuses: [.pending]),
            pending.effectiveStatus(now: t) == .pending
        {
            return RequestResult(approval: pending, created: false)
        }
        let (role, count) = requirement(rules: ask.rules, claimed: ask.approvers)
        let a = Approval(
            id: "req_" + Self.randomString(10),
            digest: digest,
            summary: Redact.text(String(ask.summary.prefix(4096))),
            detail: ask.detail,
            requester: user.name,
            agent: ask.agent,
            session: ask.session,
            repository: ask.repository,
            environment: ask.environment,
            requiredRole: role,
            requiredCount: count,
            status: .pending,
            created: t,
            expires: t + config.approvalTTL
        )
        try await store.insertApproval(
            a,
            audit: AuditDraft(
                kind: "approval.requested",
                actor: user.name,
                session: a.session,
                fields: [
                    ("request", .string(a.id)), ("digest", .string(digest)), ("summary", .string(a.summary)),
                    ("agent", .string(a.agent)), ("rules", .array(ask.rules.map { .string($0) })),
                    ("required", .object([("role", .string(role)), ("count", .number(Double(count)))])),
                ]
            ),
            now: t
        )
        notifier.emit(
            "request.created",
            text:
                "Brake: \(user.name)'s \(a.agent.isEmpty ? "agent" : a.agent) asks to run `\(a.summary.prefix(300))`\(a.repository.isEmpty ? "" : " in \(a.repository)") — needs \(count) × \(role). Review: \(link("/ui/requests/\(a.id)"))",
            fields: [("request", a.json(now: t))],
            now: t
        )
        return RequestResult(approval: a, created: true)
    }

    public func approval(id: String) async throws -> Approval {
        guard let a = try await store.approval(id: id) else {
            throw APIError.notFound("no approval request '\(id)'; `brake approvals list` shows pending ones")
        }
        return a
    }

    public func vote(id: String, approve: Bool, reason: String, by user: User) async throws -> Approval {
        try requirePerson(user, to: "deciding a request")
        let config = self.config
        let t = now()
        defer { signals.signal(id) }
        guard
            let a = try await store.updateApproval(
                id: id,
                now: t,
                { a in
                    let status = a.effectiveStatus(now: t)
                    guard status == .pending else {
                        throw APIError.conflict(
                            "request \(id) is \(status.rawValue); only pending requests can be decided"
                        )
                    }
                    // The operator requirement is met by the person whose agent asked (at its console), and only
                    // by them; every other requirement by someone else of the role.
                    let byOperator = a.requiredRole == Approvers.operator
                    if byOperator && a.requester != user.name {
                        throw APIError.forbidden(
                            "request \(id) is for the person at the agent's console (\(a.requester)) to decide"
                        )
                    }
                    if !byOperator && a.requester == user.name {
                        throw APIError.forbidden(
                            "\(user.name) asked for request \(id) and cannot decide it; another person must"
                        )
                    }
                    if approve && !byOperator && config.userRank(user.role) < config.rank(a.requiredRole) {
                        throw APIError.forbidden(
                            "approving request \(id) needs role \(a.requiredRole) or higher; \(user.name) is \(user.role)"
                        )
                    }
                    if a.votes.contains(where: { $0.user == user.name }) {
                        throw APIError.conflict("\(user.name) has already decided on request \(id)")
                    }
                    a.votes.append(
                        Vote(
                            user: user.name,
                            role: user.role,
                            vote: approve ? "approve" : "deny",
                            reason: reason,
                            time: t
                        )
                    )
                    if !approve {
                        a.status = .denied
                        a.decided = t
                    } else if a.votes.filter({ $0.vote == "approve" }).count >= a.requiredCount {
                        a.status = .approved
                        a.decided = t
                    }
                    return AuditDraft(
                        kind: approve ? "approval.approved" : "approval.denied",
                        actor: user.name,
                        session: a.session,
                        fields: [
                            ("request", .string(id)), ("digest", .string(a.digest)), ("role", .string(user.role)),
                            ("reason", .string(reason)), ("status", .string(a.status.rawValue)),
                        ]
                    )
                }
            )
        else { throw APIError.notFound("no approval request '\(id)'") }
        if a.status != .pending {
            metrics.approvalLatency.record(.seconds(max(0, t - a.created)))
            notifier.emit(
                "request.decided",
                text:
                    "Brake: \(user.name) \(approve ? "approved" : "denied") \(a.requester)'s request to run `\(a.summary.prefix(300))`\(reason.isEmpty ? "" : ": \(reason)")",
                fields: [("request", a.json(now: t)), ("by", .string(user.name))],
                now: t
            )
        }
        return a
    }

    /// An absolute link to the web page.
    func link(_ path: String) -> String { config.publicURL + path }

    /// Marks an approved request used by its requester; returns nil (quiet) or throws when it cannot be.
    public func consume(id: String, by user: User, quiet: Bool = false) async throws -> Approval? {
        let t = now()
        defer { signals.signal(id) }
        do {
            return try await store.updateApproval(
                id: id,
                now: t,
                { a in
                    if a.requester != user.name {
                        throw APIError.forbidden("only \(a.requester), who asked, can use request \(id)")
                    }
                    let status = a.effectiveStatus(now: t)
                    guard status == .approved else {
                        throw APIError.conflict("request \(id) is \(status.rawValue), not approved; it cannot be used")
                    }
                    a.status = .used
                    a.used = t
                    return AuditDraft(
                        kind: "approval.used",
                        actor: user.name,
                        session: a.session,
                        fields: [("request", .string(id)), ("digest", .string(a.digest))]
                    )
                }
            )
        } catch let e as APIError where quiet {
            _ = e
            return nil
        }
    }

    /// How often a waiting long-poll looks at its request when no signal came: every change made through this
    /// process signals; this catches one made by another process (a replica, an operator).
    static let waitRecheck = Duration.seconds(15)

    /// Waits until the request is decided or `timeout` seconds pass (long poll).

    public func wait(id: String, timeout: Double) async throws -> Approval {
        let deadline = ContinuousClock.now + .milliseconds(Int(min(timeout, Double(config.maxWait)) * 1000))
        while true {
            let a = try await approval(id: id)
            if a.effectiveStatus(now: now()) != .pending || ContinuousClock.now >= deadline { return a }
            // Woken at once by a decision made through this process; otherwise looked at again now and then.
            let left = deadline - ContinuousClock.now
            await signals.wait(for: id, upTo: min(left, Self.waitRecheck))
            try Task.checkCancellation()
        }
    }

    /// Marks requests past their expiry as expired, each with its audit event.
    public func expireRequests() async throws -> Int {
        let t = now()
        var n = 0
        for status in [Approval.Status.pending, .approved] {
            for a in try await store.approvals(status: status, limit: 1000) where a.expires <= t {
                defer { signals.signal(a.id) }
                _ = try await store.updateApproval(id: a.id, now: t) { a in
                    guard a.status == status, a.expires <= t else { return nil }
                    a.status = .expired
                    return AuditDraft(
                        kind: "approval.expired",
                        actor: "brake-serve",
                        session: a.session,
                        fields: [("request", .string(a.id)), ("digest", .string(a.digest))]
                    )
                }
                n += 1
            }
        }
        return n
    }

    // MARK: audit

    /// Signs the current head if it moved since the last checkpoint — and, with `every`, only when the newest
    /// checkpoint (whichever replica signed it) is at least that many seconds old. Returns the newest checkpoint.
    @discardableResult
    public func checkpoint(every: Int? = nil) async throws -> AuditChain.Checkpoint? {
        let (key, t) = (key, now())
        let newest = Mutex<AuditChain.Checkpoint?>(nil)
        let signed = try await store.checkpointing { head, last in
            newest.withLock { $0 = last }
            if head.size == 0 { return nil }
            if let last, last.treeSize == head.size { return nil }
            // Whichever replica signed the newest one, the next waits the whole interval (in the signers' seconds).
            if let every, let last, t - last.time < every { return nil }
            return AuditChain.sign(treeSize: head.size, headHash: head.hash, time: t, key: key)
        }
        return signed ?? newest.withLock { $0 }
    }

    public func verify() async throws -> AuditChain.Report {
        // Checkpoints first: one signed while the events are read is then never mistaken for truncation.
        let checkpoints = try await store.checkpoints()
        return AuditChain.verify(try await store.allAuditEntries(), checkpoints: checkpoints, publicKey: publicKey)
    }
}

extension String {
    /// The first letter in upper case.
    var capitalized1: String { prefix(1).uppercased() + dropFirst() }
}
