/// Cloud CLIs judged from their providers' own models: every AWS, gcloud, bq, gsutil and Azure command is looked
/// up in a generated catalog (Catalogs/) and gets an effect from its class — a read nothing, a change
/// `cloud.mutate`, a deletion `cloud.delete`, an access grant `cloud.grant`, a protection turned off
/// `cloud.unprotect`, commands run on machines `cloud.remote-exec`, a stack applied `infra.apply` — and a command
/// the catalog does not know on a provider it knows `cloud.unknown-operation`, which is asked about.
extension Analyzer {
    func recognizeAWS(_ idx: Int, _ inv: Invocation) {
        let o = Options(
            inv.args,
            withValue: [
                "--profile", "--region", "--output", "--endpoint-url", "--query", "--color", "--cli-read-timeout",
                "--cli-connect-timeout", "--ca-bundle", "--cli-binary-format", "--bucket", "--key", "--include",
                "--exclude", "--storage-class", "--acl", "--expires", "--sse", "--metadata", "--cli-input-json",
                "--cli-input-yaml", "--page-size", "--max-items", "--starting-token",
            ]
        )
        if o.has("--dry-run") || o.operands.contains(where: { $0.text == "help" }) { return }
        let words = o.operands.map(\.text)
        guard let service = words.first else { return }
        var attrs: [String: AttrValue] = ["provider": .string("aws"), "service": .string(service)]
        if let prof = o.value("--profile") { attrs["profile"] = .string(prof.text) }
        guard words.count >= 2 else { return }
        let op = words[1]
        attrs["operation"] = .string(op)
        if service == "s3", recognizeS3(idx, words, o, attrs) { return }
        cloudEffect(
            CloudCatalog.aws.lookup(Array(words.prefix(2))),
            provider: "aws",
            program: "aws",
            operation: op,
            attrs: attrs,
            idx,
            inv
        )
    }

    /// The AWS CLI's own data movers: judged from their arguments (`rm --recursive`, `sync --delete`).
    func recognizeS3(_ idx: Int, _ words: [String], _ o: Options, _ attrs: [String: AttrValue]) -> Bool {
        var attrs = attrs
        let op = words[1]
        switch op {
        case "rm", "rb":
            attrs["recursive"] = .bool(o.has("--recursive", "--force"))
            addEffect(
                "cloud.delete",
                attrs: attrs,
                invocation: idx,
                detail: "aws s3 \(op) deletes \(words.dropFirst(2).joined(separator: " "))"
            )
        case "mv":
            if words.count > 2 && words[2].hasPrefix("s3://") {
                addEffect("cloud.delete", attrs: attrs, invocation: idx, detail: "aws s3 mv removes the source objects")
            } else {
                addEffect("cloud.mutate", attrs: attrs, invocation: idx, detail: "aws s3 mv")
            }
        case "sync":
            if o.has("--delete") {
                addEffect(
                    "cloud.delete",
                    attrs: attrs,
                    invocation: idx,
                    detail: "aws s3 sync --delete removes objects missing from the source"
                )
            } else if words.count > 3 && words[3].hasPrefix("s3://") {
                addEffect("cloud.mutate", attrs: attrs, invocation: idx, detail: "aws s3 sync uploads")
            }
        case "cp":
            if words.count > 3 && words[3].hasPrefix("s3://") {
                addEffect("cloud.mutate", attrs: attrs, invocation: idx, detail: "aws s3 cp uploads")
            }
        case "ls", "presign": break
        default: return false
        }
        return true
    }

    func recognizeGoogleCloud(_ idx: Int, _ inv: Invocation) {
        let p = inv.program
        let o = Options(
            inv.args,
            withValue: [
                "--project", "--account", "--configuration", "--format", "--verbosity", "--billing-project",
                "--impersonate-service-account", "--flags-file", "--flatten", "--trace-token", "--region", "--zone",
                "--project_id", "--location", "--dataset_id", "--api", "-o", "-h", "-p", "-u",
            ]
        )
        if o.operands.contains(where: { $0.text == "help" || $0.text == "--help" }) { return }
        var words = o.operands.map(\.text)
        if p == "gcloud" {
            while let f = words.first, ["alpha", "beta", "preview"].contains(f) { words.removeFirst() }
        }
        guard !words.isEmpty else { return }
        let catalog: CloudCatalog = p == "bq" ? .bq : p == "gsutil" ? .gsutil : .gcloud
        var attrs: [String: AttrValue] = ["provider": .string(p)]
        if let project = o.value("--project", "--project_id") { attrs["project"] = .string(project.text) }
        let found = catalog.lookup(words)
        if p == "gsutil", case .command(_, let name, _, _) = found {
            attrs["operation"] = .string(name)
            attrs["recursive"] = .bool(o.has("-r", "-R", "-a"))
            if name == "rsync" && o.has("-d") {
                addEffect(
                    "cloud.delete",
                    attrs: attrs,
                    invocation: idx,
                    detail: "gsutil rsync -d deletes objects missing from the source"
                )
                return
            }
        }
        cloudEffect(found, provider: p, program: p, operation: nil, attrs: attrs, idx, inv)
    }

