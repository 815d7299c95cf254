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
            switch GeminiTrust.of(cwd, file: home + "/.gemini/trustedFolders.json") {
            case .trusted: break
            case .untrusted(let why):
                out.append(
                    .init(
                        level: "fail",
                        what:
                            "Gemini CLI does not trust \(cwd) (\(why)), so it runs none of its hooks here, Brake's included",
                        fix: "trust the folder in Gemini CLI (/permissions), or do not run Gemini here"
                    )
                )
            }
        }
        return out
    }
}

/// Gemini CLI's folder trust, read from `~/.gemini/trustedFolders.json` (a map from a path to `TRUST_FOLDER`,
/// `TRUST_PARENT` or `DO_NOT_TRUST`, google-gemini/gemini-cli packages/cli/src/config/trustedFolders.ts): a folder is
/// trusted when it or an ancestor is trusted (`TRUST_PARENT` trusts the parent of the path named); a folder named
/// `DO_NOT_TRUST`, or one no rule covers, is not.
enum GeminiTrust: Equatable {
    case trusted
    case untrusted(String)

    static func of(_ folder: String, file: String) -> GeminiTrust {
        guard let text = try? Loader.readFile(file), let v = try? JSONValue.parse(text), case .object(let rules) = v
        else { return .untrusted("no folder is trusted in \(file)") }
        var dir = folder
        while dir.count > 1 && dir.hasSuffix("/") { dir.removeLast() }
        var trusted = false
        for (path, value) in rules {
            var p = path
            while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
            switch value.stringValue {
            case "TRUST_FOLDER": if within(dir, p) { trusted = true }
            case "TRUST_PARENT": if within(dir, Paths.dirname(p)) { trusted = true }
            case "DO_NOT_TRUST": if dir == p { return .untrusted("marked DO_NOT_TRUST in \(file)") }
            default: continue
            }
        }
        return trusted ? .trusted : .untrusted("no rule in \(file) trusts it")
    }

    static func within(_ dir: String, _ root: String) -> Bool {
        dir == root || root == "/" || dir.hasPrefix(root + "/")
    }
}
