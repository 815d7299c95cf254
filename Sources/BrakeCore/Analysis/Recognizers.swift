/// Recognizers: what one invocation does, as typed effects the rules match on.
extension Analyzer {
    static let networkSenders: Set<String> = [
        "curl", "wget", "nc", "ncat", "netcat", "socat", "telnet", "scp", "sftp", "ftp", "rsync", "mail", "sendmail",
        "mutt", "http", "https", "xh", "xhs", "rclone", "gsutil", "openssl", "ssh", "curlie",
    ]
    static let cloudCLIs: Set<String> = [
        "gcloud", "gsutil", "bq", "az", "doctl", "heroku", "fly", "flyctl", "vercel", "netlify", "railway", "firebase",
        "wrangler", "eksctl", "linode-cli", "hcloud", "oci", "ibmcloud", "scw", "vultr-cli", "exo", "aliyun", "ovh",
        "upctl", "civo", "render", "supabase", "neonctl", "planetscale", "pscale", "turso", "atlas", "mongocli",
        "confluent", "databricks", "snow", "okta", "auth0", "stripe", "twilio", "digitalocean", "gh-actions",
    ]
    static let deleteWords: Set<String> = [
        "delete", "destroy", "remove", "rm", "purge", "terminate", "drop", "wipe", "erase", "rb", "nuke", "teardown",
        "deprovision", "uninstall",
    ]

    func recognize(_ idx: Int) {
        let inv = result.invocations[idx]
        let args = inv.args
        let p = inv.program
        let evidence = productionEvidence(inv)
        result.production += evidence
        let before = result.effects.count
        defer {
            if !evidence.isEmpty {
                for k in before..<result.effects.count {
                    result.effects[k].attrs["production"] = .bool(true)
                    result.effects[k].attrs["environment"] = .string(evidence[0].value)
                }
            }
        }
        recognizeSecrets(idx, inv)
        switch p {
        case "rm", "unlink", "rimraf", "del-cli", "shred", "srm":
            let o = Options(args)
            let recursive = o.has("-r", "-R", "--recursive") || p == "rimraf" || p == "del-cli"
            let targets = o.operands.map { makeTarget($0, site: inv.site) }
            if targets.isEmpty { return }
            if p == "shred" && targets.contains(where: { $0.cls == .device }) {
                addEffect("disk.overwrite", targets: targets, invocation: idx, detail: "shreds a device")
                return
            }
            addEffect(
                "fs.delete",
                attrs: ["recursive": .bool(recursive), "force": .bool(o.has("-f", "--force")), "via": .string(p)],
                targets: targets,
                invocation: idx,
                detail: "deletes \(o.operands.map(\.text).joined(separator: " "))"
            )
        case "rmdir":
            break
        case "truncate":
            let o = Options(args, withValue: ["-s", "--size", "-r", "--reference"])
            let size = o.value("-s", "--size")?.text ?? ""
            if size == "0" || size.hasPrefix("<") || size.hasPrefix("/") || size.hasPrefix("-") {
                addEffect(
                    "fs.truncate",
                    targets: o.operands.map { makeTarget($0, site: inv.site) },
                    invocation: idx,
                    detail: "truncates files"
                )
            }
        case "cp", "mv", "install", "ln", "rsync", "ditto":
            recognizeCopy(idx, inv)
        case "tee":
            let o = Options(args)
            for t in o.operands {
                let target = makeTarget(t, site: inv.site)
                addEffect(
                    target.cls == .device ? "disk.overwrite" : "fs.write",
                    targets: [target],
                    invocation: idx,
                    detail: "tee writes \(t.text)"
                )
                if let path = target.path { files[path] = FileInfo(content: inv.stdin) }
            }
        case "sed", "perl", "gsed":
            let o = Options(args, withValue: ["-e", "-f", "--expression", "--file", "-E"])
            if o.has("-i", "--in-place")
                || args.contains(where: {
                    $0.text.hasPrefix("-i") || $0.text.hasPrefix("--in-place")
                        || ($0.text.hasPrefix("-") && !$0.text.hasPrefix("--") && $0.text.includes("i")) && p == "perl"
                })
            {
                let files =
                    p == "sed" && o.value("-e", "--expression", "-f", "--file") == nil
                    ? Array(o.operands.dropFirst()) : o.operands
                let targets = files.map { makeTarget($0, site: inv.site) }
                if !targets.isEmpty {
                    addEffect(
                        "fs.write",
                        attrs: ["via": .string(p + " -i")],
                        targets: targets,
                        invocation: idx,
                        detail: "edits files in place"
                    )
                }
            }
        case "dd":
            for a in args {
                if a.text.hasPrefix("of=") {
                    let t = makeTarget(Field(String(a.text.dropFirst(3)), dynamic: a.dynamic), site: inv.site)
                    addEffect(
                        t.cls == .device ? "disk.overwrite" : "fs.write",
                        targets: [t],
                        invocation: idx,
                        detail: "dd writes \(t.written)"
                    )
                }
            }
        case "chmod", "chown", "chgrp", "chattr", "setfacl":
            let o = Options(args, withValue: ["--reference", "--from"])
            var ops = o.operands
            if p != "chattr" && p != "setfacl" && !ops.isEmpty { ops.removeFirst() }
            let mode = p == "chmod" ? (Options(args).operands.first?.text ?? "") : ""
            let worldWritable =
                mode.hasSuffix("7") || mode.hasSuffix("6") || mode.includes("o+w") || mode.includes("a+w")
                || mode == "+w" && false
            let targets = ops.map { makeTarget($0, site: inv.site) }
            // Taking permissions away from group and others (`chmod 600 ~/.ssh/config`, `go-w`), or making a file
            // of one's own executable (`chmod +x ~/bin/tool.sh`), opens nothing up: it is not a permission change
            // the rules ask about. System trees, devices and what cannot be known stay `fs.permissions`.
            let ordinary: Set<TargetClass> = [.sensitive, .outside, .project, .build, .cache, .temp, .automation]
            let harmless =
                p == "chmod" && !targets.isEmpty && targets.allSatisfy { ordinary.contains($0.cls) }
                && !o.has("-R", "--recursive")
                && (Self.chmodTightens(mode)
                    || (Self.chmodOnlyExecutable(mode) && !targets.contains { $0.cls == .sensitive }))
            addEffect(
                harmless ? "fs.permissions-tighten" : "fs.permissions",
                attrs: [
                    "recursive": .bool(o.has("-R", "--recursive")), "world_writable": .bool(worldWritable),
                    "via": .string(p),
                ],
                targets: targets,
                invocation: idx,
                detail: "\(p) \(args.map(\.text).joined(separator: " "))"
            )
        case _
        where p.hasPrefix("mkfs") || p.hasPrefix("newfs")
            || [
                "mke2fs", "mkswap", "wipefs", "mkdosfs", "mformat", "zpool", "blkdiscard", "sgdisk", "sfdisk",
                "cryptsetup",
            ].contains(p):
            if p == "zpool" && !(args.first.map { ["destroy", "labelclear", "create"].contains($0.text) } ?? false) {
                return
            }
            if p == "cryptsetup" && !(args.contains { ["luksFormat", "erase", "luksErase"].contains($0.text) }) {
                return
            }
            if (p == "sgdisk" || p == "sfdisk")
                && args.allSatisfy({
                    ["-p", "--print", "-l", "--list", "-d", "--dump"].contains($0.text) || !$0.text.hasPrefix("-")
                }) && args.contains(where: { ["-p", "--print", "-l", "--list", "-d", "--dump"].contains($0.text) })
            {
                return
            }
            addEffect(
                "disk.format",
                attrs: ["via": .string(p)],
                targets: args.filter { !$0.text.hasPrefix("-") }.map { makeTarget($0, site: inv.site) },
                invocation: idx,
                detail: "\(p) formats or wipes a device"
            )
        case "fdisk", "gdisk", "parted":
            if args.contains(where: { $0.text == "-l" || $0.text == "--list" || $0.text == "print" }) { return }
            addEffect(
                "disk.format",
                attrs: ["via": .string(p)],
                invocation: idx,
                detail: "\(p) edits a partition table"
            )
        case "diskutil":
            let verbs = args.map { $0.text.lowercased() }
            let destructive: Set<String> = [
                "erasedisk", "erasevolume", "partitiondisk", "zerodisk", "randomdisk", "secureerase", "reformat",
                "deletecontainer", "deletevolume", "deletesnapshot", "eraseoptical",
            ]
            if verbs.contains(where: { destructive.contains($0) }) {
                addEffect(
                    "disk.format",
                    attrs: ["via": .string(p)],
                    invocation: idx,
                    detail: "diskutil erases or deletes a disk, container or volume"
                )
            }
        case "shutdown", "reboot", "halt", "poweroff":
            if args.contains(where: { $0.text == "-c" }) { return }
            addEffect("system.power", invocation: idx, detail: "\(p) stops or restarts the machine")
        case "init", "telinit":
            if let a = args.first?.text, ["0", "6", "1", "s", "S"].contains(a) {
                addEffect("system.power", invocation: idx, detail: "changes the runlevel")
            }
        case "systemctl", "service", "launchctl", "rc-service", "sv":
            recognizeService(idx, inv)
        case "crontab":
            let o = Options(args, withValue: ["-u"])
            if o.has("-r") || (!o.has("-l") && !o.has("-e") && !o.operands.isEmpty) || (o.operands.first?.text == "-") {
                addEffect("system.cron", invocation: idx, detail: "removes or replaces the crontab")
            }
        case "userdel", "deluser", "groupdel", "delgroup", "usermod", "passwd", "chpasswd", "vipw", "sysadminctl",
            "dscl", "adduser", "useradd":
            if p == "dscl"
                && !args.contains(where: {
                    $0.text.lowercased().hasPrefix("-delete") || $0.text.lowercased().hasPrefix("-create")
                        || $0.text.lowercased().hasPrefix("-passwd")
                })
            {
                return
            }
            if p == "sysadminctl"
                && !args.contains(where: { $0.text.hasPrefix("-delete") || $0.text.hasPrefix("-reset") })
            {
                return
            }
            addEffect("system.users", invocation: idx, detail: "\(p) changes system accounts")
        case "iptables", "ip6tables", "nft", "ufw", "pfctl", "firewall-cmd", "iptables-restore":
            let flags: Set<String> = [
                "-F", "--flush", "-X", "--delete-chain", "-D", "--delete", "-P", "--policy", "flush", "delete",
                "disable", "reset", "-d", "--remove-service", "--remove-port", "--panic-on", "-Z",
            ]
            if p == "iptables-restore" || args.contains(where: { flags.contains($0.text) }) {
                addEffect("system.firewall", invocation: idx, detail: "\(p) changes or removes firewall rules")
            }
        case "kill", "pkill", "killall", "killall5":
            let ops = args.filter { !$0.text.hasPrefix("-") || $0.text == "-1" }
            if p == "killall5" || (p == "kill" && ops.contains(where: { $0.text == "1" || $0.text == "-1" })) {
                addEffect(
                    "system.kill",
                    attrs: ["scope": .string("all processes")],
                    invocation: idx,
                    detail: "kills init or every process"
                )
            } else if let name = ops.first(where: { Self.guardianNames(in: $0.text) }), p != "kill" {
                // Brake itself or the agent harness: stopping them switches the brake off.
                addEffect(
                    "brake.self",
                    attrs: ["subcommand": .string("kill")],
                    invocation: idx,
                    detail: "\(p) \(name.text) stops Brake or the agent harness it guards"
                )
            } else if p == "killall" && !ops.isEmpty {
                addEffect(
                    "system.kill",
                    attrs: ["scope": .string("every process named \(ops.map(\.text).joined(separator: " "))")],
                    invocation: idx,
                    detail: "killall kills every process with that name, not only the agent's own"
                )
            } else if p == "pkill"
                && args.contains(where: {
                    ["-u", "-U", "-G", "-g", "-s", "--euid", "--uid", "--group", "--session"].contains($0.text)
                })
            {
                addEffect(
                    "system.kill",
                    attrs: ["scope": .string("a user's or group's processes")],
                    invocation: idx,
                    detail: "pkill kills every process of a user, group or session"
                )
            }
        case "security":
            if let v = args.first?.text,
                v.hasPrefix("delete-") || v == "unlock-keychain" && false || v == "dump-keychain"
                    || v == "find-generic-password" && args.contains(where: { $0.text == "-w" || $0.text == "-g" })
            {
                addEffect(
                    v.hasPrefix("delete-") ? "system.keychain" : "secret.read",
                    invocation: idx,
                    detail: "security \(v)"
                )
            }
        case "simctl":
            if let v = args.first?.text, ["erase", "delete"].contains(v) {
                addEffect("system.simulator", invocation: idx, detail: "erases or deletes simulators")
            }
        case "tmutil":
            if let v = args.first?.text,
                [
                    "delete", "deletelocalsnapshots", "disable", "thinlocalsnapshots", "removeexclusion",
                    "deleteinprogress",
                ].contains(v.lowercased())
            {
                addEffect("system.backup", invocation: idx, detail: "deletes or disables backups")
            }
        case "git":
            recognizeGit(idx, inv)
        case "gh", "glab":
            recognizeGitHub(idx, inv)
        case "terraform", "tofu", "terragrunt":
            recognizeTerraform(idx, inv)
        case "pulumi", "cdk", "cdktf", "sam", "serverless", "sls", "copilot", "amplify":
            recognizeIaC(idx, inv)
        case "kubectl", "oc", "helm":
            recognizeKubernetes(idx, inv)
        case "aws", "awslocal":
            recognizeAWS(idx, inv)
        case "gcloud", "gsutil", "bq":
            recognizeGoogleCloud(idx, inv)
        case "az":
            recognizeAzure(idx, inv)
        case "gam":
            recognizeGAM(idx, inv)
        case "helmfile", "argocd", "flux", "velero", "ansible-playbook", "sst":
            recognizePlatform(idx, inv)
        case "docker", "docker-compose":
            recognizeDocker(idx, inv)
        case "npm", "pnpm", "yarn", "cargo", "twine", "gem", "pod", "poetry", "flit", "hatch", "uv", "dotnet", "nuget",
            "mvn", "gradle", "vsce", "ovsx", "swift", "jlpm", "bun", "deno", "lerna", "changeset", "goreleaser",
            "helm-push", "pdm":
            recognizePublish(idx, inv)
        case "curl", "wget", "http", "https", "xh", "xhs", "curlie":
            recognizeHTTP(idx, inv)
        default:
            if Analyzer.cloudCLIs.contains(p) && !recognizeHosting(idx, inv) { recognizeCloudGeneric(idx, inv) }
        }
        recognizeTargetSwitch(idx, inv)
        if inv.program == "mount" || inv.program == "bindfs" { recognizeBindMount(idx, inv) }
        recognizeData(idx, inv)
        recognizeFrameworkReset(idx, inv)
        recognizeBrake(idx, inv)
        recognizeHookSkips(idx, inv)
    }

