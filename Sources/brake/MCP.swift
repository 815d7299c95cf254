import ArgumentParser
import BrakeContain
import BrakeCore
import BrakeGuard
import BrakeHost

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `brake mcp -- SERVER…`: a stdio MCP proxy that judges every `tools/call` before the server sees it.
struct MCPProxy: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp",
        abstract: "Run an MCP server behind Brake: every tools/call is judged first; everything else passes unchanged.",
        discussion:
            "Configure the agent to launch `brake mcp --name NAME -- <the server command>` instead of the server."
    )
    @Option(name: .long, help: "The server's name in policies, approvals and the audit log.") var name: String?
    @Option(name: .long, help: ArgumentHelp("Organisation policy file.", valueName: "FILE")) var policy: String?
    @OptionGroup var ask: WaitOption
    @Option(
        name: .long,
        help: ArgumentHelp("Streamable HTTP mode: serve MCP here (with --upstream).", valueName: "HOST:PORT")
    ) var listen: String?
    @Option(
        name: .long,
        help: ArgumentHelp("Streamable HTTP mode: the remote server's MCP endpoint.", valueName: "URL")
    )
    var upstream: String?
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The containment profile the server runs under (default: `mcp` if the policy names one, else standard).",
            valueName: "NAME"
        )
    )
    var contain: String?
    @Flag(name: .long, help: "Run the server unconfined (it may then write anywhere the user can).")
    var noContain = false
    @Argument(parsing: .captureForPassthrough, help: "The server command and its arguments.") var command: [String] = []

    func run() throws {
        // The command is passed through untouched, so `--help` before it is ours to answer.
        if command.first == "--help" || command.first == "-h" {
            print(Brake.helpMessage(for: Self.self))
            return
        }
        var argv = command
        if argv.first == "--" { argv.removeFirst() }
        if listen != nil || upstream != nil {
            guard let listen, let upstream, argv.isEmpty else {
                throw ValidationError("HTTP mode takes --listen HOST:PORT and --upstream URL, and no server command")
            }
            guard upstream.hasPrefix("http://") || upstream.hasPrefix("https://") else {
                throw ValidationError("--upstream must be an http:// or https:// URL, not '\(upstream)'")
            }
            try runHTTP(listen: listen, upstream: upstream)
            return
        }
        guard !argv.isEmpty else { throw ValidationError("give the server command after --") }
        let env = Loader.environment()
        let server = name ?? Paths.basename(argv[0])
        do {
            let proxy = try makeLoop(server: server, argv: argv, env: env)
            Glibc.exit(proxy.run())
        } catch {
            Loader.fail(error)
        }
    }
}

/// The single-threaded poll loop between the agent (stdin/stdout) and the server (a child process).
final class ProxyLoop {
    let session: MCPSession
    let argv: [String]
    let context: Context
    let policy: Policy
    let store: LocalStore
    let sessionID: String
    /// The guard flow every tool call goes through (local state, the control plane, the audit log).
    var flow: GuardFlow<LocalStore>
    /// Seconds to wait for a person on an ask (`--wait`, `$BRAKE_ASK_WAIT`), and the environment that says where.
    var patience: Double = 0
    var env: [String: String] = [:]
    var toServer: Int32 = -1
    var fromServer: Int32 = -1
    var child: pid_t = 0

    init(server: String, argv: [String], context: Context, policy: Policy, store: LocalStore, session: String) {
        self.session = MCPSession(server: server)
        self.argv = argv
        self.context = context
        self.policy = policy
        self.store = store
        self.sessionID = session
        self.flow = GuardFlow(policy: policy, ledger: store, link: nil, clock: SystemClock())
    }

    func spawn() -> Bool {
        var inPipe: [Int32] = [0, 0]
        var outPipe: [Int32] = [0, 0]
        guard pipe(&inPipe) == 0, pipe(&outPipe) == 0 else { return false }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_addclose(&actions, inPipe[1])
        posix_spawn_file_actions_addclose(&actions, outPipe[0])
        var cargs = argv.map { strdup($0) } + [nil]
        let rc = posix_spawnp(&child, argv[0], &actions, nil, &cargs, environ)
        posix_spawn_file_actions_destroy(&actions)
        for p in cargs { free(p) }
        close(inPipe[0])
        close(outPipe[1])
        guard rc == 0 else { return false }
        toServer = inPipe[1]
        fromServer = outPipe[0]
        signal(SIGPIPE, SIG_IGN)
        return true
    }

