import BrakeCore
import Testing

@Suite("Policy")
struct PolicyTests {
    let ctx = Context(cwd: "/home/dev/project", home: "/home/dev")

    @Test("Every built-in rule's examples hold")
    func builtInExamples() throws {
        let failures = Engine.checkExamples(Policy.standard)
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
        let rules = Policy.standard.rules
        #expect(Set(rules.map(\.id)).count == rules.count, "rule ids are unique")
        #expect(rules.allSatisfy { !$0.message.isEmpty && !$0.agentMessage.isEmpty })
        // Rules about MCP tool calls are checked with actions (HookTests), not shell examples.
        #expect(
            rules.filter { !$0.match.effects.allSatisfy { $0.hasPrefix("mcp.") || $0.hasPrefix("plan.") } }.allSatisfy {
                !$0.examplesMatch.isEmpty
            }
        )
    }

    @Test("An unknown key is an error naming file, line and column")
    func unknownKey() {
        var p = Policy.standard
        #expect {
            try p.merge(
                yaml: "version: 1\nrules:\n  - id: x\n    decision: ask\n    mesage: typo\n",
                source: "org.yaml"
            )
        } throws: { e in
            let pe = e as! PolicyError
            return pe.source == "org.yaml" && pe.line == 5 && pe.column == 5 && pe.message.contains("mesage")
        }
    }

    @Test("A bad value is an error")
    func badValue() {
        var p = Policy.standard
        #expect(throws: PolicyError.self) {
            try p.merge(yaml: "overrides:\n  - rule: git.force-push\n    decision: maybe\n", source: "repo.yaml")
        }
        #expect(throws: PolicyError.self) {
            try p.merge(
                yaml:
                    "rules:\n  - id: x\n    decision: ask\n    message: m\n    match: {effect: fs.delete, targets: [moon]}\n",
                source: "repo.yaml"
            )
        }
    }

    @Test("A lower layer tightens freely")
    func tighten() throws {
        var p = Policy.standard
        try p.merge(yaml: "overrides:\n  - rule: git.force-push\n    decision: deny\n", source: "org.yaml")
        #expect(Engine.decide("git push --force origin main", context: ctx, policy: p).verdict == .deny)
    }

    @Test("Critical denies cannot be loosened by a repository")
    func criticalLocked() {
        var p = Policy.standard
        #expect(throws: PolicyError.self) {
            try p.merge(yaml: "overrides:\n  - rule: fs.wipe-root-or-home\n    decision: allow\n", source: "repo.yaml")
        }
        #expect(throws: PolicyError.self) {
            try p.merge(
                yaml: "exceptions:\n  - rules: [disk.format]\n    paths: ['/dev/**']\n    reason: lab machine\n",
                source: "repo.yaml"
            )
        }
    }

    @Test("An organisation can lock a rule so a repository cannot loosen it")
    func orgLocks() throws {
        var p = Policy.standard
        try p.merge(yaml: "overrides:\n  - rule: git.force-push\n    overridable: false\n", source: "org.yaml")
        #expect(throws: PolicyError.self) {
            try p.merge(yaml: "overrides:\n  - rule: git.force-push\n    decision: allow\n", source: "repo.yaml")
        }
        var q = Policy.standard
        try q.merge(yaml: "overrides:\n  - rule: git.force-push\n    decision: allow\n", source: "repo.yaml")
        #expect(Engine.decide("git push --force origin feature/x", context: ctx, policy: q).verdict == .allow)
    }

    @Test("Scoped exceptions allow only below their paths")
    func exceptions() throws {
        var p = Policy.standard
        try p.merge(
            yaml:
                "exceptions:\n  - rules: [fs.delete-outside-project]\n    paths: ['/srv/scratch/**']\n    reason: shared scratch space\n",
            source: "org.yaml"
        )
        #expect(Engine.decide("rm -rf /srv/scratch/run-1", context: ctx, policy: p).verdict == .allow)
        #expect(Engine.decide("rm -rf /srv/data", context: ctx, policy: p).verdict == .ask)
        #expect(Engine.decide("rm -rf /srv/scratch/run-1 /srv/data", context: ctx, policy: p).verdict == .ask)
    }

    @Test("Rules can depend on who acts")
    func actor() {
        var human = ctx
        human.actor = .human
        #expect(Engine.decide("brake approve 12", context: ctx).verdict == .deny)
        #expect(Engine.decide("brake approve 12", context: human).verdict == .allow)
    }

    @Test("Ask rules say who may approve; production needs a senior")
    func approvers() {
        let d = Engine.decide("aws --profile prod rds delete-db-instance --db-instance-identifier main", context: ctx)
        #expect(d.verdict == .ask)
        #expect(d.approvers?.role == "senior")
        #expect(d.labels.contains("production"))
        #expect(
            Engine.decide("aws --profile dev rds delete-db-instance --db-instance-identifier main", context: ctx)
                .approvers?.role == "member"
        )
    }

    @Test("Production patterns are configurable")
    func productionPatterns() throws {
        var p = Policy.standard
        try p.merge(yaml: "settings:\n  production:\n    patterns: ['acme-main-*']\n", source: "org.yaml")
        let d = Engine.decide("terraform -chdir=stacks/acme-main-eu destroy", context: ctx, policy: p)
        #expect(d.verdict == .deny)
        #expect(Engine.decide("terraform -chdir=stacks/acme-test destroy", context: ctx, policy: p).verdict == .ask)
    }

    @Test("A new rule's examples are checked when it loads")
    func newRuleExamples() throws {
        var p = Policy.standard
        try p.merge(
            yaml: """
                rules:
                  - id: org.no-helm-rollback
                    decision: ask
                    message: Helm rollbacks need approval.
                    match: {effect: k8s.mutate, attrs: {verb: rollback}}
                    examples:
                      match: ["helm rollback web 3"]
                      no_match: ["helm list"]
                  - id: org.broken
                    decision: ask
                    message: Broken examples.
                    match: {effect: fs.delete}
                    examples:
                      match: ["ls"]
                """,
            source: "org.yaml"
        )
        let failures = Engine.checkExamples(p, onlyLayers: ["org.yaml"])
        #expect(failures.count == 1 && failures[0].contains("org.broken"))
    }
}

