import BrakeCore
import Synchronization

/// The server's policy: the organisation file (and the built-in rules) plus the suggestions an admin accepted,
/// each a YAML document merged after the file. Served to hooks as one multi-document text with its ETag.
final class PolicyState: Sendable {
    struct Current: Sendable {
        var policy: Policy
        var text: String
        var etag: String
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

    /// The policy with these accepted documents after the organisation's (in order). Throws what is wrong.
    func with(_ accepted: [SuggestionDecision]) throws(PolicyError) -> Current {
        var p = base
        var text = baseText
        for d in accepted where d.status == "accepted" {
            try p.merge(yaml: d.yaml, source: "accepted suggestion \(d.id) (\(d.by))")
            text +=
                (text.isEmpty || text.hasSuffix("\n") ? "" : "\n") + "---\n# accepted suggestion \(d.id) by \(d.by)\n"
                + d.yaml
        }
        return Current(policy: p, text: text, etag: Self.etag(text))
    }

    /// Uses the accepted suggestions from now on.
    func apply(_ accepted: [SuggestionDecision]) throws(PolicyError) {
        let next = try with(accepted)
        state.withLock { $0 = next }
    }
}