    func write(_ fd: Int32, _ line: String) {
        var s = line
        if !s.hasSuffix("\n") { s += "\n" }
        s.withUTF8 { FileHandleOut.writeAll(fd, $0) }
    }

    func run() -> Int32 {
        guard spawn() else {
            FileHandleOut.stderr("brake mcp: cannot start \(argv[0]): \(Loader.string(strerror(errno)))\n")
            return 127
        }
        var agentBuf: [UInt8] = []
        var serverBuf: [UInt8] = []
        var agentOpen = true
        var buf = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            var fds = [pollfd(fd: fromServer, events: Int16(POLLIN), revents: 0)]
            if agentOpen { fds.append(pollfd(fd: 0, events: Int16(POLLIN), revents: 0)) }
            if poll(&fds, nfds_t(fds.count), -1) < 0 {
                if errno == EINTR { continue }
                break
            }
            // Server → agent: forwarded unchanged, line by line.
            if fds[0].revents != 0 {
                let n = read(fromServer, &buf, buf.count)
                if n <= 0 { break }
                serverBuf.append(contentsOf: buf[0..<n])
                while let nl = serverBuf.firstIndex(of: 0x0A) {
                    let line = String(decoding: serverBuf[..<nl], as: UTF8.self)
                    serverBuf.removeSubrange(...nl)
                    session.fromServer(line)
                    write(1, line)
                }
            }
            // Agent → server: tools/call is judged first.
            if agentOpen, fds.count > 1, fds[1].revents != 0 {
                let n = read(0, &buf, buf.count)
                if n <= 0 {
                    agentOpen = false
                    close(toServer)
                    continue
                }
                agentBuf.append(contentsOf: buf[0..<n])
                while let nl = agentBuf.firstIndex(of: 0x0A) {
                    let line = String(decoding: agentBuf[..<nl], as: UTF8.self)
                    agentBuf.removeSubrange(...nl)
                    handleAgent(line)
                }
            }
        }
        // The server is gone: every request still waiting gets an error, never a hang.
        for id in session.pending.values {
            write(
                1,
                MCPSession.error(
                    id: id,
                    code: -32603,
                    message: "the MCP server \(session.server) exited before answering"
                )
            )
        }
        var status: Int32 = 0
        if agentOpen { kill(child, SIGTERM) }
        waitpid(child, &status, 0)
        return agentOpen ? 1 : 0
    }

    func handleAgent(_ line: String) {
        let (calls, forward) = session.fromAgent(line)
        var allowed: [String] = []
        var refusals: [String] = []
        for call in calls {
            if let refusal = judge(call) {
                refusals.append(refusal)
            } else {
                session.forwarded(call)
                allowed.append(
                    JSONValue.object([
                        ("jsonrpc", .string("2.0")), ("id", call.id), ("method", .string("tools/call")),
                        ("params", .object([("name", .string(call.tool)), ("arguments", call.arguments)])),
                    ]).serialized
                )
            }
        }
        if calls.count == 1, forward == nil, allowed.count == 1 {
            write(toServer, line)  // unchanged bytes for the common case
        } else {
            if let forward { write(toServer, forward) }
            for a in allowed { write(toServer, a) }
        }
        for r in refusals { write(1, r) }
    }

    /// Nil to forward the call, or the refusal to send back.
    func judge(_ call: MCPSession.ToolCall) -> String? {
        let request = Requests.mcp(
            server: session.server,
            tool: call.tool,
            arguments: call.arguments.serialized,
            hints: session.hints[call.tool] ?? [:],
            description: session.descriptions[call.tool] ?? "",
            parameters: session.parameters[call.tool] ?? [],
            session: sessionID,
            context: context,
            settings: policy.settings
        )
        var outcome = flow.run(request)
        // An ask waited for here says what it waits for on stderr (the MCP host's log); once approved, the
        // identical call runs again to use the approval.
        if outcome.pending, let id = outcome.requestID, patience > 0,
            case .approved? = try? RequestWaiter.wait(
                id: id,
                timeout: patience,
                env: env,
                progress: {
                    FileHandleOut.stderr($0 + "\n")
                }
            )
        {
            outcome = flow.run(request)
        }
        if outcome.verdict == .allow { return nil }
        let text =
            outcome.agentMessage.hasPrefix("Brake: ") ? String(outcome.agentMessage.dropFirst(7)) : outcome.agentMessage
        let what = "\(session.server)/\(call.tool)"
        let head = outcome.pending ? "Refused by Brake, pending approval: \(what) — " : "Refused by Brake: \(what) — "
        return MCPSession.refusal(id: call.id, text: head + text)
    }
}

