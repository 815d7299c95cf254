/// Who or what a stop covers. One vocabulary for this machine's stops and the control plane's.
public enum StopScope: String, Sendable, CaseIterable, CustomStringConvertible {
    case all, environment, repository, user, agent, session

    /// Scopes a stop on this machine alone can have (the others need the server to know who and where).
    public static let local: [StopScope] = [.all, .agent, .session]

    /// The raw value.
    public var description: String { rawValue }
}

/// Where an approval request stands. One vocabulary for local requests and the control plane's.
public enum ApprovalStatus: String, Sendable, CaseIterable, CustomStringConvertible {
    case pending, approved, denied, expired, used

    /// The raw value.
    public var description: String { rawValue }
}

/// Brake's version: one source for `brake --version`, `/v1/health` and the OpenAPI document.
public enum BrakeVersion {
    public static let current = "0.4.0"
}
