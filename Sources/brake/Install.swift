import ArgumentParser
import BrakeContain
import BrakeCore
import BrakeGuard
import BrakeHost
import BrakeWire

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `brake install AGENT` and `brake uninstall AGENT`.
struct InstallOptions: ParsableArguments {
    @Argument(help: "claude-code, cursor, gemini, codex, copilot or kiro") var agent: String
    @Flag(name: .long, help: "Write the project's configuration (the default).") var project = false
    @Flag(name: .long, help: "Write the user's configuration in the home directory.") var user = false
    @Flag(
        name: .long,
        help:
            "Write the agent's managed, system-wide configuration (as root; below $BRAKE_SYSTEM_ROOT): the agent's user can neither change it nor switch it off."
    ) var system = false
    @Flag(
        name: .long,
        help:
            "Copilot's cloud agent: the repository's hook runs /usr/local/bin/brake, which .github/workflows/copilot-setup-steps.yml installs in the agent's sandbox."
    ) var cloud = false
    @Flag(
        name: .long,
        help:
            "Claude Code: also run every shell command the agent runs confined (`brake-hook shell` as its CLAUDE_CODE_SHELL_PREFIX; needs the guard service)."
    ) var contain = false
    @Flag(name: .long, help: "Show the change without writing it.") var dryRun = false
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The brake the agent runs (default: this binary when it is installed, else `brake` on PATH; never a build directory).",
            valueName: "PATH"
        )
    )
    var command: String?

    func validate() throws {
        if [project, user, system].filter({ $0 }).count > 1 {
            throw ValidationError("give one of --project, --user and --system")
        }
        if cloud && (agent != "copilot" || user || system) {
            throw ValidationError(
                "--cloud is for Copilot's cloud agent, which reads the repository's hooks: `brake install copilot --cloud`"
            )
        }
        if contain && agent != "claude-code" {
            throw ValidationError(
                "--contain is for Claude Code (its shell prefix); other agents run confined under `brake run --profile NAME -- AGENT` (see the README)"
            )
        }
        if Agent(rawValue: agent) == nil {
            throw ValidationError(
                "unknown agent '\(agent)'; expected one of: \(Agent.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
    }

    /// The configuration file this install touches.
    func file(env: [String: String]) throws(Failure) -> String {
        let a = Agent(rawValue: agent)!
        if system {
            guard let path = a == .codex ? CodexSystemConfig.path : HookConfig.systemPath(agent: a) else {
                throw Failure(
                    status: ExitStatus.usage,
                    message:
                        "\(a.rawValue) has no documented system-wide hook configuration; use --user or --project (see the README's agent table)"
                )
            }
            guard geteuid() == 0 else {
                throw Failure(
                    status: ExitStatus.usage,
                    message: "--system writes root-owned files the agent's user cannot change; run it as root"
                )
            }
            return SystemConfig.root(env) + path
        }
        let rel = HookConfig.path(agent: a, project: !user)
        if user { return (env["HOME"] ?? "/") + "/" + rel }
        let cwd = Loader.currentDirectory()
        guard let root = Loader.projectRoot(from: cwd) else {
            throw Failure(
                status: ExitStatus.usage,
                message: "\(cwd) is not inside a git repository; run from the project or use --user"
            )
        }
        return root + "/" + rel
    }
}

enum ConfigFile {
    static func load(_ path: String) throws(Failure) -> JSONValue? {
        guard Loader.exists(path) else { return nil }
        let text = try Loader.readFile(path)
        if text.allSatisfy({ $0.isWhitespace }) { return nil }
        do { return try JSONValue.parse(text) } catch {
            throw Failure(
                status: ExitStatus.badInput,
                message: "\(path) is not valid JSON (\(error.description)); fix it first, nothing was changed"
            )
        }
    }

    static func mkdirs(_ dir: String) {
        var p = ""
        for comp in dir.split(separator: "/") {
            p += "/" + comp
            if !Loader.exists(p) { mkdir(p, 0o755) }
        }
    }

    static func write(_ path: String, _ text: String, backup: Bool) throws(Failure) {
        mkdirs(String(path[..<path.lastIndex(of: "/")!]))
        if backup && Loader.exists(path) && !Loader.exists(path + ".brake-backup") {
            let old = try Loader.readFile(path)
            try LocalStore.write(path + ".brake-backup", old)
        }
        try LocalStore.write(path, text)
    }
}

extension LocalStore {
    static func write(_ path: String, _ text: String) throws(Failure) {
        try LocalStore(env: ["BRAKE_HOME": "/"]).writeAtomically(path, text)
    }
}

struct Install: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install",
        abstract:
            "Add Brake's hook to an agent's configuration, keeping every other hook; `install git-hooks` adds the pre-push gate.",
        subcommands: [InstallAgent.self, InstallGitHooks.self, InstallMCPServers.self],
        defaultSubcommand: InstallAgent.self
    )

    /// The absolute path of this executable, so the agent does not depend on PATH.
    static func selfPath() -> String { InstallAgent.selfPath() }

    /// The brake an agent's configuration names: `explicit`, else this binary when it is installed, else the
    /// first `brake` on PATH that is installed. A build directory never: another checkout or a `swift package
    /// clean` would make the hook fail to start, and an agent runs the tool when its hook cannot start.
    static func stableCommand(explicit: String?, env: [String: String]) throws(Failure) -> String {
        if let explicit, !explicit.isEmpty { return explicit }
        let me = selfPath()
        if !isBuildPath(me) { return me }
        for dir in (env["PATH"] ?? "").split(separator: ":") {
            let candidate = String(dir) + "/brake"
            if access(candidate, X_OK) == 0, !isBuildPath(Loader.realPath(candidate)) { return candidate }
        }
        throw Failure(
            status: ExitStatus.usage,
            message:
                "this brake runs from a build directory (\(me)); an agent's configuration must not point there. Install it first (e.g. `sudo install -m 0755 \(me) /usr/local/bin/brake`) and run the installed one, or pass --command PATH"
        )
    }

    /// The hook an agent runs: `brake-hook AGENT` (the small client of the guard service) when it is installed
    /// beside brake and this machine has a guard service (a system install, or a running `brake daemon`), else
    /// `brake hook AGENT`, which judges in the agent's own process.
    static func hookCommand(brake: String, agent: Agent, env: [String: String]) -> String {
        let client = Paths.dirname(brake) + "/brake-hook"
        let service =
            SystemConfig.installed(env) || Loader.exists(GuardWire.socketPath(env: env))
        if brake.hasPrefix("/"), access(client, X_OK) == 0, service {
            return Hooks.shellQuote(client) + " " + agent.rawValue
        }
        return Hooks.shellQuote(brake) + " hook " + agent.rawValue
    }

    static func isBuildPath(_ path: String) -> Bool {
        path.contains("/.build/") || path.contains("/.build-") || path.contains("/.build_")
            || path.contains("/DerivedData/")
    }

    /// A line diff good enough to show a configuration change.
    static func diff(_ a: String, _ b: String) -> String { InstallAgent.diff(a, b) }
}