    func recognizeAzure(_ idx: Int, _ inv: Invocation) {
        let o = Options(
            inv.args,
            withValue: ["--subscription", "--output", "-o", "--query", "-g", "--resource-group", "-n", "--name"]
        )
        if o.has("-h", "--help") { return }
        let words = o.operands.map(\.text)
        guard !words.isEmpty else { return }
        var attrs: [String: AttrValue] = ["provider": .string("az")]
        if let s = o.value("--subscription") { attrs["subscription"] = .string(s.text) }
        cloudEffect(
            CloudCatalog.azure.lookup(words),
            provider: "az",
            program: "az",
            operation: nil,
            attrs: attrs,
            idx,
            inv
        )
    }

    /// The effect of one catalogued command, with what its arguments add (a protection turned off, an
    /// administrator role granted).
    func cloudEffect(
        _ found: CloudCatalog.Lookup,
        provider: String,
        program: String,
        operation: String?,
        attrs: [String: AttrValue],
        _ idx: Int,
        _ inv: Invocation
    ) {
        var attrs = attrs
        switch found {
        case .groupOnly:
            return
        case .unknown(let group, let word):
            attrs["operation"] = .string(operation ?? (group.isEmpty ? word : group + " " + word))
            addEffect(
                "cloud.unknown-operation",
                attrs: attrs,
                invocation: idx,
                detail: group.isEmpty
                    ? "\(program) \(word) is not a command this version of Brake knows"
                    : "\(program) \(group) \(word) is not a command of \(program) \(group) that Brake knows"
            )
        case .command(let group, let name, let cls, _):
            let full = group.isEmpty ? name : group + " " + name
            attrs["operation"] = .string(operation ?? full)
            attrs["class"] = .string(cls.description)
            let what = "\(program) \(full)"
            if let admin = administratorGrant(inv) { attrs["admin"] = .string(admin) }
            if let off = protectionTurnedOff(inv) {
                addEffect("cloud.unprotect", attrs: attrs, invocation: idx, detail: "\(what) \(off)")
                if cls == .read || cls == .mutate || cls == .create || cls == .unprotect { return }
            }
            switch cls {
            case .read:
                return
            case .create, .mutate:
                addEffect("cloud.mutate", attrs: attrs, invocation: idx, detail: "\(what) changes cloud resources")
            case .delete:
                addEffect("cloud.delete", attrs: attrs, invocation: idx, detail: what)
            case .grant:
                addEffect(
                    "cloud.grant",
                    attrs: attrs,
                    invocation: idx,
                    detail: "\(what) grants access" + (attrs["admin"].map { " (\($0))" } ?? "")
                )
            case .unprotect:
                addEffect("cloud.unprotect", attrs: attrs, invocation: idx, detail: "\(what) turns off a protection")
            case .remoteExec:
                addEffect(
                    "cloud.remote-exec",
                    attrs: attrs,
                    invocation: idx,
                    detail: "\(what) runs commands on cloud machines"
                )
            case .apply:
                if name == "deploy" && provider != "aws" {
                    // A revision that takes no traffic (`--no-traffic`, `--no-promote`) is a preview.
                    let live = !inv.args.contains { $0.text == "--no-traffic" || $0.text == "--no-promote" }
                    addEffect(
                        "deploy.release",
                        attrs: attrs.merging(["platform": .string(program), "live": .bool(live)]) { a, _ in a },
                        invocation: idx,
                        detail: "\(what) deploys a release" + (live ? " to a live service" : " that takes no traffic")
                    )
                    return
                }
                let executes = !inv.args.contains { $0.text == "--no-execute-changeset" }
                if !executes { return }
                addEffect(
                    "infra.apply",
                    attrs: attrs.merging([
                        "tool": .string(provider == "aws" ? "cloudformation" : program), "auto_approve": .bool(true),
                        "saved_plan": .bool(name == "execute-change-set"),
                    ]) { a, _ in a },
                    invocation: idx,
                    detail: "\(what) changes a stack; it can replace or delete what the stack manages"
                )
            }
        }
    }