    func recognizeCopy(_ idx: Int, _ inv: Invocation) {
        let p = inv.program
        let o = Options(
            inv.args,
            withValue: [
                "-t", "--target-directory", "-m", "--mode", "-o", "--owner", "-g", "--group", "-S", "--suffix", "-e",
                "--exclude", "--include", "--filter",
            ]
        )
        // A link (symbolic or hard) makes another name for its target: one into Brake's files or credentials is
        // a way around every rule about those paths. GNU tools accept unique prefixes of long options.
        let cpLinks =
            p == "cp"
            && (o.short.contains("s") || o.short.contains("l")
                || o.long.contains {
                    Options.abbreviates($0, "--symbolic-link", 4) || Options.abbreviates($0, "--link", 4)
                })
        if p == "ln" || cpLinks {
            let linkOps =
                o.value("-t", "--target-directory") == nil && o.operands.count >= 2
                ? Array(o.operands.dropLast()) : o.operands
            if !linkOps.isEmpty {
                addEffect(
                    "fs.link",
                    attrs: ["via": .string(p)],
                    targets: linkOps.map { makeTarget($0, site: inv.site) },
                    invocation: idx,
                    detail: "\(p) makes a new name for \(linkOps.map(\.text).joined(separator: " "))"
                )
            }
        }
        var ops = o.operands
        if p == "rsync" { ops = ops.filter { !$0.text.includes(":") || $0.text.hasPrefix("/") } }
        guard let dest = o.value("-t", "--target-directory") ?? (ops.count >= 2 ? ops.last : nil) else { return }
        let sources = o.value("-t", "--target-directory") == nil ? Array(ops.dropLast()) : ops
        let target = makeTarget(dest, site: inv.site)
        if sources.contains(where: { $0.text == "/dev/null" }) && p == "cp" {
            addEffect("fs.truncate", targets: [target], invocation: idx, detail: "empties \(dest.text)")
        } else if target.cls == .device {
            addEffect("disk.overwrite", targets: [target], invocation: idx, detail: "\(p) writes to a device")
        } else {
            // What lands inside the destination when it is a directory (a checkpoint keeps what it replaces there).
            let names = sources.filter { !$0.dynamic && !$0.glob }.map { Paths.basename($0.text) }
            addEffect(
                "fs.write",
                attrs: ["via": .string(p), "sources": .list(names)],
                targets: [target],
                invocation: idx,
                detail: "\(p) writes \(dest.text)"
            )
        }
        if p == "mv" {
            let srcTargets = sources.map { makeTarget($0, site: inv.site) }
            addEffect(
                "fs.move",
                // A move takes a directory's whole tree with it.
                attrs: ["recursive": .bool(true)],
                targets: srcTargets,
                invocation: idx,
                detail: "moves \(sources.map(\.text).joined(separator: " ")) away"
            )
        }
        if p == "rsync" && o.long.contains(where: { $0.hasPrefix("--delete") || $0 == "--remove-source-files" }) {
            addEffect(
                "fs.delete",
                attrs: ["recursive": .bool(true), "via": .string("rsync --delete")],
                targets: [target],
                invocation: idx,
                detail: "rsync deletes files in \(dest.text) that the source lacks"
            )
        }
    }

