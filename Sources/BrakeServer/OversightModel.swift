import BrakeCore

/// One agent session's decisions in a period, as the report sums them.
public struct SessionFacts: Sendable, Equatable {
    public var repository: String
    public var user: String
    public var agent: String
    public var session: String
    public var first: Int
    public var last: Int
    public var actions: Int
    public var asks: Int
    public var denies: Int
    /// Observe mode: asks that were only recorded.
    public var observedAsks: Int
    /// Actions refused because a stop was in force.
    public var stopped: Int
    /// Seconds the session was active: each day from its first to its last decision, plus a minute.
    public var activeSeconds: Int

    public init(
        repository: String,
        user: String,
        agent: String,
        session: String,
        first: Int,
        last: Int,
        actions: Int,
        asks: Int,
        denies: Int,
        observedAsks: Int,
        stopped: Int,
        activeSeconds: Int? = nil
    ) {
        self.repository = repository
        self.user = user
        self.agent = agent
        self.session = session
        self.first = first
        self.last = last
        self.actions = actions
        self.asks = asks
        self.denies = denies
        self.observedAsks = observedAsks
        self.stopped = stopped
        self.activeSeconds = activeSeconds ?? (max(0, last - first) + 60)
    }
}

/// How often one rule asked (or would have, in observe mode), per person and repository.
public struct RuleAsks: Sendable, Equatable {
    public var rule: String
    public var user: String
    public var repository: String
    public var asks: Int
    public var observed: Int

    public init(rule: String, user: String, repository: String, asks: Int, observed: Int) {
        self.rule = rule
        self.user = user
        self.repository = repository
        self.asks = asks
        self.observed = observed
    }
}

/// One request: who asked, where, how it ended and when.
public struct RequestFact: Sendable, Equatable {
    public var requester: String
    public var agent: String
    public var repository: String
    public var status: Approval.Status
    public var created: Int
    public var decided: Int?

    public init(
        requester: String,
        agent: String,
        repository: String,
        status: Approval.Status,
        created: Int,
        decided: Int?
    ) {
        self.requester = requester
        self.agent = agent
        self.repository = repository
        self.status = status
        self.created = created
        self.decided = decided
    }
}

/// One shape of request (rule, command shapes, repositories) approved again and again, never denied.
public struct ShapeStats: Sendable, Equatable {
    public var shape: String
    public var approvals: Int
    public var approvers: [String]
    public var first: Int
    public var last: Int
    /// The commands of the first approved requests, as people saw them.
    public var examples: [String]

    public init(shape: String, approvals: Int, approvers: [String], first: Int, last: Int, examples: [String]) {
        self.shape = shape
        self.approvals = approvals
        self.approvers = approvers
        self.first = first
        self.last = last
        self.examples = examples
    }
}

/// What `brake gate` or `brake signoff` reported about one commit: its provenance, what it needs, who signed.
public struct CommitFact: Sendable, Equatable {
    public var repository: String
    public var sha: String
    /// The commit's own time (committer date).
    public var time: Int
    public var author: String
    public var provenance: String
    public var evidence: [String]
    public var requirements: [String]
    public var signers: [String]
    public var missing: [String]
    public var passed: Bool
    public var addedLines: Int
    public var agentLines: Int
    /// When the first sign-off was seen (nil: none yet).
    public var signedAt: Int?
    /// When it was last reported, and by whom.
    public var reported: Int = 0
    public var reporter: String = ""

    public var aiAssisted: Bool { provenance == "ai-assisted" }
    public var needsSignoff: Bool { !requirements.isEmpty }

    public init(
        repository: String,
        sha: String,
        time: Int,
        author: String,
        provenance: String,
        evidence: [String],
        requirements: [String],
        signers: [String],
        missing: [String],
        passed: Bool,
        addedLines: Int,
        agentLines: Int,
        signedAt: Int? = nil
    ) {
        self.repository = repository
        self.sha = sha
        self.time = time
        self.author = author
        self.provenance = provenance
        self.evidence = evidence
        self.requirements = requirements
        self.signers = signers
        self.missing = missing
        self.passed = passed
        self.addedLines = addedLines
        self.agentLines = agentLines
        self.signedAt = signedAt
    }

    /// Reads one commit of a `POST /v1/signoffs` body; says which field is wrong.
    public init(json v: JSONValue, repository: String, index i: Int) throws(APIError) {
        guard let sha = v["commit"]?.stringValue?.lowercased(), sha.count == 40, sha.allSatisfy(\.isHexDigit) else {
            throw APIError.badRequest("commits[\(i)].commit must be a 40-hex commit id")
        }
        let provenance = v["provenance"]?.stringValue ?? ""
        guard ["ai-assisted", "human", "unknown"].contains(provenance) else {
            throw APIError.badRequest("commits[\(i)].provenance must be ai-assisted, human or unknown")
        }
        func list(_ k: String) -> [String] { (v[k]?.strings ?? []).prefix(50).map { String($0.prefix(500)) } }
        self.init(
            repository: repository,
            sha: sha,
            time: max(0, v["time"]?.intValue ?? 0),
            author: String((v["author"]?.stringValue ?? "").prefix(200)),
            provenance: provenance,
            evidence: list("evidence"),
            requirements: list("requirements"),
            signers: list("signers"),
            missing: list("missing"),
            passed: v["passed"]?.boolValue ?? false,
            addedLines: max(0, v["added_lines"]?.intValue ?? 0),
            agentLines: max(0, v["agent_lines"]?.intValue ?? 0)
        )
    }

    public var json: JSONValue {
        func strings(_ a: [String]) -> JSONValue { .array(a.map { .string($0) }) }
        return .object([
            ("repository", .string(repository)), ("commit", .string(sha)), ("time", .number(Double(time))),
            ("author", .string(author)), ("provenance", .string(provenance)), ("evidence", strings(evidence)),
            ("requirements", strings(requirements)), ("signers", strings(signers)), ("missing", strings(missing)),
            ("passed", .bool(passed)), ("added_lines", .number(Double(addedLines))),
            ("agent_lines", .number(Double(agentLines))),
            ("signed_at", signedAt.map { .number(Double($0)) } ?? .null),
            ("reported", .number(Double(reported))), ("reporter", .string(reporter)),
        ])
    }
}

/// A suggestion an admin accepted (it is part of the server's policy) or rejected (never proposed again).
public struct SuggestionDecision: Sendable, Equatable {
    /// `sug_` + a digest of rule, pattern and repository: the same shape always has the same id.
    public var id: String
    public var rule: String
    public var pattern: String
    public var repository: String
    /// `accepted` or `rejected`.
    public var status: String
    /// The policy YAML accepted (one exception).
    public var yaml: String
    public var by: String
    public var time: Int

    public init(
        id: String,
        rule: String,
        pattern: String,
        repository: String,
        status: String,
        yaml: String,
        by: String,
        time: Int
    ) {
        self.id = id
        self.rule = rule
        self.pattern = pattern
        self.repository = repository
        self.status = status
        self.yaml = yaml
        self.by = by
        self.time = time
    }
}
