import Yams

/// `mode:` in the policy: where Brake only records what it would have asked (rollout), and where it enforces.
///
///     mode: observe                      # the whole organisation
///     mode:
///       default: enforce
///       observe: [github.com/acme/*]      # repositories (globs) in observe mode
///       enforce: [github.com/acme/pay*]   # … except these
///
/// Observe mode turns an ask into an allow that is recorded as `observed: ask`; a deny stays a deny unless an
/// admin lowers the rule itself (an override). Only a layer that may loosen can switch observe mode on; any layer
/// may switch it off (`mode: enforce` tightens).
public struct ObserveMode: Sendable, Equatable {
    /// Observe everywhere not listed under `enforce`.
    public var everywhere = false
    /// Repositories (globs over the repository identity, e.g. `github.com/acme/shop`) in observe mode.
    public var repositories: [String] = []
    /// Repositories always enforced (they win over `observe`).
    public var enforced: [String] = []
    /// The layer that set it, for `brake policy show`.
    public var layer = ""
    /// A layer said `mode: enforce` (or enforces everywhere it names nothing to observe): the machine's own
    /// policy keeps enforcing whatever the control plane observes.
    public var explicitEnforce = false

    public init() {}

    public var isOff: Bool { !everywhere && repositories.isEmpty }

    /// Whether an action in these repositories is observed rather than enforced: every repository it touches
    /// must be observed (an action that reaches an enforced repository is enforced). Where some repositories are
    /// enforced, one that cannot be named (no origin: a path; none; an overlong name) is enforced too.
    public func observes(_ actionRepositories: [String]) -> Bool {
        if isOff { return false }
        let list = actionRepositories.isEmpty ? [""] : actionRepositories
        return list.allSatisfy { repo in
            let unnamed = repo.isEmpty || repo.hasPrefix("/") || repo.count > 300
            if !enforced.isEmpty && unnamed { return false }
            if enforced.contains(where: { Glob.match($0, repo) }) { return false }
            if everywhere { return true }
            return !repo.isEmpty && repositories.contains { Glob.match($0, repo) }
        }
    }

    public var describe: String {
        if isOff { return "enforce" }
        var s = everywhere ? "observe (everywhere)" : "observe in \(repositories.joined(separator: ", "))"
        if !enforced.isEmpty { s += "; enforce in \(enforced.joined(separator: ", "))" }
        return s + " (\(layer))"
    }
}

extension Policy {
    /// `mode: observe|enforce` or `mode: {default, observe, enforce}`.
    mutating func mergeMode(_ node: Node, _ r: YAMLReader, layer: String) throws(PolicyError) {
        var next = observe
        func word(_ n: Node, _ what: String) throws(PolicyError) -> Bool {
            let s = try r.string(n, what)
            switch s {
            case "observe": return true
            case "enforce": return false
            default: throw r.error(n, "\(what) must be observe or enforce, not '\(s)'")
            }
        }
        if case .scalar = node {
            next = ObserveMode()
            next.everywhere = try word(node, "mode")
        } else {
            next = ObserveMode()
            for (key, _, v) in try r.mapping(node, "mode", allowed: ["default", "observe", "enforce"]) {
                switch key {
                case "default": next.everywhere = try word(v, "mode.default")
                case "observe": next.repositories = try r.strings(v, "mode.observe")
                default: next.enforced = try r.strings(v, "mode.enforce")
                }
            }
        }
        next.layer = layer
        next.explicitEnforce = next.isOff || observe.explicitEnforce
        // Observing more than before loosens: only a layer that may loosen does it. `mode: enforce` never loosens.
        let loosens =
            !next.isOff
            && ((next.everywhere && !observe.everywhere)
                || next.repositories.contains { !observe.repositories.contains($0) && !observe.everywhere }
                || observe.enforced.contains { !next.enforced.contains($0) })
        if loosens && !mayLoosen {
            ignored.append("\(layer): observe mode (this layer may only tighten; it can say `mode: enforce`)")
            return
        }
        observe = next
    }
}
