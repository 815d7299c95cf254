/// Settings that shape how paths are classified and production is recognized; they come from the policy.
public struct AnalysisSettings: Sendable, Equatable {
    /// Directory names inside a project that tools regenerate (`node_modules`, `.build` …).
    public var buildDirectories: Set<String>
    /// Extra globs for temporary locations (`{home}`, `{project}` are substituted).
    public var tempPaths: [String]
    /// Extra globs for caches.
    public var cachePaths: [String]
    /// Extra globs for sensitive paths.
    public var sensitivePaths: [String]
    /// Words that mark production in names (`prod`, `production` …), matched as whole tokens.
    public var productionWords: [String]
    /// Globs for production AWS profiles, kube contexts, workspaces, hosts, projects and paths.
    public var productionGlobs: [String]
    /// Environment variables whose values name the environment (`DEPLOY_ENV` …).
    public var environmentVariables: [String]
    /// Branch globs that count as protected (`main`, `release/*` …).
    public var protectedBranches: [String]
    /// Production by its real target, from configuration: AWS account ids, gcloud projects, Azure subscriptions
    /// (ids or names), kube contexts and git branches (globs), whatever the names in the command say.
    public var productionAWSAccounts: [String] = []
    public var productionGCPProjects: [String] = []
    public var productionAzureSubscriptions: [String] = []
    public var productionKubeContexts: [String] = []
    public var productionBranches: [String] = []
    /// MCP servers whose tool annotations are believed (a `readOnlyHint` may lower a tool's risk). Only a layer
    /// the agent cannot write may name them; annotations of every other server can only raise risk.
    public var mcpTrustedServers: [String] = []
    /// What checkpoints keep before destructive steps, and for how long.
    public var checkpoints = CheckpointSettings()

    /// The built-in settings.
    public static let standard = AnalysisSettings(
        buildDirectories: [
            "node_modules", ".build", "build", "dist", "target", "out", ".next", ".nuxt", ".svelte-kit",
            "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".tox", ".nox", ".venv", "venv",
            "coverage", ".coverage", "htmlcov", ".gradle", "DerivedData", ".cache", ".turbo", ".parcel-cache",
            ".eggs", ".angular", ".expo", "bower_components", ".dart_tool", ".swiftpm", "Pods", "vendor",
            ".terraform", "cmake-build-debug", "cmake-build-release", ".nyc_output", "tmp", ".tmp", "temp",
            "obj", "bin", "lib-cov", ".sass-cache", ".docusaurus", ".vercel", ".serverless", "storybook-static",
        ],
        tempPaths: [],
        cachePaths: [],
        sensitivePaths: [],
        productionWords: ["prod", "production", "prd", "live"],
        productionGlobs: [],
        environmentVariables: [
            "DEPLOY_ENV", "ENVIRONMENT", "ENV", "APP_ENV", "RAILS_ENV", "RACK_ENV", "NODE_ENV", "STAGE",
            "MIX_ENV", "FLASK_ENV", "DJANGO_ENV", "TARGET_ENV",
        ],
        protectedBranches: [
            "main", "master", "trunk", "develop", "production", "prod", "release", "release/*", "releases/*", "stable",
        ]
    )
}

/// Pure path arithmetic and classification. No file system access.
public enum Paths {
    /// Joins `path` to `base` when relative and removes `.`, `..` and duplicate slashes.
    public static func resolve(_ path: String, cwd: String) -> String {
        var p = path
        if !p.hasPrefix("/") { p = cwd + "/" + p }
        return normalize(p)
    }

    /// Removes `.`, `..`, duplicate slashes and the `/proc/self/root` alias from an absolute path.
    public static func normalize(_ path: String) -> String {
        if isNormal(path) { return path }
        var parts: [Substring] = []
        for comp in path.split(separator: "/", omittingEmptySubsequences: true) {
            if comp == "." { continue }
            if comp == ".." {
                if !parts.isEmpty { parts.removeLast() }
                continue
            }
            parts.append(comp)
        }
        // /proc/self/root, /proc/<pid>/root and /proc/thread-self/root all lead back to /.
        while parts.count >= 3 && parts[0] == "proc" && parts[2] == "root" {
            parts.removeFirst(3)
        }
        return "/" + parts.joined(separator: "/")
    }

