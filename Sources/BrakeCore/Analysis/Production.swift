/// Production detection: does this invocation act on production?
extension Analyzer {
    static let environmentAwarePrograms: Set<String> = [
        "terraform", "tofu", "terragrunt", "pulumi", "cdk", "cdktf", "sam", "serverless", "sls", "kubectl", "oc",
        "helm", "aws", "gcloud", "gsutil", "bq", "az", "doctl", "heroku", "fly", "flyctl", "vercel", "netlify",
        "railway", "firebase", "wrangler", "eksctl", "psql", "mysql", "sqlite3", "mongosh", "redis-cli", "ssh",
        "scp", "rsync", "clickhouse-client", "clickhouse", "cockroach", "sqlcmd", "cqlsh", "snowsql", "dropdb",
        "pg_dump", "pg_restore", "createdb", "ansible-playbook", "ansible", "supabase", "hcloud", "linode-cli",
        "docker", "kubectx", "argocd", "flux", "kustomize", "duckdb", "helmfile", "velero", "sst",
    ]

    /// Variables whose value can say an invocation acts on production.
    static let productionVariables = [
        "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "TF_WORKSPACE", "KUBE_CONTEXT", "PULUMI_STACK",
        "CLOUDSDK_CORE_PROJECT", "GOOGLE_CLOUD_PROJECT", "AZURE_SUBSCRIPTION", "DATABASE_URL", "PGHOST",
        "PGDATABASE", "MYSQL_HOST", "REDIS_URL", "MONGODB_URI",
    ]

    /// True when a value names production: a production word as a whole token, or a configured glob.
    func looksProduction(_ value: String) -> Bool {
        let lower = value.lowercased()
        for t in lower.tokens where settings.productionWords.contains(String(t)) { return true }
        for g in settings.productionGlobs {
            let pattern = g.lowercased()
            if Glob.match(pattern, lower) { return true }
            for part in lower.split(separator: "/") where Glob.match(pattern, String(part)) { return true }
        }
        return false
    }

    /// Production evidence for one invocation.
    func productionEvidence(_ inv: Invocation) -> [ProductionEvidence] {
        var out: [ProductionEvidence] = []
        if let remote = inv.site.production { out.append(ProductionEvidence(source: "remote", value: remote)) }
        let program = inv.program
        let aware = Analyzer.environmentAwarePrograms.contains(program)
        var env = context.env
        for (k, v) in inv.assignments where !v.dynamic { env[k] = v.text }
        let envNames = Analyzer.productionVariables + settings.environmentVariables
        for name in envNames {
            guard let v = env[name] else { continue }
            if name == "NODE_ENV" && !aware { continue }
            // Inline assignments count for any program; inherited ones for environment-aware tools.
            if (inv.assignments[name] != nil || aware) && looksProduction(v) {
                out.append(ProductionEvidence(source: name, value: v))
            }
        }
        guard aware else { return out }
        if ["kubectl", "oc", "helm", "helmfile", "flux", "velero"].contains(program), let kc = context.kubeContext,
            !inv.args.contains(where: {
                $0.text == "--context" || $0.text.hasPrefix("--context=") || $0.text == "--kube-context"
            }),
            looksProduction(kc)
        {
            out.append(ProductionEvidence(source: "kube context", value: kc))
        }
        // Targets the adapter resolved from files (the profile in ~/.aws/config, gcloud's active project).
        if ["aws", "eksctl", "sam", "cdk"].contains(program), let p = context.awsProfile, env["AWS_PROFILE"] == nil,
            !inv.args.contains(where: { $0.text == "--profile" || $0.text.hasPrefix("--profile=") }), looksProduction(p)
        {
            out.append(ProductionEvidence(source: "aws profile", value: p))
        }
        if ["gcloud", "gsutil", "bq"].contains(program), let p = context.gcloudProject,
            env["CLOUDSDK_CORE_PROJECT"] == nil,
            !inv.args.contains(where: { $0.text == "--project" || $0.text.hasPrefix("--project=") }), looksProduction(p)
        {
            out.append(ProductionEvidence(source: "gcloud project", value: p))
        }
        if ["terraform", "tofu", "terragrunt"].contains(program) {
            if let ws = context.terraformWorkspace, looksProduction(ws) {
                out.append(ProductionEvidence(source: "terraform workspace", value: ws))
            }
            if let cwd = inv.cwd,
                looksProduction(Paths.basename(cwd))
                    || cwd.split(separator: "/").suffix(3).contains(where: { looksProduction(String($0)) })
            {
                if !Paths.isWithin(context.home, cwd) {
                    out.append(ProductionEvidence(source: "directory", value: cwd))
                }
            }
        }
        if ["pulumi", "cdk", "sam", "serverless", "sls"].contains(program), let cwd = inv.cwd,
            cwd.split(separator: "/").suffix(2).contains(where: { looksProduction(String($0)) })
        {
            out.append(ProductionEvidence(source: "directory", value: cwd))
        }
        out += configuredTargets(inv, program: program, env: env)
        // Manifests rendered for production and piped in: `kustomize build overlays/prod | kubectl apply -f -`.
        if ["kubectl", "oc"].contains(program), case .unknown(let producer, _)? = inv.stdin,
            ["kustomize", "helm", "helmfile", "kubectl", "jsonnet", "tk", "cdk8s", "kapitan", "ytt"].contains(producer),
            let source = result.invocations.last(where: { $0.program == producer && $0 != inv })
        {
            for a in source.args where !a.dynamic && !a.text.hasPrefix("-") && looksProduction(a.text) {
                out.append(ProductionEvidence(source: producer, value: a.text))
                break
            }
        }
        // Arguments: option values and operands that name production (`--profile prod`, `-n prod`, `acme-prod`).
        for (k, a) in inv.args.enumerated() where !a.dynamic {
            var value = a.text
            var source = "argument"
            if let eq = value.firstIndex(of: "="), value.hasPrefix("-") {
                source = String(value[..<eq])
                value = String(value[value.index(after: eq)...])
            } else if value.hasPrefix("-") {
                continue
            } else if k > 0, inv.args[k - 1].text.hasPrefix("-") {
                source = inv.args[k - 1].text
            }
            if value.includes(" ") && value.count > 60 { continue }
            if looksProduction(value) {
                out.append(ProductionEvidence(source: source, value: value))
            }
        }
        if let host = inv.site.remote, looksProduction(host) {
            out.append(ProductionEvidence(source: "host", value: host))
        }
        return out
    }

