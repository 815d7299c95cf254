/// An approval request bound to one action digest.
public struct ApprovalRequest: Sendable, Equatable {
    public var id: String
    public var digest: String
    public var summary: String
    public var agent: String
    public var session: String?
    public var rules: [String]
    public var created: Int
    public var expires: Int
    /// Where it stands (`expired` is not stored: a request past `expires` is treated as expired).
    public var status: ApprovalStatus

    /// Creates a request.
    public init(
        id: String,
        digest: String,
        summary: String,
        agent: String,
        session: String?,
        rules: [String],
        created: Int,
        expires: Int,
        status: ApprovalStatus
    ) {
        self.id = id
        self.digest = digest
        self.summary = summary
        self.agent = agent
        self.session = session
        self.rules = rules
        self.created = created
        self.expires = expires
        self.status = status
    }
}

/// A denied or asked attempt, remembered to notice an agent rerouting around a decision.
public struct Strike: Sendable, Equatable {
    public var session: String
    public var rule: String
    public var digest: String
    public var time: Int
}

/// The Terraform state a plan was applied against, per working directory.
public struct AppliedState: Sendable, Equatable {
    public var directory: String
    public var lineage: String
    public var serial: Int
    public var time: Int

    public init(directory: String, lineage: String, serial: Int, time: Int) {
        self.directory = directory
        self.lineage = lineage
        self.serial = serial
        self.time = time
    }
}

/// Brake's local state on one machine: stops, approval requests, strikes. Pure values; the CLI stores them.
public struct LocalState: Sendable, Equatable {
    public var stops: [Stop] = []
    public var requests: [ApprovalRequest] = []
    public var strikes: [Strike] = []
    public var applied: [AppliedState] = []
    /// When each session's allowed destructive actions ran (for the local circuit breaker).
    public var bursts: [String: [Int]] = [:]

    public init() {}

    /// Why a plan's prior state looks stale or foreign for this directory, or nil.
    public func stateMismatch(directory: String, lineage: String, serial: Int) -> String? {
        guard let last = applied.last(where: { $0.directory == directory }) else { return nil }
        if last.lineage != lineage {
            return
                "the plan's state has lineage \(lineage), but the last approved apply here used \(last.lineage): another state (another environment or a lost backend) is possible"
        }
        if serial < last.serial {
            return
                "the plan's state has serial \(serial), older than \(last.serial) from the last approved apply here: the plan was made against a stale state"
        }
        return nil
    }

    /// How long an approval request stays valid, in seconds.
    public static let defaultTTL = 15 * 60
    /// Attempts at the same denied effect by other means before the session is stopped.
    public static let defaultRerouteLimit = 3

    public func stop(for agent: String, session: String?) -> Stop? {
        stops.first { $0.covers(agent: agent, session: session) }
    }

    /// Uses an approval for exactly this digest, once. Returns the request it consumed.
    public mutating func consumeApproval(digest: String, now: Int) -> ApprovalRequest? {
        guard let i = requests.firstIndex(where: { $0.digest == digest && $0.status == .approved && $0.expires > now })
        else {
            return nil
        }
        requests[i].status = .used
        return requests[i]
    }

    /// The pending request for this digest, or a new one.
    public mutating func request(
        digest: String,
        summary: String,
        agent: String,
        session: String?,
        rules: [String],
        now: Int,
        newID: String,
        ttl: Int = LocalState.defaultTTL
    ) -> ApprovalRequest {
        if let r = requests.first(where: { $0.digest == digest && $0.status == .pending && $0.expires > now }) {
            return r
        }
        let r = ApprovalRequest(
            id: newID,
            digest: digest,
            summary: summary,
            agent: agent,
            session: session,
            rules: rules,
            created: now,
            expires: now + ttl,
            status: .pending
        )
        requests.append(r)
        return r
    }

    /// Approves or denies a pending request; nil with a reason when that is not possible.
    public mutating func decide(id: String, approve: Bool, now: Int) -> Result<ApprovalRequest, LocalStateError> {
        guard let i = requests.firstIndex(where: { $0.id == id }) else {
            return .failure(LocalStateError(message: "no request \(id); `brake status` lists the pending ones"))
        }
        guard requests[i].status == .pending else {
            return .failure(LocalStateError(message: "request \(id) is already \(requests[i].status)"))
        }
        guard requests[i].expires > now else {
            return .failure(LocalStateError(message: "request \(id) expired; let the agent retry to get a new one"))
        }
        requests[i].status = approve ? .approved : .denied
        if approve { requests[i].expires = now + LocalState.defaultTTL }
        return .success(requests[i])
    }

    /// Records a refused attempt; returns how many distinct ways this session tried effects of this rule.
    public mutating func strike(
        session: String,
        rules: [String],
        digest: String,
        now: Int
    ) -> (rule: String, count: Int)? {
        var worst: (String, Int)?
        for rule in rules {
            if !strikes.contains(where: { $0.session == session && $0.rule == rule && $0.digest == digest }) {
                strikes.append(Strike(session: session, rule: rule, digest: digest, time: now))
            }
            let n = strikes.filter { $0.session == session && $0.rule == rule }.count
            if n > (worst?.1 ?? 0) { worst = (rule, n) }
        }
        return worst
    }

