import ArgumentParser
import BrakeClient
import BrakeContain
import BrakeCore
import BrakeHost
import BrakeWire

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `brake doctor`: checks an installation end to end and says what to fix.
struct Doctor: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract:
            "Check the installation end to end: the binary, each agent's hook, the policy, the server, its pinned key and whom Brake acts as."
    )
    @OptionGroup var output: FormatOption

    struct Finding {
        var level: String  // ok, warn, fail
        var what: String
        var fix: String
    }

    func run() throws {
        let env = Loader.environment()
        let store = LocalStore(env: env)
        var findings: [Finding] = []
        func add(_ level: String, _ what: String, _ fix: String = "") {
            findings.append(Finding(level: level, what: what, fix: fix))
        }
        // The binary.
        let me = Install.selfPath()
        if Install.isBuildPath(me) {
            add(
                "warn",
                "this brake runs from a build directory (\(me))",
                "install it (`sudo install -m 0755 \(me) /usr/local/bin/brake`)"
            )
        } else {
            add("ok", "brake is installed at \(me)")
        }
        // Containment: what the kernel offers `brake run`.
        let abi = Landlock.abi()
        if abi == 0 {
            add(
                "warn",
                "this kernel has no Landlock: `brake run` refuses to run anything and Brake relies on its analysis alone",
                "use a kernel with Landlock enabled (Linux 5.13+, `lsm=landlock,…`)"
            )
        } else if let short = Landlock.shortcoming(abi: abi) {
            add("warn", short, "use Linux 6.2 or later for complete confinement")
        } else {
            let net = abi >= 4 ? ", TCP ports where a profile lists them" : ""
            add("ok", "Landlock ABI \(abi): `brake run` confines commands (writes, credential reads\(net))")
        }
        // Each agent's hook, in the project and the user's configuration.
        let cwd = Loader.currentDirectory()
        let root = Loader.projectRoot(from: cwd)
        var brakeAt: [Agent: [String]] = [:]
        for agent in Agent.allCases {
            var places: [String] = []
            if let root { places.append(root + "/" + HookConfig.path(agent: agent, project: true)) }
            places.append((env["HOME"] ?? "/") + "/" + HookConfig.path(agent: agent, project: false))
            if let system = HookConfig.systemPath(agent: agent) { places.append(SystemConfig.root(env) + system) }
            let codexSystem = SystemConfig.root(env) + CodexSystemConfig.path
            if agent == .codex { places.append(codexSystem) }
            for path in Set(places).sorted() where Loader.exists(path) {
                let commands: [String]
                if path == codexSystem {
                    commands = CodexSystemConfig.commands((try? Loader.readFile(path)) ?? "")
                } else if let text = try? Loader.readFile(path), let v = try? JSONValue.parse(text) {
                    commands = HookConfig.brakeCommands(agent: agent, in: v)
                } else {
                    add(
                        "fail",
                        "\(path) is not valid JSON: \(agent.rawValue) may ignore every hook in it",
                        "fix the file"
                    )
                    continue
                }
                if commands.isEmpty { continue }
                brakeAt[agent, default: []].append(path)
                for c in Set(commands) {
                    let program = Self.firstWord(c)
                    if Install.isBuildPath(program) {
                        add(
                            "fail",
                            "\(path): the \(agent.rawValue) hook runs a build directory (\(program)); on another machine it cannot start",
                            "run `brake install \(agent.rawValue)` with an installed brake"
                        )
                    } else if Self.resolve(program, env: env) == nil {
                        add(
                            "fail",
                            "\(path): the \(agent.rawValue) hook runs \(program), which is not there",
                            "install brake, or `brake install \(agent.rawValue) --command PATH`"
                        )
                    } else if program.hasSuffix("brake-hook"),
                        let fd = GuardWire.connect(GuardWire.socketPath(env: env))
                    {
                        close(fd)
                        add("ok", "\(agent.rawValue) hook in \(path) (through the guard service)")
                    } else if program.hasSuffix("brake-hook") {
                        add(
                            "warn",
                            "\(path): the \(agent.rawValue) hook uses the guard service, which is not running at \(GuardWire.socketPath(env: env)); hooks judge in-process meanwhile (slower)",
                            "start it: `brake daemon` (a system install: the unit from `brake daemon --unit`)"
                        )
                    } else {
                        add("ok", "\(agent.rawValue) hook in \(path)")
                    }
                }
            }
        }
        for f in AgentChecks.findings(env: env, projectRoot: root, cwd: cwd, brakeAt: brakeAt) {
            add(f.level, f.what, f.fix)
        }
        if !findings.contains(where: { $0.what.contains(" hook in ") || $0.what.contains("hook runs") }) {
            add(
                "warn",
                "no agent hook found for this project or user",
                "run `brake install AGENT` (claude-code, cursor, …)"
            )
        }
        // The policy.
        do {
            let p = try Loader.policy(LoadOptions(policy: nil, cwd: cwd, actor: "agent"), env: env, projectRoot: root)
            add("ok", "policy loads: \(p.layers.joined(separator: " < "))")
            for i in p.ignored { add("warn", "policy: ignored \(i)") }
        } catch {
            add(
                "fail",
                "the policy does not load, so every action is denied: \(error.message)",
                "fix the file it names"
            )
        }
        // The server.
        if Loader.exists(SystemConfig.path(env)) {
            add("ok", "system install at \(SystemConfig.path(env)) (hooks ignore settings in the agent's home)")
        } else if SystemConfig.localOnly(env) {
            add(
                "ok",
                "local system install (\(ApproverSecret.path(env))): local state is the guard service's, approvals and resumes need the approver secret"
            )
            if !Loader.exists(GuardWire.socketPath(env: env)) {
                add(
                    "fail",
                    "the guard service is not running, so every hook denies",
                    "start it as root: `brake daemon` (systemd unit: `brake daemon --unit`)"
                )
            }
        }
        do {
            if let link = try ServerLink.load(env: env, store: store) {
                if link.pinnedKey == nil {
                    add("fail", "no server key is pinned: hooks refuse every action", "run `brake login` to pin it")
                }
                do {
                    let client = try link.client(timeout: 3)
                    let me = try client.call("GET", "/v1/me")
                    let key = try client.call("GET", "/v1/audit/public-key")["public_key"]?.stringValue
                    add(
                        "ok",
                        "server \(link.url) reachable; acting as \(me["name"]?.stringValue ?? "?") (\(me["scope"]?.stringValue ?? "?") token from \(link.tokenSource))"
                    )
                    if me["scope"]?.stringValue == "person" && link.scope != "person"
                        && link.tokenSource != "BRAKE_TOKEN"
                    {
                        add(
                            "fail",
                            "the hooks use a person's token: the agents act with a person's powers",
                            "log in with an agent token"
                        )
                    }
                    if let key, let pinned = link.pinnedKey, key != pinned {
                        add(
                            "fail",
                            "the server's key differs from the pinned one: every answer will be refused",
                            "check you reach the right server, then `brake login` again"
                        )
                    }
                } catch {
                    add("fail", "server \(link.url): \(error)", "start it, or check the URL and token")
                }
            } else {
                add(
                    "warn",
                    "no server configured: local mode defends against mistakes, not against an agent that tries",
                    "see the README (system install and server)"
                )
            }
        } catch {
            add("fail", "the server settings cannot be read: \(error)", "run `brake login` again")
        }
        let failed = findings.contains { $0.level == "fail" }
        if output.json {
            let v = JSONValue.object([
                ("ok", .bool(!failed)),
                (
                    "findings",
                    .array(
                        findings.map {
                            .object([
                                ("level", .string($0.level)), ("what", .string($0.what)), ("fix", .string($0.fix)),
                            ])
                        }
                    )
                ),
            ])
            FileHandleOut.stdout(v.serialized + "\n")
        } else {
            var out = ""
            for f in findings {
                out += "\(f.level.padding(5)) \(f.what)\(f.fix.isEmpty ? "" : "\n      fix: \(f.fix)")\n"
            }
            FileHandleOut.stdout(out)
        }
        Glibc.exit(failed ? 1 : 0)
    }

    static func firstWord(_ command: String) -> String {
        if command.hasPrefix("'"), let end = command.dropFirst().firstIndex(of: "'") {
            return String(command[command.index(after: command.startIndex)..<end])
        }
        return String(command.split(separator: " ").first ?? "")
    }

    static func resolve(_ program: String, env: [String: String]) -> String? {
        if program.contains("/") { return access(program, X_OK) == 0 ? program : nil }
        for dir in (env["PATH"] ?? "").split(separator: ":") where access(String(dir) + "/" + program, X_OK) == 0 {
            return String(dir) + "/" + program
        }
        return nil
    }
}
