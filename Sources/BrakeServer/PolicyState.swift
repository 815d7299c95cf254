import BrakeCore
import Synchronization

/// The server's policy: the organisation file (and the built-in rules) plus the suggestions an admin accepted,
/// each a YAML document merged after the file. Served to hooks as one multi-document text with its ETag.
final class PolicyState: Sendable {
    struct Current: Sendable {
        var policy: Policy
        var text: String
        var etag: String
        /// How many accepted suggestions this was built from (they only grow), and those that no longer load.
        var accepted = 0
        var skipped: [String] = []
    }

    let base: Policy
    let baseText: String
    let state: Mutex<Current>

    init(base: Policy, text: String) {
        self.base = base
        self.baseText = text
        state = Mutex(Current(policy: base, text: text, etag: Self.etag(text)))
    }

    var current: Current { state.withLock { $0 } }

    static func etag(_ text: String) -> String { "\"" + AuditChain.hash(previous: "", event: text).prefix(32) + "\"" }

    /// The policy with these accepted documents after the organisation's (in order). A document that no longer
    /// loads (the organisation file has since locked its rule) is left out and named in `skipped`; `strict`
    /// throws instead (checking a new acceptance).
    func with(_ accepted: [SuggestionDecision], strict: Bool = false) throws(PolicyError) -> Current {
        var p = base
        var text = baseText
        var skipped: [String] = []
        let list = accepted.filter { $0.status == "accepted" }
        for d in list {
            var next = p
            do {
                try next.merge(yaml: d.yaml, source: "accepted suggestion \(d.id) (\(d.by))")
            } catch {
                if strict { throw error }
                skipped.append("\(d.id): \(error)")
                continue
            }
            p = next
            if !text.isEmpty && !text.hasSuffix("\n") { text += "\n" }
            text += "---\n# accepted suggestion \(d.id) by \(d.by)\n" + d.yaml
        }
        return Current(policy: p, text: text, etag: Self.etag(text), accepted: list.count, skipped: skipped)
    }

    /// Uses the accepted suggestions from now on — unless a newer list is in use already (two acceptances at
    /// once: the one that read more wins). Returns what could not be loaded.
    @discardableResult
    func apply(_ accepted: [SuggestionDecision]) -> [String] {
        guard let next = try? with(accepted) else { return [] }
        state.withLock { if next.accepted >= $0.accepted { $0 = next } }
        return next.skipped
    }
}
