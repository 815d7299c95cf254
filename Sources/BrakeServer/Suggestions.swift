import BrakeCore

/// Asks that teach nothing: a rule asked about the same shape of command in the same repository again and
/// again, approved every time by different people and never denied. Brake proposes a scoped exception (that
/// rule, that command shape, that repository) as policy YAML with the approved commands as its examples; an
/// admin accepts it (it becomes part of the server's policy, audited) or rejects it (never proposed again).
/// A rule that is not overridable is never proposed.
public struct Suggestion: Sendable, Equatable {
    public var id: String
    public var rule: String
    /// The command shapes (`CommandPattern`), `; `-joined in `pattern`.
    public var commands: [String]
    public var repositories: [String]
    public var approvals: Int
    public var approvers: [String]
    public var examples: [String]
    public var first: Int
    public var last: Int

    public var pattern: String { commands.joined(separator: " ; ") }
    public var repository: String { repositories.joined(separator: ", ") }

    /// The policy document an admin accepts: one exception, scoped.
    public var yaml: String {
        func q(_ s: String) -> String { JSONValue.string(s).serialized }
        func list(_ a: [String]) -> String { "[" + a.map(q).joined(separator: ", ") + "]" }
        let reason =
            "approved \(approvals) times by \(approvers.joined(separator: ", ")), never denied; proposed by Brake (\(id))"
        return """
            exceptions:
              - rules: \(list([rule]))
                repositories: \(list(repositories))
                commands: \(list(commands))
                examples: \(list(examples))
                reason: \(q(reason))

            """
    }

    public var json: JSONValue {
        .object([
            ("id", .string(id)), ("rule", .string(rule)), ("pattern", .string(pattern)),
            ("repository", .string(repository)), ("approvals", .number(Double(approvals))),
            ("approvers", .array(approvers.map { .string($0) })), ("examples", .array(examples.map { .string($0) })),
            ("first", .number(Double(first))), ("last", .number(Double(last))), ("yaml", .string(yaml)),
        ])
    }

    /// The same shape always gets the same id, so a rejection sticks.
    static func id(rule: String, commands: [String], repositories: [String]) -> String {
        let key = rule + "\n" + commands.joined(separator: "\n") + "\n" + repositories.joined(separator: "\n")
        return "sug_" + Engine.hexDigest(key).dropFirst(7).prefix(16)
    }

    /// The shape of one request: its single rule, command shapes and repositories; nil when it has none that a
    /// scoped exception could cover (several rules, no shell command, no repository, a command shape that
    /// names no program).
    static func shape(_ a: Approval) -> (rule: String, commands: [String], repositories: [String], examples: [String])?
    {
        let rules = Set((a.detail["reasons"]?.arrayValue ?? []).compactMap { $0["rule"]?.stringValue })
        guard rules.count == 1, let rule = rules.first else { return nil }
        guard a.detail["plan"] == nil, a.detail["server"] == nil else { return nil }
        let commands = (a.detail["commands"]?.strings ?? [])
        guard (1...3).contains(commands.count) else { return nil }
        let shapes = commands.map(CommandPattern.of(display:))
        guard shapes.allSatisfy({ s in CommandPattern.split(s).first.map { !$0.contains("*") } ?? false }) else {
            return nil
        }
        var repositories = a.detail["repositories"]?.strings ?? []
        if repositories.isEmpty && !a.repository.isEmpty { repositories = [a.repository] }
        guard !repositories.isEmpty, repositories.allSatisfy({ !$0.isEmpty }) else { return nil }
        return (rule, shapes, repositories.sorted(), commands)
    }

    /// Suggestions from these requests under this policy, leaving out decided ones.
    public static func find(
        _ approvals: [Approval],
        policy: Policy,
        decided: Set<String>,
        minApprovals: Int,
        minApprovers: Int
    ) -> [Suggestion] {
        var groups: [String: Suggestion] = [:]
        var denied: Set<String> = []
        for a in approvals {
            guard let s = shape(a) else { continue }
            let id = id(rule: s.rule, commands: s.commands, repositories: s.repositories)
            let approvedBy = a.votes.filter { $0.vote == "approve" }.map(\.user)
            if a.status == .denied || a.votes.contains(where: { $0.vote == "deny" }) {
                denied.insert(id)
                continue
            }
            guard a.status == .approved || a.status == .used else { continue }
            var g =
                groups[id]
                ?? Suggestion(
                    id: id,
                    rule: s.rule,
                    commands: s.commands,
                    repositories: s.repositories,
                    approvals: 0,
                    approvers: [],
                    examples: [],
                    first: a.created,
                    last: a.created
                )
            g.approvals += 1
            for u in approvedBy where !g.approvers.contains(u) { g.approvers.append(u) }
            for e in s.examples where !g.examples.contains(e) && g.examples.count < 3 { g.examples.append(e) }
            g.first = min(g.first, a.created)
            g.last = max(g.last, a.created)
            groups[id] = g
        }
        return groups.values.filter { g in
            guard !denied.contains(g.id), !decided.contains(g.id), g.approvals >= minApprovals,
                g.approvers.count >= minApprovers,
                let rule = policy.rules.first(where: { $0.id == g.rule }), rule.overridable, rule.decision == .ask
            else { return false }
            // Only what the policy file would take: a broken or refused document is never proposed.
            var p = policy
            return (try? p.merge(yaml: g.yaml, source: "suggestion")) != nil
        }
        .sorted { ($0.approvals, $1.id) > ($1.approvals, $0.id) }
    }
}