    func recognizeService(_ idx: Int, _ inv: Invocation) {
        let words = inv.args.filter { !$0.text.hasPrefix("-") }.map(\.text)
        let p = inv.program
        let stopping: Set<String> = [
            "stop", "disable", "mask", "kill", "isolate", "unload", "bootout", "remove", "poweroff", "reboot", "halt",
            "kexec", "suspend", "hibernate", "rescue", "emergency", "default",
        ]
        if p == "systemctl", let v = words.first,
            ["poweroff", "reboot", "halt", "kexec", "rescue", "emergency"].contains(v)
        {
            addEffect("system.power", invocation: idx, detail: "systemctl \(v)")
            return
        }
        if p == "service" || p == "rc-service" {
            if words.count >= 2, ["stop", "restart"].contains(words[1]) || words[1] == "disable" {
                addEffect("system.service", invocation: idx, detail: "\(p) \(words.joined(separator: " "))")
            }
            return
        }
        if let v = words.first, stopping.contains(v) || (p == "launchctl" && v == "disable") {
            if inv.args.contains(where: { $0.text == "--user" }) && v != "mask" { return }
            addEffect("system.service", invocation: idx, detail: "\(p) \(words.joined(separator: " "))")
        }
    }

    // MARK: - Secrets

    static let secretHomePrefixes = secretHomeEntries.map { $0 + "/" }

    static let secretHomeEntries = [
        ".aws/credentials", ".aws/sso/cache", ".netrc", ".git-credentials", ".docker/config.json", ".kube/config",
        ".config/gh/hosts.yml", ".pgpass", ".vault-token", ".npmrc", ".pypirc", ".gnupg", ".password-store",
        ".config/gcloud", ".azure", ".gem/credentials", ".cargo/credentials", ".cargo/credentials.toml",
        ".terraform.d/credentials.tfrc.json", ".my.cnf", "Library/Keychains",
        // Brake's own: the operator's control-plane token, the server's admin token and signing key.
        ".brake/server.json", ".brake/server/admin-token", ".brake/server/audit-signing-key",
    ]
    static let secretDirectories: Set<String> = [
        ".ssh", ".aws", ".kube", ".docker", ".gnupg", ".config/gcloud", ".azure", ".password-store", ".config/gh",
        ".brake", ".vault-token",
    ]

    /// Credential files: reading them exposes secrets, sending them anywhere is exfiltration.
    func isCredentialPath(_ path: String, includeDotEnv: Bool) -> Bool {
        if isSecretFile(path) { return true }
        let base = Paths.basename(path)
        if includeDotEnv
            && (base == ".env"
                || (base.hasPrefix(".env.")
                    && !["example", "sample", "template", "dist", "defaults"].contains(where: { base.hasSuffix($0) })))
        {
            return true
        }
        if secretCopies.contains(path) { return true }
        let home = normalizedHome
        guard Paths.isWithin(path, home), path != home else { return false }
        let rel = String(path.dropFirst(home.count + 1))
        // The directories that hold keys and tokens, taken whole (`tar czf x.tgz ~/.aws`, `rsync -a ~/.ssh/ host:`).
        if Analyzer.secretDirectories.contains(rel.hasSuffix("/") ? String(rel.dropLast()) : rel) { return true }
        if Analyzer.secretHomeEntries.contains(where: { rel == $0 }) { return true }
        if Analyzer.secretHomePrefixes.contains(where: { rel.hasPrefix($0) }) { return true }
        if rel.hasPrefix(".ssh/") {
            let b = Paths.basename(rel)
            return
                !(b.hasSuffix(".pub") || b == "known_hosts" || b == "config" || b == "authorized_keys"
                || b == "known_hosts.old")
        }
        return false
    }

    static let secretReaders: Set<String> = [
        "cat", "less", "more", "head", "tail", "bat", "base64", "xxd", "od", "strings", "hexdump", "tac", "nl",
        "gpg", "openssl", "cp", "scp", "rsync", "tar", "zip", "jq", "yq", "grep", "rg", "awk", "sed", "sort",
        "uniq", "vim", "vi", "nano", "view", "pbcopy", "xclip", "cut",
    ]

    func recognizeSecrets(_ idx: Int, _ inv: Invocation) {
        let p = inv.program
        let readers = Analyzer.secretReaders
        let gist = p == "gh" && inv.args.first?.text == "gist" && inv.args.dropFirst().first?.text == "create"
        let sender = Analyzer.networkSenders.contains(p) && p != "openssl" || gist
        guard sender || readers.contains(p) else { return }
        var secretArgs: [Target] = []
        // ssh's own key and configuration (`-i KEY`, `-F CONFIG`, `-o IdentityFile=…`): used, not sent.
        var ownKeyArgs: Set<Int> = []
        if ["ssh", "scp", "sftp"].contains(p) {
            for (k, a) in inv.args.enumerated() where (a.text == "-i" || a.text == "-F") && k + 1 < inv.args.count {
                ownKeyArgs.insert(k + 1)
            }
        }
        for (k, a) in inv.args.enumerated() where !a.dynamic && inv.site.remote == nil && !ownKeyArgs.contains(k) {
            if a.text.lowercased().hasPrefix("identityfile=")
                || a.text.hasPrefix("-i") && ["ssh", "scp", "sftp"].contains(p)
            {
                continue
            }
            var text = a.text
            if let at = text.firstIndex(of: "@"), sender {
                text = String(text[text.index(after: at)...])
            } else if text.hasPrefix("-") {
                if let eq = text.firstIndex(of: "="), sender {
                    text = String(text[text.index(after: eq)...])
                } else {
                    continue
                }
            }
            if text.isEmpty || text.includes("://") { continue }
            let path = resolvePath(text)
            if isCredentialPath(path, includeDotEnv: sender) {
                secretArgs.append(Target(path: path, cls: .sensitive, written: a.text))
            }
        }
        if p == "gpg" && inv.args.contains(where: { $0.text.hasPrefix("--export-secret") }) {
            addEffect("secret.read", invocation: idx, detail: "exports private keys")
            return
        }
        if sender && (inv.stdin?.isSensitive == true || !secretArgs.isEmpty || inv.args.contains(where: \.secret)) {
            addEffect(
                "secret.exfiltrate",
                attrs: ["channel": .string(p)],
                targets: secretArgs,
                invocation: idx,
                detail: "sends credentials or the environment over the network with \(p)"
            )
            return
        }
        if readers.contains(p) && !secretArgs.isEmpty {
            // An archive or copy of credentials is itself a credential: sending it later is exfiltration.
            for out in secretOutputs(inv) { secretCopies.insert(resolvePath(out)) }
            addEffect(
                "secret.read",
                targets: secretArgs,
                invocation: idx,
                detail: "reads credentials (\(secretArgs.map(\.written).joined(separator: ", ")))"
            )
        }
    }

