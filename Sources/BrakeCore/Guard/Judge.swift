/// What one `ActionRequest` amounts to under a policy: the verdict, the digest an approval binds to, and
/// everything a person sees before approving. The control plane computes it from the raw request; hooks
/// compute the same locally (for local mode, the offline fallback and a stricter local policy).
public struct Judgement: Sendable {
    /// The most severe verdict of the call's actions (a local claim may have tightened it).
    public var verdict: Verdict
    /// `sha256:…` an approval is bound to: the actions, where they run, the resolved targets, the input.
    public var digest: String
    /// The rules that asked or denied, sorted.
    public var rules: [String]
    /// Risk labels, sorted.
    public var labels: [String]
    /// Effect kinds found, sorted.
    public var effects: [String]
    /// The action as a person reads it, credentials redacted.
    public var summary: String
    /// Every command that would really run, credentials redacted.
    public var commands: [String]
    /// The first reason, `message (rule)`, or empty.
    public var reason: String
    /// What to tell the agent.
    public var agentMessage: String
    /// Who must approve an ask, per the policy's rules.
    public var approvers: Approvers?
    /// The reasons as JSON (`rule`, `decision`, `message`, `detail`).
    public var reasonsJSON: JSONValue
    /// Production evidence found, as `source=value`.
    public var production: [String]
    /// Absolute directories the commands run in and paths they change (for repository stops).
    public var places: [String]
    /// The environment variables the commands read (what of the environment the server needs).
    public var referencedVariables: Set<String>
    /// The plan file a single `terraform|tofu|terragrunt apply PLANFILE` applies, for the adapter to digest.
    public var appliedPlan: String?
    /// Files the commands would run (scripts, Makefiles, package.json) that the context does not hold yet: the
    /// adapter reads them and the request is judged again with their content.
    public var wantedFiles: [String] = []
    /// What the action destroys inside the project, for the host to keep before it runs (`brake undo`).
    public var checkpoint = CheckpointPlan()
    /// In observe mode (`mode: observe`): what enforcing would have done (`ask`); the verdict is then allow.
    public var observed: Verdict?

    /// The detail a person sees on a request: tool, directory, targets, commands, reasons, labels.
    public func detail(_ request: ActionRequest) -> JSONValue {
        var m: [(String, JSONValue)] = [
            ("tool", .string(request.tool)), ("cwd", .string(request.context.cwd)),
            ("commands", .array(commands.map { .string($0) })), ("reasons", reasonsJSON),
            ("labels", .array(labels.map { .string($0) })),
        ]
        let targets = request.context.targets
        if !targets.isEmpty { m.append(("targets", .object(targets.map { ($0.0, .string($0.1)) }))) }
        if !production.isEmpty { m.append(("production", .array(production.map { .string($0) }))) }
        if case .mcp(let server, _, let arguments) = request.actions.first {
            m.append(("server", .string(server)))
            m.append(("arguments", .string(Redact.text(arguments))))
        }
        if !request.repositories.isEmpty {
            m.append(("repositories", .array(request.repositories.map { .string($0) })))
        }
        return .object(m)
    }
}