@Suite("Policy settings")
struct PolicySettingsTests {
    @Test("The rerouting limit is configurable and a lower layer only lowers it")
    func rerouteLimit() throws {
        var p = Policy.standard
        #expect(p.rerouteLimit == 3)
        try p.merge(yaml: "settings:\n  reroute_limit: 2\n", source: "org.yaml")
        #expect(p.rerouteLimit == 2)
        try p.merge(yaml: "settings:\n  reroute_limit: 10\n", source: "repo.yaml")
        #expect(p.rerouteLimit == 2)
        #expect(throws: PolicyError.self) { try p.merge(yaml: "settings:\n  reroute_limit: zero\n", source: "x.yaml") }
    }
}

@Suite("Policy on MCP tools")
struct MCPPolicyTests {
    @Test("A policy can name servers and tools")
    func namedTools() throws {
        var p = Policy.standard
        try p.merge(
            yaml: """
                rules:
                  - id: org.no-merges-by-agents
                    decision: deny
                    message: Agents do not merge pull requests.
                    match: {effect: mcp.call, attrs: {server: [github], tool: [merge_pull_request]}, actor: agent}
                    examples: {match: [], no_match: []}
                """,
            source: "org.yaml"
        )
        let ctx = Context(cwd: "/home/dev/project", home: "/home/dev")
        #expect(
            Engine.decide(
                action: .mcp(server: "github", tool: "merge_pull_request", arguments: "{}"),
                context: ctx,
                policy: p
            ).verdict == .deny
        )
        #expect(
            Engine.decide(
                action: .mcp(server: "github", tool: "get_pull_request", arguments: "{}"),
                context: ctx,
                policy: p
            ).verdict == .allow
        )
    }
}