struct InstallAgent: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Add Brake's hook to an agent's configuration (the default: `brake install AGENT`)."
    )
    @OptionGroup var options: InstallOptions

    func run() throws {
        let env = Loader.environment()
        do {
            let a = Agent(rawValue: options.agent)!
            let path = try options.file(env: env)
            if a == .codex && options.system {
                try installCodexSystem(path: path, env: env)
                return
            }
            let existing = try ConfigFile.load(path)
            // In the cloud agent's sandbox Brake is where the setup steps put it.
            let command =
                options.cloud
                ? Hooks.shellQuote(options.command ?? CopilotCloud.brakePath) + " hook copilot"
                : Install.hookCommand(
                    brake: try Install.stableCommand(explicit: options.command, env: env),
                    agent: a,
                    env: env
                )
            var updated =
                options.system
                ? HookConfig.installSystem(agent: a, existing: existing, command: command)
                : HookConfig.install(agent: a, existing: existing, command: command)
            if options.contain {
                guard Landlock.abi() >= 1 else {
                    throw Failure(
                        status: ExitStatus.usage,
                        message:
                            "this kernel has no Landlock (or it is disabled), so commands cannot be confined; install without --contain (`brake doctor` shows the kernel's support)"
                    )
                }
                let client =
                    Paths.dirname(try Install.stableCommand(explicit: options.command, env: env)) + "/brake-hook"
                guard client.hasPrefix("/"), access(client, X_OK) == 0 else {
                    throw Failure(
                        status: ExitStatus.usage,
                        message:
                            "--contain needs brake-hook installed beside brake (\(client) is missing); install both binaries"
                    )
                }
                guard let contained = HookConfig.containShell(updated, prefix: Hooks.shellQuote(client) + " shell")
                else {
                    throw Failure(
                        status: ExitStatus.usage,
                        message:
                            "\(path) already sets \(HookConfig.shellPrefixVariable) to another wrapper; Brake does not replace it. Remove it, or make that wrapper run `brake-hook shell \"$1\"`"
                    )
                }
                updated = contained
            }
            let text = updated.pretty() + "\n"
            let before = existing.map { $0.pretty() + "\n" } ?? ""
            if text == before {
                FileHandleOut.stdout("\(path): Brake's hook is already installed\n")
                return
            }
            if options.dryRun {
                FileHandleOut.stdout("would write \(path):\n" + Install.diff(before, text))
                return
            }
            try ConfigFile.write(path, text, backup: true)
            if options.system {
                // Root's, readable by all, writable by nobody else (Copilot refuses policy files that are not).
                chown(path, 0, 0)
                chmod(path, 0o644)
            }
            FileHandleOut.stdout("installed Brake's \(a.rawValue) hook in \(path)\n")
            if options.contain {
                FileHandleOut.stdout(
                    "every shell command Claude Code runs now runs confined (brake-hook shell); it asks the guard service for the confinement, so keep `brake daemon` running\n"
                )
            }
            if a == .kiro { try KiroAgentFiles.apply(options: options, env: env, command: command, install: true) }
            if options.cloud {
                try CopilotCloud.writeSetupSteps(projectRoot: Paths.dirname(Paths.dirname(Paths.dirname(path))))
            }
            if a == .codex {
                FileHandleOut.stdout("Codex: open /hooks in Codex and trust the new hook, or it will not run.\n")
            }
        } catch {
            Loader.fail(error)
        }
    }

    /// Codex's system layer is TOML: Brake's marked block is added to (or replaced in) `/etc/codex/config.toml`.
    func installCodexSystem(path: String, env: [String: String]) throws {
        var existing: String?
        if Loader.exists(path) { existing = try Loader.readFile(path) }
        let command = Install.hookCommand(
            brake: try Install.stableCommand(explicit: options.command, env: env),
            agent: .codex,
            env: env
        )
        let text: String
        switch CodexSystemConfig.install(existing: existing, command: command) {
        case .success(let t): text = t
        case .failure(let e): throw Failure(status: ExitStatus.badInput, message: e.message + "; nothing was changed")
        }
        if text == existing, Loader.exists(SystemConfig.root(env) + CodexSystemConfig.requirementsPath) {
            FileHandleOut.stdout("\(path): Brake's hook is already installed\n")
            return
        }
        // Hooks are a feature a user's own config.toml could turn off: the requirements file pins them on.
        let requirements = SystemConfig.root(env) + CodexSystemConfig.requirementsPath
        var before: String?
        if Loader.exists(requirements) { before = try Loader.readFile(requirements) }
        let pinned: String
        switch CodexSystemConfig.pinHooks(existing: before) {
        case .success(let t): pinned = t
        case .failure(let e): throw Failure(status: ExitStatus.badInput, message: e.message + "; nothing was changed")
        }
        if options.dryRun {
            FileHandleOut.stdout("would write \(path):\n" + Install.diff(existing ?? "", text))
            if pinned != before {
                FileHandleOut.stdout("would write \(requirements):\n" + Install.diff(before ?? "", pinned))
            }
            return
        }
        try ConfigFile.write(path, text, backup: true)
        chown(path, 0, 0)
        chmod(path, 0o644)
        if pinned != before {
            try ConfigFile.write(requirements, pinned, backup: true)
            chown(requirements, 0, 0)
            chmod(requirements, 0o644)
        }
        FileHandleOut.stdout(
            "installed Brake's codex hook in \(path) (Codex's system layer: managed, so it runs without a trust review), with hooks pinned on in \(requirements)\n"
        )
    }

    /// The absolute path of this executable, so the agent does not depend on PATH.
    static func selfPath() -> String {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        if n > 0 { return buf.withUnsafeBufferPointer { Loader.string($0.baseAddress!) } }
        return "brake"
    }

    /// A line diff good enough to show a configuration change.
    static func diff(_ a: String, _ b: String) -> String {
        let old = a.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let new = b.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // Longest common subsequence table.
        var lcs = Array(repeating: Array(repeating: 0, count: new.count + 1), count: old.count + 1)
        for i in stride(from: old.count - 1, through: 0, by: -1) {
            for j in stride(from: new.count - 1, through: 0, by: -1) {
                lcs[i][j] = old[i] == new[j] ? lcs[i + 1][j + 1] + 1 : max(lcs[i + 1][j], lcs[i][j + 1])
            }
        }
        var out = ""
        var i = 0
        var j = 0
        while i < old.count || j < new.count {
            if i < old.count && j < new.count && old[i] == new[j] {
                out += "  " + old[i] + "\n"
                i += 1
                j += 1
            } else if j < new.count && (i == old.count || lcs[i][j + 1] >= lcs[i + 1][j]) {
                out += "+ " + new[j] + "\n"
                j += 1
            } else {
                out += "- " + old[i] + "\n"
                i += 1
            }
        }
        return out
    }
}

