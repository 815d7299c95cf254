import BrakeCore

/// A person known to the control plane. Every token, and so every agent action, belongs to one.
public struct User: Sendable, Equatable {
    public var name: String
    public var role: String
    public var created: Int
    /// The scope of the token this request came with: `person`, or `agent` (a hook's token: it may report,
    /// ask and use approvals, but never decide, lift, or manage people and tokens).
    public var scope: String
    /// Where notifications reach them and how the sign-off roster knows them (may be empty).
    public var email: String

    /// The role a removed user keeps (their tokens revoked, their name kept for the audit log).
    public static let removed = "removed"

    public init(name: String, role: String, created: Int, scope: String = "person", email: String = "") {
        self.name = name
        self.role = role
        self.created = created
        self.scope = scope
        self.email = email
    }

    public var json: JSONValue {
        var m: [(String, JSONValue)] = [
            ("name", .string(name)), ("role", .string(role)), ("created", .number(Double(created))),
            ("scope", .string(scope)),
        ]
        if !email.isEmpty { m.append(("email", .string(email))) }
        return .object(m)
    }
}

/// An API token as stored: only the SHA-256 of the secret is kept.
public struct TokenRecord: Sendable, Equatable {
    public var id: String
    public var user: String
    public var label: String
    public var hash: String
    public var created: Int
    public var revoked: Int?
    /// `person` or `agent`.
    public var scope: String

    public init(
        id: String,
        user: String,
        label: String,
        hash: String,
        created: Int,
        revoked: Int? = nil,
        scope: String = "person"
    ) {
        self.id = id
        self.user = user
        self.label = label
        self.hash = hash
        self.created = created
        self.revoked = revoked
        self.scope = scope
    }

    public var json: JSONValue {
        var m: [(String, JSONValue)] = [
            ("id", .string(id)), ("user", .string(user)), ("label", .string(label)),
            ("created", .number(Double(created))), ("scope", .string(scope)),
        ]
        if let revoked { m.append(("revoked", .number(Double(revoked)))) }
        return .object(m)
    }
}

/// One person's answer to an approval request.
public struct Vote: Sendable, Equatable {
    public var user: String
    public var role: String
    /// `approve` or `deny`.
    public var vote: String
    public var reason: String
    public var time: Int

    public init(user: String, role: String, vote: String, reason: String, time: Int) {
        self.user = user
        self.role = role
        self.vote = vote
        self.reason = reason
        self.time = time
    }

    public var json: JSONValue {
        .object([
            ("user", .string(user)), ("role", .string(role)), ("vote", .string(vote)), ("reason", .string(reason)),
            ("time", .number(Double(time))),
        ])
    }

    public init?(json v: JSONValue) {
        guard let u = v["user"]?.stringValue, let vote = v["vote"]?.stringValue else { return nil }
        self.init(
            user: u,
            role: v["role"]?.stringValue ?? "",
            vote: vote,
            reason: v["reason"]?.stringValue ?? "",
            time: v["time"]?.intValue ?? 0
        )
    }
}

/// An approval request: bound to one action digest and its context, waiting for N approvers of a role.
public struct Approval: Sendable, Equatable {
    /// The one vocabulary for where a request stands (shared with local requests).
    public typealias Status = ApprovalStatus

    public var id: String
    public var digest: String
    public var summary: String
    /// What the requester's Brake reported: commands, rules, reasons, labels, plan summary.
    public var detail: JSONValue
    public var requester: String
    public var agent: String
    public var session: String
    public var repository: String
    public var environment: String
    public var requiredRole: String
    public var requiredCount: Int
    public var status: Status
    public var created: Int
    public var expires: Int
    public var votes: [Vote]
    public var decided: Int?
    public var used: Int?

    public init(
        id: String,
        digest: String,
        summary: String,
        detail: JSONValue,
        requester: String,
        agent: String,
        session: String,
        repository: String,
        environment: String,
        requiredRole: String,
        requiredCount: Int,
        status: Status,
        created: Int,
        expires: Int,
        votes: [Vote] = [],
        decided: Int? = nil,
        used: Int? = nil
    ) {
        self.id = id
        self.digest = digest
        self.summary = summary
        self.detail = detail
        self.requester = requester
        self.agent = agent
        self.session = session
        self.repository = repository
        self.environment = environment
        self.requiredRole = requiredRole
        self.requiredCount = requiredCount
        self.status = status
        self.created = created
        self.expires = expires
        self.votes = votes
        self.decided = decided
        self.used = used
    }

    /// The status as of `now` (a pending or approved request past its expiry is expired).
    public func effectiveStatus(now: Int) -> Status {
        if (status == .pending || status == .approved) && now >= expires { return .expired }
        return status
    }

    public func json(now: Int) -> JSONValue {
        var m: [(String, JSONValue)] = [
            ("id", .string(id)), ("status", .string(effectiveStatus(now: now).rawValue)), ("digest", .string(digest)),
            ("summary", .string(summary)), ("requester", .string(requester)), ("agent", .string(agent)),
            ("session", .string(session)), ("repository", .string(repository)),
            ("environment", .string(environment)),
            (
                "required", .object([("role", .string(requiredRole)), ("count", .number(Double(requiredCount)))])
            ),
            ("approvals", .number(Double(votes.filter { $0.vote == "approve" }.count))),
            ("votes", .array(votes.map(\.json))), ("created", .number(Double(created))),
            ("expires", .number(Double(expires))), ("detail", detail),
        ]
        if let decided { m.append(("decided", .number(Double(decided)))) }
        if let used { m.append(("used", .number(Double(used)))) }
        return .object(m)
    }
}

