import BrakeCore
import BrakeGuard
import Crypto
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("Raw action requests and their judgement")
struct JudgementTests {
    static let context = Context(cwd: "/home/dev/project", home: "/home/dev", projectRoot: "/home/dev/project")

    @Test("the wire form reads back to the same request")
    func roundTrip() throws {
        var ctx = Self.context
        ctx.env = ["AWS_PROFILE": "dev"]
        ctx.kubeContext = "kind-dev"
        ctx.gitBranch = "main"
        let r = ActionRequest(
            agent: "claude-code",
            session: "s1",
            tool: "Write",
            actions: [.write(path: "a.txt"), .mcp(server: "m", tool: "t", arguments: "{}")],
            context: ctx,
            inputDigest: "sha256:in",
            planDigest: nil,
            toolHints: ["readOnlyHint": true],
            repositories: ["github.com/acme/shop"],
            environment: "staging",
            localVerdict: .ask,
            localRules: ["x"]
        )
        let back = try ActionRequest(json: try JSONValue.parse(r.json.serialized))
        #expect(back.actions == r.actions && back.context.env == r.context.env)
        #expect(back.context.kubeContext == "kind-dev" && back.context.gitBranch == "main")
        #expect(back.inputDigest == "sha256:in" && back.toolHints == ["readOnlyHint": true])
        #expect(back.repositories == r.repositories && back.localVerdict == .ask && back.localRules == ["x"])
    }

    @Test("secret values never leave the machine; what the engine reads does")
    func environment() {
        let env = ActionRequest.environment(
            ["GITHUB_TOKEN": "ghp_x", "AWS_PROFILE": "prod", "UNRELATED": "1", "MY_DIR": "/srv"],
            referenced: ["GITHUB_TOKEN", "MY_DIR"],
            settings: .standard
        )
        #expect(env["GITHUB_TOKEN"] == "[redacted]" && env["AWS_PROFILE"] == "prod" && env["MY_DIR"] == "/srv")
        #expect(env["UNRELATED"] == nil)
    }

    @Test("a local verdict can only tighten; the server's rules and requirement are its own")
    func tighten() {
        var r = ActionRequest(agent: "a", tool: "Bash", actions: [.shell(command: "ls")], context: Self.context)
        r.localVerdict = .deny
        r.localRules = ["org.no-ls"]
        #expect(Judge.evaluate(r, policy: .standard).verdict == .deny)
        r.localVerdict = .allow
        r.actions = [.shell(command: "rm -rf ~")]
        #expect(Judge.evaluate(r, policy: .standard).verdict == .deny)
    }

    @Test("a file tool's approval covers its content; a plan or change set binds its digest however it is spelled")
    func bindings() {
        var w = ActionRequest(
            agent: "a",
            tool: "Write",
            actions: [.write(path: "/home/dev/.ssh/authorized_keys")],
            context: Self.context
        )
        w.inputDigest = "sha256:one"
        let one = Judge.evaluate(w, policy: .standard).digest
        w.inputDigest = "sha256:two"
        #expect(Judge.evaluate(w, policy: .standard).digest != one)
        for command in [
            "aws cloudformation execute-change-set --change-set-name cs",
            "aws cloudformation execute-change''-set --change-set-name cs",
        ] {
            var c = ActionRequest(
                agent: "exec",
                tool: "exec",
                actions: [.shell(command: command)],
                context: Self.context
            )
            c.planDigest = "sha256:plan"
            let j = Judge.evaluate(c, policy: .standard)
            #expect(j.verdict == .ask && j.digest == "sha256:plan", "\(command)")
        }
    }

    @Test("every target is part of the digest")
    func targets() {
        let base = ActionRequest(
            agent: "a",
            tool: "Bash",
            actions: [.shell(command: "kubectl delete pod web-1")],
            context: Self.context
        )
        let d0 = Judge.evaluate(base, policy: .standard).digest
        var seen: Set<String> = [d0]
        for edit: (inout Context) -> Void in [
            { $0.kubeContext = "prod" }, { $0.terraformWorkspace = "prod" }, { $0.awsProfile = "prod" },
            { $0.gcloudProject = "prod" }, { $0.gitBranch = "release" },
        ] {
            var r = base
            edit(&r.context)
            #expect(seen.insert(Judge.evaluate(r, policy: .standard).digest).inserted)
        }
    }

