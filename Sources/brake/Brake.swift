import ArgumentParser
import BrakeCore
import BrakeHost

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@main
struct Brake: ParsableCommand {
    /// Hooks run on every agent action: `brake hook AGENT` and plain `brake check` skip the general argument parser
    /// (whose reflection costs about 2 ms per process); anything else goes through it.
    static func main() {
        let args = Array(CommandLine.arguments.dropFirst())
        if let fast = FastCheck(args) { fast.run() }
        _ = HookEntry.run(args)
        main(nil)
    }

    static let configuration = CommandConfiguration(
        commandName: "brake",
        abstract: "Stops catastrophic agent actions, asks about risky ones, lets the rest through.",
        version: BrakeVersion.current,
        subcommands: [
            Check.self, Explain.self, PolicyCommand.self, Hook.self, Approve.self, DenyRequest.self, StopCommand.self,
            Resume.self, WaitRequest.self, Status.self, Log.self, AuditCommand.self, Install.self, Uninstall.self,
            Exec.self,
            PlanCommand.self, Keys.self, SignoffCommand.self, Gate.self, ProvenanceCommand.self, Report.self,
            MCPProxy.self,
            Serve.self, Login.self,
            WhoAmI.self, Doctor.self, Daemon.self, Secret.self, Run.self,
            Logout.self, Approvals.self, Sessions.self, Users.self, Tokens.self, CheckpointsCommand.self,
            UndoCommand.self,
        ]
    )
}

// MARK: - Shared options and loading

struct PolicyOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Organisation policy file (default: $BRAKE_POLICY, then ~/.brake/policy.yaml if present).",
            valueName: "FILE"
        )
    )
    var policy: String?

    @Option(
        name: .long,
        help: ArgumentHelp("Directory the command runs in (default: the current directory).", valueName: "DIR")
    )
    var cwd: String?

    @Option(name: .long, help: "Who acts: agent or human.")
    var actor: String = "agent"

    var plain: LoadOptions { LoadOptions(policy: policy, cwd: cwd, actor: actor) }
}

/// `brake check [--cwd DIR] [--policy FILE] [--format text|json] [--actor A] COMMAND` without the general parser.
struct FastCheck {
    var options = LoadOptions()
    var format = "text"
    var command: String

    /// Nil unless the arguments are exactly the plain form; the general parser handles everything else.
    init?(_ args: [String]) {
        guard args.first == "check" else { return nil }
        var options = LoadOptions()
        var format = "text"
        var command: String?
        var i = 1
        while i < args.count {
            let a = args[i]
            if a == "--" {
                guard i + 2 == args.count, command == nil else { return nil }
                command = args[i + 1]
                break
            }
            if a.hasPrefix("-") {
                var name = a
                var value: String
                if let eq = a.firstIndex(of: "=") {
                    name = String(a[..<eq])
                    value = String(a[a.index(after: eq)...])
                } else {
                    guard i + 1 < args.count else { return nil }
                    value = args[i + 1]
                    i += 1
                }
                switch name {
                case "--format": format = value
                case "--cwd": options.cwd = value
                case "--policy": options.policy = value
                case "--actor": options.actor = value
                default: return nil
                }
                i += 1
                continue
            }
            guard command == nil else { return nil }
            command = a
            i += 1
        }
        guard let command, format == "text" || format == "json" else { return nil }
        self.options = options
        self.format = format
        self.command = command
    }

    func run() -> Never {
        Check.decideAndExit(command, options: options, format: format)
    }
}

