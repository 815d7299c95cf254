import Crypto

/// One rule that decided (part of) the outcome.
public struct Reason: Sendable, Equatable {
    public var rule: String
    public var decision: Verdict
    public var message: String
    public var agentMessage: String
    /// What the command does that the rule matched.
    public var detail: String
}

/// The engine's answer for one action.
public struct Decision: Sendable {
    public var verdict: Verdict
    public var reasons: [Reason]
    public var labels: [String]
    /// The effective commands found, for people.
    public var commands: [String]
    /// `sha256:HEX` over the canonical action and context.
    public var digest: String
    /// What the agent should do instead (empty when allowed).
    public var agentMessage: String
    /// Who may approve an `ask`.
    public var approvers: Approvers?
    /// The analysis behind the decision.
    public var analysis: Analysis
    /// Rule-by-rule trace lines, filled when requested.
    public var trace: [String]
    /// Rules that matched but an exception of the policy covers (they did not decide).
    public var excepted: [String] = []

    /// The reasons as `[{"rule": …, "message": …}]`.
    public var reasonsJSON: JSONValue {
        .array(reasons.map { .object([("rule", .string($0.rule)), ("message", .string($0.message))]) })
    }

    /// The decision as the JSON object that `brake check --format json` prints.
    public var json: JSONValue {
        var members: [(String, JSONValue)] = [
            ("decision", .string(verdict.rawValue)),
            ("reasons", reasonsJSON),
            ("labels", .array(labels.map { .string($0) })),
            ("commands", .array(commands.map { .string($0) })),
            ("digest", .string(digest)),
        ]
        if !agentMessage.isEmpty { members.append(("agent_message", .string(agentMessage))) }
        if let a = approvers, verdict == .ask {
            members.append(("approval", .object([("role", .string(a.role)), ("count", .number(Double(a.count)))])))
        }
        if !analysis.production.isEmpty {
            members.append(
                (
                    "production",
                    .array(
                        Array(Set(analysis.production)).sorted { $0.value < $1.value }.map {
                            .object([("source", .string($0.source)), ("value", .string($0.value))])
                        }
                    )
                )
            )
        }
        return .object(members)
    }
}

/// The decision engine: pure, no I/O.
public enum Engine {
    /// Analyses a shell command without applying a policy.
    public static func analyze(_ command: String, context: Context, settings: AnalysisSettings = .standard) -> Analysis
    {
        let a = Analyzer(context: context, settings: settings)
        a.analyze(command)
        return a.result
    }

    /// Decides a shell command under a policy.
    public static func decide(
        _ command: String,
        context: Context,
        policy: Policy = .standard,
        trace: Bool = false
    ) -> Decision {
        let analysis = analyze(command, context: context, settings: policy.settings)
        return decide(analysis: analysis, command: command, context: context, policy: policy, trace: trace)
    }

