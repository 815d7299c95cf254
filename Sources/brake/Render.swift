import BrakeCore
import BrakeHost

/// Text renderings for people.
enum Render {
    static func text(_ d: Decision) -> String {
        var out = "\(d.verdict.rawValue.uppercased())"
        if let a = d.approvers, d.verdict == .ask { out += " (approval: \(a.count) × \(a.role))" }
        out += "\n"
        for r in d.reasons { out += "  [\(r.rule)] \(r.message)\n    \(r.detail)\n" }
        if !d.labels.isEmpty { out += "  labels: \(d.labels.joined(separator: ", "))\n" }
        if !d.agentMessage.isEmpty { out += "  for the agent: \(d.agentMessage)\n" }
        out += "  digest: \(d.digest)\n"
        return out
    }

    static func words(_ ws: [Word]) -> String {
        ws.map { w in w.literalText ?? "<expanded>" }.joined(separator: " ")
    }

    static func structure(_ script: Script, indent: String) -> String {
        var out = ""
        for item in script.items {
            out += "\(indent)list\(item.background ? " (background)" : ""):\n"
            for (k, p) in item.andOr.pipelines.enumerated() {
                let op = k == 0 ? "" : item.andOr.rest[k - 1].op + " "
                out += "\(indent)  \(op)pipeline\(p.negated ? " (negated)" : ""):\n"
                for c in p.commands { out += command(c, indent: indent + "    ") }
            }
        }
        return out
    }

    static func command(_ c: Command, indent: String) -> String {
        switch c {
        case .simple(let sc):
            var s = "\(indent)simple: \(words(sc.words))"
            if !sc.assignments.isEmpty { s += "  assignments: \(sc.assignments.map(\.name).joined(separator: ", "))" }
            if !sc.redirects.isEmpty {
                s +=
                    "  redirects: \(sc.redirects.map { $0.op + ($0.target.literalText ?? "<expanded>") }.joined(separator: " "))"
            }
            return s + "\n"
        case .subshell(let s, _): return "\(indent)subshell:\n" + structure(s, indent: indent + "  ")
        case .group(let s, _): return "\(indent)group:\n" + structure(s, indent: indent + "  ")
        case .ifClause(let conds, let bodies, let e, _):
            var out = "\(indent)if:\n"
            for (c, b) in zip(conds, bodies) {
                out += structure(c, indent: indent + "  ") + "\(indent)then:\n" + structure(b, indent: indent + "  ")
            }
            if let e { out += "\(indent)else:\n" + structure(e, indent: indent + "  ") }
            return out
        case .forLoop(let v, _, let body, _), .select(let v, _, let body, _):
            return "\(indent)for \(v):\n" + structure(body, indent: indent + "  ")
        case .arithmeticFor(_, let body, _): return "\(indent)for ((…)):\n" + structure(body, indent: indent + "  ")
        case .whileLoop(let c, let b, let until, _):
            return "\(indent)\(until ? "until" : "while"):\n" + structure(c, indent: indent + "  ") + "\(indent)do:\n"
                + structure(b, indent: indent + "  ")
        case .caseClause(_, let items, _):
            return "\(indent)case:\n" + items.map { structure($0.body, indent: indent + "  ") }.joined()
        case .function(let name, let body): return "\(indent)function \(name):\n" + command(body, indent: indent + "  ")
        case .arithmetic(let e, _): return "\(indent)arithmetic: \(e)\n"
        case .conditional(let ws, _): return "\(indent)[[ \(words(ws)) ]]\n"
        }
    }

    static func q(_ s: String) -> String { JSONValue.string(s).serialized }