    @Test("a signed answer verifies only with its key, its nonce and its verdict")
    func signatures() {
        let key = Curve25519.Signing.PrivateKey()
        let pinned = Base64.encode(Array(key.publicKey.rawRepresentation))
        let a = SignedAnswer(decision: .allow, digest: "sha256:d", request: "", nonce: "n1234567890123456", time: 5)
            .signed(with: key)
        let json = JSONValue.object(a.jsonMembers)
        #expect((try? SignedAnswer.verify(json, nonce: "n1234567890123456", publicKey: pinned).get()) == a)
        if case .success = SignedAnswer.verify(json, nonce: "other-nonce-000000", publicKey: pinned) {
            Issue.record("another nonce verified")
        }
        let other = Base64.encode(Array(Curve25519.Signing.PrivateKey().publicKey.rawRepresentation))
        if case .success = SignedAnswer.verify(json, nonce: "n1234567890123456", publicKey: other) {
            Issue.record("another key verified")
        }
        let unsigned = JSONValue.object([("decision", .string("allow"))])
        if case .success = SignedAnswer.verify(unsigned, nonce: "n1234567890123456", publicKey: pinned) {
            Issue.record("an unsigned answer verified")
        }
    }
}

@Suite("Targets from files")
struct TargetsTests {
    func tempDir() -> String {
        var template = Array("/tmp/brake-targets-XXXXXX".utf8CString)
        return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }

    func write(_ path: String, _ text: String) {
        let dir = String(path[..<path.lastIndex(of: "/")!])
        var p = ""
        for part in dir.split(separator: "/") {
            p += "/" + part
            mkdir(p, 0o755)
        }
        let f = fopen(path, "w")!
        fputs(text, f)
        fclose(f)
    }

    @Test("kube context, workspace, profile, gcloud project and branch are read as the tools read them")
    func resolve() {
        let home = tempDir()
        let proj = home + "/project"
        write(home + "/.kube/config", "apiVersion: v1\nkind: Config\ncurrent-context: \"prod-eu\"\n")
        write(proj + "/.terraform/environment", "staging")
        write(home + "/.aws/config", "[default]\nregion = eu-west-1\n")
        write(home + "/.config/gcloud/active_config", "work\n")
        write(home + "/.config/gcloud/configurations/config_work", "[core]\naccount = a@b\nproject = acme-prod\n")
        write(proj + "/.git/HEAD", "ref: refs/heads/feature/x\n")
        var c = Context(cwd: proj, home: home, projectRoot: proj)
        Targets.resolve(&c, env: [:])
        #expect(c.kubeContext == "prod-eu" && c.terraformWorkspace == "staging" && c.awsProfile == "default")
        #expect(c.gcloudProject == "acme-prod" && c.gitBranch == "feature/x")
        // The environment wins where the tools let it.
        write(home + "/other-kubeconfig", "current-context: kind-dev\n")
        Targets.resolve(
            &c,
            env: [
                "KUBECONFIG": home + "/missing:" + home + "/other-kubeconfig", "TF_WORKSPACE": "prod",
                "AWS_PROFILE": "ops", "CLOUDSDK_CORE_PROJECT": "acme-dev",
            ]
        )
        #expect(c.kubeContext == "kind-dev" && c.terraformWorkspace == "prod" && c.awsProfile == "ops")
        #expect(c.gcloudProject == "acme-dev")
        // A worktree's `.git` file names the real directory; a detached HEAD is named by its commit.
        write(home + "/wt/.git", "gitdir: " + home + "/real-git\n")
        write(home + "/real-git/HEAD", "0123456789abcdef0123456789abcdef01234567\n")
        #expect(Targets.gitBranch(root: home + "/wt") == "detached@0123456789ab")
        // Nothing configured: no targets.
        let empty = tempDir()
        var e = Context(cwd: empty, home: empty)
        Targets.resolve(&e, env: [:])
        #expect(e.targets.isEmpty)
    }