/// What a hook, `brake exec` or `brake mcp` reports about one decision.
public struct DecisionReport: Sendable, Equatable {
    public var agent: String
    public var session: String
    public var tool: String
    public var action: String
    public var decision: String
    public var rules: [String]
    public var labels: [String]
    public var effects: [String]
    public var digest: String
    public var repository: String
    public var environment: String
    /// How long the whole hook call took, as the hook measured it (optional).
    public var elapsedMS: Double?
    /// Observe mode: what enforcing would have decided (`ask`), else empty.
    public var observed = ""

    /// A report of what the server itself judged.
    public init(
        _ request: ActionRequest,
        _ j: Judgement,
        elapsedMS: Double?
    ) {
        agent = request.agent
        session = request.session
        tool = request.tool
        action = String(j.summary.prefix(4096))
        decision = j.verdict.rawValue
        rules = j.rules
        labels = j.labels
        effects = j.effects
        digest = j.digest
        repository = request.repository
        environment = request.environment
        self.elapsedMS = elapsedMS
        observed = j.observed?.rawValue ?? ""
    }

    public init(json v: JSONValue) throws(APIError) {
        guard case .object = v else { throw APIError.badRequest("the body must be a JSON object") }
        guard let d = v["decision"]?.stringValue, ["allow", "ask", "deny"].contains(d) else {
            throw APIError.badRequest("'decision' must be one of allow, ask, deny")
        }
        // Bounded: these land in the audit log, the reports' sums and the page.
        func text(_ k: String, _ n: Int) -> String { String((v[k]?.stringValue ?? "").prefix(n)) }
        func list(_ k: String) -> [String] { (v[k]?.strings ?? []).prefix(50).map { String($0.prefix(200)) } }
        agent = text("agent", 100)
        session = text("session", 256)
        tool = text("tool", 200)
        action = text("action", 4096)
        decision = d
        rules = list("rules")
        labels = list("labels")
        effects = list("effects")
        digest = text("digest", 200)
        repository = text("repository", 300)
        environment = text("environment", 200)
        if case .number(let ms)? = v["elapsed_ms"], ms >= 0 { elapsedMS = ms }
        if let o = v["observed"]?.stringValue, ["ask", "deny"].contains(o) { observed = o }
    }
}

/// An agent session as the control plane saw it.
public struct SessionSummary: Sendable, Equatable {
    public var id: String
    public var user: String
    public var agent: String
    public var repository: String
    public var first: Int
    public var last: Int
    public var actions: Int
    public var refused: Int

    public init(
        id: String,
        user: String,
        agent: String,
        repository: String,
        first: Int,
        last: Int,
        actions: Int,
        refused: Int
    ) {
        self.id = id
        self.user = user
        self.agent = agent
        self.repository = repository
        self.first = first
        self.last = last
        self.actions = actions
        self.refused = refused
    }

    public var json: JSONValue {
        .object([
            ("id", .string(id)), ("user", .string(user)), ("agent", .string(agent)),
            ("repository", .string(repository)), ("first_seen", .number(Double(first))),
            ("last_seen", .number(Double(last))), ("actions", .number(Double(actions))),
            ("refused", .number(Double(refused))),
        ])
    }
}

/// An audit event before the store gives it a place in the chain.
public struct AuditDraft: Sendable {
    public var kind: String
    public var actor: String
    public var session: String
    /// Counts toward the circuit breaker.
    public var destructive: Bool
    /// The tool (for per-tool breakers); empty when not a tool call.
    public var tool: String
    public var fields: [(String, JSONValue)]

    public init(
        kind: String,
        actor: String,
        session: String = "",
        destructive: Bool = false,
        tool: String = "",
        fields: [(String, JSONValue)] = []
    ) {
        self.kind = kind
        self.actor = actor
        self.session = session
        self.destructive = destructive
        self.tool = tool
        self.fields = fields
    }

    /// The canonical event text for position `seq`.
    public func canonical(seq: Int, time: Int) -> String {
        Self.event(seq: seq, tail: canonicalTail(time: time))
    }

    /// The canonical event after its sequence number (`"time":…}`). Rendering is most of an event's cost, and only
    /// the number depends on the chain: a decision report is rendered by its own request, before it waits for the
    /// one write path, which only puts the number in front.
    func canonicalTail(time: Int) -> String {
        var m: [(String, JSONValue)] = [
            ("time", .number(Double(time))), ("kind", .string(kind)), ("actor", .string(actor)),
        ]
        if !session.isEmpty { m.append(("session", .string(session))) }
        return String(JSONValue.object(m + fields).serialized.dropFirst())
    }

    /// `{"seq":N,` and the tail: the same bytes as rendering the whole object with `seq` first.
    static func event(seq: Int, tail: String) -> String { "{\"seq\":\(seq)," + tail }
}

/// An error the API reports as JSON: the status and a message that says what to fix.
public struct APIError: Error, Sendable, Equatable {
    public var status: Int
    public var message: String

    public init(status: Int, message: String) {
        self.status = status
        self.message = message
    }

    public static func badRequest(_ m: String) -> APIError { APIError(status: 400, message: m) }
    public static func forbidden(_ m: String) -> APIError { APIError(status: 403, message: m) }
    public static func notFound(_ m: String) -> APIError { APIError(status: 404, message: m) }
    public static func conflict(_ m: String) -> APIError { APIError(status: 409, message: m) }
    public static let unauthorized = APIError(
        status: 401,
        message:
            "missing or unknown token: send 'Authorization: Bearer TOKEN' with a token from `brake users add` or `brake tokens create`"
    )
}
