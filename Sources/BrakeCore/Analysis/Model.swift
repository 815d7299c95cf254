/// Who is acting: an AI agent, or a person at their own terminal.
public enum Actor: String, Sendable, Codable, CaseIterable {
    /// An AI coding agent acting through a hook, `brake exec` or the MCP proxy.
    case agent
    /// A person.
    case human
}

/// Everything the engine knows about where and by whom an action runs. Supplied by the adapters.
public struct Context: Sendable, Equatable {
    /// The working directory the command starts in (absolute).
    public var cwd: String
    /// The user's home directory (absolute).
    public var home: String
    /// The project (repository) root; nil to use `cwd`.
    public var projectRoot: String?
    /// The environment variables the command inherits (only what the adapter chose to pass).
    public var env: [String: String]
    /// Agent or person.
    public var actor: Actor
    /// The agent's name (`claude-code`, `cursor` …), if known.
    public var agent: String?
    /// The agent session id, if known.
    public var session: String?
    /// The operator's user name, if known.
    public var user: String?
    /// The current kubectl context, if the adapter read it.
    public var kubeContext: String?
    /// The current Terraform workspace, if the adapter read it.
    public var terraformWorkspace: String?
    /// The AWS profile in effect (`AWS_PROFILE`, `AWS_DEFAULT_PROFILE`, or `default`), if the adapter read it.
    public var awsProfile: String?
    /// The gcloud project of the active configuration, if the adapter read it.
    public var gcloudProject: String?
    /// The git branch checked out in the project, if the adapter read it.
    public var gitBranch: String?
    /// The AWS account of each configured profile (`sso_account_id`, or the account of `role_arn`), profile →
    /// account id, as the adapter read them from the AWS config file.
    public var awsAccounts: [String: String] = [:]
    /// The Azure subscription in effect (`AZURE_SUBSCRIPTION_ID`, or the default of `azureProfile.json`): id and name.
    public var azureSubscription: String?
    public var azureSubscriptionName: String?
    /// Where paths really lead, read by the adapter from the file system at decision time: for a path that
    /// goes through a symbolic link (or `..` across one), the other paths the same operation touches. A path is
    /// judged by the most protected of them, so a link into `~/.brake` or `~/.ssh` is no way around a rule.
    public var links: [String: [String]] = [:]
    /// The content of files the command will run (scripts, Makefiles, package.json), read from disk at decision
    /// time by the host (`Engine.wantedFiles` says which): path → text.
    public var scripts: [String: String] = [:]
    /// Files the command will run that could not be read, or were too large: path → why. They are asked about.
    public var scriptProblems: [String: String] = [:]
    /// The repositories the action runs in or writes to (their identities, `github.com/acme/shop`), for
    /// exceptions scoped to repositories.
    public var repositories: [String] = []

    /// Creates a context.
    public init(
        cwd: String,
        home: String,
        projectRoot: String? = nil,
        env: [String: String] = [:],
        actor: Actor = .agent,
        agent: String? = nil,
        session: String? = nil,
        user: String? = nil,
        kubeContext: String? = nil,
        terraformWorkspace: String? = nil
    ) {
        self.cwd = cwd
        self.home = home
        self.projectRoot = projectRoot
        self.env = env
        self.actor = actor
        self.agent = agent
        self.session = session
        self.user = user
        self.kubeContext = kubeContext
        self.terraformWorkspace = terraformWorkspace
    }

    /// The resolved targets as `(name, value)` pairs, in a fixed order (for digests and for people).
    public var targets: [(String, String)] {
        var out: [(String, String)] = []
        if let k = kubeContext { out.append(("kube_context", k)) }
        if let w = terraformWorkspace { out.append(("terraform_workspace", w)) }
        if let a = awsProfile { out.append(("aws_profile", a)) }
        if let g = gcloudProject { out.append(("gcloud_project", g)) }
        if let b = gitBranch { out.append(("git_branch", b)) }
        if let a = azureSubscription { out.append(("azure_subscription", a)) }
        if let a = azureSubscriptionName { out.append(("azure_subscription_name", a)) }
        for profile in awsAccounts.keys.sorted() { out.append(("aws_account:" + profile, awsAccounts[profile]!)) }
        for path in links.keys.sorted() { out.append(("link:" + path, links[path]!.joined(separator: "|"))) }
        // What a run script held when it was judged: an approval does not cover a file changed afterwards.
        for path in scripts.keys.sorted() { out.append(("script:" + path, Engine.hexDigest(scripts[path]!))) }
        return out
    }