@Suite("Policy layers the agent can write only tighten")
struct TightenOnlyTests {
    let ctx = Context(cwd: "/home/dev/project", home: "/home/dev", projectRoot: "/home/dev/project")
    let loosen = """
        overrides:
          - rule: "infra.*"
            decision: allow
          - rule: git.force-push
            approvers: {role: member, count: 1}
        exceptions:
          - rules: [fs.delete-outside-project]
            paths: ["{home}/**"]
            reason: the agent says so
        """

    @Test("a repository layer, however it arrived, cannot loosen any rule; it can tighten")
    func repository() throws {
        var p = Policy.standard
        try p.merge(yaml: loosen, source: "/home/dev/project/.brake/policy.yaml", mayLoosen: false)
        #expect(Engine.decide("terraform destroy", context: ctx, policy: p).verdict == .ask)
        #expect(Engine.decide("rm -rf ~/other-project", context: ctx, policy: p).verdict == .ask)
        #expect(p.ignored.count >= 3 && p.ignored.allSatisfy { $0.contains("may only tighten") }, "\(p.ignored)")
        try p.merge(
            yaml: "overrides:\n  - rule: git.force-push\n    decision: deny\n",
            source: "/home/dev/project/.brake/policy.yaml",
            mayLoosen: false
        )
        #expect(Engine.decide("git push --force origin main", context: ctx, policy: p).verdict == .deny)
    }

    @Test("checkpoints: a repository may keep more, never switch them off or keep less; the organisation may")
    func checkpoints() throws {
        var p = Policy.standard
        let repo = "/home/dev/project/.brake/policy.yaml"
        try p.merge(
            yaml: "settings:\n  checkpoints: {enabled: false, max_file_mb: 1}\n",
            source: repo,
            mayLoosen: false
        )
        #expect(p.settings.checkpoints.enabled && p.settings.checkpoints.maxFileBytes == 128 << 20)
        #expect(p.ignored.count == 2 && p.ignored.allSatisfy { $0.contains("may only tighten") }, "\(p.ignored)")
        try p.merge(
            yaml: "settings:\n  checkpoints: {budget_mb: 8192, max_age_days: 30}\n",
            source: repo,
            mayLoosen: false
        )
        #expect(p.settings.checkpoints.budgetBytes == 8192 << 20 && p.settings.checkpoints.maxAgeDays == 30)
        try p.merge(
            yaml: "settings:\n  checkpoints: {enabled: false, step_budget_mb: 64}\n",
            source: "/etc/brake/policy.yaml",
            mayLoosen: true
        )
        #expect(!p.settings.checkpoints.enabled && p.settings.checkpoints.stepBudgetBytes == 64 << 20)
        #expect(throws: PolicyError.self) {
            var q = Policy.standard
            try q.merge(yaml: "settings:\n  checkpoints: {max_file_mb: 0}\n", source: repo, mayLoosen: false)
        }
        #expect(throws: PolicyError.self) {
            var q = Policy.standard
            try q.merge(yaml: "settings:\n  checkpoints: {keep: forever}\n", source: repo, mayLoosen: false)
        }
    }

    @Test("the organisation's layer loosens what is overridable, and only that")
    func organisation() throws {
        var p = Policy.standard
        try p.merge(
            yaml: "overrides:\n  - rule: infra.destroy\n    decision: allow\n",
            source: "/etc/brake/policy.yaml",
            mayLoosen: true
        )
        #expect(Engine.decide("terraform destroy", context: ctx, policy: p).verdict == .allow)
        #expect(p.ignored.isEmpty)
        #expect(throws: PolicyError.self) {
            var q = Policy.standard
            try q.merge(
                yaml: "overrides:\n  - rule: fs.wipe-root-or-home\n    decision: allow\n",
                source: "/etc/brake/policy.yaml"
            )
        }
    }
}