    /// Why the arguments turn a protection off, or nil: `--no-deletion-protection`, `--skip-final-snapshot`,
    /// `--backup-retention-period 0`, `Status=Suspended`, `PointInTimeRecoveryEnabled=false`, a public-access
    /// block set to false.
    func protectionTurnedOff(_ inv: Invocation) -> String? {
        let protections = [
            "protection", "backup", "backups", "encryption", "encrypted", "logging", "versioning", "audit", "mfa",
            "lock", "retention", "snapshot", "pitr", "recovery", "termination",
        ]
        let offValues: Set<String> = ["false", "0", "off", "disabled", "disable", "none", "suspended", "no"]
        let args = inv.args.map(\.text)
        for (i, a) in args.enumerated() {
            let lower = a.lowercased()
            if lower == "--skip-final-snapshot" || lower == "--delete-automated-backups"
                || lower == "--no-final-snapshot" || lower == "--delete-backups"
            {
                return "(\(a): no backup is kept)"
            }
            guard lower.hasPrefix("--") else {
                for part in lower.split(whereSeparator: { $0 == "," || $0 == "{" || $0 == "}" || $0 == " " }) {
                    let kv = part.split(separator: "=", maxSplits: 1)
                    guard kv.count == 2 else { continue }
                    let key = kv[0].trimmingCharacters(in: "\"'")
                    let value = kv[1].trimmingCharacters(in: "\"'")
                    if key == "status" && value == "suspended" { return "(\(a): suspends versioning)" }
                    if offValues.contains(value),
                        protections.contains(where: { key.includes($0) }) || key.hasPrefix("blockpublic")
                            || key == "ignorepublicacls" || key == "restrictpublicbuckets"
                    {
                        return "(\(a) turns a protection off)"
                    }
                }
                continue
            }
            let name = lower.split(separator: "=", maxSplits: 1).first.map(String.init) ?? lower
            let words = name.dropFirst(2).split(separator: "-").map(String.init)
            let aboutProtection = words.contains { protections.contains($0) }
            if name.hasPrefix("--no-") && aboutProtection && !name.hasPrefix("--no-wait") { return "(\(a))" }
            if name == "--no-disable-api-termination" { return "(\(a))" }
            if aboutProtection && !name.hasPrefix("--no-") {
                let value =
                    lower.includes("=")
                    ? String(lower.split(separator: "=", maxSplits: 1)[1])
                    : args.indices.contains(i + 1) ? args[i + 1].lowercased() : ""
                let enabling =
                    words.contains("enable") || words.contains("enabled") || words.last == "protection"
                    || words.contains("backup") || words.contains("versioning") || words.contains("logging")
                if name.hasSuffix("retention-period") || name.hasSuffix("retention-days") {
                    if value == "0" { return "(\(a) 0 keeps no backups)" }
                } else if enabling && offValues.contains(value) {
                    return "(\(a) \(value))"
                }
            }
        }
        return nil
    }

    /// The administrator role or policy an invocation grants, or nil.
    func administratorGrant(_ inv: Invocation) -> String? {
        let admin = [
            "administratoraccess", "roles/owner", "roles/editor", "roles/iam.securityadmin",
            "roles/resourcemanager.organizationadmin", "roles/iam.serviceaccounttokencreator", "owner",
            "user access administrator", "contributor", "iamfullaccess", "poweruseraccess",
            "role based access control administrator",
        ]
        for a in inv.args {
            let t = a.text.lowercased()
            let value = t.split(separator: "=", maxSplits: 1).last.map(String.init) ?? t
            for name in admin where value == name || value.hasSuffix("/" + name) || value.hasSuffix(":" + name) {
                return a.text
            }
            if t.includes("\"action\"") && t.includes("\"*\"") || t.includes("\"action\":\"*\"") { return "Action *" }
        }
        return nil
    }