    /// True for an absolute path without `.`/`..` components, doubled or trailing slashes, or `/proc/…/root`.
    static func isNormal(_ path: String) -> Bool {
        let u = path.utf8
        guard u.first == UInt8(ascii: "/") else { return false }
        if u.count == 1 { return true }
        if u.last == UInt8(ascii: "/") { return false }
        var prevSlash = false
        var dots = 0
        for c in u {
            if c == UInt8(ascii: "/") {
                if prevSlash || dots == 1 || dots == 2 { return false }
                prevSlash = true
                dots = 0
            } else if c == UInt8(ascii: ".") && (prevSlash || dots > 0) {
                dots += 1
                prevSlash = false
            } else {
                prevSlash = false
                dots = 3
            }
        }
        if dots == 1 || dots == 2 { return false }
        return !path.hasPrefix("/proc/")
    }

    /// True when `path` is `dir` or below it.
    public static func isWithin(_ path: String, _ dir: String) -> Bool {
        if dir == "/" { return true }
        return path == dir || path.hasPrefix(dir.hasSuffix("/") ? dir : dir + "/")
    }

    /// The last path component.
    public static func basename(_ path: String) -> String {
        // On UTF-8 bytes: "/" is ASCII, so every index found here is also a valid String index.
        let u = path.utf8
        let slash = UInt8(ascii: "/")
        var end = u.endIndex
        while u.distance(from: u.startIndex, to: end) > 1 && u[u.index(before: end)] == slash {
            end = u.index(before: end)
        }
        if let s = u[..<end].lastIndex(of: slash) { return String(path[u.index(after: s)..<end]) }
        return String(path[..<end])
    }

