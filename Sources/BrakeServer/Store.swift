import BrakeCore

/// Where the control plane keeps its state. Every mutating call is one transaction that also appends its
/// audit event, so a state change and its record are never separated. `StoreConformance` (in the tests)
/// is the suite any backend must pass.
public protocol ControlStore: OversightStore {
    // Identities
    func userCount() async throws -> Int
    func addUser(_ user: User, token: TokenRecord, audit: AuditDraft, now: Int) async throws -> User
    func users() async throws -> [User]
    func user(named: String) async throws -> User?
    /// Changes a role; refuses (409) in the same transaction when it would leave no user with `keep`.
    func setRole(user: String, role: String, keep: String, audit: AuditDraft, now: Int) async throws
    /// Marks the user removed, revokes their tokens and ends their page sessions, keeping at least one `keep`;
    /// the revoked token ids are added to the audit event and returned.
    func removeUser(user: String, keep: String, audit: AuditDraft, now: Int) async throws -> [String]
    func addToken(_ token: TokenRecord, audit: AuditDraft, now: Int) async throws
    func revokeToken(id: String, audit: AuditDraft, now: Int) async throws -> TokenRecord?
    func tokens(user: String?) async throws -> [TokenRecord]
    /// The user owning an unrevoked token with this hash.
    func authenticate(tokenHash: String) async throws -> User?

    // Decisions and sessions
    /// Records a decision; returns its audit sequence number.
    func recordDecision(_ report: DecisionReport, user: String, audit: AuditDraft, now: Int) async throws -> Int
    /// Destructive actions recorded since `since`, for one session (or one user when `session` is nil),
    /// of one tool when `tool` is given.
    func destructiveCount(session: String?, user: String?, tool: String?, since: Int) async throws -> Int
    func sessions(limit: Int) async throws -> [SessionSummary]
    func session(id: String) async throws -> SessionSummary?
    func sessionEvents(id: String, limit: Int) async throws -> [AuditChain.Entry]

    // Approvals
    func insertApproval(_ a: Approval, audit: AuditDraft, now: Int) async throws
    func approval(id: String) async throws -> Approval?
    func approvals(status: Approval.Status?, limit: Int) async throws -> [Approval]
    /// The newest request by `requester` for `digest` in one of `statuses`.
    func findApproval(digest: String, requester: String, statuses: [Approval.Status]) async throws -> Approval?
    /// Changes one request atomically: `body` sees the stored request and returns the audit event for its
    /// change (nil: nothing changed). Errors thrown by `body` abort the transaction.
    func updateApproval(
        id: String,
        now: Int,
        _ body: @escaping @Sendable (inout Approval) throws -> AuditDraft?
    ) async throws -> Approval?

    // Stops
    func insertStop(_ s: Stop, audit: AuditDraft, now: Int) async throws
    /// A circuit breaker's stop: inserted unless an active automatic stop of the same scope and value exists —
    /// then that one is returned and nothing is written (parallel trips, on any replica, make one stop).
    func insertAutomaticStop(_ s: Stop, audit: AuditDraft, now: Int) async throws -> Stop
    func stops(includeLifted: Bool) async throws -> [Stop]
    func updateStop(
        id: String,
        now: Int,
        _ body: @escaping @Sendable (inout Stop) throws -> AuditDraft?
    ) async throws -> Stop?

    // Web sessions (the approver's page)
    /// A browser session opened with the token whose hash is `tokenHash`; it ends when that token is revoked.
    func createWebSession(hash: String, user: String, tokenHash: String, csrf: String, expires: Int) async throws
    /// The signed-in user and the session's CSRF token, when the session exists, has not expired and its token
    /// has not been revoked.
    func webSession(hash: String, now: Int) async throws -> WebSession?
    func deleteWebSession(hash: String) async throws

    // Audit
    func append(_ audit: AuditDraft, now: Int) async throws -> AuditChain.Entry
    func auditRange(from: Int, limit: Int) async throws -> [AuditChain.Entry]
    func auditHead() async throws -> (size: Int, hash: String)
    func addCheckpoint(_ c: AuditChain.Checkpoint) async throws
    func checkpoints() async throws -> [AuditChain.Checkpoint]
    /// Runs `body` with the audit head and the newest checkpoint while no other process on this store does the
    /// same, and stores the checkpoint it returns: replicas sign one checkpoint per interval for the cluster.
    func checkpointing(
        _ body:
            @escaping @Sendable (_ head: (size: Int, hash: String), _ last: AuditChain.Checkpoint?) throws
            -> AuditChain.Checkpoint?
    ) async throws -> AuditChain.Checkpoint?

    // Shared state of several processes
    /// Counts the destructive actions admitted under a breaker `slot` after `since` and admits this one when
    /// there were fewer than `limit`, atomically for every process using this store; returns the count before.
    func admitDestructive(slot: String, since: Int, limit: Int, now: Int) async throws -> Int
    /// Calls `handler` for every change committed by any process on this store that caches must not miss (a
    /// store only one process uses may call it for nothing: that process clears its caches itself).
    func onChange(_ handler: @escaping @Sendable (StoreChange) -> Void)
    /// True when several processes (replicas) may write this store at once: the stops are then read from it on
    /// every call instead of a cache, so a stop made on one replica blocks the very next action on any other.
    var isShared: Bool { get }