    /// Where an archiver or copier writes what it read: `tar -czf OUT`, `zip OUT …`, `cp … OUT`.
    func secretOutputs(_ inv: Invocation) -> [String] {
        let args = inv.args.filter { !$0.dynamic }.map(\.text)
        switch inv.program {
        case "tar":
            for (i, a) in args.enumerated() {
                if a == "-f" || a == "--file", i + 1 < args.count { return [args[i + 1]] }
                if a.hasPrefix("--file=") { return [String(a.dropFirst(7))] }
                if !a.hasPrefix("--"), a.contains("f"), i == 0 || a.hasPrefix("-"), i + 1 < args.count,
                    a.allSatisfy({ $0.isLetter || $0 == "-" })
                {
                    return [args[i + 1]]
                }
            }
        case "zip":
            if let out = args.first(where: { !$0.hasPrefix("-") }) { return [out] }
        case "cp", "rsync":
            if let last = args.last, !last.hasPrefix("-"), !last.contains(":") { return [last] }
        default:
            break
        }
        return []
    }

    // MARK: - Self-protection

    /// Control-plane routes that decide, lift, or manage people and tokens; an agent has no business there
    /// (its hook talks to the server for it).
    static let controlPlaneRoutes = [
        "/v1/approvals", "/v1/stops", "/v1/tokens", "/v1/users", "/v1/audit/checkpoints", "/ui/",
    ]

    /// Whether a URL argument points at the Brake server (`BRAKE_SERVER`, else the default port 8377).
    func isBrakeServerURL(_ text: String) -> Bool {
        guard Self.controlPlaneRoutes.contains(where: { text.contains($0) }) else { return false }
        if let server = context.env["BRAKE_SERVER"], !server.isEmpty {
            var host = Substring(server)
            if let r = host.firstRange(of: "://") { host = host[r.upperBound...] }
            if let slash = host.firstIndex(of: "/") { host = host[..<slash] }
            if !host.isEmpty && text.contains(host) { return true }
        }
        return text.includes(":8377/")
    }

    /// Variables that point Brake somewhere else (another server, state, policy or session).
    static let brakeVariables: Set<String> = [
        "BRAKE_SERVER", "BRAKE_TOKEN", "BRAKE_HOME", "BRAKE_POLICY", "BRAKE_SESSION", "BRAKE_ASK_WAIT",
    ]

    func recognizeBrake(_ idx: Int, _ inv: Invocation) {
        let exported =
            ["export", "declare", "typeset", "setenv"].contains(inv.program)
            ? inv.args.compactMap { a in a.text.firstIndex(of: "=").map { String(a.text[..<$0]) } } : []
        if let name = (Array(inv.assignments.keys).sorted() + exported).first(where: {
            Self.brakeVariables.contains($0)
        }) {
            addEffect(
                "brake.self",
                attrs: ["subcommand": .string("environment")],
                invocation: idx,
                detail: "sets \(name), which redirects Brake's own checks"
            )
        }
        // The operator's control-plane token, used or shown by the agent.
        if result.referencedVariables.contains("BRAKE_TOKEN") {
            addEffect(
                "brake.self",
                attrs: ["subcommand": .string("token")],
                invocation: idx,
                detail: "uses $BRAKE_TOKEN, the person's control-plane token"
            )
        }
        if ["curl", "wget", "http", "https", "xh", "httpie"].contains(inv.program),
            inv.args.contains(where: { isBrakeServerURL($0.text) })
        {
            addEffect(
                "brake.self",
                attrs: ["subcommand": .string("api")],
                invocation: idx,
                detail: "calls the Brake server's approval, stop, user or token API directly"
            )
        }
        if inv.program == "brake" {
            let sub = inv.args.first(where: { !$0.text.hasPrefix("-") })?.text ?? ""
            let sensitive: Set<String> = [
                "approve", "resume", "install", "uninstall", "signoff", "sign-off", "token", "user", "users", "stop",
                "deny", "override", "allow", "policy-set", "disable", "enable", "keygen", "serve", "approvals",
                "tokens", "login", "logout", "undo",
            ]
            if sensitive.contains(sub)
                || (sub == "policy"
                    && inv.args.contains(where: { ["set", "edit", "apply", "push"].contains($0.text) }))
            {
                addEffect(
                    "brake.self",
                    attrs: ["subcommand": .string(sub)],
                    invocation: idx,
                    detail: "runs `brake \(sub)`, which only a person may do"
                )
            }
        }
    }

    func recognizeHookSkips(_ idx: Int, _ inv: Invocation) {
        guard inv.program == "git" || inv.program == "npm" || inv.program == "pnpm" || inv.program == "yarn" else {
            return
        }
        for (k, v) in inv.assignments {
            if (k == "HUSKY" && v.text == "0") || k == "HUSKY_SKIP_HOOKS" || (k == "SKIP" && inv.program == "git")
                || k == "PRE_COMMIT_ALLOW_NO_CONFIG" && false || k == "GIT_HOOKS_SKIP"
            {
                addEffect(
                    "git.skip-hooks",
                    attrs: ["how": .string(k)],
                    invocation: idx,
                    detail: "\(k)=\(v.text) skips the repository's hooks"
                )
            }
        }
    }

    // MARK: - Git and GitHub

    func protectedBranch(_ ref: String) -> Bool {
        var b = ref
        if b.hasPrefix("refs/heads/") { b = String(b.dropFirst(11)) }
        return settings.protectedBranches.contains { Glob.match($0, b) }
    }

    func recognizeGit(_ idx: Int, _ inv: Invocation) {
        let args = inv.args
        let (subOpt, subIndex) = gitSubcommand(args)
        // `git -c core.hooksPath=… commit`
        for (k, a) in args.prefix(subIndex).enumerated() where a.text == "-c" && k + 1 < subIndex {
            if args[k + 1].text.lowercased().hasPrefix("core.hookspath") {
                addEffect(
                    "git.skip-hooks",
                    attrs: ["how": .string("core.hooksPath")],
                    invocation: idx,
                    detail: "points git at other hooks"
                )
            }
        }
        guard let sub = subOpt else { return }
        let rest = Array(args[(subIndex + 1)...])
        let o = Options(
            rest,
            withValue: [
                "-m", "-F", "--message", "--file", "-C", "-c", "--author", "--date", "-o", "--push-option", "--repo",
                "--receive-pack", "--exec", "--set-upstream-to", "-b", "-B", "--orig", "--format", "--pretty", "-X",
                "--strategy-option", "-s", "--strategy", "--expire", "--expire-unreachable", "--prune", "--source",
                "--onto", "--index-filter", "--tree-filter", "--msg-filter", "--env-filter", "--path",
                "--subdirectory-filter", "--path-glob", "--replace-text",
            ]
        )
        func add(_ kind: String, _ attrs: [String: AttrValue] = [:], _ detail: String) {
            addEffect(
                kind,
                attrs: attrs.merging(["subcommand": .string(sub)]) { a, _ in a },
                invocation: idx,
                detail: detail
            )
        }
        switch sub {
        case "reset":
            if o.has("--hard", "--merge", "--keep") {
                add("git.discard", ["op": .string("reset --hard")], "git reset --hard discards uncommitted work")
            }
        case "remote":
            let ops = o.operands.map(\.text)
            if ops.count >= 3, ops[0] == "add" || ops[0] == "set-url" { addedRemotes[ops[1]] = ops[2] }
        case "checkout", "switch":
            // The branch checked out from here on, for a later `git push` of the current branch.
            if !rest.contains(where: { $0.text == "--" }) {
                let created = o.value("-b", "-B", "-c", "-C", "--orphan")
                if let b = created ?? (o.operands.count == 1 ? o.operands.first : nil), !b.dynamic {
                    currentBranch = b.text
                }
            }
            if sub == "switch" {
                if o.has("--discard-changes", "-f", "--force") {
                    add("git.discard", ["op": .string("switch --discard-changes")], "discards local changes")
                }
                return
            }
            if o.has("-b", "-B", "--orphan") && !o.has("-f", "--force") { return }
            let afterDD = rest.firstIndex(where: { $0.text == "--" }).map { rest[($0 + 1)...].count > 0 } ?? false
            if afterDD || o.operands.contains(where: { $0.text == "." || $0.text == ":/" || $0.glob })
                || o.has("-f", "--force")
            {
                add("git.discard", ["op": .string("checkout")], "git checkout of paths overwrites uncommitted changes")
            }
        case "restore":
            let staged = o.has("--staged", "-S")
            let worktree = o.has("--worktree", "-W")
            if !staged || worktree {
                add(
                    "git.discard",
                    ["op": .string("restore")],
                    "git restore overwrites uncommitted changes in the working tree"
                )
            }
        case "clean":
            if o.has("-n", "--dry-run") || (o.has("-i", "--interactive") && !o.has("-f")) { return }
            if o.has("-f", "--force") {
                add("git.clean", ["ignored": .bool(o.has("-x", "-X"))], "git clean deletes untracked files")
            }
        case "stash":
            if let v = o.operands.first?.text, v == "drop" || v == "clear" {
                add("git.discard", ["op": .string("stash \(v)")], "git stash \(v) deletes stashed work")
            }
        case "push":
            // `--dry-run` / `-n` sends nothing.
            if o.has("--dry-run", "-n") { return }
            recognizeGitPush(idx, rest, o)
        case "branch":
            if o.has("-D") || ((o.has("-d", "--delete")) && o.has("-f", "--force")) {
                add(
                    "git.branch-delete",
                    ["force": .bool(true)],
                    "git branch -D deletes a branch even if it is not merged"
                )
            }
        case "reflog":
            if let v = o.operands.first?.text, v == "expire" || v == "delete" {
                add(
                    "git.history-rewrite",
                    ["op": .string("reflog \(v)")],
                    "git reflog \(v) removes the safety net for lost commits"
                )
            }
        case "gc", "prune":
            if let pr = o.value("--prune") ?? (sub == "prune" ? Field("now") : nil),
                pr.text == "now" || pr.text == "all" || (sub == "prune" && !o.has("-n", "--dry-run"))
            {
                add(
                    "git.history-rewrite",
                    ["op": .string("\(sub) --prune")],
                    "git \(sub) deletes unreachable commits now"
                )
            }
        case "filter-branch", "filter-repo":
            add("git.history-rewrite", ["op": .string(sub)], "git \(sub) rewrites history")
        case "update-ref":
            if o.has("-d") {
                add("git.history-rewrite", ["op": .string("update-ref -d")], "git update-ref -d deletes a ref")
            }
        case "commit", "merge", "rebase", "am", "cherry-pick", "revert", "pull":
            if o.has("--no-verify") || (sub == "commit" && o.has("-n")) {
                add("git.skip-hooks", ["how": .string("--no-verify")], "--no-verify skips the repository's hooks")
            }
        case "config":
            let ops = o.operands.map { $0.text.lowercased() }
            if let k = ops.first, k == "core.hookspath", ops.count >= 2 || o.has("--unset") == false && ops.count >= 2 {
                add("git.skip-hooks", ["how": .string("core.hooksPath")], "changes where git looks for hooks")
            }
        case "worktree":
            if o.operands.first?.text == "remove" && o.has("-f", "--force") {
                add(
                    "git.discard",
                    ["op": .string("worktree remove --force")],
                    "removes a worktree with uncommitted changes"
                )
            }
        default:
            break
        }
    }