    static func policyYAML(_ p: Policy) -> String {
        var out =
            "# Effective policy; layers (highest first): \(p.layers.joined(separator: " < "))\nversion: 1\nsettings:\n"
        out += "  production:\n    words: [\(p.settings.productionWords.map(q).joined(separator: ", "))]\n"
        out += "    patterns: [\(p.settings.productionGlobs.map(q).joined(separator: ", "))]\n"
        out += "    environment_variables: [\(p.settings.environmentVariables.map(q).joined(separator: ", "))]\n"
        out += "  build_directories: [\(p.settings.buildDirectories.sorted().map(q).joined(separator: ", "))]\n"
        out += "  protected_branches: [\(p.settings.protectedBranches.map(q).joined(separator: ", "))]\n"
        let c = p.settings.checkpoints
        out +=
            "  checkpoints: {enabled: \(c.enabled), max_file_mb: \(c.maxFileBytes >> 20), step_budget_mb: \(c.stepBudgetBytes >> 20), budget_mb: \(c.budgetBytes >> 20), max_age_days: \(c.maxAgeDays)}\n"
        out += "rules:\n"
        for r in p.rules {
            out +=
                "  - id: \(r.id)   # from \(r.layer)\n    decision: \(r.decision.rawValue)\n    overridable: \(r.overridable)\n"
            out +=
                "    labels: [\(r.labels.joined(separator: ", "))]\n    message: \(q(r.message))\n    agent_message: \(q(r.agentMessage))\n"
            if r.decision == .ask { out += "    approvers: {role: \(r.approvers.role), count: \(r.approvers.count)}\n" }
            out += "    match: \(match(r.match))\n"
            if !r.unless.isEmpty { out += "    unless:\n" + r.unless.map { "      - \(match($0))\n" }.joined() }
        }
        if !p.exceptions.isEmpty {
            out += "exceptions:\n"
            for e in p.exceptions {
                out += "  - rules: [\(e.rules.map(q).joined(separator: ", "))]   # from \(e.layer)\n"
                if !e.paths.isEmpty { out += "    paths: [\(e.paths.map(q).joined(separator: ", "))]\n" }
                if !e.commands.isEmpty { out += "    commands: [\(e.commands.map(q).joined(separator: ", "))]\n" }
                if !e.repositories.isEmpty {
                    out += "    repositories: [\(e.repositories.map(q).joined(separator: ", "))]\n"
                }
                if !e.examples.isEmpty { out += "    examples: [\(e.examples.map(q).joined(separator: ", "))]\n" }
                out += "    reason: \(q(e.reason))\n"
            }
        }
        let o = p.observe
        if o.isOff {
            out += "mode: enforce\n"
        } else {
            out += "mode:   # from \(o.layer)\n  default: \(o.everywhere ? "observe" : "enforce")\n"
            if !o.repositories.isEmpty { out += "  observe: [\(o.repositories.map(q).joined(separator: ", "))]\n" }
            if !o.enforced.isEmpty { out += "  enforce: [\(o.enforced.map(q).joined(separator: ", "))]\n" }
        }
        return out
    }

    static func match(_ m: RuleMatch) -> String {
        var parts = ["effect: [\(m.effects.joined(separator: ", "))]"]
        if let t = m.targets { parts.append("targets: [\(t.map(\.rawValue).joined(separator: ", "))]") }
        if let p = m.paths { parts.append("paths: [\(p.map(q).joined(separator: ", "))]") }
        if !m.attrs.isEmpty {
            parts.append(
                "attrs: {\(m.attrs.keys.sorted().map { "\($0): [\(m.attrs[$0]!.map(q).joined(separator: ", "))]" }.joined(separator: ", "))}"
            )
        }
        if !m.arguments.isEmpty {
            parts.append(
                "arguments: {\(m.arguments.keys.sorted().map { "\(q($0)): [\(m.arguments[$0]!.map(q).joined(separator: ", "))]" }.joined(separator: ", "))}"
            )
        }
        if let p = m.production { parts.append("production: \(p)") }
        if let a = m.actor { parts.append("actor: \(a.rawValue)") }
        if let p = m.programs { parts.append("programs: [\(p.joined(separator: ", "))]") }
        return "{" + parts.joined(separator: ", ") + "}"
    }
}
