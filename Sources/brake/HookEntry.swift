import BrakeCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `brake hook AGENT [--policy FILE] [--wait SECONDS]` as the agent runs it. Every way it can go wrong — an
/// unknown agent name, a mistyped option, a crash — answers deny: exit 2 with the reason on stderr, which
/// every supported agent treats as "block" (Claude Code, for one, runs the tool on any other non-zero exit).
enum HookEntry {
    /// Parses the hook's own arguments; anything it does not recognise is a deny, not a usage error.
    /// Returns nil for `--help`, which goes to the general parser.
    static func run(_ args: [String]) -> Never? {
        guard args.first == "hook" else { return nil }
        if args.contains("--help") || args.contains("-h") { return nil }
        var rest = Array(args.dropFirst())
        guard let name = rest.first, !name.hasPrefix("-") else {
            refuse("`brake hook` needs the agent's name (one of \(names)); the hook is misconfigured")
        }
        rest.removeFirst()
        guard let agent = Agent(rawValue: name) else {
            refuse("`brake hook \(name)`: unknown agent; expected one of \(names). The hook is misconfigured")
        }
        var policy: String?
        var wait: Double?
        var i = 0
        while i < rest.count {
            var key = rest[i]
            var value: String?
            if let eq = key.firstIndex(of: "=") {
                value = String(key[key.index(after: eq)...])
                key = String(key[..<eq])
            } else if i + 1 < rest.count {
                value = rest[i + 1]
                i += 1
            }
            i += 1
            switch (key, value) {
            case ("--policy", let v?): policy = v
            case ("--wait", let v?):
                guard let w = Double(v), w >= 0 else { refuse("`--wait \(v)` is not a number of seconds", agent) }
                wait = w
            default:
                refuse("`brake hook \(name)` does not take `\(key)`; the hook is misconfigured", agent)
            }
        }
        guardCrashes(agent)
        // For the test suite: a crash on purpose must still block (it only ever makes the hook deny).
        if getenv("BRAKE_HOOK_TEST_CRASH") != nil { fatalError("crash requested by BRAKE_HOOK_TEST_CRASH") }
        HookRunner.run(agent: agent, policyFile: policy, wait: wait)
    }

    static var names: String { Agent.allCases.map(\.rawValue).joined(separator: ", ") }

    /// Denies in the agent's protocol when the agent is known, else with exit 2 and the reason on stderr.
    static func refuse(_ why: String, _ agent: Agent? = nil) -> Never {
        let m = "Brake: \(why), so this action is blocked. Run `brake doctor` to check the installation."
        if let agent {
            HookRunner.emit(Hooks.render(agent: agent, event: "", verdict: .deny, userMessage: m, agentMessage: m))
        }
        FileHandleOut.stderr(m + "\n")
        exit(2)
    }

    /// The message a crashing hook writes, prepared before anything can crash (a signal handler may only
    /// call async-signal-safe functions: `write` and `_exit`).
    nonisolated(unsafe) static var crashMessage: [UInt8] = []

    /// A crash (a trap, a bad access, an abort) answers deny with exit 2 instead of an exit the agent ignores.
    static func guardCrashes(_ agent: Agent) {
        crashMessage = Array(
            "Brake: the hook for \(agent.rawValue) crashed, so this action is blocked. Please report it; `brake doctor` checks the installation.\n"
                .utf8
        )
        for sig in [SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGABRT, SIGFPE] {
            signal(sig) { _ in
                HookEntry.crashMessage.withUnsafeBytes { _ = write(2, $0.baseAddress, $0.count) }
                _exit(2)
            }
        }
    }
}