    /// The directory part of a path.
    public static func dirname(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    static let systemTops: Set<String> = [
        "bin", "sbin", "usr", "etc", "lib", "lib32", "lib64", "libx32", "boot", "opt", "var", "srv", "root", "sys",
        "proc", "System", "Library", "Applications", "private", "snap", "nix", "mnt", "media", "Volumes", "cores",
    ]

    static let harmlessDevices: Set<String> = [
        "/dev/null", "/dev/zero", "/dev/stdout", "/dev/stderr", "/dev/stdin", "/dev/tty", "/dev/random",
        "/dev/urandom", "/dev/full",
    ]

    /// Sensitive names directly in home: credentials, keys and files that run code at login.
    static let sensitiveHomeEntries: Set<String> = [
        ".ssh", ".aws", ".gnupg", ".kube", ".docker", ".azure", ".netrc", ".npmrc", ".pypirc", ".gem",
        ".bashrc", ".bash_profile", ".bash_login", ".bash_logout", ".profile", ".zshrc", ".zprofile", ".zshenv",
        ".zlogin", ".zlogout", ".cshrc", ".tcshrc", ".kshrc", ".inputrc", ".gitconfig", ".git-credentials",
        ".vault-token", ".terraformrc", ".terraform.d", ".password-store", ".pgpass", ".my.cnf", ".config/gcloud",
        ".config/gh", ".config/fish", ".config/git", ".config/op", ".local/share/keyrings", "Library/Keychains",
        "Library/LaunchAgents", ".config/systemd", ".config/autostart", ".oci", ".ansible", ".mozilla",
        ".config/google-chrome", ".thunderbird",
        ".bitcoin", ".ethereum", ".electrum",
    ]

    /// Agents' hook configuration and Brake's own state: an agent must not edit these.
    static let brakeHomeEntries: Set<String> = [
        ".brake", ".claude", ".claude.json", ".cursor", ".gemini", ".codex", ".kiro", ".aws/amazonq", ".copilot",
        ".config/github-copilot",
    ]
    /// In the project: Brake's files, the agents' hook and MCP configuration, and the git hooks and config that
    /// run (or switch off) the pre-push gate.
    static let brakeProjectEntries: Set<String> = [
        ".brake", ".claude/settings.json", ".claude/settings.local.json", ".cursor/hooks.json", ".gemini/settings.json",
        ".codex", ".kiro", ".github/hooks", ".amazonq", ".mcp.json", ".cursor/mcp.json", ".vscode/mcp.json",
        ".git/hooks", ".git/config",
    ]

    static let cacheHomeEntries: [String] = [
        ".cache", "Library/Caches", "Library/Developer/Xcode/DerivedData", "Library/Developer/CoreSimulator/Caches",
        ".npm/_cacache", ".npm/_npx", ".yarn/cache", ".pnpm-store", ".local/share/pnpm/store", ".gradle/caches",
        ".cargo/registry/cache", ".cargo/git/checkouts", "go/pkg/mod/cache", ".m2/repository", ".nuget/packages",
        ".cocoapods/repos", ".bundle/cache", ".pub-cache", ".deno", ".swiftpm/cache", ".node-gyp", ".electron",
        ".ccache", ".sccache", ".terraform.d/plugin-cache", ".local/share/Trash", ".Trash",
    ]

    /// Classes from the most protected down: a path reachable through a link takes the first of its aliases'.
    static let protection: [TargetClass] = [
        .root, .device, .brake, .sensitive, .home, .system, .automation, .gitInternal, .projectRoot, .unknown,
        .outside, .project, .build, .cache, .temp, .null,
    ]

    /// Classifies an absolute, normalized path; where the adapter found that the path goes through a link,
    /// the most protected class of every place it really touches.
    public static func classify(
        _ path: String,
        context: Context,
        settings: AnalysisSettings
    ) -> TargetClass {
        let direct = classifyPath(path, context: context, settings: settings)
        guard let aliases = context.links[path], !aliases.isEmpty else { return direct }
        var best = direct
        for a in aliases {
            let c = classifyPath(a, context: context, settings: settings)
            if (protection.firstIndex(of: c) ?? 99) < (protection.firstIndex(of: best) ?? 99) { best = c }
        }
        return best
    }

    /// Brake's and the agents' system-wide configuration.
    static let brakeSystemPrefixes = [
        "/etc/brake", "/etc/claude-code", "/etc/cursor", "/etc/gemini-cli", "/etc/codex", "/etc/github-copilot",
        "/Library/Application Support/ClaudeCode",
    ]

    static func classifyPath(
        _ path: String,
        context: Context,
        settings: AnalysisSettings
    ) -> TargetClass {
        let home = normalize(context.home)
        let project = normalize(context.project)
        if path == "/" { return .root }
        for p in brakeSystemPrefixes where path == p || path.hasPrefix(p + "/") { return .brake }
        if path.hasPrefix("/dev/") || path == "/dev" {
            if harmlessDevices.contains(path) || path.hasPrefix("/dev/fd/") || path.hasPrefix("/dev/shm/") {
                return .null
            }
            return .device
        }
        for g in settings.sensitivePaths where Glob.match(expand(g, context), path) { return .sensitive }
        // Home and the project win over temp: a CI runner's or a container's HOME under /tmp is still home.
        let inHomeOrProject =
            isWithin(path, home) || path == home
            || (project != "/" && project != home && isWithin(path, project))
        for g in settings.tempPaths where !inHomeOrProject && Glob.match(expand(g, context), path) { return .temp }
        for g in settings.cachePaths where Glob.match(expand(g, context), path) { return .cache }

        let projectIsReal = project != "/" && project != home && !(home.hasPrefix(project + "/"))
        if projectIsReal && isWithin(path, project) {
            if path == project { return .projectRoot }
            let rel = String(path.dropFirst(project.count + 1))
            for entry in brakeProjectEntries where rel == entry || rel.hasPrefix(entry + "/") { return .brake }
            if rel.hasPrefix(".github/workflows")
                || rel == ".gitlab-ci.yml" || rel == ".husky" || rel.hasPrefix(".husky/")
                || rel == ".pre-commit-config.yaml" || rel.hasPrefix(".circleci/") || rel == "Jenkinsfile"
                || rel.hasPrefix(".buildkite/")
            {
                return .automation
            }
            if rel == ".git" || rel.hasPrefix(".git/") { return .gitInternal }
            if rel == ".env" || rel.hasPrefix(".env.") { return .project }
            for comp in rel.split(separator: "/") where settings.buildDirectories.contains(String(comp)) {
                return .build
            }
            if rel.hasSuffix(".egg-info") || rel.includes(".egg-info/") { return .build }
            return .project
        }
        if path == home { return .home }
        if isWithin(path, home) {
            let rel = String(path.dropFirst(home.count + 1))
            for entry in brakeHomeEntries where rel == entry || rel.hasPrefix(entry + "/") { return .brake }
            for entry in sensitiveHomeEntries where rel == entry || rel.hasPrefix(entry + "/") { return .sensitive }
            for entry in cacheHomeEntries where rel == entry || rel.hasPrefix(entry + "/") { return .cache }
            return .outside
        }
        if path == "/tmp" || path == "/var/tmp" || path == "/private/tmp" { return .system }
        if path.hasPrefix("/tmp/") || path.hasPrefix("/var/tmp/") || path.hasPrefix("/private/tmp/")
            || path.hasPrefix("/var/folders/") || path.hasPrefix("/private/var/folders/")
        {
            return .temp
        }
        if let tmpdir = context.env["TMPDIR"], tmpdir.count > 1 {
            let t = normalize(tmpdir)
            if t != "/" && path.hasPrefix(t + "/") { return .temp }
        }
        // Other users' homes.
        let comps = path.split(separator: "/")
        if comps.count == 2 && (comps[0] == "home" || comps[0] == "Users") { return .home }
        // The directory that holds everyone's home directories.
        if comps.count == 1 && (comps[0] == "home" || comps[0] == "Users") { return .home }
        if comps.count >= 1, systemTops.contains(String(comps[0])) {
            if comps[0] == "Users" || comps[0] == "home" { return .outside }
            if comps[0] == "var" && comps.count >= 2 && comps[1] == "cache" { return .cache }
            if comps[0] == "root" && comps.count == 1 { return .home }
            if (comps[0] == "mnt" || comps[0] == "media" || comps[0] == "Volumes" || comps[0] == "srv")
                && comps.count >= 2
            {
                return .outside
            }
            if comps[0] == "opt" && comps.count >= 3 { return .outside }
            return .system
        }
        return .outside
    }

    static func expand(_ glob: String, _ context: Context) -> String {
        glob.replacingAll("{home}", with: normalize(context.home))
            .replacingAll("{project}", with: normalize(context.project))
    }
}

/// Shell-style glob matching (`*`, `**`, `?`, `[…]`) used by policies.
public enum Glob {
    /// Matches `text` against `pattern`; `*` matches any run of characters including `/`.
    public static func match(_ pattern: String, _ text: String) -> Bool {
        if !pattern.utf8.contains(where: {
            $0 == UInt8(ascii: "*") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "[")
        }) {
            return pattern == text
        }
        let p = Array(pattern.utf8)
        let t = Array(text.utf8)
        return match(p, 0, t, 0, budget: 10_000)
    }