    /// The effective project root.
    public var project: String { projectRoot ?? cwd }
}

/// One word after expansion.
public struct Field: Sendable, Hashable, CustomStringConvertible {
    /// The text; parts that are not known statically are shown as `${NAME}` or `$(…)`.
    public var text: String
    /// True when some part of the value is not known statically.
    public var dynamic: Bool
    /// True when the word holds unquoted glob characters.
    public var glob: Bool
    /// True when the value is a fresh temporary path (from `mktemp`).
    public var temp: Bool
    /// True when some part of the word was quoted or escaped (so it is not an alias or reserved word).
    public var quoted: Bool
    /// True when some part of the value is a secret: the output of a command that prints credentials or the
    /// environment (`"$(cat ~/.aws/credentials)"`, `$(env)`), directly or through a variable.
    public var secret: Bool = false

    /// Creates a field.
    public init(_ text: String, dynamic: Bool = false, glob: Bool = false, temp: Bool = false, quoted: Bool = false) {
        self.text = text
        self.dynamic = dynamic
        self.glob = glob
        self.temp = temp
        self.quoted = quoted
    }

    public var description: String { text }
}

/// What a command writes to standard output, as far as it can be known statically.
public enum Content: Sendable, Equatable {
    /// Exactly this text.
    case known(String)
    /// Whatever a URL serves.
    case network(String)
    /// The contents of a credential or key file (or a command that prints secrets).
    case secret(String)
    /// The process environment (which often holds tokens).
    case environment
    /// A list of paths below these roots (output of find, ls, git ls-files …).
    case paths([String])
    /// Not known; `suspicious` when it was decoded, computed or otherwise disguised.
    case unknown(String, suspicious: Bool)

    var isSensitive: Bool {
        switch self {
        case .secret, .environment: return true
        default: return false
        }
    }
}

/// Where an invocation runs and what it went through to get there.
public struct ExecSite: Sendable, Equatable {
    /// The host for `ssh`, or `pod`/`container` names for remote executors; nil when local.
    public var remote: String?
    /// True inside a throwaway container (`docker run`): its filesystem is not the host's.
    public var container: Bool = false
    /// Host paths mounted into the container, container path → host path.
    public var mounts: [String: String] = [:]
    /// True when run through `sudo`, `doas`, `su` or `pkexec`.
    public var privileged: Bool = false
    /// True when more arguments are appended at run time (`xargs`, `parallel`, `find -exec`).
    public var dynamicArguments: Bool = false
    /// The wrappers and shells this invocation was found through, outermost first.
    public var via: [String] = []
    /// Set when the remote side is production (an ssh host named like production, a `kubectl exec` into a
    /// production context or namespace): what runs there acts on production.
    public var production: String?
}

/// One command that will really execute, as Brake found it.
public struct Invocation: Sendable, Equatable {
    /// The arguments, `argv[0]` being the command as written.
    public var argv: [Field]
    /// The program's normalized name (basename, aliases and copies resolved); empty when not known.
    public var program: String
    /// The working directory, nil when it cannot be known.
    public var cwd: String?
    /// Where it runs.
    public var site: ExecSite
    /// Assignments written before the command (`FOO=1 cmd`).
    public var assignments: [String: Field]
    /// What arrives on standard input.
    public var stdin: Content?

    /// The arguments after `argv[0]`.
    public var args: [Field] { Array(argv.dropFirst()) }