struct Uninstall: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "uninstall",
        abstract:
            "Remove Brake's hook from an agent's configuration, keeping every other hook; `uninstall mcp-servers` unwraps MCP servers.",
        subcommands: [UninstallAgent.self, UninstallMCPServers.self],
        defaultSubcommand: UninstallAgent.self
    )
}

struct UninstallMCPServers: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp-servers",
        abstract: "Restore the MCP servers that `brake install mcp-servers` wrapped."
    )
    @OptionGroup var options: InstallOptions

    func run() throws {
        var command = InstallMCPServers()
        command.options = options
        command.remove = true
        try command.run()
    }
}

struct UninstallAgent: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Remove Brake's hook from an agent's configuration (the default: `brake uninstall AGENT`)."
    )
    @OptionGroup var options: InstallOptions

    func run() throws {
        let env = Loader.environment()
        do {
            let a = Agent(rawValue: options.agent)!
            let path = try options.file(env: env)
            if a == .codex && options.system {
                var text = ""
                if Loader.exists(path) { text = try Loader.readFile(path) }
                guard CodexSystemConfig.installed(text) else {
                    FileHandleOut.stdout("\(path): nothing to remove\n")
                    return
                }
                let rest = CodexSystemConfig.uninstall(existing: text)
                if options.dryRun {
                    FileHandleOut.stdout(
                        "would \(rest == nil ? "remove" : "write") \(path):\n" + Install.diff(text, rest ?? "")
                    )
                    return
                }
                if let rest { try ConfigFile.write(path, rest, backup: false) } else { unlink(path) }
                let requirements = SystemConfig.root(env) + CodexSystemConfig.requirementsPath
                if Loader.exists(requirements) {
                    let r = try Loader.readFile(requirements)
                    if let kept = CodexSystemConfig.unpinHooks(existing: r) {
                        if kept != r { try ConfigFile.write(requirements, kept, backup: false) }
                    } else {
                        unlink(requirements)
                    }
                }
                FileHandleOut.stdout("removed Brake's codex hook from \(path)\n")
                return
            }
            guard let existing = try ConfigFile.load(path) else {
                FileHandleOut.stdout("\(path): nothing to remove\n")
                return
            }
            // Claude Code's drop-in is Brake's alone: it goes whole.
            let updated =
                options.system && a == .claudeCode ? nil : HookConfig.uninstall(agent: a, existing: existing)
            if options.dryRun {
                FileHandleOut.stdout(
                    "would \(updated == nil ? "remove" : "write") \(path):\n"
                        + Install.diff(existing.pretty() + "\n", updated.map { $0.pretty() + "\n" } ?? "")
                )
                return
            }
            if let updated, updated != .object([]) {
                try ConfigFile.write(path, updated.pretty() + "\n", backup: false)
            } else {
                unlink(path)
            }
            FileHandleOut.stdout("removed Brake's \(a.rawValue) hook from \(path)\n")
            if a == .kiro && !options.dryRun {
                try KiroAgentFiles.apply(options: options, env: env, command: "", install: false)
            }
        } catch {
            Loader.fail(error)
        }
    }
}