// MARK: - brake check

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Decide a shell command: exit 0 allow, 1 ask, 2 deny, 64 usage error, 65 unreadable input or policy.",
        discussion: """
            COMMAND is one argument holding the whole command line, as an agent sends it. \
            With --batch FILE (or - for standard input), each line is a JSON object \
            {"command": "...", "cwd": "...", "env": {...}} and one JSON decision is printed per line.
            """
    )

    @OptionGroup var options: PolicyOptions

    @Option(name: .long, help: "Output format: text or json.")
    var format: String = "text"

    @Option(
        name: .long,
        help: ArgumentHelp("Decide every JSON line of FILE (- for standard input).", valueName: "FILE")
    )
    var batch: String?

    @Argument(help: "The whole command line to decide.")
    var command: String?

    func validate() throws {
        guard format == "text" || format == "json" else {
            throw ValidationError("--format must be text or json, not '\(format)'")
        }
        if batch == nil && command == nil { throw ValidationError("give the COMMAND to check, or --batch FILE") }
        if batch != nil && command != nil { throw ValidationError("give either a COMMAND or --batch FILE, not both") }
    }

    func run() throws {
        guard let batch else { Check.decideAndExit(command!, options: options.plain, format: format) }
        let env = Loader.environment()
        do {
            let context = try Loader.context(options.plain, env: env)
            let policy = try Loader.policy(options.plain, env: env, projectRoot: context.projectRoot)
            try runBatch(batch, context: context, policy: policy)
        } catch {
            Loader.fail(error)
        }
    }

    /// Decides one command, prints the decision and exits with its status.
    static func decideAndExit(_ command: String, options: LoadOptions, format: String) -> Never {
        let env = Loader.environment()
        do {
            var context = try Loader.context(options, env: env)
            let policy = try Loader.policy(options, env: env, projectRoot: context.projectRoot)
            // The scripts and task files the command runs, read as a hook reads them.
            ScriptFiles.load(into: &context, commands: [command], settings: policy.settings)
            let decision = Engine.decide(command, context: context, policy: policy)
            if format == "json" {
                FileHandleOut.stdout(decision.json.serialized + "\n")
            } else {
                FileHandleOut.stdout(Render.text(decision))
            }
            Glibc.exit(
                decision.verdict == .allow
                    ? ExitStatus.allow : decision.verdict == .ask ? ExitStatus.ask : ExitStatus.deny
            )
        } catch {
            Loader.fail(error)
        }
    }

    func runBatch(_ path: String, context base: Context, policy: Policy) throws(Failure) {
        let text: String
        if path == "-" {
            var bytes: [UInt8] = []
            var buf = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = read(0, &buf, buf.count)
                if n <= 0 { break }
                bytes.append(contentsOf: buf[0..<n])
            }
            text = String(decoding: bytes, as: UTF8.self)
        } else {
            text = try Loader.readFile(path)
        }
        var out = ""
        out.reserveCapacity(text.utf8.count * 2)
        var lineNumber = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\r" }) {
                if lineNumber < text.split(separator: "\n", omittingEmptySubsequences: false).count || !line.isEmpty {
                    out += JSONValue.object([("error", .string("line \(lineNumber): empty line"))]).serialized + "\n"
                }
                continue
            }
            out += Check.decideLine(String(line), lineNumber: lineNumber, base: base, policy: policy) + "\n"
            if out.utf8.count > 1 << 20 {
                FileHandleOut.stdout(out)
                out = ""
            }
        }
        FileHandleOut.stdout(out)
    }

    static func decideLine(_ line: String, lineNumber: Int, base: Context, policy: Policy) -> String {
        func error(_ m: String) -> String {
            JSONValue.object([("error", .string("line \(lineNumber): \(m)"))]).serialized
        }
        let value: JSONValue
        do { value = try JSONValue.parse(line) } catch let e { return error(e.description) }
        guard case .object = value else { return error("expected a JSON object") }
        guard let command = value["command"]?.stringValue else { return error("missing string field \"command\"") }
        var ctx = base
        if let cwdValue = value["cwd"] {
            guard let cwd = cwdValue.stringValue, cwd.hasPrefix("/") else {
                return error("\"cwd\" must be an absolute path")
            }
            ctx.cwd = cwd
            ctx.projectRoot = Loader.projectRoot(from: cwd)
        }
        if let envValue = value["env"] {
            guard case .object(let members) = envValue else { return error("\"env\" must be an object of strings") }
            var env: [String: String] = ["HOME": base.home]
            for (k, v) in members {
                guard let s = v.stringValue else { return error("\"env\".\(k) must be a string") }
                env[k] = s
            }
            ctx.env = env
            if let h = env["HOME"] { ctx.home = h }
            ctx.terraformWorkspace = env["TF_WORKSPACE"]
        }
        return Engine.decide(command, context: ctx, policy: policy).json.serialized
    }
}

