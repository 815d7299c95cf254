import BrakeCore
import BrakeGuard
import Synchronization
import Testing

/// The same situations through the hook, exec and MCP adapters give the same verdicts: the guard flow is one.
@Suite("Guard flow")
struct GuardFlowTests {
    static let home = "/home/dev"
    static let context = Context(cwd: "/home/dev/project", home: home, projectRoot: "/home/dev/project")

    /// A policy with a deny for one MCP tool, so every adapter has a harmless, a risky and a catastrophic action.
    static let policy: Policy = {
        var p = Policy.standard
        try! p.merge(
            yaml: """
                rules:
                  - id: org.no-wipes
                    decision: deny
                    message: Agents do not wipe mailboxes.
                    match: {effect: mcp.call, attrs: {tool: [wipe_mailbox]}}
                    examples: {match: [], no_match: []}
                """,
            source: "org.yaml"
        )
        return p
    }()

    enum Entry: String, CaseIterable, Sendable {
        case hook, exec, mcp
    }

    enum Kind: Sendable {
        case harmless, risky, catastrophic
    }

    static func request(_ entry: Entry, _ kind: Kind, session: String = "s1") -> ActionRequest {
        let settings = policy.settings
        switch entry {
        case .hook:
            let command: String
            switch kind {
            case .harmless: command = "ls -la"
            case .risky: command = "git push --force origin main"
            case .catastrophic: command = "rm -rf ~"
            }
            let payload =
                #"{"session_id":"\#(session)","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":\#(JSONValue.string(command).serialized)},"cwd":"/home/dev/project"}"#
            let call = try! Hooks.parse(agent: .claudeCode, payload: payload)
            return Requests.hook(call, context: context, input: nil, settings: settings)
        case .exec:
            let argv: [String]
            switch kind {
            case .harmless: argv = ["ls", "-la"]
            case .risky: argv = ["git", "push", "--force", "origin", "main"]
            case .catastrophic: argv = ["rm", "-rf", home]
            }
            return Requests.exec(argv, session: session, context: context, settings: settings)
        case .mcp:
            let tool: String
            switch kind {
            case .harmless: tool = "read_message"
            case .risky: tool = "delete_message"
            case .catastrophic: tool = "wipe_mailbox"
            }
            return Requests.mcp(
                server: "mail",
                tool: tool,
                arguments: #"{"id":"42"}"#,
                hints: [:],
                session: session,
                context: context,
                settings: settings
            )
        }
    }

    static func approved(_ id: String, _ digest: String) -> ApprovalRequest {
        ApprovalRequest(
            id: id,
            digest: digest,
            summary: "",
            agent: "",
            session: nil,
            rules: [],
            created: 1,
            expires: 2_000_000,
            status: .approved
        )
    }

    static func flow(_ ledger: FakeLedger, _ link: FakeLink?, problem: String? = nil) -> GuardFlow<FakeLedger> {
        GuardFlow(policy: policy, ledger: ledger, link: link, linkProblem: problem, clock: FixedClock(), wait: 0)
    }

    @Test("each adapter's actions are judged as their kind", arguments: Entry.allCases)
    func kinds(_ entry: Entry) {
        #expect(Judge.evaluate(Self.request(entry, .harmless), policy: Self.policy).verdict == .allow)
        #expect(Judge.evaluate(Self.request(entry, .risky), policy: Self.policy).verdict == .ask)
        #expect(Judge.evaluate(Self.request(entry, .catastrophic), policy: Self.policy).verdict == .deny)
    }

    struct Situation: Sendable, CustomStringConvertible {
        var name: String
        var kind: Kind
        var expected: Verdict
        var run: @Sendable (ActionRequest) -> GuardOutcome
        var description: String { name }
    }