/// `brake exec -- CMD ARGS…`: run a command only if the policy allows it.
struct Exec: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec",
        abstract:
            "Run a command only if the policy allows it; otherwise exit 75 (ask: approve, then rerun) or 77 (deny).",
        discussion:
            "The command replaces brake, so stdin, stdout, stderr, signals and the exit status are the command's own."
    )
    @Option(name: .long, help: ArgumentHelp("Organisation policy file.", valueName: "FILE")) var policy: String?
    @Option(name: .long, help: "Who acts: agent or human.") var actor: String = "agent"
    @OptionGroup var ask: WaitOption
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Run an agent's command confined by this containment profile (default: standard).",
            valueName: "NAME"
        )
    )
    var contain: String = "standard"
    @Flag(
        name: .long,
        help:
            "Run the allowed command unconfined (the default for --actor human). Not a boundary against an agent: an agent that can pass it can run the command without brake exec."
    )
    var noContain = false
    @Argument(parsing: .captureForPassthrough, help: "The command and its arguments.") var command: [String] = []

    func run() throws {
        // The command is passed through untouched, so `--help` before it is ours to answer.
        if command.first == "--help" || command.first == "-h" {
            print(Brake.helpMessage(for: Self.self))
            return
        }
        var argv = command
        if argv.first == "--" { argv.removeFirst() }
        guard !argv.isEmpty else { throw ValidationError("give the command to run after --") }
        let env = Loader.environment()
        let store = LocalStore(env: env)
        do {
            if let problem = GuardSetup.inProcessProblem(env: env, what: "brake exec") {
                throw Failure(status: ExitStatus.deny, message: problem)
            }
            guard let who = Actor(rawValue: actor) else {
                throw Failure(status: ExitStatus.usage, message: "--actor must be agent or human, not '\(actor)'")
            }
            var context = GuardSetup.context(cwd: Loader.currentDirectory(), env: env, actor: who)
            let pol = try Loader.policy(
                LoadOptions(policy: policy, cwd: nil, actor: actor),
                env: env,
                projectRoot: context.projectRoot
            )
            var request = Requests.exec(
                argv,
                session: env["BRAKE_SESSION"] ?? "",
                context: context,
                settings: pol.settings
            )
            // A change set runs only once what it does has been approved (`brake plan CHANGESET.json --request`).
            if let describe = PlanFiles.describeForExecute(request.actions.summaryText, context: context) {
                // Fail closed: a change set that cannot be described cannot have a matching approval.
                request.planDigest = PlanFiles.run(describe).flatMap(ChangeSet.contentDigest) ?? "sha256:unavailable"
            }
            // The decision comes at once; with --wait (or $BRAKE_ASK_WAIT) an ask is waited for here, saying what it
            // waits for every few seconds, and once approved the identical request runs again to use the approval.
            let flow = GuardSetup.flow(policy: pol, store: store, env: env, wait: 0)
            var outcome = flow.run(request)
            let patience = ServerControl.wait(env: env, override: ask.wait)
            if outcome.pending, let id = outcome.requestID, patience > 0 {
                FileHandleOut.stderr("brake: needs approval: \(Exec.plain(outcome.message))\n")
                let decided = try RequestWaiter.wait(id: id, timeout: patience, env: env) {
                    FileHandleOut.stderr($0 + "\n")
                }
                if case .approved = decided { outcome = flow.run(request) }
            }
            switch outcome.verdict {
            case .allow:
                // Remember the state this approved plan applies to, to flag stale or foreign states later.
                if outcome.judgement.verdict == .ask, let plan = outcome.judgement.appliedPlan,
                    let bytes = try? Loader.bytes(plan),
                    let (lineage, serial) = PlanFiles.stateIdentity(plan, bytes: bytes)
                {
                    let dir = context.cwd
                    try store.withState { (state: inout LocalState) throws(Failure) in
                        state.applied.append(
                            AppliedState(directory: dir, lineage: lineage, serial: serial + 1, time: LocalStore.now())
                        )
                    }
                }
                // An agent's command runs confined; an approved one with the access its approval covered.
                if who == .agent && !noContain {
                    guard
                        var profile = ContainedRun.profile(
                            contain,
                            policy: pol,
                            cwd: context.cwd,
                            env: env,
                            extraWrite: []
                        )
                    else {
                        throw Failure(
                            status: ExitStatus.usage,
                            message: "no containment profile '\(contain)' in the policy; the command was not run"
                        )
                    }
                    if outcome.judgement.verdict == .ask {
                        profile = profile.granting(outcome.judgement.places)
                            .readingCredentials(of: argv[0], home: env["HOME"] ?? "/")
                    }
                    if Landlock.abi() >= 1 {
                        throw Failure(status: 70, message: ContainedRun.exec(argv, profile: profile))
                    }
                    FileHandleOut.stderr(
                        "brake: this kernel has no Landlock, so the command runs unconfined (Brake's analysis still applied)\n"
                    )
                }
                var cargs = argv.map { strdup($0) } + [nil]
                execvp(argv[0], &cargs)
                FileHandleOut.stderr("brake: cannot run \(argv[0]): \(Loader.string(strerror(errno)))\n")
                Glibc.exit(127)
            case .ask:
                FileHandleOut.stderr("brake: needs approval: \(Exec.plain(outcome.message))\n")
                Glibc.exit(75)
            case .deny where outcome.pending:
                FileHandleOut.stderr("brake: needs approval: \(Exec.plain(outcome.message))\n")
                Glibc.exit(75)
            case .deny:
                FileHandleOut.stderr("brake: denied: \(Exec.plain(outcome.message))\n")
                Glibc.exit(77)
            }
        } catch {
            Loader.fail(error)
        }
    }

    /// The flow's message without its "Brake: " prefix (exec prints its own).
    static func plain(_ m: String) -> String { m.hasPrefix("Brake: ") ? String(m.dropFirst(7)) : m }
}