    private static func match(_ p: [UInt8], _ pi0: Int, _ t: [UInt8], _ ti0: Int, budget: Int) -> Bool {
        var pi = pi0
        var ti = ti0
        var starP = -1
        var starT = 0
        var steps = 0
        while ti < t.count {
            steps += 1
            if steps > budget { return false }
            if pi < p.count {
                let c = p[pi]
                if c == 0x2A {  // *
                    while pi < p.count && p[pi] == 0x2A { pi += 1 }
                    starP = pi
                    starT = ti
                    continue
                }
                if c == 0x3F {  // ?
                    pi += 1
                    ti += 1
                    continue
                }
                if c == 0x5B, let (matched, next) = bracket(p, pi, t[ti]) {
                    if matched {
                        pi = next
                        ti += 1
                        continue
                    }
                } else if c == t[ti] {
                    pi += 1
                    ti += 1
                    continue
                }
            }
            if starP >= 0 {
                starT += 1
                ti = starT
                pi = starP
                continue
            }
            return false
        }
        while pi < p.count && p[pi] == 0x2A { pi += 1 }
        return pi == p.count
    }

    private static func bracket(_ p: [UInt8], _ start: Int, _ c: UInt8) -> (Bool, Int)? {
        var i = start + 1
        var negate = false
        if i < p.count && (p[i] == 0x21 || p[i] == 0x5E) {
            negate = true
            i += 1
        }
        var matched = false
        var first = true
        while i < p.count && (p[i] != 0x5D || first) {
            first = false
            if i + 2 < p.count && p[i + 1] == 0x2D && p[i + 2] != 0x5D {
                if c >= p[i] && c <= p[i + 2] { matched = true }
                i += 3
            } else {
                if c == p[i] { matched = true }
                i += 1
            }
        }
        guard i < p.count else { return nil }
        return (matched != negate, i + 1)
    }
}

extension String {
    /// Whether `needle` occurs in this string, compared byte for byte in UTF-8 — as bash and the programs it runs
    /// see text. (The generic `contains` matches grapheme by grapheme, many times slower on the hot path.)
    func includes(_ needle: String) -> Bool {
        var hay = self
        var needle = needle
        return hay.withUTF8 { h in
            needle.withUTF8 { n in
                guard !n.isEmpty else { return true }
                guard h.count >= n.count else { return false }
                let first = n[0]
                var i = 0
                let last = h.count - n.count
                while i <= last {
                    if h[i] == first {
                        var j = 1
                        while j < n.count && h[i + j] == n[j] { j += 1 }
                        if j == n.count { return true }
                    }
                    i += 1
                }
                return false
            }
        }
    }

    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty, self.includes(target) else { return self }
        return self.replacing(target, with: replacement)
    }

    /// Tokens split on anything that is not a letter or digit.
    var tokens: [Substring] {
        self.split(whereSeparator: { !($0.isLetter || $0.isNumber) })
    }
}