    /// Lifts this machine's stops of a scope (`all` lifts every one) and forgets what put them there: a
    /// session's refused attempts (the rerouting watch) and its destructive burst (the breaker). Returns how
    /// many stops were lifted.
    public mutating func resume(scope: StopScope, value: String) -> Int {
        let before = stops.count
        switch scope {
        case .all:
            stops.removeAll()
            strikes.removeAll()
            bursts.removeAll()
        case .session:
            stops.removeAll { $0.scope == .session && $0.value == value }
            strikes.removeAll { $0.session == value }
            bursts[value] = nil
        default:
            stops.removeAll { $0.scope == scope && $0.value == value }
        }
        return before - stops.count
    }

    /// Records an allowed destructive action; returns how many this session ran within `window` seconds.
    public mutating func burst(session: String, now: Int, window: Int = 600) -> Int {
        var times = (bursts[session] ?? []).filter { $0 > now - window }
        times.append(now)
        bursts[session] = times
        return times.count
    }

    /// Drops expired requests and old strikes.
    public mutating func prune(now: Int) {
        requests.removeAll { $0.expires + 24 * 3600 < now }
        strikes.removeAll { $0.time + 24 * 3600 < now }
        bursts = bursts.compactMapValues { times in
            let recent = times.filter { $0 > now - 3600 }
            return recent.isEmpty ? nil : recent
        }
    }

    // MARK: - JSON

    public var json: JSONValue {
        .object([
            ("version", .number(1)),
            (
                "stops",
                .array(
                    stops.map(\.json)
                )
            ),
            (
                "requests",
                .array(
                    requests.map { r in
                        .object([
                            ("id", .string(r.id)), ("digest", .string(r.digest)), ("summary", .string(r.summary)),
                            ("agent", .string(r.agent)),
                            ("session", r.session.map { .string($0) } ?? .null),
                            ("rules", .array(r.rules.map { .string($0) })),
                            ("created", .number(Double(r.created))), ("expires", .number(Double(r.expires))),
                            ("status", .string(r.status.rawValue)),
                        ])
                    }
                )
            ),
            (
                "applied",
                .array(
                    applied.map {
                        .object([
                            ("directory", .string($0.directory)), ("lineage", .string($0.lineage)),
                            ("serial", .number(Double($0.serial))), ("time", .number(Double($0.time))),
                        ])
                    }
                )
            ),
            (
                "strikes",
                .array(
                    strikes.map {
                        .object([
                            ("session", .string($0.session)), ("rule", .string($0.rule)),
                            ("digest", .string($0.digest)), ("time", .number(Double($0.time))),
                        ])
                    }
                )
            ),
            (
                "bursts",
                .object(bursts.keys.sorted().map { ($0, .array(bursts[$0]!.map { .number(Double($0)) })) })
            ),
        ])
    }

    public init(json: JSONValue) throws(LocalStateError) {
        func int(_ v: JSONValue?) -> Int? { if case .number(let d)? = v { return Int(d) } else { return nil } }
        guard case .object = json else { throw LocalStateError(message: "the state file is not a JSON object") }
        if case .array(let items)? = json["stops"] {
            for s in items {
                guard let stop = Stop(json: s), int(s["created"]) != nil else {
                    throw LocalStateError(message: "a stop in the state file is malformed")
                }
                stops.append(stop)
            }
        }
        if case .array(let items)? = json["requests"] {
            for r in items {
                guard let id = r["id"]?.stringValue, let digest = r["digest"]?.stringValue,
                    let status = r["status"]?.stringValue.flatMap(ApprovalStatus.init(rawValue:)),
                    let created = int(r["created"]), let expires = int(r["expires"])
                else { throw LocalStateError(message: "a request in the state file is malformed") }
                var rules: [String] = []
                if case .array(let rs)? = r["rules"] { rules = rs.compactMap(\.stringValue) }
                requests.append(
                    ApprovalRequest(
                        id: id,
                        digest: digest,
                        summary: r["summary"]?.stringValue ?? "",
                        agent: r["agent"]?.stringValue ?? "",
                        session: r["session"]?.stringValue,
                        rules: rules,
                        created: created,
                        expires: expires,
                        status: status
                    )
                )
            }
        }
        if case .array(let items)? = json["applied"] {
            for a in items {
                guard let dir = a["directory"]?.stringValue, let lineage = a["lineage"]?.stringValue,
                    let serial = int(a["serial"]), let time = int(a["time"])
                else { throw LocalStateError(message: "an applied-state record in the state file is malformed") }
                applied.append(AppliedState(directory: dir, lineage: lineage, serial: serial, time: time))
            }
        }
        if case .array(let items)? = json["strikes"] {
            for s in items {
                guard let session = s["session"]?.stringValue, let rule = s["rule"]?.stringValue,
                    let digest = s["digest"]?.stringValue,
                    let time = int(s["time"])
                else { throw LocalStateError(message: "a strike in the state file is malformed") }
                strikes.append(Strike(session: session, rule: rule, digest: digest, time: time))
            }
        }
        if case .object(let members)? = json["bursts"] {
            for (session, times) in members { bursts[session] = (times.arrayValue ?? []).compactMap { int($0) } }
        }
    }
}

/// A state operation that cannot be done.
public struct LocalStateError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