    static func decide(
        analysis: Analysis,
        command: String,
        context: Context,
        policy: Policy,
        trace wantTrace: Bool
    ) -> Decision {
        var trace: [String] = []
        // What matched, as (rule index, effect index): a plan matches thousands of times, and copies of rules
        // and effects were a fifth of its decision's time.
        var matched: [(Int, Int)] = []
        var excepted: [String] = []
        // The rules that consider each effect kind, found once per kind: a plan brings thousands of effects of a
        // few kinds (a command, a handful: every rule is tried). An explanation goes through every rule, to say
        // why each one did not match.
        var candidates: [String: [Int]] = [:]
        let allRules = Array(policy.rules.indices)
        let byKind = !wantTrace && analysis.effects.count > 8
        for (effectIndex, effect) in analysis.effects.enumerated() {
            let indices: [Int]
            if !byKind {
                indices = allRules
            } else if let known = candidates[effect.kind] {
                indices = known
            } else {
                indices = policy.rules.indices.filter { i in
                    policy.rules[i].match.effects.contains { $0 == effect.kind || Glob.match($0, effect.kind) }
                }
                candidates[effect.kind] = indices
            }
            if wantTrace {
                trace.append(
                    "effect \(effect.kind) \(describe(effect.attrs)) targets=[\(effect.targets.map { "\($0.written)→\($0.cls.rawValue)" }.joined(separator: ", "))]: \(effect.detail)"
                )
            }
            var otherKinds: [String] = []
            for i in indices {
                let rule = policy.rules[i]
                let (ok, why) = matches(
                    rule,
                    effect,
                    analysis: analysis,
                    context: context,
                    policy: policy,
                    explain: wantTrace
                )
                if ok,
                    let exception = policy.exceptions.first(where: { e in
                        applies(e, rule: rule, effect: effect, analysis: analysis, context: context)
                    })
                {
                    if !excepted.contains(rule.id) { excepted.append(rule.id) }
                    if wantTrace {
                        trace.append(
                            "  \(rule.id): matched, but exception applies (\(exception.reason), \(exception.layer))"
                        )
                    }
                    continue
                }
                if ok {
                    matched.append((i, effectIndex))
                    if wantTrace { trace.append("  \(rule.id): MATCH → \(rule.decision.rawValue)") }
                } else if wantTrace, let why {
                    trace.append("  \(rule.id): no (\(why))")
                } else if wantTrace {
                    otherKinds.append(rule.id)
                }
            }
            if wantTrace && !otherKinds.isEmpty {
                trace.append("  not about \(effect.kind): \(otherKinds.joined(separator: ", "))")
            }
        }
        if wantTrace && analysis.effects.isEmpty {
            trace.append(
                "no effect that any of the \(policy.rules.count) rules considers: \(policy.rules.map(\.id).joined(separator: ", "))"
            )
        }
        // The lexical second opinion speaks only where the analysis itself found nothing to stop.
        let rules = policy.rules
        let effects = analysis.effects
        if matched.contains(where: { effects[$0.1].kind != SecondOpinion.kind && rules[$0.0].decision != .allow }) {
            matched.removeAll { effects[$0.1].kind == SecondOpinion.kind }
        }
        var verdict = Verdict.allow
        for (r, _) in matched where rules[r].decision > verdict { verdict = rules[r].decision }
        var reasons: [Reason] = []
        var seen: Set<String> = []
        for (ri, ei) in matched.sorted(by: { rules[$0.0].decision > rules[$1.0].decision })
        where rules[ri].decision != .allow && seen.insert(rules[ri].id).inserted {
            let r = rules[ri]
            let e = effects[ei]
            reasons.append(
                Reason(
                    rule: r.id,
                    decision: r.decision,
                    message: r.message,
                    agentMessage: r.agentMessage,
                    detail: e.detail
                )
            )
        }
        var labels: [String] = []
        for (r, _) in matched where rules[r].decision != .allow {
            for l in rules[r].labels where !labels.contains(l) { labels.append(l) }
        }
        if !analysis.production.isEmpty && verdict != .allow && !labels.contains("production") {
            labels.append("production")
        }
        var approvers: Approvers?
        for (ri, _) in matched where rules[ri].decision == .ask {
            let r = rules[ri]
            if let a = approvers {
                approvers = Approvers(
                    role: Policy.roleRank(r.approvers.role) > Policy.roleRank(a.role) ? r.approvers.role : a.role,
                    count: max(a.count, r.approvers.count)
                )
            } else {
                approvers = r.approvers
            }
        }
        let agentMessage = reasons.first(where: { $0.decision == verdict })?.agentMessage ?? ""
        let commands = analysis.invocations.map(\.display)
        var decision = Decision(
            verdict: verdict,
            reasons: reasons,
            labels: labels,
            commands: commands,
            digest: digest(command: command, context: context, analysis: analysis),
            agentMessage: agentMessage,
            approvers: verdict == .ask ? approvers : nil,
            analysis: analysis,
            trace: trace
        )
        decision.excepted = excepted.filter { id in !reasons.contains { $0.rule == id } }
        return decision
    }

    static func describe(_ attrs: [String: AttrValue]) -> String {
        attrs.keys.sorted().map { "\($0)=\(attrs[$0]!)" }.joined(separator: " ")
    }