    func recognizeGitPush(_ idx: Int, _ rest: [Field], _ o: Options) {
        var force = o.has("-f", "--force")
        let lease = o.long.contains(where: { $0.hasPrefix("--force-with-lease") || $0 == "--force-if-includes" })
        let ops = o.operands
        let refspecs = ops.count > 1 ? Array(ops.dropFirst()) : []
        var branches: [String] = []
        var deletes: [String] = []
        for r in refspecs {
            var t = r.text
            if t.hasPrefix("+") {
                force = true
                t.removeFirst()
            }
            if t.hasPrefix(":") {
                deletes.append(String(t.dropFirst()))
                continue
            }
            let dest = t.split(separator: ":", maxSplits: 1).last.map(String.init) ?? t
            branches.append(r.dynamic ? "${dynamic}" : dest)
        }
        if o.has("-d", "--delete") {
            deletes += branches
            branches = []
        }
        // Code sent somewhere new: a URL, or a remote this command added or repointed.
        if let remote = ops.first ?? (addedRemotes["origin"] != nil ? Field("origin") : nil), !remote.dynamic {
            let r = remote.text
            let url = addedRemotes[r] ?? (r.includes("://") || r.includes("@") && r.includes(":") ? r : nil)
            if let url {
                addEffect(
                    "git.push-elsewhere",
                    attrs: ["url": .string(url)],
                    invocation: idx,
                    detail: "pushes the repository to \(url), a remote this command chose"
                )
            }
        }
        // Release tags (`v1.2.3`, `refs/tags/…`, `--tags`, `--follow-tags`) start the pipelines that publish and deploy.
        let tagRefs = refspecs.map(\.text).filter { t in
            let ref = t.split(separator: ":").last.map(String.init) ?? t
            let name = ref.hasPrefix("refs/tags/") ? String(ref.dropFirst(10)) : ref
            let digits = name.hasPrefix("v") ? name.dropFirst() : Substring(name)
            // A version: numbers joined by dots (at least two), then an optional `-rc.1` or `+build`.
            let core = digits.prefix { $0 != "-" && $0 != "+" }.split(separator: ".", omittingEmptySubsequences: false)
            return ref.hasPrefix("refs/tags/")
                || core.count >= 2 && core.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isNumber) }
        }
        if o.has("--tags", "--follow-tags") || !tagRefs.isEmpty {
            addEffect(
                "deploy.release",
                attrs: ["platform": .string("git"), "live": .bool(true), "operation": .string("push tags")],
                invocation: idx,
                detail:
                    "pushes release tags \(tagRefs.isEmpty ? "" : tagRefs.joined(separator: " ") + " ")(which start release and deploy pipelines)"
            )
        }
        // `git push` and `git push REMOTE` push the branch checked out: the one this line switched to, else the
        // project's (a merge or cherry-pick into main, then a push, in one line or several).
        if refspecs.isEmpty || branches == ["HEAD"], !o.has("--tags", "--all", "--mirror", "-d", "--delete"),
            let current = currentBranch ?? context.gitBranch, !current.hasPrefix("detached@")
        {
            branches = [current]
        }
        let protected =
            branches.contains(where: protectedBranch)
            ? "yes"
            : (branches.isEmpty || branches.contains("HEAD") || branches.contains(where: { $0.contains("$") })
                ? "unknown" : "no")
        if force || lease || o.has("--mirror") {
            addEffect(
                "git.force-push",
                attrs: [
                    "lease": .bool(lease && !force), "protected": .string(protected), "branch": .list(branches),
                    "mirror": .bool(o.has("--mirror")),
                ],
                invocation: idx,
                detail:
                    "force-pushes \(branches.isEmpty ? "the current branch" : branches.joined(separator: " ")), overwriting remote history"
            )
        } else if protected == "yes" {
            addEffect(
                "git.push-protected",
                attrs: ["branch": .list(branches)],
                invocation: idx,
                detail: "pushes directly to protected branch \(branches.joined(separator: " "))"
            )
        }
        if !deletes.isEmpty || (o.has("--prune") && !o.has("-n", "--dry-run")) {
            addEffect(
                "git.remote-delete",
                attrs: ["refs": .list(deletes), "protected": .bool(deletes.contains(where: protectedBranch))],
                invocation: idx,
                detail: "deletes remote refs \(deletes.joined(separator: " "))"
            )
        }
        if o.has("--no-verify") {
            addEffect(
                "git.skip-hooks",
                attrs: ["how": .string("--no-verify")],
                invocation: idx,
                detail: "--no-verify skips the pre-push hook"
            )
        }
    }

    func recognizeGitHub(_ idx: Int, _ inv: Invocation) {
        let o = Options(
            inv.args,
            withValue: [
                "-R", "--repo", "-X", "--method", "-H", "--header", "-f", "-F", "--field", "--raw-field", "-q", "--jq",
                "-t", "--template", "--input", "-b", "--body", "-T", "--title", "-B", "--base", "--hostname",
            ]
        )
        let words = o.operands.map(\.text)
        guard let group = words.first else { return }
        if group == "api" {
            let method =
                (o.value("-X", "--method")?.text
                ?? ((o.values["-f"] ?? o.values["-F"] ?? o.values["--field"] ?? o.values["--raw-field"]) != nil
                    || o.value("--input") != nil ? "POST" : "GET"))
                .uppercased()
            let path = words.count > 1 ? words[1] : ""
            let fields = ["-f", "-F", "--field", "--raw-field"].flatMap { o.values[$0] ?? [] }.map(\.text)
            let deletingMutation =
                path == "graphql"
                && fields.contains {
                    $0.lowercased().includes("mutation") && $0.lowercased().includes("delete")
                }
            if method == "DELETE" || deletingMutation {
                addEffect(
                    "forge.delete",
                    attrs: ["api": .string(path)],
                    invocation: idx,
                    detail: "DELETE \(path) on GitHub"
                )
            } else if method != "GET" && (path.includes("/protection") || path.includes("/rulesets")) {
                addEffect(
                    "forge.branch-protection",
                    attrs: ["api": .string(path)],
                    invocation: idx,
                    detail: "changes branch protection with \(method) \(path)"
                )
            }
            return
        }
        let action = words.count > 1 ? words[1] : ""
        // CI triggers that deploy: a workflow dispatched with production inputs or named for deploys, a release.
        if group == "workflow" && action == "run" || group == "release" && action == "create" {
            let fields = ["-f", "-F", "--field", "--raw-field"].flatMap { o.values[$0] ?? [] }.map(\.text)
            let name = words.count > 2 ? words[2].lowercased() : ""
            let deploys =
                group == "release"
                || ["deploy", "release", "publish", "prod", "production", "rollout"].contains {
                    name.includes($0)
                } || fields.contains { looksProduction($0) }
            if deploys {
                addEffect(
                    "deploy.release",
                    attrs: [
                        "platform": .string("github-actions"), "live": .bool(true),
                        "operation": .string(words.joined(separator: " ")),
                    ],
                    invocation: idx,
                    detail: group == "release"
                        ? "gh release create publishes a release (and starts the workflows that deploy it)"
                        : "gh workflow run \(name) dispatches a deploy"
                )
                return
            }
        }
        if action == "delete" || action == "delete-asset" || (group == "repo" && action == "archive")
            || (group == "cache" && action == "delete")
        {
            addEffect(
                "forge.delete",
                attrs: ["object": .string(group)],
                invocation: idx,
                detail: "gh \(group) \(action)"
            )
        }
        if group == "pr" && action == "merge" && o.has("--admin") {
            addEffect("forge.admin-merge", invocation: idx, detail: "merges bypassing branch protection with --admin")
        }
        if group == "repo" && action == "edit" && o.long.contains(where: { $0.hasPrefix("--visibility") }) {
            addEffect("forge.visibility", invocation: idx, detail: "changes repository visibility")
        }
        if group == "ruleset" && (action == "delete" || action == "disable") {
            addEffect("forge.branch-protection", invocation: idx, detail: "removes a ruleset")
        }
    }

    // MARK: - Infrastructure

    func recognizeTerraform(_ idx: Int, _ inv: Invocation) {
        var args = inv.args
        let tool = inv.program
        // Global options before the subcommand.
        while let f = args.first, f.text.hasPrefix("-") { args.removeFirst() }
        guard var sub = args.first?.text else { return }
        args.removeFirst()
        if tool == "terragrunt" && (sub == "run-all" || sub == "run") {
            while let f = args.first, f.text.hasPrefix("-") { args.removeFirst() }
            guard let s = args.first?.text else { return }
            sub = s
            args.removeFirst()
            if args.first?.text == "--" { args.removeFirst() }
        }
        let o = Options(
            args,
            withValue: [
                "-var", "-var-file", "-target", "-replace", "-lock-timeout", "-parallelism", "-state", "-state-out",
                "-backup", "-out",
            ]
        )
        let autoApprove = o.has(
            "-auto-approve",
            "--auto-approve",
            "-force",
            "--terragrunt-non-interactive",
            "--non-interactive"
        )
        let attrs: [String: AttrValue] = ["tool": .string(tool), "auto_approve": .bool(autoApprove)]
        switch sub {
        case "destroy":
            addEffect(
                "infra.destroy",
                attrs: attrs,
                invocation: idx,
                detail: "\(tool) destroy deletes every resource in the configuration"
            )
        case "apply":
            if o.has("-destroy") {
                addEffect(
                    "infra.destroy",
                    attrs: attrs,
                    invocation: idx,
                    detail: "\(tool) apply -destroy deletes every resource in the configuration"
                )
            } else {
                let saved = !o.operands.isEmpty
                addEffect(
                    "infra.apply",
                    attrs: attrs.merging(["saved_plan": .bool(saved)]) { a, _ in a },
                    invocation: idx,
                    detail: saved
                        ? "\(tool) applies the saved plan \(o.operands[0].text)"
                        : "\(tool) apply changes infrastructure without a reviewed plan"
                )
            }
        case "state":
            if let op = o.operands.first?.text, ["rm", "mv", "push", "replace-provider"].contains(op) {
                addEffect(
                    "infra.state",
                    attrs: attrs.merging(["op": .string("state " + op)]) { a, _ in a },
                    invocation: idx,
                    detail: "\(tool) state \(op) edits the state by hand"
                )
            }
        case "force-unlock":
            addEffect(
                "infra.state",
                attrs: attrs.merging(["op": .string("force-unlock")]) { a, _ in a },
                invocation: idx,
                detail: "\(tool) force-unlock breaks the state lock"
            )
        case "workspace":
            if o.operands.first?.text == "delete" {
                addEffect(
                    "infra.state",
                    attrs: attrs.merging(["op": .string("workspace delete")]) { a, _ in a },
                    invocation: idx,
                    detail: "deletes a workspace and its state"
                )
            }
        case "taint":
            addEffect(
                "infra.taint",
                attrs: attrs,
                invocation: idx,
                detail: "forces a resource to be replaced on the next apply"
            )
        case "import" where o.has("-allow-missing-config"):
            break
        default:
            break
        }
    }

    func recognizeIaC(_ idx: Int, _ inv: Invocation) {
        let o = Options(
            inv.args,
            withValue: [
                "-s", "--stack", "-C", "--cwd", "--profile", "--region", "-c", "--context", "--app", "-a", "--stage",
                "--config-file", "--parameter-overrides", "--target", "-t", "--message", "-m",
            ]
        )
        let words = o.operands.map(\.text)
        guard let sub = words.first else { return }
        let tool = inv.program
        let yes = o.has(
            "--yes",
            "-y",
            "-f",
            "--force",
            "--skip-preview",
            "--require-approval",
            "--no-confirm-changeset"
        )
        let attrs: [String: AttrValue] = ["tool": .string(tool), "auto_approve": .bool(yes)]
        // Change sets made for review, not executed: `sam deploy --no-execute-changeset`, `cdk deploy --no-execute`.
        if sub == "deploy" && o.has("--no-execute-changeset", "--no-execute") { return }
        switch (tool, sub) {
        case ("pulumi", "destroy"), ("pulumi", "down"), ("cdk", "destroy"), ("cdktf", "destroy"), ("sam", "delete"),
            ("serverless", "remove"), ("sls", "remove"), ("copilot", "app"), ("copilot", "svc"), ("copilot", "env"),
            ("amplify", "delete"):
            if tool == "copilot" && !(words.count > 1 && words[1] == "delete") { return }
            addEffect(
                "infra.destroy",
                attrs: attrs,
                invocation: idx,
                detail: "\(tool) \(sub) deletes the stack's resources"
            )
        case ("pulumi", "up"), ("pulumi", "update"), ("cdk", "deploy"), ("cdktf", "deploy"), ("sam", "deploy"),
            ("serverless", "deploy"), ("sls", "deploy"), ("amplify", "push"):
            addEffect(
                "infra.apply",
                attrs: attrs.merging(["saved_plan": .bool(false)]) { a, _ in a },
                invocation: idx,
                detail: "\(tool) \(sub) changes infrastructure"
            )
        case ("pulumi", "stack"):
            if words.count > 1 && words[1] == "rm" {
                addEffect("infra.destroy", attrs: attrs, invocation: idx, detail: "pulumi stack rm deletes the stack")
            }
        case ("pulumi", "state"):
            if words.count > 1 && ["delete", "unprotect", "edit", "move"].contains(words[1]) {
                addEffect(
                    "infra.state",
                    attrs: attrs.merging(["op": .string("state " + words[1])]) { a, _ in a },
                    invocation: idx,
                    detail: "edits Pulumi state by hand"
                )
            }
        case ("pulumi", "cancel"):
            addEffect(
                "infra.state",
                attrs: attrs.merging(["op": .string("cancel")]) { a, _ in a },
                invocation: idx,
                detail: "cancels a running update"
            )
        default:
            break
        }
    }

    func recognizeKubernetes(_ idx: Int, _ inv: Invocation) {
        let args = inv.args
        let tool = inv.program
        if args.contains(where: {
            $0.text == "--dry-run" || $0.text.hasPrefix("--dry-run=") && !$0.text.hasSuffix("=none")
        }) {
            return
        }
        let o = Options(
            args,
            withValue: [
                "-n", "--namespace", "--context", "--kube-context", "--cluster", "--user", "--kubeconfig", "-l",
                "--selector", "-o", "--output", "-f", "--filename", "-c", "--container", "--replicas", "--timeout",
                "--grace-period", "-p", "--patch", "--type", "--field-selector", "--values", "--set", "--version", "-k",
                "--kustomize", "--revision", "--to-revision", "--image", "-i",
            ]
        )
        let words = o.operands.map(\.text)
        guard let verb = words.first else { return }
        let all = o.has("--all", "-A", "--all-namespaces")
        let kind = words.count > 1 ? words[1] : (o.value("-f", "--filename")?.text ?? "")
        let ns = o.value("-n", "--namespace")?.text ?? ""
        if tool == "helm" {
            switch verb {
            case "uninstall", "delete", "del", "un":
                addEffect(
                    "k8s.delete",
                    attrs: ["tool": .string("helm"), "kind": .string("release"), "namespace": .string(ns)],
                    invocation: idx,
                    detail: "helm uninstall removes release \(kind)"
                )
            case "rollback", "upgrade", "install":
                addEffect(
                    "k8s.mutate",
                    attrs: ["tool": .string("helm"), "verb": .string(verb), "namespace": .string(ns)],
                    invocation: idx,
                    detail: "helm \(verb) changes a release"
                )
            default: break
            }
            return
        }
        switch verb {
        case "delete":
            addEffect(
                "k8s.delete",
                attrs: [
                    "tool": .string(tool), "kind": .string(kind), "all": .bool(all || o.has("-l", "--selector")),
                    "namespace": .string(ns),
                ],
                invocation: idx,
                detail: "kubectl delete \(words.dropFirst().joined(separator: " "))"
            )
        case "drain", "cordon", "taint":
            addEffect(
                verb == "drain" ? "k8s.drain" : "k8s.mutate",
                attrs: ["verb": .string(verb)],
                invocation: idx,
                detail: "kubectl \(verb) takes a node out of service"
            )
        case "scale":
            let replicas = o.value("--replicas")?.text ?? ""
            if replicas == "0" {
                addEffect(
                    "k8s.scale-zero",
                    attrs: ["kind": .string(kind), "namespace": .string(ns)],
                    invocation: idx,
                    detail: "scales \(kind) to zero replicas"
                )
            } else {
                addEffect("k8s.mutate", attrs: ["verb": .string(verb)], invocation: idx, detail: "kubectl scale")
            }
        case "replace":
            if o.has("--force") {
                addEffect(
                    "k8s.delete",
                    attrs: [
                        "tool": .string(tool), "kind": .string("replace --force"), "all": .bool(false),
                        "namespace": .string(ns),
                    ],
                    invocation: idx,
                    detail: "replace --force deletes and recreates objects"
                )
            } else {
                addEffect("k8s.mutate", attrs: ["verb": .string(verb)], invocation: idx, detail: "kubectl replace")
            }
        case "apply":
            if o.has("--prune") {
                addEffect(
                    "k8s.delete",
                    attrs: [
                        "tool": .string(tool), "kind": .string("apply --prune"), "all": .bool(true),
                        "namespace": .string(ns),
                    ],
                    invocation: idx,
                    detail: "apply --prune deletes objects missing from the manifests"
                )
            } else {
                addEffect("k8s.mutate", attrs: ["verb": .string(verb)], invocation: idx, detail: "kubectl apply")
            }
        case "create", "patch", "edit", "set", "label", "annotate", "expose", "autoscale", "rollout", "run", "uncordon",
            "certificate":
            if verb == "rollout" && words.count > 1 && ["status", "history"].contains(words[1]) { return }
            addEffect(
                "k8s.mutate",
                attrs: ["verb": .string(verb)],
                invocation: idx,
                detail: "kubectl \(verb) changes the cluster"
            )
        case "exec", "cp", "debug", "attach", "port-forward", "proxy":
            if verb == "exec" || verb == "debug" {
                addEffect(
                    "k8s.exec",
                    attrs: ["verb": .string(verb)],
                    invocation: idx,
                    detail: "runs a command inside a pod"
                )
            }
        default:
            break
        }
    }

    func recognizeDocker(_ idx: Int, _ inv: Invocation) {
        let o = Options(
            inv.args,
            withValue: ["--file", "-p", "--project-name", "--filter", "-H", "--host", "--context"]
        )
        var words = o.operands.map(\.text)
        if words.first == "compose" || inv.program == "docker-compose" {
            if words.first == "compose" { words.removeFirst() }
            if words.contains("down") && o.has("-v", "--volumes") {
                addEffect(
                    "container.volume-delete",
                    invocation: idx,
                    detail: "compose down -v deletes the project's volumes and their data"
                )
            }
            if words.contains("rm") && o.has("-v", "--volumes") {
                addEffect("container.volume-delete", invocation: idx, detail: "compose rm -v deletes anonymous volumes")
            }
            return
        }
        guard let sub = words.first else { return }
        switch sub {
        case "system":
            if words.count > 1 && words[1] == "prune" && o.has("--volumes") {
                addEffect(
                    "container.volume-delete",
                    invocation: idx,
                    detail: "docker system prune --volumes deletes unused volumes and their data"
                )
            } else if words.count > 1 && words[1] == "prune" && o.has("-a", "--all") {
                addEffect(
                    "container.prune",
                    invocation: idx,
                    detail: "docker system prune -a deletes all unused images"
                )
            }
        case "volume":
            if words.count > 1 && ["rm", "prune", "remove"].contains(words[1]) {
                addEffect(
                    "container.volume-delete",
                    invocation: idx,
                    detail: "docker volume \(words[1]) deletes volumes and their data"
                )
            }
        case "push":
            addEffect(
                "package.publish",
                attrs: ["registry": .string("docker")],
                invocation: idx,
                detail: "docker push publishes an image"
            )
        default:
            break
        }
    }

    func recognizePublish(_ idx: Int, _ inv: Invocation) {
        let o = Options(
            inv.args,
            withValue: [
                "--registry", "--tag", "--access", "--otp", "-r", "--repository", "--token", "--index", "--publish-url",
            ]
        )
        let words = o.operands.map(\.text)
        guard let sub = words.first else { return }
        let p = inv.program
        if o.has("--dry-run", "-n") && p != "twine" { return }
        let publishes: Bool
        switch p {
        case "npm", "pnpm", "yarn", "bun", "jlpm", "lerna":
            // npm takes any unique prefix of a command (`npm pub`, `npm unpub`).
            let abbreviated =
                p == "npm" && sub.count >= 3
                && ["publish", "unpublish", "deprecate"].contains { $0.hasPrefix(sub) && $0 != sub }
            publishes =
                abbreviated || sub == "publish" || (sub == "npm" && words.dropFirst().first == "publish")
                || sub == "unpublish"
                || sub == "deprecate"
        case "cargo", "poetry", "flit", "hatch", "uv", "pdm", "deno": publishes = sub == "publish" || (sub == "yank")
        case "twine": publishes = sub == "upload"
        case "gem": publishes = sub == "push" || sub == "yank"
        case "pod": publishes = sub == "trunk" && words.dropFirst().first == "push"
        case "dotnet", "nuget": publishes = (sub == "nuget" && words.dropFirst().first == "push") || sub == "push"
        case "mvn": publishes = words.contains("deploy")
        case "gradle": publishes = words.contains(where: { $0.hasPrefix("publish") && !$0.includes("Local") })
        case "vsce", "ovsx": publishes = sub == "publish"
        case "swift": publishes = sub == "package-registry" && words.dropFirst().first == "publish"
        case "changeset": publishes = sub == "publish"
        case "goreleaser": publishes = sub == "release" && !o.has("--snapshot", "--skip-publish")
        default: publishes = false
        }
        if publishes {
            addEffect(
                "package.publish",
                attrs: ["registry": .string(p)],
                invocation: idx,
                detail: "\(p) \(sub) publishes to a public registry"
            )
        }
    }

    func recognizeHTTP(_ idx: Int, _ inv: Invocation) {
        let p = inv.program
        var method: String?
        var url: String?
        var body: String?
        if p == "curl" || p == "curlie" {
            let o = Options(
                inv.args,
                withValue: [
                    "-X", "--request", "-d", "--data", "--data-raw", "--data-binary", "--data-urlencode", "-H",
                    "--header", "-o", "--output", "-u", "--user", "-F", "--form", "-A", "--user-agent", "-e",
                    "--referer", "-b", "--cookie", "-c", "--cookie-jar", "-m", "--max-time", "--connect-timeout", "-w",
                    "--write-out", "-T", "--upload-file", "--retry", "-x", "--proxy", "--cacert", "--cert", "--key",
                    "-K", "--config", "--resolve", "--url", "--json",
                ]
            )
            body = o.value("-d", "--data", "--data-raw", "--data-binary", "--json", "--data-urlencode")?.text
            method = o.value("-X", "--request")?.text
            if method == nil {
                if o.has("-I", "--head") {
                    method = "HEAD"
                } else if o.value("-T", "--upload-file") != nil {
                    method = "PUT"
                } else if body != nil || o.value("-F", "--form") != nil {
                    method = "POST"
                }
            }
            url =
                o.value("--url")?.text
                ?? o.operands.first(where: { $0.text.includes("://") || $0.text.includes(".") })?.text
        } else if p == "wget" {
            let o = Options(
                inv.args,
                withValue: [
                    "--method", "-O", "--output-document", "--header", "--body-data", "-o", "-P", "--post-data",
                    "--post-file", "--body-file",
                ]
            )
            body = o.value("--body-data", "--post-data")?.text
            method = o.value("--method")?.text ?? (body != nil || o.value("--post-file") != nil ? "POST" : nil)
            url = o.operands.first?.text
        } else {
            // httpie / xh: `[METHOD] URL [items]`; data items (`k=v`, `k:=json`) make it a POST.
            let o = Options(inv.args, withValue: ["-a", "--auth", "--session", "-o", "--output", "--raw"])
            var ops = o.operands.map(\.text)
            let methods: Set<String> = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
            if let m = ops.first, methods.contains(m.uppercased()) {
                method = m.uppercased()
                ops.removeFirst()
            }
            url = ops.first
            let items = ops.dropFirst().filter { $0.includes("=") && !$0.includes("==") }
            body = o.value("--raw")?.text ?? (items.isEmpty ? nil : items.joined(separator: " "))
            if method == nil && body != nil { method = "POST" }
        }
        guard let u = url else { return }
        httpEffect(method: method ?? "GET", url: u, body: body, idx, via: p)
    }

    /// The effect of one HTTP call judged by its method and endpoint (Endpoints); local hosts are left alone.
    func httpEffect(method: String, url u: String, body: String?, _ idx: Int, via: String) {
        let host = urlHost(u)
        if isLocalHost(host) { return }
        guard var call = Endpoints.judge(method: method, url: u, body: body) else { return }
        // The same deletion repeated by a loop, `xargs`, `parallel` or `find -exec` is a bulk deletion.
        if loopDepth > 0 || idx < result.invocations.count && result.invocations[idx].site.dynamicArguments {
            call.kind = "saas.bulk-delete"
            call.detail += ", repeated for many items"
        }
        addEffect(
            call.kind,
            attrs: ["host": .string(host), "service": .string(call.service), "method": .string(method.uppercased())],
            invocation: idx,
            detail: "\(via): \(call.detail)"
        )
    }

    func urlHost(_ url: String) -> String {
        var s = Substring(url)
        if let r = s.firstRange(of: "://") { s = s[r.upperBound...] }
        if let at = s.firstIndex(of: "@"), s[..<at].firstIndex(of: "/") == nil { s = s[s.index(after: at)...] }
        let end = s.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? s.endIndex
        var host = String(s[..<end])
        if host.hasPrefix("[") { return String(host.dropFirst().prefix(while: { $0 != "]" })) }
        if let colon = host.lastIndex(of: ":") { host = String(host[..<colon]) }
        return host.lowercased()
    }

    func isLocalHost(_ host: String) -> Bool {
        ["localhost", "127.0.0.1", "::1", "0.0.0.0", "host.docker.internal"].contains(host)
            || host.hasSuffix(".localhost")
            || host.hasSuffix(".local") || host.hasSuffix(".test") || host.hasPrefix("127.")
    }
}