    /// The value of `--name VALUE` or `--name=VALUE` in an invocation's arguments.
    func optionValue(_ inv: Invocation, _ names: [String]) -> String? {
        Analyzer.optionValues(inv.args, names: names).first { !$0.dynamic }?.text
    }

    /// Production from the real target, as configured (`settings.production.aws_accounts`, `gcp_projects`,
    /// `azure_subscriptions`, `kube_contexts`, `branches`): the account, project, subscription, context or branch
    /// the invocation really lands on, whatever its names say.
    func configuredTargets(_ inv: Invocation, program: String, env: [String: String]) -> [ProductionEvidence] {
        var out: [ProductionEvidence] = []
        func matches(_ value: String, _ globs: [String], lower: Bool = false) -> Bool {
            let v = lower ? value.lowercased() : value
            return globs.contains { Glob.match(lower ? $0.lowercased() : $0, v) }
        }
        if !settings.productionAWSAccounts.isEmpty,
            ["aws", "eksctl", "sam", "cdk", "copilot", "serverless", "sls", "terraform", "tofu", "pulumi"].contains(
                program
            )
        {
            let profile =
                optionValue(inv, ["--profile"]) ?? env["AWS_PROFILE"] ?? env["AWS_DEFAULT_PROFILE"] ?? context
                .awsProfile
                ?? "default"
            if let account = context.awsAccounts[profile], matches(account, settings.productionAWSAccounts) {
                out.append(ProductionEvidence(source: "aws account", value: "\(account) (profile \(profile))"))
            }
        }
        if !settings.productionGCPProjects.isEmpty,
            ["gcloud", "gsutil", "bq", "terraform", "tofu", "pulumi"].contains(program),
            let project = optionValue(inv, ["--project", "--project_id"]) ?? env["CLOUDSDK_CORE_PROJECT"]
                ?? context.gcloudProject,
            matches(project, settings.productionGCPProjects)
        {
            out.append(ProductionEvidence(source: "gcp project", value: project))
        }
        if !settings.productionAzureSubscriptions.isEmpty,
            program == "az" || program == "terraform" || program == "tofu"
        {
            let given = optionValue(inv, ["--subscription"])
            let candidates =
                given.map { [$0] } ?? [context.azureSubscription, context.azureSubscriptionName].compactMap { $0 }
            if let s = candidates.first(where: { matches($0, settings.productionAzureSubscriptions, lower: true) }) {
                out.append(ProductionEvidence(source: "azure subscription", value: s))
            }
        }
        if !settings.productionKubeContexts.isEmpty,
            ["kubectl", "oc", "helm", "helmfile", "flux", "argocd", "velero", "k9s"].contains(program),
            let kc = optionValue(inv, ["--context", "--kube-context"]) ?? context.kubeContext,
            matches(kc, settings.productionKubeContexts)
        {
            out.append(ProductionEvidence(source: "kube context", value: kc))
        }
        if !settings.productionBranches.isEmpty, let branch = context.gitBranch,
            Analyzer.environmentAwarePrograms.contains(program) || Analyzer.cloudCLIs.contains(program),
            matches(branch, settings.productionBranches)
        {
            out.append(ProductionEvidence(source: "git branch", value: branch))
        }
        return out
    }
}