    // What agents produced (provenance), as hooks recorded it
    func addAgentRecords(_ records: [AgentRecord], user: String, now: Int) async throws
    /// Records of any of these blobs or commits.
    func agentRecords(blobs: [String], commits: [String]) async throws -> [AgentRecord]
}

/// A browser session: who, and the token every form must carry.
public struct WebSession: Sendable, Equatable {
    public var user: User
    public var csrf: String
    public var expires: Int

    public init(user: User, csrf: String, expires: Int) {
        self.user = user
        self.csrf = csrf
        self.expires = expires
    }
}

extension ControlStore {
    /// The whole audit log, read page by page.
    public func allAuditEntries() async throws -> [AuditChain.Entry] {
        var entries: [AuditChain.Entry] = []
        var from = 1
        while true {
            let page = try await auditRange(from: from, limit: 5000)
            entries += page
            guard let last = page.last, page.count == 5000 else { break }
            from = last.seq + 1
        }
        return entries
    }
}

/// What the oversight reports read, and what they record (sign-off reports, decided suggestions, the digest).
/// A decision report waiting for its group commit (either store's batcher).
struct DecisionWrite: Sendable {
    let report: DecisionReport
    let user: String
    let audit: AuditDraft
    let now: Int
    /// The audit event without its sequence number, rendered by the reporting request (see `canonicalTail`); the
    /// fields it was rendered from cannot change afterwards.
    let eventTail: String

    init(report: DecisionReport, user: String, audit: AuditDraft, now: Int) {
        self.report = report
        self.user = user
        self.audit = audit
        self.now = now
        eventTail = audit.canonicalTail(time: now)
    }
}

/// A committed change other processes on the same database must act on at once.
public enum StoreChange: Sendable, Equatable {
    /// Users, roles or tokens changed: token caches are dropped.
    case identities
    /// A stop was created or lifted.
    case stops
    /// A request changed: its long-polls wake.
    case approval(String)
    /// An accepted suggestion changed the server's policy.
    case policy
    /// Unknown changes (the listener reconnected): everything is dropped.
    case all

    public var payload: String {
        switch self {
        case .identities: return "identities"
        case .stops: return "stops"
        case .approval(let id): return "approval:" + id
        case .policy: return "policy"
        case .all: return "all"
        }
    }

    public init?(payload: String) {
        switch payload {
        case "identities": self = .identities
        case "stops": self = .stops
        case "policy": self = .policy
        case "all": self = .all
        default:
            guard payload.hasPrefix("approval:") else { return nil }
            self = .approval(String(payload.dropFirst(9)))
        }
    }
}

public protocol OversightStore: Sendable {
    /// Decisions since the day of `since` (UTC days), summed per session (with its repository, user and agent).
    func sessionFacts(since: Int) async throws -> [SessionFacts]
    /// Asks (and observe mode's would-be asks) since the day of `since`, per rule, person and repository.
    func ruleAsks(since: Int) async throws -> [RuleAsks]
    /// Requests opened since `since`: who, where, how they ended and when.
    func requestFacts(since: Int) async throws -> [RequestFact]
    /// Request shapes (`Suggestion.shapeKey`) approved at least `minApprovals` times since `since` and never
    /// denied in that time: how often, by whom, when, and the commands of the first approved ones.
    func shapeStats(since: Int, minApprovals: Int) async throws -> [ShapeStats]
    /// Records what a gate or sign-off run reported about commits (the latest report of a commit wins; the
    /// first sign-off time is kept), with sign-off envelopes (DSSE, as in refs/notes/brake-signoffs), and the
    /// audit event.
    func addCommitFacts(
        _ facts: [CommitFact],
        envelopes: [(commit: String, envelope: String)],
        user: String,
        audit: AuditDraft,
        now: Int
    ) async throws
    /// Commits reported since `since` (their own time), newest first; of one repository when given.
    func commitFacts(since: Int, repository: String?) async throws -> [CommitFact]
    /// Sign-off envelopes recorded for these commits (commit → envelopes).
    func signoffEnvelopes(commits: [String]) async throws -> [String: [String]]
    func suggestionDecisions() async throws -> [SuggestionDecision]
    /// Records an admin's decision; 409 when that suggestion was decided already.
    func decideSuggestion(_ d: SuggestionDecision, audit: AuditDraft, now: Int) async throws
    /// A small server setting (the last digest's time).
    func value(_ key: String) async throws -> String?
    func setValue(_ key: String, _ value: String) async throws
    /// Sets `key` to `value` only when it still holds `expected` (nil: when it is not set); true when this call
    /// set it. Replicas use it to do a scheduled task once.
    func claimValue(_ key: String, expected: String?, _ value: String) async throws -> Bool
}