extension Analyzer {
    /// Commands that switch where later commands land: the kube context, the Terraform workspace, the gcloud
    /// project or configuration. An approval never follows such a switch (targets are in the digest); a
    /// switch to production is itself a `target.switch` effect with `production: true`.
    func recognizeTargetSwitch(_ idx: Int, _ inv: Invocation) {
        let words = inv.args.filter { !$0.text.hasPrefix("-") }
        var target: Field?
        switch inv.program {
        case "kubectl", "oc":
            if words.count >= 3, words[0].text == "config", words[1].text == "use-context" || words[1].text == "use" {
                target = words[2]
            }
        case "kubectx", "kubens":
            if inv.program == "kubectx", let w = words.first, !w.text.includes("=") { target = w }
        case "terraform", "tofu":
            if words.count >= 3, words[0].text == "workspace", ["select", "new"].contains(words[1].text) {
                target = words[2]
            }
        case "gcloud":
            if words.count >= 4, words[0].text == "config", words[1].text == "set", words[2].text == "project" {
                target = words[3]
            } else if words.count >= 4, words[0].text == "config", words[1].text == "configurations",
                words[2].text == "activate"
            {
                target = words[3]
            }
        default:
            return
        }
        guard let t = target else { return }
        addEffect(
            "target.switch",
            attrs: [
                "tool": .string(inv.program), "target": .string(t.text),
                "production": .bool(t.dynamic || looksProduction(t.text)),
            ],
            invocation: idx,
            detail: "switches \(inv.program) to \(t.dynamic ? "a target not known until it runs" : t.text)"
        )
    }
}

