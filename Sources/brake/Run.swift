import ArgumentParser
import BrakeContain
import BrakeCore
import BrakeHost

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a command confined by the kernel (Landlock): it writes only in its project, temp and caches.",
        discussion: """
            Everything the command starts is confined too, and it cannot lift the limits. It never writes Brake's \
            files, the agents' configuration, the repository's hooks and git configuration, shell profiles or \
            ~/.ssh, and it does not read credential stores (~/.ssh, ~/.aws/credentials, ~/.config/gcloud …). A \
            refused access fails with the kernel's EACCES (or EROFS for the read-only places inside the project). \
            A profile that lists `connect:` ports limits TCP connections to them (Landlock ABI 4+). Where the \
            kernel has no Landlock, nothing is run (exit 70).
            """
    )
    @Option(
        name: .long,
        help: ArgumentHelp(
            "standard, agent (the agent itself: its own state writable, its hook settings read-only), or a profile the policy names under containment.profiles.",
            valueName: "NAME"
        )
    )
    var profile: String = "standard"
    @Option(name: .long, help: ArgumentHelp("Organisation policy file.", valueName: "FILE")) var policy: String?
    @Option(name: .long, help: ArgumentHelp("Also writable (repeatable).", valueName: "PATH")) var write: [String] = []
    @Flag(name: .long, help: "Print the confinement (writable, unreadable and read-only paths) and exit.")
    var show = false
    @Argument(parsing: .captureForPassthrough, help: "The command and its arguments.") var command: [String] = []

    func run() throws {
        // The command is passed through untouched, so `--help` before it is ours to answer.
        if command.first == "--help" || command.first == "-h" {
            print(Brake.helpMessage(for: Self.self))
            return
        }
        var argv = command
        if argv.first == "--" { argv.removeFirst() }
        let env = Loader.environment()
        let cwd = Loader.currentDirectory()
        let pol = try Loader.policy(
            LoadOptions(policy: policy, cwd: nil, actor: "agent"),
            env: env,
            projectRoot: Loader.projectRoot(from: cwd)
        )
        guard let profile = ContainedRun.profile(self.profile, policy: pol, cwd: cwd, env: env, extraWrite: write)
        else {
            let names =
                ["standard", "agent"] + pol.containment.keys.filter { !["standard", "agent"].contains($0) }.sorted()
            throw Failure(
                status: ExitStatus.usage,
                message: "no containment profile '\(self.profile)'; the policy has: \(names.joined(separator: ", "))"
            )
        }
        if show {
            print("Landlock ABI: \(Landlock.abi())")
            for (what, paths) in [("writable", profile.write), ("unreadable", profile.denyRead)] {
                for p in paths { print("\(what)\t\(p)") }
            }
            for p in profile.readOnly { print("read-only\t\(p)") }
            if let ports = profile.connect {
                print("connect\t\(ports.isEmpty ? "none" : ports.map(String.init).joined(separator: ","))")
            } else {
                print("connect\tany (the profile does not limit TCP)")
            }
            return
        }
        guard !argv.isEmpty else { throw ValidationError("give the command to run after --") }
        throw Failure(status: 70, message: ContainedRun.exec(argv, profile: profile))
    }
}