    static let situations: [Situation] = [
        Situation(name: "local: harmless runs", kind: .harmless, expected: .allow) {
            flow(FakeLedger(), nil).run($0)
        },
        Situation(name: "local: risky is put to the person", kind: .risky, expected: .ask) {
            flow(FakeLedger(), nil).run($0)
        },
        Situation(name: "local: catastrophic is refused", kind: .catastrophic, expected: .deny) {
            flow(FakeLedger(), nil).run($0)
        },
        Situation(name: "local: an approval of exactly this action lets it run once", kind: .risky, expected: .allow) {
            let digest = Judge.evaluate($0, policy: policy).digest
            var state = LocalState()
            state.requests.append(
                approved("r1", digest)
            )
            let ledger = FakeLedger(state)
            let first = flow(ledger, nil).run($0)
            let second = flow(ledger, nil).run($0)
            return second.verdict == .ask ? first : second  // the second use must not pass
        },
        Situation(name: "local: a stop on everything refuses even harmless work", kind: .harmless, expected: .deny) {
            var state = LocalState()
            state.stops.append(Stop.local(scope: .all, value: "", reason: "incident", created: 1))
            return flow(FakeLedger(state), nil).run($0)
        },
        Situation(name: "local: a session stop refuses that session", kind: .harmless, expected: .deny) {
            var state = LocalState()
            state.stops.append(Stop.local(scope: .session, value: "s1", reason: "", created: 1))
            return flow(FakeLedger(state), nil).run($0)
        },
        Situation(name: "local: the state cannot be used", kind: .harmless, expected: .deny) {
            flow(FakeLedger(broken: true), nil).run($0)
        },
        Situation(name: "server settings damaged", kind: .harmless, expected: .deny) {
            flow(FakeLedger(), FakeLink(.answer(.allow)), problem: "the server settings are damaged").run($0)
        },
        Situation(name: "server: a signed allow of a risky action runs", kind: .risky, expected: .allow) {
            flow(FakeLedger(), FakeLink(.answer(.allow, request: "req_1"))).run($0)
        },
        Situation(name: "server: still pending after the wait is refused", kind: .risky, expected: .deny) {
            flow(FakeLedger(), FakeLink(.answer(.ask, message: "needs 1 × senior", request: "req_1"))).run($0)
        },
        Situation(name: "server: a signed deny refuses harmless work", kind: .harmless, expected: .deny) {
            flow(FakeLedger(), FakeLink(.answer(.deny, message: "a stop is in force"))).run($0)
        },
        Situation(name: "server: allow cannot loosen a local deny", kind: .catastrophic, expected: .deny) {
            flow(FakeLedger(), FakeLink(.answer(.allow))).run($0)
        },
        Situation(name: "server: an answer signed by another key is refused", kind: .risky, expected: .deny) {
            flow(FakeLedger(), FakeLink(.forged(.allow))).run($0)
        },
        Situation(name: "server: a forged allow of harmless work is refused too", kind: .harmless, expected: .deny) {
            flow(FakeLedger(), FakeLink(.forged(.allow))).run($0)
        },
        Situation(name: "server: a replayed answer is refused", kind: .risky, expected: .deny) {
            flow(FakeLedger(), FakeLink(.replayed(.allow))).run($0)
        },
        Situation(name: "server: an error answer never allows", kind: .harmless, expected: .deny) {
            flow(FakeLedger(), FakeLink(.error)).run($0)
        },
        Situation(name: "offline: harmless still runs", kind: .harmless, expected: .allow) {
            flow(FakeLedger(), FakeLink(.unreachable)).run($0)
        },
        Situation(name: "offline: an ask is refused", kind: .risky, expected: .deny) {
            flow(FakeLedger(), FakeLink(.unreachable)).run($0)
        },
        Situation(name: "offline: the last known stops hold", kind: .harmless, expected: .deny) {
            let stop = Stop(
                id: "stp_1",
                scope: .user,
                value: "dev",
                reason: "",
                createdBy: "ops",
                created: 1,
                liftRole: "senior",
                automatic: false
            )
            return flow(FakeLedger(), FakeLink(.unreachable, stops: [stop])).run($0)
        },
    ]