    @Test("AWS accounts per profile and the Azure subscription are read from the tools' own files")
    func accounts() {
        let home = tempDir()
        write(
            home + "/.aws/config",
            """
            [default]
            region = eu-west-1
            [profile shop]
            sso_account_id = 111122223333
            sso_role_name = Admin
            [profile ops]
            role_arn = arn:aws:iam::444455556666:role/ops
            source_profile = default
            [sso-session corp]
            sso_start_url = https://x
            """
        )
        write(
            home + "/.azure/azureProfile.json",
            "\u{FEFF}{\"subscriptions\": [{\"id\": \"AAAA-1\", \"name\": \"dev\", \"isDefault\": false},"
                + " {\"id\": \"BBBB-2\", \"name\": \"Shop Production\", \"isDefault\": true}]}"
        )
        var c = Context(cwd: home, home: home)
        Targets.resolve(&c, env: [:])
        #expect(c.awsAccounts == ["shop": "111122223333", "ops": "444455556666"])
        #expect(c.azureSubscription == "bbbb-2" && c.azureSubscriptionName == "Shop Production")
        #expect(c.targets.contains { $0 == ("aws_account:shop", "111122223333") })
        Targets.resolve(&c, env: ["AZURE_SUBSCRIPTION_ID": "CCCC-3"])
        #expect(c.azureSubscription == "cccc-3" && c.azureSubscriptionName == nil)
    }

    @Test("Production is decided from the configured accounts, projects, subscriptions, contexts and branches")
    func configuredProduction() throws {
        var policy = Policy.standard
        try policy.merge(
            yaml: """
                settings:
                  production:
                    aws_accounts: ["111122223333"]
                    gcp_projects: ["acme-main-*"]
                    azure_subscriptions: ["bbbb-2"]
                    kube_contexts: ["gke_acme_europe-west1_main"]
                    branches: [deploy]
                """,
            source: "/etc/brake/policy.yaml"
        )
        var c = Context(cwd: "/home/dev/p", home: "/home/dev", projectRoot: "/home/dev/p")
        c.awsAccounts = ["shop": "111122223333", "sandbox": "999999999999"]
        c.awsProfile = "sandbox"
        c.gcloudProject = "acme-main-7"
        c.azureSubscription = "bbbb-2"
        c.kubeContext = "gke_acme_europe-west1_main"
        func verdict(_ command: String, _ ctx: Context) -> Verdict {
            Engine.decide(command, context: ctx, policy: policy).verdict
        }
        // No production word anywhere: the real target decides.
        #expect(verdict("aws --profile shop rds delete-db-cluster --db-cluster-identifier main", c) == .deny)
        #expect(verdict("aws rds delete-db-cluster --db-cluster-identifier main", c) == .ask)
        #expect(verdict("AWS_PROFILE=shop aws cloudtrail stop-logging --name t", c) == .deny)
        #expect(verdict("gcloud compute instances create vm1", c) == .ask)
        #expect(verdict("gcloud --project acme-sandbox compute instances create vm1", c) == .allow)
        #expect(verdict("az vm create -g rg -n vm1 --image Ubuntu2204", c) == .ask)
        #expect(verdict("az vm create -g rg -n vm1 --image Ubuntu2204 --subscription aaaa-1", c) == .allow)
        #expect(verdict("kubectl rollout restart deploy/web", c) == .ask)
        #expect(verdict("kubectl --context kind-dev rollout restart deploy/web", c) == .allow)
        var onDeploy = c
        onDeploy.gitBranch = "deploy"
        // Several calls: on main (checked out by an earlier call), a bare push lands on main.
        var onMain = c
        onMain.gitBranch = "main"
        #expect(verdict("git push", onMain) == .ask)
        #expect(verdict("git push", onDeploy) == .allow)
        #expect(verdict("vercel deploy", c) == .allow)
        #expect(verdict("serverless deploy --stage dev", onDeploy) == .ask)
    }
}
