/// What a confined command may touch, computed from where it runs: it writes only in its project, the temporary
/// directories and the tool caches; it never writes Brake's files, the agents' configuration, the repository's
/// hooks and git configuration, shell profiles, `~/.ssh` or the places that start programs at login; it does not
/// read credential stores. Everything outside the writable places is read-only anyway (Landlock grants no write
/// there), so the read-only list names what lies *inside* them.
public struct ContainmentProfile: Sendable, Equatable {
    public var write: [String]
    public var denyRead: [String]
    public var readOnly: [String]
    /// Directories whose entries may be removed (not written): where an approved delete removes its target.
    public var removeIn: [String]
    /// The TCP ports a confined command may connect to; nil: the network is not limited (the default).
    public var connect: [Int]?

    public init(
        write: [String],
        denyRead: [String],
        readOnly: [String],
        removeIn: [String] = [],
        connect: [Int]? = nil
    ) {
        self.write = write
        self.denyRead = denyRead
        self.readOnly = readOnly
        self.removeIn = removeIn
        self.connect = connect
    }

    /// The credential stores each tool reads (beneath the home directory). Infrastructure tools read every
    /// cloud's: their providers do.
    public static let toolCredentials: [String: [String]] = {
        let aws = [".aws/credentials", ".aws/sso/cache", ".aws/cli/cache"]
        let gcloud = [".config/gcloud"]
        let azure = [".azure"]
        let kube = [".kube/config"]
        let infra = aws + gcloud + azure + kube + [".terraform.d/credentials.tfrc.json"]
        return [
            "aws": aws, "awslocal": aws, "sam": aws, "cdk": aws, "eksctl": aws + kube,
            "gcloud": gcloud, "gsutil": gcloud, "bq": gcloud, "az": azure,
            "kubectl": kube + aws + gcloud + azure, "helm": kube + aws + gcloud + azure, "k9s": kube,
            "terraform": infra, "tofu": infra, "terragrunt": infra, "pulumi": infra,
            "docker": [".docker/config.json"], "gh": [".config/gh/hosts.yml"], "vault": [".vault-token"],
            "git": [".git-credentials"], "twine": [".pypirc"],
        ]
    }()

    /// What in `~/.ssh` stays readable when its private keys are not: ssh needs its configuration and known
    /// hosts to connect through an agent (`SSH_AUTH_SOCK`), and public keys are public.
    public static func sshReadable(_ name: String) -> Bool {
        ["config", "known_hosts", "known_hosts.old", "authorized_keys", "environment"].contains(name)
            || name.hasSuffix(".pub") || name.hasPrefix("known_hosts")
    }

    /// The profile with `~/.ssh` denied entry by entry (`entries`: what it holds now) instead of whole, so that ssh
    /// and `git push` over ssh work through an agent while no private key can be read.
    public func sshKeysOnly(home: String, entries: [String]) -> ContainmentProfile {
        let h = home.hasSuffix("/") ? String(home.dropLast()) : home
        guard denyRead.contains(h + "/.ssh") else { return self }
        var p = self
        p.denyRead.removeAll { $0 == h + "/.ssh" }
        p.denyRead += entries.filter { !Self.sshReadable($0) }.map { h + "/.ssh/" + $0 }
        return p
    }

    /// The profile with the credential stores an approved command's program reads made readable again (an
    /// approved `terraform apply` needs the cloud's credentials; nothing else is unlocked).
    public func readingCredentials(of program: String, home: String) -> ContainmentProfile {
        let name = String(program.split(separator: "/").last ?? Substring(program))
        guard let stores = Self.toolCredentials[name], !stores.isEmpty else { return self }
        let h = home.hasSuffix("/") ? String(home.dropLast()) : home
        let unlocked = Set(stores.map { h + "/" + $0 })
        var p = self
        p.denyRead.removeAll { unlocked.contains($0) }
        return p
    }