extension Analyzer {
    /// Process names and patterns that name Brake or an agent harness.
    static func guardianNames(in pattern: String) -> Bool {
        let lower = pattern.lowercased()
        if lower.includes("brake") { return true }
        let words = lower.split(whereSeparator: { !$0.isLetter && !$0.isNumber && $0 != "-" }).map(String.init)
        let harnesses: Set<String> = [
            "claude", "cursor", "cursor-agent", "codex", "gemini", "copilot", "kiro", "kiro-cli", "amazon-q", "qchat",
        ]
        return words.contains { harnesses.contains($0) }
    }

    /// `mount --bind SRC DST`, `mount -o bind …`, `bindfs SRC DST`: another path onto the same files.
    func recognizeBindMount(_ idx: Int, _ inv: Invocation) {
        let o = Options(inv.args, withValue: ["-o", "--options", "-t", "--types"])
        let bind =
            inv.program == "bindfs" || o.long.contains("--bind") || o.long.contains("--rbind")
            || o.long.contains("-B") || o.short.contains("B") || o.short.contains("R")
            || (o.value("-o", "--options")?.text.split(separator: ",").contains { $0 == "bind" || $0 == "rbind" }
                ?? false)
        guard bind, let source = o.operands.first, o.operands.count >= 2 else { return }
        addEffect(
            "fs.link",
            attrs: ["via": .string(inv.program)],
            targets: [makeTarget(source, site: inv.site)],
            invocation: idx,
            detail: "\(inv.program) makes \(source.text) appear at another path"
        )
    }
}