/// Judges raw action requests. Pure: the same request and policy always give the same judgement.
public enum Judge {
    /// Runs the engine over every action of the request; the most severe verdict wins.
    public static func evaluate(_ request: ActionRequest, policy: Policy) -> Judgement {
        var context = request.context
        context.actor = .agent
        context.agent = request.agent
        context.session = request.session.isEmpty ? nil : request.session
        context.repositories = request.repositories
        let decisions = request.actions.map {
            Engine.decide(
                action: $0,
                context: context,
                policy: policy,
                toolHints: request.toolHints,
                toolDescription: request.toolDescription,
                toolParameters: request.toolParameters
            )
        }
        var worst = decisions.first!
        for d in decisions.dropFirst() where d.verdict > worst.verdict { worst = d }
        var verdict = worst.verdict
        var digest =
            decisions.count == 1 ? worst.digest : Engine.hexDigest(decisions.map(\.digest).joined(separator: ","))
        // A file tool's approval covers exactly the content it writes.
        if let input = request.inputDigest, request.actions.contains(where: \.isFileChange) {
            digest = Engine.hexDigest(digest + "|input=" + input)
        }
        // `terraform apply PLANFILE` is bound to the plan approved through `brake plan --request`, and an
        // `execute-change-set` to what the change set does; the adapter read the file or the change set.
        if request.actions.count == 1, case .shell(let command) = request.actions[0] {
            if let plan = request.planDigest, executesChangeSet(command, context: context) {
                if verdict != .deny { verdict = .ask }
                digest = plan
            } else if verdict == .ask, let plan = request.planDigest,
                appliedPlan(worst.analysis, context: context) != nil
            {
                digest = plan
            }
        }
        var rules = Array(Set(decisions.flatMap { $0.reasons.map(\.rule) })).sorted()
        var reason = worst.reasons.first.map { "\($0.message) (\($0.rule))" } ?? ""
        let ownRules = Set(rules)
        // A machine's claim for rules this policy's exceptions cover comes from an older copy of this policy (a
        // local layer cannot take an exception away, so with the current one the rule would not fire there either).
        let excepted = Set(decisions.flatMap(\.excepted))
        let staleClaim = !request.localRules.isEmpty && Set(request.localRules).isSubset(of: excepted)
        if let local = request.localVerdict, local > verdict, !staleClaim {
            verdict = local
            rules = Array(Set(rules + request.localRules)).sorted()
            if reason.isEmpty {
                reason =
                    "this machine's policy \(local == .deny ? "refuses" : "asks about") it (\(request.localRules.joined(separator: ", ")))"
            }
        }
        // Observe mode records what this policy would have asked and lets it run. A deny stays a deny, and so does
        // the machine's own ask when its policy says `mode: enforce` or asks about a rule this policy did not (a
        // stricter local layer); an ask for the same rules adds nothing (a machine's copy of this policy is a layer
        // that only tightens, so it never observes by itself).
        var observed: Verdict?
        if verdict == .ask, policy.observe.observes(request.repositories), !request.localEnforce,
            request.localVerdict.map({ $0 < .ask }) ?? true || Set(request.localRules).isSubset(of: ownRules)
        {
            observed = .ask
            verdict = .allow
        }
        return Judgement(
            verdict: verdict,
            digest: digest,
            rules: rules,
            labels: Array(Set(decisions.flatMap(\.labels))).sorted(),
            effects: Array(Set(decisions.flatMap { $0.analysis.effects.map(\.kind) })).sorted(),
            summary: Redact.text(request.actions.map(\.summary).joined(separator: "; ")),
            commands: decisions.flatMap(\.commands).map { Redact.text($0) },
            reason: reason,
            agentMessage: worst.agentMessage,
            approvers: verdict == .ask
                ? (worst.approvers ?? decisions.compactMap(\.approvers).first) : nil,
            reasonsJSON: .array(decisions.flatMap { $0.reasonsJSON.arrayValue ?? [] }),
            production: decisions.flatMap { $0.analysis.production.map { "\($0.source)=\($0.value)" } },
            places: places(decisions),
            referencedVariables: decisions.reduce(into: Set<String>()) {
                $0.formUnion($1.analysis.referencedVariables)
            },
            appliedPlan: request.actions.count == 1 ? appliedPlan(worst.analysis, context: context) : nil,
            wantedFiles: decisions.reduce(into: [String]()) { out, d in
                for p in d.analysis.wantedFiles where !out.contains(p) { out.append(p) }
            },
            checkpoint: verdict == .deny
                ? CheckpointPlan()
                : CheckpointPlan.of(
                    actions: request.actions,
                    analyses: decisions.map(\.analysis),
                    context: context,
                    settings: policy.settings
                ),
            observed: verdict == .allow ? observed : nil
        )
    }

    static func places(_ decisions: [Decision]) -> [String] {
        var out: [String] = []
        for d in decisions {
            for inv in d.analysis.invocations { if let c = inv.cwd, !out.contains(c) { out.append(c) } }
            for e in d.analysis.effects {
                for t in e.targets { if let p = t.path, !out.contains(p) { out.append(p) } }
            }
        }
        return Array(out.prefix(32))
    }

    /// The plan file operand of a `terraform|tofu|terragrunt apply PLANFILE` (relative to where it runs).
    public static func appliedPlanOperand(_ command: String, context: Context) -> String? {
        appliedPlan(Engine.analyze(command, context: context), context: context)
    }

    static func appliedPlan(_ analysis: Analysis, context: Context) -> String? {
        for inv in analysis.invocations where ["terraform", "tofu", "terragrunt"].contains(inv.program) {
            let words = inv.args.map(\.text)
            guard let apply = words.firstIndex(of: "apply"), !words.contains("-destroy") else { continue }
            let operands = words[(apply + 1)...].filter { !$0.hasPrefix("-") }
            guard operands.count == 1, let file = operands.first else { continue }
            return file.hasPrefix("/") ? file : (inv.cwd ?? context.cwd) + "/" + file
        }
        return nil
    }

    /// True for `aws … cloudformation execute-change-set …`.
    public static func executesChangeSet(_ command: String, context: Context) -> Bool {
        let analysis = Engine.analyze(command, context: context)
        return analysis.invocations.contains { inv in
            guard inv.program == "aws" || inv.program == "awslocal" else { return false }
            let words = inv.args.map(\.text)
            guard let i = words.firstIndex(of: "execute-change-set") else { return false }
            return i > 0 && words[i - 1] == "cloudformation"
        }
    }
}

extension Action {
    /// Writes, edits or deletes a file.
    public var isFileChange: Bool {
        switch self {
        case .write, .edit, .delete: return true
        default: return false
        }
    }
}