    /// Environment variables that identify where an action lands; they are part of the digest when set.
    static let placeVariables = [
        "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "TF_WORKSPACE", "KUBECONFIG", "KUBE_CONTEXT",
        "PULUMI_STACK", "DATABASE_URL", "PGHOST", "PGDATABASE", "CLOUDSDK_CORE_PROJECT", "GOOGLE_CLOUD_PROJECT",
    ]

    /// `sha256:HEX` over the command, the directory it runs in, the variables it reads and where it lands.
    public static func digest(command: String, context: Context, analysis: Analysis) -> String {
        var present: [String] = []
        if !context.env.isEmpty {
            for n in placeVariables where context.env[n] != nil { present.append(n) }
            for n in analysis.referencedVariables where context.env[n] != nil && !placeVariables.contains(n) {
                present.append(n)
            }
        }
        var env: [(String, JSONValue)] = []
        for n in present.sorted() { env.append((n, .string(context.env[n]!))) }
        var ctx: [(String, JSONValue)] = [("cwd", .string(Paths.normalize(context.cwd))), ("env", .object(env))]
        // Where the action lands: an approval never follows a switch of context, workspace, profile or project.
        for (name, value) in context.targets { ctx.append((name, .string(value))) }
        let canonical = JSONValue.object([
            ("v", .number(1)), ("kind", .string("shell")), ("command", .string(command)), ("context", .object(ctx)),
        ]).serialized
        return hexDigest(canonical)
    }

    /// `sha256:HEX` of a canonical text.
    public static func hexDigest(_ canonical: String) -> String { hexDigest(bytes: Array(canonical.utf8)) }

    /// `sha256:HEX` of raw bytes (a plan file).
    public static func hexDigest(bytes: [UInt8]) -> String {
        let hash = SHA256.hash(data: bytes)
        let digits = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = Array("sha256:".utf8)
        hex.reserveCapacity(71)
        for byte in hash {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: hex, as: UTF8.self)
    }

    static func attrStrings(_ v: AttrValue) -> [String] {
        switch v {
        case .bool(let b): return [String(b)]
        case .string(let s): return [s]
        case .list(let l): return l
        }
    }

    /// Whether a rule applies to an effect, and if not, why (for `brake explain`).
    static func matches(
        _ rule: Rule,
        _ effect: Effect,
        analysis: Analysis,
        context: Context,
        policy: Policy,
        explain: Bool
    ) -> (Bool, String?) {
        let (ok, why) = condition(rule.match, effect, analysis: analysis, context: context, policy: policy)
        guard ok else { return (false, why) }
        for u in rule.unless {
            if condition(u, effect, analysis: analysis, context: context, policy: policy).0 {
                return (false, "an 'unless' condition holds")
            }
        }
        return (true, nil)
    }