// MARK: - brake explain

struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Show how a command is parsed, what really runs, every rule considered and the decision."
    )

    @OptionGroup var options: PolicyOptions

    @Argument(help: "The whole command line to explain.")
    var command: String

    func run() throws {
        let env = Loader.environment()
        do {
            var context = try Loader.context(options.plain, env: env)
            let policy = try Loader.policy(options.plain, env: env, projectRoot: context.projectRoot)
            ScriptFiles.load(into: &context, commands: [command], settings: policy.settings)
            let decision = Engine.decide(command, context: context, policy: policy, trace: true)
            var out = "command: \(command)\n"
            out +=
                "context: cwd=\(context.cwd) project=\(context.project) home=\(context.home) actor=\(context.actor.rawValue)\n"
            out += "policy layers: \(policy.layers.joined(separator: " < "))\n"
            for i in policy.ignored { out += "  ignored: \(i)\n" }
            out += "\n"
            out += "parsed structure:\n"
            if let err = decision.analysis.syntaxError {
                out += "  (not parseable: \(err))\n"
            } else if let script = try? ShellParser.parse(command) {
                out += Render.structure(script, indent: "  ")
            }
            out += "\neffective commands:\n"
            for inv in decision.analysis.invocations {
                let via = inv.site.via.isEmpty ? "" : "   (via \(inv.site.via.joined(separator: " → ")))"
                out += "  - \(inv.display)\(via)\n"
            }
            if decision.analysis.invocations.isEmpty { out += "  (none)\n" }
            if !decision.analysis.notes.isEmpty {
                out += "\nnotes:\n" + decision.analysis.notes.map { "  - \($0)\n" }.joined()
            }
            if !decision.analysis.production.isEmpty {
                out +=
                    "\nproduction evidence:\n"
                    + decision.analysis.production.map { "  - \($0.source): \($0.value)\n" }.joined()
            }
            out += "\nrules:\n"
            if decision.trace.isEmpty { out += "  (no effect that any rule considers)\n" }
            for t in decision.trace { out += "  \(t)\n" }
            out += "\n" + Render.text(decision)
            FileHandleOut.stdout(out)
        } catch {
            Loader.fail(error)
        }
    }
}

// MARK: - brake policy

struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Show or test the effective policy.",
        subcommands: [Show.self, Test.self]
    )

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Print the effective, merged policy as YAML."
        )
        @OptionGroup var options: PolicyOptions

        func run() throws {
            let env = Loader.environment()
            do {
                let context = try Loader.context(options.plain, env: env)
                let policy = try Loader.policy(options.plain, env: env, projectRoot: context.projectRoot)
                FileHandleOut.stdout(Render.policyYAML(policy))
            } catch {
                Loader.fail(error)
            }
        }
    }

    struct Test: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "test",
            abstract: "Load the policy (with FILE as an extra, lowest layer) and check every rule's examples."
        )
        @OptionGroup var options: PolicyOptions
        @Argument(help: "A policy file to test as the lowest layer.") var file: String?

        func run() throws {
            let env = Loader.environment()
            do {
                let context = try Loader.context(options.plain, env: env)
                var policy = try Loader.policy(options.plain, env: env, projectRoot: context.projectRoot)
                if let file {
                    let text = try Loader.readFile(file)
                    do { try policy.merge(yaml: text, source: file) } catch {
                        throw Failure(status: ExitStatus.badInput, message: "policy error: \(error)")
                    }
                }
                let failures = Engine.checkExamples(policy)
                let count = policy.rules.reduce(0) { $0 + $1.examplesMatch.count + $1.examplesNoMatch.count }
                if failures.isEmpty {
                    FileHandleOut.stdout(
                        "ok: \(policy.rules.count) rules, \(count) examples pass (layers: \(policy.layers.joined(separator: " < ")))\n"
                    )
                } else {
                    FileHandleOut.stdout(failures.map { "FAIL \($0)\n" }.joined())
                    FileHandleOut.stdout("\(failures.count) of \(count) examples failed\n")
                    Glibc.exit(1)
                }
            } catch {
                Loader.fail(error)
            }
        }
    }
}
