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
        // JSON's quoting, plus the line breaks YAML folds inside double quotes (NEL, LS, PS) written as escapes,
        // so what is accepted is exactly what was shown.
        func q(_ s: String) -> String {
            var out = ""
            for c in JSONValue.string(s).serialized.unicodeScalars {
                switch c.value {
                case 0x85: out += "\\N"
                case 0x2028: out += "\\L"
                case 0x2029: out += "\\P"
                default: out.unicodeScalars.append(c)
                }
            }
            return out
        }
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
        // One command: in a pipeline or list each part would become a shape of its own (`curl … | sh` must not
        // turn into an exception for any `sh`).
        let commands = (a.detail["commands"]?.strings ?? [])
        guard commands.count == 1 else { return nil }
        let shapes = commands.map(CommandPattern.of(display:))
        guard shapes.allSatisfy({ s in CommandPattern.split(s).first.map { !$0.contains("*") } ?? false }) else {
            return nil
        }
        var repositories = a.detail["repositories"]?.strings ?? []
        if repositories.isEmpty && !a.repository.isEmpty { repositories = [a.repository] }
        // A repository name is what the requester's machine read; one that is empty, a path, or itself a glob
        // (`*`) never becomes a scope.
        guard !repositories.isEmpty,
            repositories.allSatisfy({ r in
                !r.isEmpty && !r.hasPrefix("/") && r.count <= 300 && !r.contains { "*?[]{}".contains($0) }
            })
        else { return nil }
        return (rule, shapes, repositories.sorted(), commands)
    }

    /// The shape of a request as stored beside it (rule, command shapes, repositories), or "" when it has none.
    public static func shapeKey(_ a: Approval) -> String {
        guard let s = shape(a) else { return "" }
        return ([s.rule] + s.commands + ["@"] + s.repositories).joined(separator: "\n")
    }

    /// The rule, command shapes and repositories of a shape key.
    static func parse(_ key: String) -> (rule: String, commands: [String], repositories: [String])? {
        let parts = key.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let at = parts.firstIndex(of: "@"), at >= 2, at < parts.count - 1 else { return nil }
        return (parts[0], Array(parts[1..<at]), Array(parts[(at + 1)...]))
    }

    /// Suggestions from the shapes approved again and again, under this policy, leaving out decided ones and
    /// rules that are not overridable (or no longer ask).
    public static func find(
        _ stats: [ShapeStats],
        policy: Policy,
        decided: Set<String>,
        minApprovals: Int,
        minApprovers: Int
    ) -> [Suggestion] {
        stats.compactMap { st -> Suggestion? in
            guard let (rule, commands, repositories) = parse(st.shape) else { return nil }
            let s = Suggestion(
                id: id(rule: rule, commands: commands, repositories: repositories),
                rule: rule,
                commands: commands,
                repositories: repositories,
                approvals: st.approvals,
                approvers: st.approvers,
                examples: Array(uniqued(st.examples).prefix(3)),
                first: st.first,
                last: st.last
            )
            guard !decided.contains(s.id), s.approvals >= minApprovals, s.approvers.count >= minApprovers,
                let r = policy.rules.first(where: { $0.id == rule }), r.overridable, r.decision == .ask
            else { return nil }
            // Only what the policy file would take: a broken or refused document is never proposed.
            var p = policy
            return (try? p.merge(yaml: s.yaml, source: "suggestion")) != nil ? s : nil
        }
        .sorted { ($0.approvals, $1.id) > ($1.approvals, $0.id) }
    }
}

/// The values in their first order, each once.
func uniqued(_ values: [String]) -> [String] {
    var seen: Set<String> = []
    return values.filter { seen.insert($0).inserted }
}
