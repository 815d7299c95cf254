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

/// Times as people read them: "just now", "42 s ago", "5 min ago", "3 h ago", "2 days ago"; and ISO 8601 (UTC)
/// for machines.
public enum HumanTime {
    public static func ago(_ t: Int, now: Int) -> String {
        let d = now - t
        if d < 0 { return "in the future (clock skew)" }
        if d < 5 { return "just now" }
        if d < 120 { return "\(d) s ago" }
        if d < 7200 { return "\(d / 60) min ago" }
        if d < 172_800 { return "\(d / 3600) h ago" }
        return "\(d / 86400) days ago"
    }

    /// How long until `t`: "in 14 min", "in 2 h"; "now" once it has passed.
    public static func until(_ t: Int, now: Int) -> String {
        guard t > now else { return "now" }
        let words = ago(now, now: t)
        return "in " + (words.hasSuffix(" ago") ? String(words.dropLast(4)) : words)
    }

    /// `2026-12-01T10:31:00Z` (proleptic Gregorian, UTC), computed without the C library's time zone state.
    public static func iso(_ t: Int) -> String {
        let days = t >= 0 ? t / 86400 : (t - 86399) / 86400
        let secs = t - days * 86400
        // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(year)-\(two(month))-\(two(day))T\(two(secs / 3600)):\(two(secs / 60 % 60)):\(two(secs % 60))Z"
    }
}