    static func condition(
        _ m: RuleMatch,
        _ effect: Effect,
        analysis: Analysis,
        context: Context,
        policy: Policy
    ) -> (Bool, String?) {
        guard m.effects.contains(where: { $0 == effect.kind || Glob.match($0, effect.kind) }) else {
            return (false, nil)
        }
        if let classes = m.targets {
            guard effect.targets.contains(where: { classes.contains($0.cls) }) else {
                return (
                    false,
                    "targets are \(effect.targets.map(\.cls.rawValue).joined(separator: ", ")), not \(classes.map(\.rawValue).joined(separator: "/"))"
                )
            }
        }
        if let globs = m.paths {
            let expanded = globs.map { expandPlaceholders($0, context) }
            guard
                effect.targets.contains(where: { t in
                    t.path.map { p in expanded.contains { Glob.match($0, p) } } ?? false
                })
            else {
                return (false, "no target path matches \(globs.joined(separator: ", "))")
            }
        }
        for (key, wanted) in m.attrs {
            guard let v = effect.attrs[key],
                attrStrings(v).contains(where: { have in wanted.contains { $0 == have || Glob.match($0, have) } })
            else {
                return (
                    false,
                    "\(key) is \(effect.attrs[key].map { "\($0)" } ?? "unset"), not \(wanted.joined(separator: "/"))"
                )
            }
        }
        if !m.arguments.isEmpty {
            let leaves: [(String, String)] =
                effect.attrs["arguments"].map(attrStrings)?.compactMap { pair in
                    pair.firstIndex(of: "=").map { (String(pair[..<$0]), String(pair[pair.index(after: $0)...])) }
                } ?? []
            for (selector, globs) in m.arguments {
                let hit = leaves.contains { path, value in
                    ArgumentPath.matches(selector, path) && globs.contains { $0 == value || Glob.match($0, value) }
                }
                if !hit { return (false, "no argument at \(selector) matches \(globs.joined(separator: "/"))") }
            }
        }
        if let prod = m.production {
            let isProd = effect.attrs["production"] == .bool(true)
            if isProd != prod { return (false, prod ? "not production" : "production") }
        }
        if let actor = m.actor, actor != context.actor { return (false, "actor is \(context.actor.rawValue)") }
        if let programs = m.programs {
            let p =
                effect.invocation >= 0 && effect.invocation < analysis.invocations.count
                ? analysis.invocations[effect.invocation].program : ""
            if !programs.contains(p) { return (false, "program is \(p)") }
        }
        return (true, nil)
    }

    static func expandPlaceholders(_ glob: String, _ context: Context) -> String {
        glob.replacingAll("{home}", with: Paths.normalize(context.home))
            .replacingAll("{project}", with: Paths.normalize(context.project))
            .replacingAll("{tmp}", with: Paths.normalize(context.env["TMPDIR"] ?? "/tmp"))
    }

    static func applies(
        _ e: PolicyException,
        rule: Rule,
        effect: Effect,
        analysis: Analysis,
        context: Context
    ) -> Bool {
        guard e.rules.contains(where: { Glob.match($0, rule.id) }) else { return false }
        if !e.repositories.isEmpty {
            guard !context.repositories.isEmpty,
                context.repositories.allSatisfy({ repo in e.repositories.contains { Glob.match($0, repo) } })
            else { return false }
        }
        if !e.commands.isEmpty {
            guard analysis.invocations.indices.contains(effect.invocation) else { return false }
            let invocation = analysis.invocations[effect.invocation]
            guard e.commands.contains(where: { CommandPattern.matches($0, invocation) }) else { return false }
        }
        if e.paths.isEmpty { return !e.commands.isEmpty }
        guard !effect.targets.isEmpty else { return false }
        let globs = e.paths.map { expandPlaceholders($0, context) }
        return effect.targets.allSatisfy { t in
            guard let p = t.path, t.cls != .unknown else { return false }
            return globs.contains { Glob.match($0, p) }
        }
    }

    /// The context rule examples are checked in.
    public static let exampleContext = Context(cwd: "/home/dev/project", home: "/home/dev")

    /// Checks every rule's examples; returns one line per failure.
    public static func checkExamples(_ policy: Policy, onlyLayers: Set<String>? = nil) -> [String] {
        var failures: [String] = []
        for rule in policy.rules where onlyLayers.map({ $0.contains(rule.layer) }) ?? true {
            for ex in rule.examplesMatch where !ruleFires(rule, ex, policy) {
                failures.append("\(rule.id) (\(rule.layer)): example should match but does not: \(ex)")
            }
            for ex in rule.examplesNoMatch where ruleFires(rule, ex, policy) {
                failures.append("\(rule.id) (\(rule.layer)): example should not match but does: \(ex)")
            }
        }
        return failures
    }

    static func ruleFires(_ rule: Rule, _ command: String, _ policy: Policy) -> Bool {
        var ctx = exampleContext
        ctx.actor = rule.match.actor ?? .agent
        let analysis = analyze(command, context: ctx, settings: policy.settings)
        return analysis.effects.contains {
            matches(rule, $0, analysis: analysis, context: ctx, policy: policy, explain: false).0
        }
    }
}