extension MCPProxy {
    /// The judge shared by the stdio and HTTP modes: policy, local state, the server gate.
    func makeLoop(server: String, argv: [String], env: [String: String]) throws -> ProxyLoop {
        if let problem = GuardSetup.inProcessProblem(env: env, what: "brake mcp") {
            throw Failure(status: ExitStatus.deny, message: problem)
        }
        let options = LoadOptions(policy: policy, cwd: nil, actor: "agent")
        let context = GuardSetup.context(cwd: Loader.currentDirectory(), env: env)
        let pol = try Loader.policy(options, env: env, projectRoot: context.projectRoot)
        let store = LocalStore(env: env)
        let loop = ProxyLoop(
            server: server,
            argv: argv.isEmpty ? argv : try confined(argv, policy: pol, env: env),
            context: context,
            policy: pol,
            store: store,
            session: env["BRAKE_SESSION"] ?? "mcp-\(server)-\(getpid())"
        )
        loop.flow = GuardSetup.flow(policy: pol, store: store, env: env, wait: 0)
        loop.patience = ServerControl.wait(env: env, override: ask.wait)
        loop.env = env
        return loop
    }

    /// The server's command under its containment profile (through `brake-hook contain`), unless `--no-contain`;
    /// where the kernel cannot confine, the server runs unconfined and says so.
    func confined(_ argv: [String], policy pol: Policy, env: [String: String]) throws -> [String] {
        if noContain { return argv }
        guard Landlock.abi() > 0, let hook = ContainedRun.helper() else {
            FileHandleOut.stderr(
                "brake mcp: this kernel has no Landlock (or brake-hook is missing): the server runs unconfined\n"
            )
            return argv
        }
        let name = contain ?? (pol.containment["mcp"] != nil ? "mcp" : "standard")
        guard
            let profile = ContainedRun.profile(
                name,
                policy: pol,
                cwd: Loader.currentDirectory(),
                env: env,
                extraWrite: []
            )
        else {
            throw Failure(status: ExitStatus.usage, message: "no containment profile '\(name)' in the policy")
        }
        return [hook, "contain"] + profile.arguments + ["--"] + argv
    }

    func runHTTP(listen: String, upstream: String) throws {
        let (host, port) = try Serve.parseListen(listen)
        let env = Loader.environment()
        let server = name ?? HTTPHost.of(upstream)
        let loop = try makeLoop(server: server, argv: [], env: env)
        let proxy = MCPHTTPProxy(loop: loop, upstream: upstream)
        FileHandleOut.stderr("brake mcp: http://\(host):\(port) → \(upstream) (server name '\(server)')\n")
        if let failure = blockingRun({ try await proxy.run(host: host, port: port) }) {
            throw Failure(status: ExitStatus.badInput, message: "brake mcp: \(failure)")
        }
    }
}

enum HTTPHost {
    /// The host of a URL, as a server name for policies.
    static func of(_ url: String) -> String {
        var s = Substring(url)
        if let r = s.firstRange(of: "://") { s = s[r.upperBound...] }
        if let slash = s.firstIndex(of: "/") { s = s[..<slash] }
        if let colon = s.lastIndex(of: ":") { s = s[..<colon] }
        return String(s)
    }
}
