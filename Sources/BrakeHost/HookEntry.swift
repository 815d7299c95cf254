import BrakeCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `brake hook AGENT [--policy FILE] [--wait SECONDS]` as the agent runs it. Every way it can go wrong — an
/// unknown agent name, a mistyped option, a crash — answers deny: exit 2 with the reason on stderr, which
/// every supported agent treats as "block" (Claude Code, for one, runs the tool on any other non-zero exit).
package enum HookEntry {
    /// A hook's own arguments, parsed.
    package struct Arguments: Sendable {
        package var agent: Agent
        package var policy: String?
        package var wait: Double?
    }

    /// The arguments after `hook`, or the deny that a misconfigured hook answers.
    package static func parse(_ rest: [String]) -> Result<Arguments, Refusal> {
        var rest = rest
        guard let name = rest.first, !name.hasPrefix("-") else {
            return .failure(Refusal("`brake hook` needs the agent's name (one of \(names)); the hook is misconfigured"))
        }
        rest.removeFirst()
        guard let agent = Agent(rawValue: name) else {
            return .failure(
                Refusal("`brake hook \(name)`: unknown agent; expected one of \(names). The hook is misconfigured")
            )
        }
        var parsed = Arguments(agent: agent, policy: nil, wait: nil)
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
            case ("--policy", let v?): parsed.policy = v
            case ("--wait", let v?):
                guard let w = Double(v), w >= 0 else {
                    return .failure(Refusal("`--wait \(v)` is not a number of seconds", agent))
                }
                parsed.wait = w
            default:
                return .failure(
                    Refusal("`brake hook \(name)` does not take `\(key)`; the hook is misconfigured", agent)
                )
            }
        }
        return .success(parsed)
    }

    /// Parses the hook's own arguments and answers in this process; anything it does not recognise is a deny,
    /// not a usage error. Returns nil for `--help` and for other commands, which go to the general parser.
    package static func run(_ args: [String]) -> Never? {
        guard args.first == "hook" else { return nil }
        if args.contains("--help") || args.contains("-h") { return nil }
        switch parse(Array(args.dropFirst())) {
        case .failure(let refusal): HookRunner.emit(refusal.output)
        case .success(let a):
            guardCrashes(a.agent)
            // For the test suite: a crash on purpose must still block (it only ever makes the hook deny).
            if getenv("BRAKE_HOOK_TEST_CRASH") != nil { fatalError("crash requested by BRAKE_HOOK_TEST_CRASH") }
            HookRunner.run(agent: a.agent, policyFile: a.policy, wait: a.wait)
        }
    }

    package static var names: String { Agent.allCases.map(\.rawValue).joined(separator: ", ") }

    /// A deny for a hook that cannot even start: in the agent's protocol when the agent is known, else exit 2
    /// with the reason on stderr.
    package struct Refusal: Error {
        package let output: HookOutput

        package init(_ why: String, _ agent: Agent? = nil) {
            let m = "Brake: \(why), so this action is blocked. Run `brake doctor` to check the installation."
            if let agent {
                output = Hooks.render(agent: agent, event: "", verdict: .deny, userMessage: m, agentMessage: m)
            } else {
                output = HookOutput(stdout: "", stderr: m + "\n", status: 2)
            }
        }
    }

    /// Denies and exits.
    package static func refuse(_ why: String, _ agent: Agent? = nil) -> Never {
        HookRunner.emit(Refusal(why, agent).output)
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