    func recognizeCloudGeneric(_ idx: Int, _ inv: Invocation) {
        let o = Options(
            inv.args,
            withValue: [
                "--project", "--region", "--zone", "-g", "--resource-group", "--subscription", "--format", "--account",
                "-a", "--app", "--context", "--profile",
            ]
        )
        let words = o.operands.map { $0.text.lowercased() }
        let p = inv.program
        let attrs: [String: AttrValue] = ["provider": .string(p), "operation": .string(words.joined(separator: " "))]
        for w in words.prefix(5) {
            let parts = w.split(whereSeparator: { $0 == ":" || $0 == "-" || $0 == "_" }).map(String.init)
            if Analyzer.deleteWords.contains(w)
                || (w.includes(":") || w.includes("-")) && parts.contains(where: { Analyzer.deleteWords.contains($0) })
                || w == "delete-batch"
            {
                if (p == "supabase" && words.starts(with: ["db", "reset"])) || (p == "heroku" && w == "pg:reset") {
                    addEffect(
                        "db.reset",
                        attrs: attrs,
                        invocation: idx,
                        detail: "\(p) \(words.joined(separator: " ")) resets a database"
                    )
                    return
                }
                addEffect("cloud.delete", attrs: attrs, invocation: idx, detail: "\(p) \(words.joined(separator: " "))")
                return
            }
            if (p == "heroku" && w == "pg:reset") || (p == "supabase" && w == "reset") {
                addEffect("db.reset", attrs: attrs, invocation: idx, detail: "\(p) resets a database")
                return
            }
        }
        if p == "gsutil", let v = words.first, v == "rm" || v == "rb" {
            addEffect("cloud.delete", attrs: attrs, invocation: idx, detail: "gsutil \(v)")
        }
    }
}

extension Analyzer {
    /// Hosting platforms' deploys: `vercel --prod`, `netlify deploy --prod`, `firebase deploy`, `fly deploy`,
    /// `railway up`, `wrangler deploy`, `heroku` releases and config. A deploy that goes live is
    /// `deploy.release` with `live: true`; previews (`vercel` without `--prod`, `netlify deploy` without
    /// `--prod`, `firebase hosting:channel:deploy`, `wrangler versions upload`) are live: false.
    /// Returns true when the invocation was a hosting command it judged.
    func recognizeHosting(_ idx: Int, _ inv: Invocation) -> Bool {
        let p = inv.program
        let o = Options(
            inv.args,
            withValue: [
                "-a", "--app", "--dir", "-d", "--site", "--only", "--project", "-P", "--config", "-c", "--token",
                "--scope", "--env", "-e", "--remote", "-r", "--message", "-m", "--service", "-s", "--environment",
                "--name", "--image", "--region",
            ]
        )
        let words = o.operands.map { $0.text.lowercased() }
        let first = words.first ?? ""
        var live: Bool?
        var what = "\(p) \(words.prefix(2).joined(separator: " "))"
        switch p {
        case "vercel":
            // `vercel` and `vercel deploy` make a preview; `--prod` (or `promote`) goes live.
            if first.isEmpty || first == "deploy" || first.hasPrefix("./") || first.hasPrefix("/") {
                live = o.has("--prod", "--production")
                what = "vercel" + (live == true ? " --prod" : " (preview)")
            } else if first == "promote" || first == "rollback" || first == "alias" {
                live = true
            }
        case "netlify":
            if first == "deploy" { live = o.has("--prod", "-p", "--prod-if-unlocked") }
        case "firebase":
            if first == "deploy" {
                live = true
            } else if first == "hosting:channel:deploy" {
                live = false
            } else if first == "hosting:clone" || first == "functions:delete" || first == "hosting:disable" {
                live = true
            }
        case "fly", "flyctl":
            if first == "deploy" || first == "launch" || first == "releases" && words.dropFirst().first == "rollback" {
                live = true
            } else if first == "secrets" || first == "scale" {
                live =
                    words.dropFirst().first.map { ["set", "unset", "import", "count", "vm", "memory"].contains($0) }
                    ?? false
            }
        case "railway":
            if first == "up" || first == "redeploy" || first == "deploy" { live = true }
        case "wrangler":
            if first == "deploy" || first == "publish" || first == "rollback"
                || first == "versions" && words.dropFirst().first == "deploy"
                || first == "pages" && words.dropFirst().first == "deploy" && o.value("--branch") == nil
            {
                live = true
            } else if first == "versions" && words.dropFirst().first == "upload" {
                live = false
            }
        case "heroku":
            let live0: Set<String> = [
                "releases:rollback", "config:set", "config:unset", "config:add", "config:remove", "ps:scale",
                "ps:restart", "maintenance:on", "pipelines:promote", "container:release", "deploy",
            ]
            if live0.contains(first) { live = true }
        default:
            return false
        }
        guard let live else { return false }
        addEffect(
            "deploy.release",
            attrs: ["platform": .string(p), "live": .bool(live), "operation": .string(words.joined(separator: " "))],
            invocation: idx,
            detail: live ? "\(what) changes what the live site or app serves" : "\(what) makes a preview"
        )
        return true
    }
}

