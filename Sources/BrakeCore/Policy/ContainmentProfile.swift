/// What a confined command may touch, computed from where it runs: it writes only in its project, the temporary
/// directories and the tool caches; it never writes Brake's files, the agents' configuration, the repository's
/// hooks and git configuration, shell profiles, `~/.ssh` or the places that start programs at login; it does not
/// read credential stores. Everything outside the writable places is read-only anyway (Landlock grants no write
/// there), so the read-only list names what lies *inside* them.
public struct ContainmentProfile: Sendable, Equatable {
    public var write: [String]
    public var denyRead: [String]
    public var readOnly: [String]

    public init(write: [String], denyRead: [String], readOnly: [String]) {
        self.write = write
        self.denyRead = denyRead
        self.readOnly = readOnly
    }

    /// Caches that builds, package managers and test runners write (beneath the home directory).
    public static let homeCaches = [
        ".cache", ".npm", ".yarn", ".pnpm-store", ".local/share/pnpm", ".cargo/registry", ".cargo/git",
        ".gradle/caches",
        ".m2/repository", ".nuget/packages", "go/pkg/mod", ".bun/install/cache", ".deno", ".swiftpm", ".local/state",
        ".pytest_cache", ".mypy_cache", ".ruff_cache", ".ipython", ".jupyter", ".node_repl_history",
        ".python_history",
    ]
    /// Credential stores (beneath the home directory): their content is never read by a confined command.
    public static let homeCredentials = [
        ".aws/credentials", ".aws/sso/cache", ".aws/cli/cache", ".config/gcloud", ".azure", ".docker/config.json",
        ".kube/config", ".netrc", ".git-credentials", ".pypirc", ".gnupg/private-keys-v1.d", ".config/gh/hosts.yml",
        ".terraform.d/credentials.tfrc.json", ".vault-token", ".ssh",
    ]
    /// Never written by a confined command, wherever the writable places are.
    public static let homeProtected = [
        ".brake", ".ssh", ".claude", ".claude.json", ".cursor", ".gemini", ".codex", ".kiro", ".aws", ".config/gcloud",
        ".bashrc", ".bash_profile", ".profile", ".zshrc", ".zprofile", ".zshenv", ".config/fish", ".config/systemd",
        ".config/autostart", ".local/bin", ".gitconfig", ".config/git",
    ]
    /// Inside the project: its hooks and configuration, the agents' settings, Brake's repository policy.
    public static let projectProtected = [
        ".git/hooks", ".git/config", ".claude", ".cursor", ".gemini", ".codex", ".kiro", ".brake", ".github/hooks",
        ".vscode/settings.json", ".mcp.json", ".husky",
    ]

    /// The standard profile for a command started in `cwd` of project `project` (nil: no project, so only the
    /// temporary and cache places are writable); `tmpdir` is `$TMPDIR` when set.
    public static func standard(home: String, project: String?, tmpdir: String?) -> ContainmentProfile {
        let h = home.hasSuffix("/") ? String(home.dropLast()) : home
        var write: [String] = []
        // The home directory itself is never a project here: that would make all of it writable.
        if let project, project != h, project != "/" { write.append(project) }
        // `$TMPDIR` is the caller's to set: it widens the writable places only inside the system's temporary ones
        // (pointed at the home directory it would open everything the caches do not).
        let temporary = tmpdir.flatMap { t -> String? in
            let t = t.hasSuffix("/") ? String(t.dropLast()) : t
            guard !t.contains("/../"), !t.hasSuffix("/.."),
                ["/tmp/", "/var/tmp/", "/run/user/", "/dev/shm/"].contains(where: { t.hasPrefix($0) })
            else { return nil }
            return t
        }
        for t in ["/tmp", "/var/tmp", temporary].compactMap({ $0 }) where !write.contains(t) { write.append(t) }
        write += homeCaches.map { h + "/" + $0 }
        var readOnly = homeProtected.map { h + "/" + $0 }
        if let project, project != h { readOnly += projectProtected.map { project + "/" + $0 } }
        // Keep only what lies inside a writable place: the rest is read-only already.
        readOnly = readOnly.filter { p in write.contains { p.hasPrefix($0 + "/") } }
        // (/etc/shadow and Brake's /etc/brake are unreadable by file permissions already.)
        return ContainmentProfile(
            write: write,
            denyRead: homeCredentials.map { h + "/" + $0 },
            readOnly: readOnly
        )
    }

    /// The arguments `brake-hook contain` reads.
    public var arguments: [String] {
        write.flatMap { ["--write", $0] } + denyRead.flatMap { ["--deny-read", $0] }
            + readOnly.flatMap { ["--read-only", $0] }
    }
}

/// What a policy layer adds to a containment profile (paths absolute, `~/…`, or relative to the project).
public struct ContainmentAdditions: Sendable, Equatable {
    public var write: [String] = []
    public var denyRead: [String] = []
    public var readOnly: [String] = []

    public init(write: [String] = [], denyRead: [String] = [], readOnly: [String] = []) {
        self.write = write
        self.denyRead = denyRead
        self.readOnly = readOnly
    }
}

extension ContainmentProfile {
    /// The standard profile with the policy's additions for `name` (the `standard` additions apply to every
    /// profile; a named one adds its own). An unknown name is nil.
    public static func from(
        policy: Policy,
        name: String,
        home: String,
        project: String?,
        tmpdir: String?
    ) -> ContainmentProfile? {
        guard name == "standard" || policy.containment[name] != nil else { return nil }
        var p = standard(home: home, project: project, tmpdir: tmpdir)
        let h = home.hasSuffix("/") ? String(home.dropLast()) : home
        func resolve(_ path: String) -> String? {
            if path.hasPrefix("/") { return path }
            if path == "~" { return h }
            if path.hasPrefix("~/") { return h + path.dropFirst(1) }
            guard let project else { return nil }
            return project + "/" + path
        }
        for key in Set(["standard", name]).sorted() {
            guard let add = policy.containment[key] else { continue }
            p.write += add.write.compactMap(resolve)
            p.denyRead += add.denyRead.compactMap(resolve)
            p.readOnly += add.readOnly.compactMap(resolve)
        }
        return p
    }
}