    @Test("the same situation gives the same verdict through every entry point", arguments: situations)
    func situation(_ s: Situation) {
        for entry in Entry.allCases {
            let o = s.run(Self.request(entry, s.kind))
            #expect(o.verdict == s.expected, "\(entry.rawValue): \(o.message)")
            if o.verdict == .deny { #expect(!o.message.isEmpty && !o.agentMessage.isEmpty, "\(entry.rawValue)") }
        }
    }

    @Test("the server is sent the raw action and this machine's verdict, never a summary or a requirement")
    func rawAction() {
        for entry in Entry.allCases {
            let link = FakeLink(.answer(.allow))
            let request = Self.request(entry, .risky)
            _ = Self.flow(FakeLedger(), link).run(request)
            let sent = link.sent.withLock { $0 }
            #expect(sent.count == 1)
            #expect(sent.first?.actions == request.actions)
            #expect(sent.first?.localVerdict == .ask)
            let wire = sent.first?.json.serialized ?? ""
            #expect(!wire.contains("\"summary\"") && !wire.contains("\"approvers\""))
        }
    }

    @Test("what a command runs from disk is read once the flow asks, judged by its content, and sent to the server")
    func scriptsFromDisk() {
        let files: [String: String] = [
            "/home/dev/project/tidy.sh": "#!/bin/sh\nrm -rf ~\n",
            "/home/dev/project/Makefile": "tidy:\n\t./tidy.sh\n",
            "/home/dev/project/ok.sh": "#!/bin/sh\necho fine\n",
        ]
        let asked = Mutex<[[String]]>([])
        @Sendable func reader(_ context: inout Context, _ wanted: [String]) -> Bool {
            asked.withLock { $0.append(wanted) }
            var added = false
            for p in wanted where context.scripts[p] == nil {
                guard let text = files[p] else { continue }
                context.scripts[p] = text
                added = true
            }
            return added
        }
        let settings = Self.policy.settings
        func run(_ argv: [String], link: FakeLink? = nil) -> GuardOutcome {
            var f = Self.flow(FakeLedger(), link)
            f.scriptsOf = { reader(&$0, $1) }
            return f.run(Requests.exec(argv, session: "s1", context: Self.context, settings: settings))
        }
        // A script, and a Makefile whose recipe runs the script (two rounds of reading).
        #expect(run(["./tidy.sh"]).verdict == .deny)
        #expect(run(["make", "tidy"]).verdict == .deny)
        #expect(run(["./ok.sh"]).verdict == .allow)
        // A command that runs no file is judged once, and nothing is read.
        asked.withLock { $0 = [] }
        #expect(run(["ls", "-la"]).verdict == .allow)
        #expect(asked.withLock { $0 }.isEmpty)
        // A file that exists but cannot be read is never a silent allow.
        var unreadable = Self.flow(FakeLedger(), nil)
        unreadable.scriptsOf = { context, wanted in
            for p in wanted { context.scriptProblems[p] = "cannot be read" }
            return !wanted.isEmpty
        }
        let blind = unreadable.run(
            Requests.exec(["./tidy.sh"], session: "s1", context: Self.context, settings: settings)
        )
        #expect(blind.verdict == .ask)
        // The server judges the same content: it travels in the request's context.
        let link = FakeLink(.answer(.deny))
        _ = run(["./tidy.sh"], link: link)
        let sent = link.sent.withLock { $0 }
        #expect(sent.first?.context.scripts["/home/dev/project/tidy.sh"] == files["/home/dev/project/tidy.sh"])
        #expect(sent.first?.localVerdict == .deny)
    }

    @Test("a session that keeps trying other ways is stopped, whatever the entry point", arguments: Entry.allCases)
    func rerouting(_ entry: Entry) {
        let ledger = FakeLedger()
        let f = Self.flow(ledger, nil)
        // Three different refused attempts at what the same rule refuses.
        var last: GuardOutcome?
        for branch in ["main", "release", "prod"] {
            var r = Self.request(entry, .risky)
            if case .shell = r.actions[0] { r.actions = [.shell(command: "git push --force origin \(branch)")] }
            if case .mcp(let s, let t, _) = r.actions[0] {
                r.actions = [.mcp(server: s, tool: t, arguments: #"{"id":"\#(branch)"}"#)]
            }
            last = f.run(r)
        }
        #expect(last?.verdict == .deny)
        #expect(last?.note == "rerouting stop")
        #expect(f.run(Self.request(entry, .harmless)).verdict == .deny)
    }

    @Test("the local breaker stops a burst of destructive MCP calls that were each allowed")
    func burst() {
        var p = Policy.standard
        try! p.merge(yaml: "settings:\n  mcp_destructive_limit: 3\n", source: "org.yaml")
        let ledger = FakeLedger()
        let f = GuardFlow(policy: p, ledger: ledger, link: nil, clock: FixedClock(), wait: 0)
        var r = Self.request(.mcp, .risky)
        r.toolHints = ["destructiveHint": true]
        // Approved each time, as a person would have: the breaker still counts them.
        var verdicts: [Verdict] = []
        for i in 0..<5 {
            r.actions = [.mcp(server: "mail", tool: "delete_message", arguments: #"{"id":"\#(i)"}"#)]
            let digest = Judge.evaluate(r, policy: p).digest
            _ = try? ledger.transact { (s, _) throws(GuardFailure) in
                s.requests.append(
                    Self.approved("a\(i)", digest)
                )
            }
            verdicts.append(f.run(r).verdict)
        }
        #expect(verdicts == [.allow, .allow, .allow, .deny, .deny])
    }

    @Test("offline decisions are spooled for the server's audit log with what was enforced")
    func spool() {
        let link = FakeLink(.unreachable)
        _ = Self.flow(FakeLedger(), link).run(Self.request(.hook, .risky))
        #expect(link.spooled.withLock { $0 } == [.deny])
    }

    @Test("every call leaves exactly one local audit record")
    func audit() {
        let ledger = FakeLedger()
        _ = Self.flow(ledger, FakeLink(.answer(.allow))).run(Self.request(.exec, .harmless))
        _ = Self.flow(ledger, nil).run(Self.request(.exec, .catastrophic))
        #expect(ledger.decisions == ["allow", "deny"])
    }
}