extension [Action] {
    /// The shell command of a single-command request, or empty.
    var summaryText: String {
        if count == 1, case .shell(let c) = self[0] { return c }
        return ""
    }
}

/// `brake install mcp-servers AGENT` / `brake uninstall mcp-servers AGENT`: wrap or unwrap configured MCP servers.
struct InstallMCPServers: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp-servers",
        abstract:
            "Run every stdio MCP server in the agent's configuration behind `brake mcp` (claude-code, cursor, gemini)."
    )
    @OptionGroup var options: InstallOptions
    @Flag(name: .long, help: "Restore the original server commands.") var remove = false

    func run() throws {
        let env = Loader.environment()
        do {
            let a = Agent(rawValue: options.agent)!
            guard let rel = MCPConfig.path(agent: a, project: !options.user) else {
                throw Failure(
                    status: ExitStatus.usage,
                    message: "\(a.rawValue): MCP server wrapping supports claude-code, cursor and gemini"
                )
            }
            let path: String
            if options.user {
                path = (env["HOME"] ?? "/") + "/" + rel
            } else {
                guard let root = Loader.projectRoot(from: Loader.currentDirectory()) else {
                    throw Failure(
                        status: ExitStatus.usage,
                        message: "not inside a git repository; run from the project or use --user"
                    )
                }
                path = root + "/" + rel
            }
            guard let existing = try ConfigFile.load(path) else {
                FileHandleOut.stdout("\(path): no MCP servers configured\n")
                return
            }
            let updated: JSONValue
            var note = ""
            if remove {
                updated = MCPConfig.unwrap(existing)
                note = "restored the MCP servers in \(path)"
            } else {
                let brake = try Install.stableCommand(explicit: options.command, env: env)
                let (w, wrapped, skipped) = MCPConfig.wrap(existing, brake: brake)
                updated = w
                note = "wrapped \(wrapped.isEmpty ? "no new servers" : wrapped.joined(separator: ", ")) in \(path)"
                if !skipped.isEmpty { note += "; not stdio (left alone): \(skipped.joined(separator: ", "))" }
            }
            if updated == existing {
                FileHandleOut.stdout("\(path): nothing to change\n")
                return
            }
            if options.dryRun {
                FileHandleOut.stdout(
                    "would write \(path):\n" + Install.diff(existing.pretty() + "\n", updated.pretty() + "\n")
                )
                return
            }
            try ConfigFile.write(path, updated.pretty() + "\n", backup: !remove)
            FileHandleOut.stdout(note + "\n")
        } catch {
            Loader.fail(error)
        }
    }
}

