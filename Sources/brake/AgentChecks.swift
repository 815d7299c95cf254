import BrakeCore
import BrakeHost

/// `brake doctor`'s checks of what each agent's own settings do to Brake's hook: switched off by name, skipped in
/// a folder the person has not trusted, or never run because the organisation allows managed hooks only.
enum AgentChecks {
    static func findings(
        env: [String: String],
        projectRoot: String?,
        cwd: String,
        brakeAt: [Agent: [String]]
    ) -> [Doctor.Finding] {
        var out: [Doctor.Finding] = []
        let sys = SystemConfig.root(env)
        let home = env["HOME"] ?? "/"
        func managed(_ agent: Agent, _ path: String) -> Bool {
            path.hasPrefix(sys + "/etc/") || (agent == .codex && path == sys + CodexSystemConfig.path)
        }
        // Claude Code: `allowManagedHooksOnly` in managed settings drops every user and project hook
        // (code.claude.com/docs/en/settings-reference).
        var claudeManaged = [sys + "/etc/claude-code/managed-settings.json"]
        claudeManaged += Loader.listDirectory(sys + "/etc/claude-code/managed-settings.d").filter {
            $0.hasSuffix(".json")
        }
        .map { sys + "/etc/claude-code/managed-settings.d/" + $0 }
        let managedOnly = claudeManaged.contains { path in
            guard let text = try? Loader.readFile(path), let v = try? JSONValue.parse(text) else { return false }
            return v["allowManagedHooksOnly"] == .bool(true)
        }
        if managedOnly, let places = brakeAt[.claudeCode], !places.contains(where: { managed(.claudeCode, $0) }) {
            out.append(
                .init(
                    level: "fail",
                    what:
                        "Claude Code allows managed hooks only on this machine, so Brake's hook in \(places.joined(separator: ", ")) never runs",
                    fix: "as root: `brake install claude-code --system`"
                )
            )
        }
        // Codex: `allow_managed_hooks_only = true` in requirements.toml drops every hook outside the managed layers
        // (openai/codex discovery.rs: `!self.allow_managed_hooks_only || source.is_managed`).
        if let text = try? Loader.readFile(sys + CodexSystemConfig.requirementsPath),
            text.split(separator: "\n").contains(where: {
                $0.filter { $0 != " " && $0 != "\t" }.hasPrefix("allow_managed_hooks_only=true")
            }),
            let places = brakeAt[.codex], !places.contains(where: { managed(.codex, $0) })
        {
            out.append(
                .init(
                    level: "fail",
                    what:
                        "Codex allows managed hooks only on this machine, so Brake's hook in \(places.joined(separator: ", ")) never runs",
                    fix: "as root: `brake install codex --system`"
                )
            )
        }
        // Gemini CLI merges `hooksConfig.disabled` from every scope as a union and matches it against the hook's
        // name: any settings file listing "brake" switches Brake off (google-gemini/gemini-cli settingsSchema.ts).
        var geminiFiles = [sys + "/etc/gemini-cli/settings.json", home + "/.gemini/settings.json"]
        if let projectRoot { geminiFiles.append(projectRoot + "/.gemini/settings.json") }
        var trustChecked = true
        for path in geminiFiles where Loader.exists(path) {
            guard let text = try? Loader.readFile(path), let v = try? JSONValue.parse(text) else { continue }
            if v["hooksConfig"]?["disabled"]?.strings.contains(where: { $0 == "brake" || $0.contains(" hook gemini") })
                == true
            {
                out.append(
                    .init(
                        level: "fail",
                        what: "\(path) lists Brake in hooksConfig.disabled: Gemini CLI will not run its hook",
                        fix: "remove it from the list"
                    )
                )
            }
            if v["security"]?["folderTrust"]?["enabled"] == .bool(false) { trustChecked = false }
        }
        // In a folder the person has not trusted, Gemini CLI runs no settings hooks at all, system ones included
        // (packages/core/src/hooks/hookRegistry.ts); folder trust is on by default.
        if brakeAt[.gemini] != nil, trustChecked {
            switch GeminiTrust.of(cwd, env: env) {
            case .trusted: break
            case .untrusted(let why):
                out.append(
                    .init(
                        level: "fail",
                        what:
                            "Gemini CLI does not trust \(cwd) (\(why)), so it runs none of its hooks here, Brake's included",
                        fix:
                            "trust the folder in Gemini CLI (/permissions), or do not run Gemini here (headless runs refuse to start there)"
                    )
                )
            }
        }
        return out
    }
}

/// Gemini CLI's folder trust, read from `~/.gemini/trustedFolders.json` (or `$GEMINI_CLI_TRUSTED_FOLDERS_PATH`): a
/// map from a path to `TRUST_FOLDER`, `TRUST_PARENT` (trusts the path's parent and everything under it) or
/// `DO_NOT_TRUST`. Among the rules whose directory contains the folder, the longest key wins; no rule is untrusted;
/// `GEMINI_CLI_TRUST_WORKSPACE=true|false` overrides the file (google-gemini/gemini-cli trust.ts `isPathTrusted`,
/// `checkPathTrust`).
enum GeminiTrust: Equatable {
    case trusted
    case untrusted(String)

    static func of(_ folder: String, env: [String: String]) -> GeminiTrust {
        switch env["GEMINI_CLI_TRUST_WORKSPACE"] {
        case "true": return .trusted
        case "false": return .untrusted("GEMINI_CLI_TRUST_WORKSPACE=false")
        default: break
        }
        let file =
            env["GEMINI_CLI_TRUSTED_FOLDERS_PATH"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (env["HOME"] ?? "/") + "/.gemini/trustedFolders.json"
        guard let text = try? Loader.readFile(file), let v = try? JSONValue.parse(text), case .object(let rules) = v
        else { return .untrusted("no folder is trusted in \(file)") }
        let dir = trimmed(Loader.realPath(folder))
        var best: (length: Int, level: String)?
        for (path, value) in rules {
            guard let level = value.stringValue else { continue }
            let rule = trimmed(path)
            let covered = level == "TRUST_PARENT" ? Paths.dirname(rule) : rule
            guard within(dir, covered), rule.count > (best?.length ?? -1) else { continue }
            best = (rule.count, level)
        }
        switch best?.level {
        case "TRUST_FOLDER", "TRUST_PARENT": return .trusted
        case "DO_NOT_TRUST": return .untrusted("marked DO_NOT_TRUST in \(file)")
        default: return .untrusted("no rule in \(file) trusts it")
        }
    }

    static func trimmed(_ p: String) -> String {
        var p = p
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        return p
    }

    static func within(_ dir: String, _ root: String) -> Bool {
        dir == root || root == "/" || dir.hasPrefix(root + "/")
    }
}
