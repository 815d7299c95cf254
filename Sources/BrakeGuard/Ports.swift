import BrakeCore

/// One record for the local audit log (hash-chained by the ledger).
public typealias AuditRecord = [(String, JSONValue)]

/// This machine's own state: local stops, local approvals, the rerouting watch, the local breaker, the log.
public protocol Ledger {
    /// Runs `body` under the ledger's exclusive lock with the state loaded; saves the state and appends the
    /// records `body` added, together.
    func transact<T>(
        _ body: (inout LocalState, inout [AuditRecord]) throws(GuardFailure) -> T
    ) throws(GuardFailure) -> T
    /// Appends records without loading the state.
    func append(_ records: [AuditRecord]) throws(GuardFailure)
}

/// What the control plane answered, already verified against the pinned key.
public struct ServerAnswer: Sendable {
    /// The signed part: verdict, digest, request, nonce.
    public var signed: SignedAnswer
    /// Why, for people and the agent (a stop, a denial, what approval is needed); may be empty.
    public var message: String
    /// Who must approve a pending request.
    public var required: Approvers?
    /// When a pending request expires (server time).
    public var expires: Int?
    /// The request is still waiting for a person.
    public var pending: Bool

    /// Creates an answer.
    public init(signed: SignedAnswer, message: String, required: Approvers? = nil, expires: Int? = nil, pending: Bool) {
        self.signed = signed
        self.message = message
        self.required = required
        self.expires = expires
        self.pending = pending
    }
}

/// The outcome of asking the control plane.
public enum LinkResult: Sendable {
    /// A verified answer.
    case answer(ServerAnswer)
    /// The server could not be reached (the last known stops apply; asks are refused; allows run).
    case unreachable(String)
    /// The server answered with an error, nonsense, or an answer that does not verify: the action is blocked.
    case failed(String)
}

/// The control plane as the guard flow sees it.
public protocol ControlLink {
    /// Sends the raw action; waits up to `wait` seconds for a person on an ask; verifies the signed answer.
    func judge(_ request: ActionRequest, wait: Double) -> LinkResult
    /// The stops (and the user they were fetched for) from the last successful call.
    func lastKnownStops() -> (user: String?, stops: [Stop])
    /// Keeps a decision made while unreachable, for the server's audit log.
    func spool(_ request: ActionRequest, judgement: Judgement, enforced: Verdict)
    /// A session this machine stopped by itself (the rerouting watch): the control plane gets the same stop, so
    /// it reaches the approvers' page and every other machine of the session.
    func reportStop(session: String, reason: String)
}

extension ControlLink {
    public func reportStop(session: String, reason: String) {}
}

/// The time, in seconds.
public protocol GuardClock {
    /// Now, in seconds since 1970.
    func now() -> Int
    /// A new id for a local approval request.
    func newID() -> String
}

/// A guard-flow failure: the state or the log could not be used. The action is then blocked.
public struct GuardFailure: Error, Sendable, CustomStringConvertible {
    /// What was wrong and how to fix it.
    public var message: String
    /// Creates a failure.
    public init(_ message: String) { self.message = message }
    /// The message.
    public var description: String { message }
}