extension Analyzer {
    /// Kubernetes delivery tools and fleet automation: helmfile, Argo CD, Flux, Velero, ansible-playbook, SST.
    func recognizePlatform(_ idx: Int, _ inv: Invocation) {
        let p = inv.program
        let o = Options(
            inv.args,
            withValue: [
                "-f", "--file", "-e", "--environment", "-l", "--selector", "--namespace", "-n", "--kube-context",
                "--server", "--auth-token", "-i", "--inventory", "--stage", "--limit", "-u", "--user", "-c",
                "--connection", "--extra-vars", "--tags", "-t", "--skip-tags", "--from-backup", "--include-namespaces",
                "--context", "--kubecontext",
            ]
        )
        let words = o.operands.map { $0.text.lowercased() }
        let first = words.first ?? ""
        let second = words.dropFirst().first ?? ""
        func add(_ kind: String, _ detail: String, _ attrs: [String: AttrValue] = [:]) {
            addEffect(
                kind,
                attrs: attrs.merging(["tool": .string(p), "verb": .string(first)]) { a, _ in a },
                invocation: idx,
                detail: detail
            )
        }
        switch p {
        case "helmfile":
            if first == "destroy" || first == "delete" {
                add(
                    "k8s.delete",
                    "helmfile \(first) uninstalls every release of the helmfile",
                    ["kind": .string("release")]
                )
            } else if ["apply", "sync", "deploy"].contains(first) {
                add("k8s.mutate", "helmfile \(first) changes the cluster's releases")
            }
        case "argocd":
            guard first == "app" || first == "appset" else { return }
            if second == "delete" {
                add("k8s.delete", "argocd \(first) delete removes the application and, by default, its resources")
            } else if ["sync", "rollback", "set", "patch", "terminate-op", "create"].contains(second) {
                add("k8s.mutate", "argocd \(first) \(second) changes what the cluster runs")
            }
        case "flux":
            if first == "delete" || first == "uninstall" {
                add("k8s.delete", "flux \(first) removes GitOps objects (and with them what they manage)")
            } else if ["suspend", "resume", "reconcile", "create", "bootstrap"].contains(first) {
                add("k8s.mutate", "flux \(first) changes what the cluster reconciles")
            }
        case "velero":
            if (first == "backup" || first == "schedule") && second == "delete" {
                add(
                    "cloud.unprotect",
                    "velero \(first) delete removes cluster backups",
                    ["operation": .string("\(first) delete")]
                )
            } else if first == "restore" && second == "create" {
                add("k8s.mutate", "velero restore create writes a backup over the cluster's objects")
            } else if first == "uninstall" {
                add(
                    "cloud.unprotect",
                    "velero uninstall removes cluster backups' machinery",
                    ["operation": .string("uninstall")]
                )
            }
        case "ansible-playbook":
            if o.has("--check", "-C", "--syntax-check", "--list-hosts", "--list-tasks", "--list-tags") { return }
            let connection = o.value("-c", "--connection")?.text
            let inventory = o.value("-i", "--inventory")?.text ?? ""
            if connection == "local" || inventory == "localhost," || inventory == "127.0.0.1," { return }
            add(
                "infra.apply",
                "ansible-playbook changes the hosts of \(inventory.isEmpty ? "the default inventory" : inventory)",
                // There is no saved plan to review (only `--check`), so a person approves the run itself.
                ["auto_approve": .bool(false), "saved_plan": .bool(false)]
            )
        case "sst":
            if first == "remove" {
                add("infra.destroy", "sst remove deletes the stage's resources", ["auto_approve": .bool(true)])
            } else if first == "deploy" {
                add(
                    "infra.apply",
                    "sst deploy changes the stage's resources",
                    ["auto_approve": .bool(true), "saved_plan": .bool(false)]
                )
            }
        default:
            break
        }
    }
}