/// Amazon Q Developer CLI and Kiro CLI 2.x: hooks live in each agent's file, so Brake's is added to (or removed
/// from) every agent file in the project's (or, with --user, the home's) agent folders; Kiro v3 reads the
/// standalone `.kiro/hooks/brake.json` written above.
enum KiroAgentFiles {
    static func apply(options: InstallOptions, env: [String: String], command: String, install: Bool) throws {
        let base: String
        if options.user {
            base = env["HOME"] ?? "/"
        } else {
            guard let root = Loader.projectRoot(from: Loader.currentDirectory()) else { return }
            base = root
        }
        var touched = 0
        for folder in HookConfig.agentFileFolders(project: !options.user) {
            let dir = base + "/" + folder
            for name in Loader.listDirectory(dir) where name.hasSuffix(".json") {
                let path = dir + "/" + name
                guard let existing = try ConfigFile.load(path) else { continue }
                let updated =
                    install
                    ? HookConfig.installAgentFile(existing: existing, command: command)
                    : HookConfig.uninstallAgentFile(existing: existing)
                if updated == existing { continue }
                if options.dryRun {
                    FileHandleOut.stdout(
                        "would write \(path):\n" + Install.diff(existing.pretty() + "\n", updated.pretty() + "\n")
                    )
                    continue
                }
                try ConfigFile.write(path, updated.pretty() + "\n", backup: install)
                FileHandleOut.stdout("\(install ? "added Brake's hook to" : "removed Brake's hook from") \(path)\n")
                touched += 1
            }
        }
        if install && touched == 0 && !options.dryRun {
            FileHandleOut.stdout(
                "no Amazon Q / Kiro 2.x agent files found (\(HookConfig.agentFileFolders(project: !options.user).joined(separator: ", "))); those versions read hooks only from agent files: create your agent, then run this again\n"
            )
        }
    }
}
