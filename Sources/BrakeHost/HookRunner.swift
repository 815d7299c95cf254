import BrakeContain
import BrakeCore
import BrakeGuard

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

package enum HookRunner {
    package static func readStdin() -> String {
        var bytes: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(0, &buf, buf.count)
            if n <= 0 { break }
            bytes.append(contentsOf: buf[0..<n])
            if bytes.count > 64 << 20 { break }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    package static func emit(_ out: HookOutput) -> Never {
        FileHandleOut.stdout(out.stdout)
        FileHandleOut.stderr(out.stderr)
        exit(out.status)
    }

    /// Answers one hook call in this process: reads stdin, judges, prints the agent's answer and exits.
    package static func run(agent: Agent, policyFile: String?, wait: Double? = nil) -> Never {
        let env = Loader.environment()
        if let problem = GuardSetup.inProcessProblem(env: env, what: "the hook") {
            HookEntry.refuse(problem, agent)
        }
        let store = LocalStore(env: env)
        // The server's connection is opened first, so its handshake overlaps reading and judging the call.
        let control = ServerControl.load(env: env, store: store)
        control??.open()
        emit(
            answer(
                agent: agent,
                policyFile: policyFile,
                wait: wait,
                payload: readStdin(),
                env: env,
                cwd: Loader.currentDirectory(),
                store: store,
                control: control
            )
        )
    }

    /// One hook call's whole answer — what the agent's hook prints and its exit status — for a payload read
    /// elsewhere: in this process, or by the guard service for a caller on its socket (`files` then reads the
    /// caller's files with the caller's own rights).
    package static func answer(
        agent: Agent,
        policyFile: String?,
        wait: Double?,
        payload: String,
        env: [String: String],
        cwd processCwd: String,
        store: LocalStore,
        control: ServerControl??,
        files: AgentFiles = .own,
        landlockABI: Int = kernelABI
    ) -> HookOutput {
        let call: HookCall
        do {
            call = try Hooks.parse(agent: agent, payload: payload)
        } catch {
            // After the tool ran there is nothing left to block: an unreadable post-tool call records nothing.
            if let e = (try? JSONValue.parse(payload))?["hook_event_name"]?.stringValue,
                AgentRecorder.postToolEvents.contains(e)
            {
                return HookOutput(stdout: "", stderr: "", status: 0)
            }
            let m =
                "Brake could not read this hook call (\(error.message)), so it is blocked. Check that the hook is configured for \(agent.rawValue)."
            try? store.append([
                [
                    ("agent", .string(agent.rawValue)), ("decision", .string("deny")),
                    ("error", .string(error.message)),
                ]
            ])
            return Hooks.render(agent: agent, event: "", verdict: .deny, userMessage: m, agentMessage: m)
        }
        let cwd = call.cwd.flatMap { $0.hasPrefix("/") ? $0 : nil } ?? processCwd
        // After the tool ran: what it produced is recorded (the gate's evidence of AI use); nothing is judged.
        if AgentRecorder.postToolEvents.contains(call.event) {
            let records = AgentRecorder.records(call, cwd: cwd, env: env, files: files)
            store.appendProvenance(records)
            if let session = call.session {
                CheckpointStore(home: store.home).settle(session: session, files: files, env: env)
            }
            if let link = control ?? nil { link.sendAgentRecords(records) }
            return HookOutput(stdout: "", stderr: "", status: 0)
        }
        let context = files.read { GuardSetup.context(cwd: cwd, env: env) }
        let policy: Policy
        do {
            policy = try files.read { () throws(Failure) -> Policy in
                try Loader.policy(
                    LoadOptions(policy: policyFile, cwd: cwd, actor: "agent"),
                    env: env,
                    projectRoot: context.projectRoot
                )
            }
        } catch {
            let m =
                "Brake's policy cannot be loaded (\(error.message)), so every action is blocked until it is fixed."
            return Hooks.render(agent: agent, event: call.event, verdict: .deny, userMessage: m, agentMessage: m)
        }
        // A file tool's approval covers the content it writes: the digest includes the tool input.
        var input: String?
        if call.actions.contains(where: \.isFileChange), let root = try? JSONValue.parse(payload) {
            input = (root["tool_input"] ?? root["toolArgs"] ?? root["tool_args"] ?? root["input"])?.serialized
        }
        let request = Requests.hook(call, context: context, input: input, settings: policy.settings)
        let outcome = GuardSetup.flow(
            policy: policy,
            store: store,
            env: env,
            wait: wait,
            control: control,
            files: files
        )
        .run(request)
        // An approved shell command runs confined with the access its approval covered, when the agent's shell
        // prefix asks for its confinement (`brake-hook shell`): recorded here, taken once there. An approval
        // Brake saw (an allow after an ask), or an ask the person answers in the agent's own prompt — then the
        // command runs only if they say yes, and the grant serves that one run of exactly this text.
        let approved = outcome.verdict == .allow && outcome.judgement.verdict == .ask
        if approved || outcome.verdict == .ask, call.actions.count == 1, case .shell(let command) = call.actions[0] {
            store.recordGrant(
                ApprovalGrant(
                    command: command,
                    places: outcome.judgement.places,
                    program: ShellWrapper.program(command),
                    expires: LocalStore.now() + (approved ? ApprovalGrant.lifetime : LocalState.defaultTTL)
                )
            )
        }
        let output = Hooks.render(
            agent: agent,
            event: call.event,
            verdict: outcome.verdict,
            userMessage: outcome.message,
            agentMessage: outcome.agentMessage
        )
        // Where the kernel cannot confine commands, the person hears it once per session: never a pretence.
        guard let short = Landlock.shortcoming(abi: landlockABI),
            store.firstNotice(key: call.session.flatMap { $0.isEmpty ? nil : $0 } ?? Self.dayKey(agent))
        else { return output }
        return Hooks.adding(notice: "Brake: \(short).", to: output, agent: agent)
    }

    /// The kernel's Landlock ABI, read once per process.
    package static let kernelABI = Landlock.abi()

    /// A session-less agent hears the notice once a day.
    static func dayKey(_ agent: Agent) -> String { "\(agent.rawValue)-\(LocalStore.now() / 86400)" }
}