    /// The command as one line, for people.
    public var display: String {
        let words = argv.map { f -> String in
            let t = f.text
            if t.isEmpty { return "''" }
            if t.contains(where: { $0 == " " || $0 == "\n" || $0 == "\t" }) { return "'" + t + "'" }
            return t
        }
        let prefix = site.remote.map { "[\($0)] " } ?? (site.container ? "[container] " : "")
        return prefix + words.joined(separator: " ")
    }
}

/// The kind of place a path points at, from most to least dangerous to destroy.
public enum TargetClass: String, Sendable, Codable, CaseIterable {
    /// `/` itself.
    case root
    /// A block or character device (`/dev/sda`).
    case device
    /// The home directory itself.
    case home
    /// A top-level system directory or anything below (`/etc`, `/usr`, `/var/lib/…`).
    case system
    /// Credentials, keys, shell profiles and other sensitive files in home (`~/.ssh`, `~/.aws`, `~/.bashrc`).
    case sensitive
    /// Brake's own files and the agents' hook configuration.
    case brake
    /// Anything not known statically.
    case unknown
    /// Outside the project, not temporary, not a cache (`~/other-project`, `/srv/data`).
    case outside
    /// The project root itself.
    case projectRoot = "project-root"
    /// The project's `.git` directory.
    case gitInternal = "git-internal"
    /// Git hooks and CI workflows: code that runs on commit, push or in CI.
    case automation
    /// Inside the project.
    case project
    /// A regenerable build or dependency directory inside the project (`node_modules`, `.build`, `target`).
    case build
    /// A cache that tools rebuild (`~/.cache`, `DerivedData`).
    case cache
    /// A temporary directory (`/tmp/…`, `mktemp`).
    case temp
    /// A harmless sink such as `/dev/null`.
    case null
}

/// A path an effect acts on, with its class.
public struct Target: Sendable, Equatable, Hashable {
    /// The normalized absolute path, nil when not known.
    public var path: String?
    /// The class.
    public var cls: TargetClass
    /// The text as written.
    public var written: String
}

/// A typed fact about what an invocation does, the thing rules match on.
public struct Effect: Sendable, Equatable {
    /// The effect kind, dotted (`fs.delete`, `git.force-push`, `cloud.delete` …).
    public var kind: String
    /// Facts about the effect (`recursive: true`, `service: rds` …).
    public var attrs: [String: AttrValue]
    /// The paths it acts on, if any.
    public var targets: [Target]
    /// The index of the invocation in `Analysis.invocations` (or -1 for whole-command effects).
    public var invocation: Int
    /// A short description for people.
    public var detail: String

    /// Creates an effect.
    public init(
        _ kind: String,
        attrs: [String: AttrValue] = [:],
        targets: [Target] = [],
        invocation: Int,
        detail: String
    ) {
        self.kind = kind
        self.attrs = attrs
        self.targets = targets
        self.invocation = invocation
        self.detail = detail
    }
}

/// An effect attribute's value.
public enum AttrValue: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// A flag.
    case bool(Bool)
    /// A string.
    case string(String)
    /// Several strings (any may match).
    case list([String])

    public var description: String {
        switch self {
        case .bool(let b): return String(b)
        case .string(let s): return s
        case .list(let l): return l.joined(separator: ",")
        }
    }
}

/// Evidence that an action touches production.
public struct ProductionEvidence: Sendable, Equatable, Hashable {
    /// Where it was found (`--profile`, `AWS_PROFILE`, `kube context`, `path` …).
    public var source: String
    /// The value that matched.
    public var value: String
}

/// The result of analysing one shell command.
public struct Analysis: Sendable, Equatable {
    /// Every command that will execute, in order.
    public var invocations: [Invocation] = []
    /// Everything those commands do that rules may care about.
    public var effects: [Effect] = []
    /// The syntax error, when the command could not be parsed.
    public var syntaxError: ShellSyntaxError?
    /// Production evidence found in the command or its context.
    public var production: [ProductionEvidence] = []
    /// Trace lines for `brake explain`.
    public var notes: [String] = []
    /// Environment variables the command reads (for the digest).
    public var referencedVariables: Set<String> = []
    /// Files the command runs whose content the context does not hold yet (the host reads them and asks again).
    public var wantedFiles: [String] = []
}