extension Analyzer {
    /// A chmod mode that only takes access away from group and others, and leaves the owner able to read: `600`,
    /// `0700`, `400`, `go-w`, `o-rwx`, `u+rw`, `g-w,o-w`.
    static func chmodTightens(_ mode: String) -> Bool {
        let digits = mode.hasPrefix("0") && mode.count == 4 ? String(mode.dropFirst()) : mode
        if digits.count == 3, digits.allSatisfy({ $0 >= "0" && $0 <= "7" }) {
            let d = digits.map { Int(String($0))! }
            return d[0] >= 4 && d[1] == 0 && d[2] == 0
        }
        let clauses = mode.split(separator: ",")
        guard !clauses.isEmpty else { return false }
        return clauses.allSatisfy { c in
            guard let op = c.firstIndex(where: { $0 == "+" || $0 == "-" || $0 == "=" }) else { return false }
            let who = c[..<op]
            let perms = c[c.index(after: op)...]
            guard perms.allSatisfy({ "rwxX".contains($0) }) else { return false }
            return c[op] == "-" && !who.isEmpty || who == "u" && c[op] != "=" || who == "u" && perms.contains("r")
        }
    }

    /// A chmod mode that only makes a file executable: `+x`, `u+x`, `a+x`, `ug+x`.
    static func chmodOnlyExecutable(_ mode: String) -> Bool {
        guard let plus = mode.firstIndex(of: "+") else { return false }
        let who = mode[..<plus]
        return mode[mode.index(after: plus)...] == "x" && who.allSatisfy { "uga".contains($0) }
    }
}