    /// The profile with the access an approval covered: the places the approved action changes become writable
    /// and their directories may have entries removed (Landlock checks a removal on the parent directory, so a
    /// sibling there could be removed too, but nothing there can be written or created).
    public func granting(_ places: [String]) -> ContainmentProfile {
        var p = self
        for place in places where place.hasPrefix("/") && place != "/" {
            if !p.write.contains(place) { p.write.append(place) }
            let parent = String(place[..<(place.lastIndex(of: "/") ?? place.startIndex)])
            if !parent.isEmpty, !p.removeIn.contains(parent) { p.removeIn.append(parent) }
        }
        return p
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

    /// The agents' own state (sessions, transcripts, caches, their login) beneath the home directory: writable when
    /// the agent itself runs confined (`brake run --profile agent -- codex`).
    public static let agentState = [
        ".claude", ".claude.json", ".codex", ".gemini", ".copilot", ".cursor", ".kiro", ".aws/amazonq",
        ".config/github-copilot", ".config/cursor", ".local/share/claude", ".local/share/gemini",
    ]
    /// What stays read-only inside the agents' state: the files that hold their hooks and permissions (made
    /// read-only where they exist; where they do not, the system install's managed settings are the boundary).
    public static let agentSettings = [
        ".claude/settings.json", ".claude/settings.local.json", ".codex/config.toml", ".codex/hooks.json",
        ".gemini/settings.json", ".copilot/config.json", ".copilot/hooks", ".cursor/hooks.json",
        ".cursor/cli-config.json", ".kiro/agents", ".kiro/settings",
    ]

    /// The profile for running an agent itself confined: the standard one, plus the agents' own state, with their
    /// hook and permission settings read-only. Everything the agent runs inherits it, whatever its protocol lets a
    /// hook rewrite.
    public func forAgent(home: String) -> ContainmentProfile {
        let h = home.hasSuffix("/") ? String(home.dropLast()) : home
        var p = self
        for s in Self.agentState.map({ h + "/" + $0 }) where !p.write.contains(s) { p.write.append(s) }
        // The state directories were read-only as protected home paths; now their settings files are.
        let state = Set(Self.agentState.map { h + "/" + $0 })
        p.readOnly.removeAll { state.contains($0) }
        p.readOnly += Self.agentSettings.map { h + "/" + $0 }
        return p
    }

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
        write.flatMap { ["--write", $0] } + removeIn.flatMap { ["--remove-in", $0] }
            + denyRead.flatMap { ["--deny-read", $0] }
            + readOnly.flatMap { ["--read-only", $0] }
            + connectArguments
    }

    var connectArguments: [String] {
        guard let connect else { return [] }
        let ports: [String] = connect.map { String($0) }
        return ["--connect", ports.isEmpty ? "none" : ports.joined(separator: ",")]
    }
}

/// What a policy layer adds to a containment profile (paths absolute, `~/…`, or relative to the project).
public struct ContainmentAdditions: Sendable, Equatable {
    public var write: [String] = []
    public var denyRead: [String] = []
    public var readOnly: [String] = []
    /// TCP ports (nil: this layer does not limit the network).
    public var connect: [Int]?

    public init(write: [String] = [], denyRead: [String] = [], readOnly: [String] = [], connect: [Int]? = nil) {
        self.write = write
        self.denyRead = denyRead
        self.readOnly = readOnly
        self.connect = connect
    }
}

extension ContainmentProfile {
    /// The standard profile with the policy's additions for `name` (the `standard` additions apply to every
    /// profile; a named one adds its own). `agent` is built in (`forAgent`), and a policy may add to it. An unknown
    /// name is nil.
    public static func from(
        policy: Policy,
        name: String,
        home: String,
        project: String?,
        tmpdir: String?
    ) -> ContainmentProfile? {
        guard name == "standard" || name == "agent" || policy.containment[name] != nil else { return nil }
        var p = standard(home: home, project: project, tmpdir: tmpdir)
        if name == "agent" { p = p.forAgent(home: home) }
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
            if let ports = add.connect { p.connect = p.connect.map { $0.filter(ports.contains) } ?? ports }
        }
        return p
    }
}
