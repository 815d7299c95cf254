import BrakeCore
import Testing

@Suite("Observe mode, command shapes and scoped exceptions")
struct ObserveAndExceptionTests {
    @Test("a command's shape keeps the program and words, generalises numbers inside names and secrets")
    func shapes() {
        #expect(
            CommandPattern.of(display: "git push --force origin feature/login")
                == "git push --force origin feature/login"
        )
        #expect(
            CommandPattern.of(display: "git push --force origin release-2026.11")
                == "git push --force origin release-*.*"
        )
        #expect(
            CommandPattern.of(display: "kubectl delete pod web-7f9c --grace-period=30")
                == "kubectl delete pod web-*f*c --grace-period=30"
        )
        #expect(CommandPattern.of(display: "curl -H 'Authorization: ***' https://x") == "curl -H * https://x")
        #expect(CommandPattern.of(display: "python3 tool.py") == "python3 tool.py", "the program itself is kept")
        // A whole word or path segment of digits, or a hash, stays: it is the thing the command acts on.
        #expect(CommandPattern.of(display: "git reset --hard 3f2a9c1d") == "git reset --hard 3f2a9c1d")
        #expect(CommandPattern.of(display: "rm -rf ../1") == "rm -rf ../1")
        #expect(CommandPattern.of(display: "rm -rf out-1/2") == "rm -rf out-*/2")
        // A word with a space stays one word.
        #expect(CommandPattern.of(display: "git commit -m 'fix 12'") == "git commit -m 'fix *'")
        #expect(CommandPattern.split(CommandPattern.of(display: "git commit -m 'fix 12'")).count == 4)
    }

    func policy(_ yaml: String) throws -> Policy {
        var p = Policy.standard
        try p.merge(yaml: yaml, source: "org.yaml")
        return p
    }

    func shell(_ command: String, repos: [String], local: Verdict? = nil, rules: [String] = []) -> ActionRequest {
        ActionRequest(
            agent: "claude-code",
            session: "s1",
            tool: "Bash",
            actions: [.shell(command: command)],
            context: Context(cwd: "/home/dev/shop", home: "/home/dev", projectRoot: "/home/dev/shop"),
            repositories: repos,
            localVerdict: local,
            localRules: rules
        )
    }

    static let exception = """
        exceptions:
          - rules: [git.force-push]
            repositories: [github.com/acme/shop]
            commands: ["git push --force origin feature/*"]
            examples: ["git push --force origin feature/login"]
            reason: approved five times
        """

    @Test("an exception scoped to a command shape and a repository covers exactly that")
    func scopedException() throws {
        let p = try policy(Self.exception)
        let shop = ["github.com/acme/shop"]
        #expect(
            Judge.evaluate(shell("git push --force origin feature/login", repos: shop), policy: p).verdict == .allow
        )
        #expect(Judge.evaluate(shell("git push --force origin main", repos: shop), policy: p).verdict == .ask)
        #expect(
            Judge.evaluate(shell("git push --force origin feature/login", repos: ["github.com/acme/other"]), policy: p)
                .verdict == .ask
        )
        #expect(
            Judge.evaluate(
                shell("git push --force origin feature/login", repos: shop + ["github.com/acme/other"]),
                policy: p
            )
            .verdict == .ask,
            "every repository the action touches must be covered"
        )
        #expect(Judge.evaluate(shell("git push --force origin feature/login", repos: []), policy: p).verdict == .ask)
        // Only the named rule on that invocation: another command in the same line is judged as always.
        #expect(
            Judge.evaluate(shell("git push --force origin feature/login && rm -rf ~", repos: shop), policy: p).verdict
                == .deny
        )
        #expect(
            Judge.evaluate(shell("git push --force origin feature/login; git reset --hard", repos: shop), policy: p)
                .verdict == .ask
        )
        // A word not known statically matches only itself, never the wildcard.
        #expect(Judge.evaluate(shell("git push --force origin \"$BRANCH\"", repos: shop), policy: p).verdict == .ask)
        #expect(
            Judge.evaluate(shell("ssh prod git push --force origin feature/x", repos: shop), policy: p).verdict
                != .allow
        )
        // Fed from a pipe or with variables set in front, it is another shape.
        #expect(
            Judge.evaluate(shell("BRANCH=x git push --force origin feature/login", repos: shop), policy: p).verdict
                == .ask
        )
        #expect(
            Judge.evaluate(shell("echo y | git push --force origin feature/login", repos: shop), policy: p).verdict
                == .ask
        )
        // `*` stays within a path segment and never matches a leading dot.
        #expect(Judge.evaluate(shell("git push --force origin feature/a/b", repos: shop), policy: p).verdict == .ask)
        #expect(Judge.evaluate(shell("git push --force origin feature/..", repos: shop), policy: p).verdict == .ask)
        let rm = try policy(
            "exceptions:\n  - rules: [fs.delete-outside-project]\n    repositories: [github.com/acme/shop]\n    commands: ['rm -rf *', 'rm -rf out-*']\n    reason: r\n"
        )
        // Without the segment rule these would be excepted (each asks only through that rule); `..` is a deny anyway.
        #expect(Judge.evaluate(shell("rm -rf ../other", repos: shop), policy: rm).verdict == .ask)
        #expect(Judge.evaluate(shell("rm -rf out-1/../../other", repos: shop), policy: rm).verdict == .ask)
        #expect(Judge.evaluate(shell("rm -rf ..", repos: shop), policy: rm).verdict == .deny)
        let sibling = try policy(
            "exceptions:\n  - rules: [fs.delete-outside-project]\n    repositories: [github.com/acme/shop]\n    commands: ['rm -rf ../*']\n    reason: r\n"
        )
        #expect(Judge.evaluate(shell("rm -rf ../other", repos: shop), policy: sibling).verdict == .allow, "…as written")
    }

    @Test("an exception must stay scoped; a tighten-only layer cannot add one; a locked rule refuses it")
    func exceptionRules() throws {
        #expect(throws: PolicyError.self) {
            _ = try policy("exceptions:\n  - rules: [git.force-push]\n    commands: ['* * *']\n    reason: r\n")
        }
        #expect(throws: PolicyError.self) {
            _ = try policy("exceptions:\n  - rules: [git.force-push]\n    reason: r\n")
        }
        var p = Policy.standard
        try p.merge(yaml: Self.exception, source: "repo.yaml", mayLoosen: false)
        #expect(p.exceptions.isEmpty && p.ignored.contains { $0.contains("exception") })
        #expect(throws: PolicyError.self) {
            _ = try policy("overrides:\n  - rule: git.force-push\n    overridable: false\n---\n" + Self.exception)
        }
    }

    @Test("several YAML documents merge in order, as one layer; a broken one anywhere is an error")
    func documents() throws {
        let p = try policy("version: 1\n---\n" + Self.exception)
        #expect(p.exceptions.count == 1 && p.layers.last == "org.yaml")
        for broken in [
            "rules: [this is not a rule\n", "version: 1\n---\nrules: [x\n", Self.exception + "\n---\n: : :\n  - [",
        ] {
            #expect(throws: PolicyError.self, "\(broken)") { _ = try policy(broken) }
        }
    }

    @Test("observe mode: asks are recorded and allowed, denies stay, only a loosening layer switches it on")
    func observe() throws {
        let p = try policy(
            "mode:\n  default: enforce\n  observe: [github.com/acme/*]\n  enforce: [github.com/acme/pay]\n"
        )
        let j = Judge.evaluate(shell("git push --force origin main", repos: ["github.com/acme/shop"]), policy: p)
        #expect(j.verdict == .allow && j.observed == .ask && j.approvers == nil)
        let deny = Judge.evaluate(shell("rm -rf ~", repos: ["github.com/acme/shop"]), policy: p)
        #expect(deny.verdict == .deny && deny.observed == nil)
        for repos in [
            ["github.com/acme/pay"], ["github.com/other/x"], [], ["github.com/acme/shop", "github.com/acme/pay"],
        ] {
            let e = Judge.evaluate(shell("git push --force origin main", repos: repos), policy: p)
            #expect(e.verdict == .ask && e.observed == nil, "\(repos)")
        }
        let everywhere = try policy("mode: observe")
        #expect(Judge.evaluate(shell("git push --force origin main", repos: []), policy: everywhere).verdict == .allow)
        // Observing everywhere but some: a repository that cannot be named (no origin, none) is enforced.
        let most = try policy("mode:\n  default: observe\n  enforce: [github.com/acme/pay*]\n")
        for repos in [[], ["/home/dev/shop"], ["github.com/acme/payments"]] {
            #expect(Judge.evaluate(shell("git push --force origin main", repos: repos), policy: most).verdict == .ask)
        }
        #expect(
            Judge.evaluate(shell("git push --force origin main", repos: ["github.com/acme/shop"]), policy: most).verdict
                == .allow
        )
        // A layer the agent's account can write may switch it off, never on.
        var repoLayer = Policy.standard
        try repoLayer.merge(yaml: "mode: observe", source: "repo.yaml", mayLoosen: false)
        #expect(repoLayer.observe.isOff && repoLayer.ignored.contains { $0.contains("observe") })
        var off = everywhere
        try off.merge(yaml: "mode: enforce", source: "repo.yaml", mayLoosen: false)
        #expect(off.observe.isOff)
        #expect(throws: PolicyError.self) { _ = try policy("mode: watch") }
    }

    @Test("a machine's stricter ask or `mode: enforce` stays enforced in observe mode; a stale claim does not")
    func localClaims() throws {
        let observing = try policy("mode: observe")
        let shop = ["github.com/acme/shop"]
        // The machine asked about the same rule (its copy of this policy only tightens): observed like the rest.
        let same = Judge.evaluate(
            shell("git push --force origin main", repos: shop, local: .ask, rules: ["git.force-push"]),
            policy: observing
        )
        #expect(same.verdict == .allow && same.observed == .ask)
        // …unless its own policy says `mode: enforce`.
        var enforcing = shell("git push --force origin main", repos: shop, local: .ask, rules: ["git.force-push"])
        enforcing.localEnforce = true
        let kept = Judge.evaluate(
            try ActionRequest(json: try JSONValue.parse(enforcing.json.serialized)),
            policy: observing
        )
        #expect(kept.verdict == .ask && kept.observed == nil, "and it survives the wire")
        var repoLayer = Policy.standard
        try repoLayer.merge(yaml: "mode: enforce", source: "repo.yaml", mayLoosen: false)
        #expect(repoLayer.observe.explicitEnforce && !Policy.standard.observe.explicitEnforce)
        let calm = Judge.evaluate(shell("git push --force origin main", repos: shop, local: .allow), policy: observing)
        #expect(calm.verdict == .allow && calm.observed == .ask)
        // Its own stricter layer asked about something else: enforced.
        let stricter = Judge.evaluate(shell("ls", repos: shop, local: .ask, rules: ["acme.no-ls"]), policy: observing)
        #expect(stricter.verdict == .ask && stricter.observed == nil)
        let denied = Judge.evaluate(
            shell("git push --force origin main", repos: shop, local: .deny, rules: ["git.force-push"]),
            policy: observing
        )
        #expect(denied.verdict == .deny)
        // A claim for a rule the current policy's exception covers comes from an older copy of it.
        let p = try policy(Self.exception)
        let stale = Judge.evaluate(
            shell("git push --force origin feature/login", repos: shop, local: .ask, rules: ["git.force-push"]),
            policy: p
        )
        #expect(stale.verdict == .allow)
        let other = Judge.evaluate(
            shell(
                "git push --force origin feature/login",
                repos: shop,
                local: .ask,
                rules: ["git.force-push", "acme.x"]
            ),
            policy: p
        )
        #expect(other.verdict == .ask)
    }
}
