import BrakeCore
import BrakeServer
import Crypto
import Testing

/// The behaviour every `ControlStore` backend must show. A new backend adds one `@Test` calling `run`.
enum StoreConformance {
    static func draft(_ kind: String, session: String = "", destructive: Bool = false) -> AuditDraft {
        AuditDraft(
            kind: kind,
            actor: "tester",
            session: session,
            destructive: destructive,
            fields: [("n", .string(kind))]
        )
    }

    static func token(_ id: String, _ user: String) -> TokenRecord {
        TokenRecord(id: id, user: user, label: "t", hash: "hash-" + id, created: 100)
    }

    static func run(_ store: any ControlStore) async throws {
        // Identities
        #expect(try await store.userCount() == 0)
        _ = try await store.addUser(
            User(name: "ada", role: "admin", created: 100),
            token: token("t1", "ada"),
            audit: draft("user.created"),
            now: 100
        )
        await #expect(throws: APIError.self) {
            _ = try await store.addUser(
                User(name: "ada", role: "junior", created: 101),
                token: token("t2", "ada"),
                audit: draft("user.created"),
                now: 101
            )
        }
        #expect(try await store.userCount() == 1)
        #expect(try await store.authenticate(tokenHash: "hash-t1")?.name == "ada")
        #expect(try await store.authenticate(tokenHash: "hash-nope") == nil)
        var agentToken = token("t9", "ada")
        agentToken.scope = "agent"
        try await store.addToken(agentToken, audit: draft("token.created"), now: 100)
        #expect(try await store.authenticate(tokenHash: "hash-t9")?.scope == "agent")
        #expect(try await store.authenticate(tokenHash: "hash-t1")?.scope == "person")
        // The only admin cannot stop being one; the refused change leaves nothing behind.
        let sizeBefore = try await store.auditHead().size
        await #expect(throws: APIError.self) {
            try await store.setRole(user: "ada", role: "senior", keep: "admin", audit: draft("user.role"), now: 102)
        }
        #expect(try await store.user(named: "ada")?.role == "admin")
        #expect(try await store.auditHead().size == sizeBefore)
        try await store.setRole(user: "ada", role: "senior", keep: "senior", audit: draft("user.role"), now: 102)
        #expect(try await store.user(named: "ada")?.role == "senior")
        await #expect(throws: APIError.self) {
            try await store.setRole(user: "nobody", role: "senior", keep: "admin", audit: draft("user.role"), now: 102)
        }
        try await store.addToken(token("t3", "ada"), audit: draft("token.created"), now: 103)
        await #expect(throws: APIError.self) {
            try await store.addToken(token("t4", "ghost"), audit: draft("token.created"), now: 103)
        }
        #expect(try await store.tokens(user: "ada").map(\.id) == ["t1", "t3", "t9"])
        let revoked = try await store.revokeToken(id: "t1", audit: draft("token.revoked"), now: 104)
        #expect(revoked?.revoked == 104)
        #expect(try await store.authenticate(tokenHash: "hash-t1") == nil)
        #expect(try await store.revokeToken(id: "missing", audit: draft("x"), now: 104) == nil)
        // Removing a person: their active tokens are revoked at once (and named in the event), the name stays;
        // the last of the kept role cannot go, and a refused removal leaves nothing behind.
        _ = try await store.addUser(
            User(name: "bo", role: "junior", created: 105, email: "bo@acme.io"),
            token: token("t5", "bo"),
            audit: draft("user.created"),
            now: 105
        )
        #expect(try await store.user(named: "bo")?.email == "bo@acme.io")
        try await store.addToken(token("t6", "bo"), audit: draft("token.created"), now: 105)
        #expect(
            try await store.removeUser(user: "bo", keep: "senior", audit: draft("user.removed"), now: 106) == [
                "t5", "t6",
            ]
        )
        #expect(try await store.authenticate(tokenHash: "hash-t5") == nil)
        #expect(try await store.authenticate(tokenHash: "hash-t6") == nil)
        #expect(try await store.user(named: "bo")?.role == User.removed)
        let sizeAfterRemoval = try await store.auditHead().size
        await #expect(throws: APIError.self) {
            _ = try await store.removeUser(user: "bo", keep: "senior", audit: draft("user.removed"), now: 107)
        }
        await #expect(throws: APIError.self) {
            _ = try await store.removeUser(user: "ada", keep: "senior", audit: draft("user.removed"), now: 107)
        }
        #expect(try await store.user(named: "ada")?.role == "senior")
        #expect(try await store.auditHead().size == sizeAfterRemoval)

        // Decisions, sessions, the breaker's count
        let report = try DecisionReport(
            json: .object([
                ("decision", .string("allow")), ("agent", .string("claude-code")), ("session", .string("s1")),
                ("action", .string("rm a")),
            ])
        )
        for t in [200, 210, 220] {
            _ = try await store.recordDecision(
                report,
                user: "ada",
                audit: draft("decision", session: "s1", destructive: true),
                now: t
            )
        }
        #expect(try await store.destructiveCount(session: "s1", user: nil, tool: nil, since: 205) == 2)
        #expect(try await store.destructiveCount(session: nil, user: "tester", tool: nil, since: 0) == 3)
        var byTool = draft("decision", session: "s1", destructive: true)
        byTool.tool = "delete_message"
        _ = try await store.recordDecision(report, user: "ada", audit: byTool, now: 230)
        #expect(try await store.destructiveCount(session: "s1", user: nil, tool: "delete_message", since: 0) == 1)
        #expect(try await store.destructiveCount(session: "s1", user: nil, tool: nil, since: 0) == 4)
        #expect(try await store.session(id: "s1")?.actions == 4)
        #expect(try await store.sessions(limit: 10).map(\.id) == ["s1"])
        #expect(try await store.sessionEvents(id: "s1", limit: 2).count == 2)

        // Agent records: found by blob and by commit, whoever sent them
        let blob = String(repeating: "ab", count: 20)
        let sha = String(repeating: "cd", count: 20)
        try await store.addAgentRecords(
            [
                AgentRecord(
                    kind: .file,
                    blob: blob,
                    path: "a.py",
                    repository: "/r",
                    agent: "claude-code",
                    session: "s1",
                    time: 1
                ),
                AgentRecord(
                    kind: .commit,
                    commit: sha,
                    tree: sha,
                    repository: "/r",
                    agent: "claude-code",
                    session: "s1",
                    time: 2
                ),
            ],
            user: "ada",
            now: 240
        )
        #expect(try await store.agentRecords(blobs: [blob], commits: []).map(\.path) == ["a.py"])
        #expect(try await store.agentRecords(blobs: [], commits: [sha]).map(\.commit) == [sha])
        #expect(try await store.agentRecords(blobs: [String(repeating: "0", count: 40)], commits: []).isEmpty)
        let many =
            (0..<1200).map { n in
                let hex = String(n, radix: 16)
                return String(repeating: "0", count: 40 - hex.count) + hex
            } + [blob]
        #expect(try await store.agentRecords(blobs: many, commits: []).count == 1)

        // Approvals
        let a = Approval(
            id: "req_1",
            digest: "sha256:aa",
            summary: "git push --force",
            detail: .object([("commands", .array([.string("git push --force")]))]),
            requester: "ada",
            agent: "claude-code",
            session: "s1",
            repository: "",
            environment: "",
            requiredRole: "senior",
            requiredCount: 1,
            status: .pending,
            created: 300,
            expires: 1200
        )
        try await store.insertApproval(a, audit: draft("approval.requested"), now: 300)
        #expect(try await store.approval(id: "req_1") == a)
        #expect(
            try await store.findApproval(digest: "sha256:aa", requester: "ada", statuses: [.pending])?.id == "req_1"
        )
        #expect(try await store.findApproval(digest: "sha256:aa", requester: "bob", statuses: [.pending]) == nil)
        let updated = try await store.updateApproval(id: "req_1", now: 310) { a in
            a.votes.append(Vote(user: "bob", role: "senior", vote: "approve", reason: "ok", time: 310))
            a.status = .approved
            return draft("approval.approved")
        }
        #expect(updated?.status == .approved)
        #expect(try await store.approval(id: "req_1")?.votes.first?.user == "bob")
        // A body that throws changes nothing, and appends nothing.
        let before = try await store.auditHead()
        await #expect(throws: APIError.self) {
            _ = try await store.updateApproval(id: "req_1", now: 320) { a in
                a.status = .used
                throw APIError.conflict("no")
            }
        }
        #expect(try await store.approval(id: "req_1")?.status == .approved)
        #expect(try await store.auditHead().size == before.size)
        #expect(try await store.approvals(status: .approved, limit: 10).map(\.id) == ["req_1"])
        #expect(try await store.updateApproval(id: "nope", now: 1) { _ in nil } == nil)

        // Stops
        let stop = Stop(
            id: "stp_1",
            scope: .session,
            value: "s1",
            reason: "r",
            createdBy: "ada",
            created: 400,
            liftRole: "senior",
            automatic: true
        )
        try await store.insertStop(stop, audit: draft("stop.created"), now: 400)
        #expect(try await store.stops(includeLifted: false) == [stop])
        _ = try await store.updateStop(id: "stp_1", now: 410) { s in
            s.lifted = 410
            s.liftedBy = "bob"
            return draft("stop.lifted")
        }
        #expect(try await store.stops(includeLifted: false).isEmpty)
        #expect(try await store.stops(includeLifted: true).first?.liftedBy == "bob")
        // A breaker's stop: one per scope and value while it is active; a lifted one does not count.
        var trip = stop
        trip.id = "stp_2"
        #expect(try await store.insertAutomaticStop(trip, audit: draft("stop.created"), now: 420).id == "stp_2")
        trip.id = "stp_3"
        #expect(try await store.insertAutomaticStop(trip, audit: draft("stop.created"), now: 421).id == "stp_2")
        trip.value = "s2"
        #expect(try await store.insertAutomaticStop(trip, audit: draft("stop.created"), now: 422).id == "stp_3")
        #expect(try await store.stops(includeLifted: false).map(\.id) == ["stp_2", "stp_3"])
        for id in ["stp_2", "stp_3"] {
            _ = try await store.updateStop(id: id, now: 430) { s in
                s.lifted = 430
                s.liftedBy = "bob"
                return draft("stop.lifted")
            }
        }
        // Scheduled tasks are claimed once.
        #expect(try await store.claimValue("task", expected: nil, "1"))
        #expect(try await !store.claimValue("task", expected: nil, "2"))
        #expect(try await store.claimValue("task", expected: "1", "3"))
        #expect(try await !store.claimValue("task", expected: "1", "4"))
        #expect(try await store.value("task") == "3")
        // Breaker admissions: the limit, per slot, within the window.
        #expect(try await store.admitDestructive(slot: "k", since: 0, limit: 2, now: 440) == 0)
        #expect(try await store.admitDestructive(slot: "k", since: 0, limit: 2, now: 441) == 1)
        #expect(try await store.admitDestructive(slot: "k", since: 0, limit: 2, now: 442) == 2)
        #expect(try await store.admitDestructive(slot: "k", since: 0, limit: 2, now: 443) == 2)
        #expect(try await store.admitDestructive(slot: "other", since: 0, limit: 2, now: 443) == 0)
        #expect(try await store.admitDestructive(slot: "k", since: 441, limit: 2, now: 444) == 0)

        // Web sessions
        try await store.createWebSession(hash: "w1", user: "ada", tokenHash: "hash-t3", csrf: "c1", expires: 1000)
        try await store.createWebSession(hash: "w2", user: "ada", tokenHash: "hash-t3", csrf: "c2", expires: 1000)
        #expect(try await store.webSession(hash: "w1", now: 999)?.user.name == "ada")
        #expect(try await store.webSession(hash: "w1", now: 999)?.csrf == "c1")
        #expect(try await store.webSession(hash: "w1", now: 1000) == nil)
        #expect(try await store.webSession(hash: "nope", now: 0) == nil)
        try await store.deleteWebSession(hash: "w1")
        #expect(try await store.webSession(hash: "w1", now: 0) == nil)
        // Revoking the token ends the sessions opened with it.
        #expect(try await store.webSession(hash: "w2", now: 0) != nil)
        _ = try await store.revokeToken(id: "t3", audit: draft("token.revoked"), now: 999)
        #expect(try await store.webSession(hash: "w2", now: 0) == nil)

        // The audit chain: contiguous, linked, verifiable, with checkpoints.
        let head = try await store.auditHead()
        let all = try await store.auditRange(from: 1, limit: 1000)
        #expect(all.count == head.size)
        #expect(all.map(\.seq) == Array(1...head.size))
        #expect(all.last?.hash == head.hash)
        #expect(try await store.auditRange(from: 3, limit: 2).map(\.seq) == [3, 4])
        let key = Curve25519Key.make()
        let cp = AuditChain.sign(treeSize: head.size, headHash: head.hash, time: 500, key: key)
        try await store.addCheckpoint(cp)
        #expect(try await store.checkpoints() == [cp])
        let report2 = AuditChain.verify(all, checkpoints: [cp], publicKey: key.publicKey)
        #expect(report2.ok, "\(report2.problems)")
        #expect(report2.checkpointsVerified == 1)
        let e = try await store.append(draft("extra"), now: 600)
        #expect(e.seq == head.size + 1 && e.prevHash == head.hash)
        try await oversight(store)
    }

    /// What the reports read and record.
    static func oversight(_ store: any ControlStore) async throws {
        func decision(_ d: String, session: String, observed: String = "", rule: String) throws -> DecisionReport {
            try DecisionReport(
                json: .object([
                    ("decision", .string(d)), ("agent", .string("codex")), ("session", .string(session)),
                    ("repository", .string("github.com/acme/r")),
                    ("rules", .array(rule.isEmpty ? [] : [.string(rule)])),
                    ("observed", .string(observed)),
                ])
            )
        }
        for (t, d, obs, rule) in [
            (1000, "ask", "", "git.force-push"), (1100, "allow", "ask", "git.force-push"), (1500, "deny", "", "fs.x"),
        ] {
            _ = try await store.recordDecision(
                try decision(d, session: "o1", observed: obs, rule: rule),
                user: "bo",
                audit: draft("decision", session: "o1"),
                now: t
            )
        }
        var stopped = draft("decision", session: "o1")
        stopped.fields.append(("stop", .string("stp_1")))
        _ = try await store.recordDecision(
            try decision("deny", session: "o1", rule: ""),
            user: "bo",
            audit: stopped,
            now: 1600
        )
        let facts = try await store.sessionFacts(since: 900).filter { $0.session == "o1" }
        #expect(
            facts == [
                SessionFacts(
                    repository: "github.com/acme/r",
                    user: "bo",
                    agent: "codex",
                    session: "o1",
                    first: 1000,
                    last: 1600,
                    actions: 4,
                    asks: 1,
                    denies: 2,
                    observedAsks: 1,
                    stopped: 1
                )
            ]
        )
        // Sums are kept per day (UTC): a period starts at a midnight.
        #expect(try await store.sessionFacts(since: 86400).isEmpty)
        _ = try await store.recordDecision(
            try decision("ask", session: "o1", rule: "git.force-push"),
            user: "bo",
            audit: draft("decision", session: "o1"),
            now: 86400 + 5
        )
        let nextDay = try await store.sessionFacts(since: 86400)
        #expect(nextDay.map(\.actions) == [1] && nextDay.first?.first == 86405 && nextDay.first?.asks == 1)
        #expect(try await store.sessionFacts(since: 0).first { $0.session == "o1" }?.actions == 5)
        #expect(
            try await store.ruleAsks(since: 0).filter { $0.user == "bo" } == [
                RuleAsks(rule: "git.force-push", user: "bo", repository: "github.com/acme/r", asks: 2, observed: 1)
            ]
        )
        // Commit reports: the latest report of a commit wins, its first sign-off time stays.
        let sha = String(repeating: "ef", count: 20)
        func fact(_ passed: Bool, _ signers: [String]) -> CommitFact {
            CommitFact(
                repository: "github.com/acme/r",
                sha: sha,
                time: 900,
                author: "jo@acme.io",
                provenance: "ai-assisted",
                evidence: ["trailer"],
                requirements: ["1 × senior"],
                signers: signers,
                missing: passed ? [] : ["1 × senior"],
                passed: passed,
                addedLines: 5,
                agentLines: 5
            )
        }
        let envelope = #"{"payloadType":"application/vnd.in-toto+json"}"#
        try await store.addCommitFacts(
            [fact(false, [])],
            envelopes: [],
            user: "ci",
            audit: draft("signoff.reported"),
            now: 1000
        )
        try await store.addCommitFacts(
            [fact(true, ["sam"])],
            envelopes: [(sha, envelope)],
            user: "sam",
            audit: draft("signoff.reported"),
            now: 1200
        )
        try await store.addCommitFacts(
            [fact(true, ["sam", "sue"])],
            envelopes: [(sha, envelope)],
            user: "ci",
            audit: draft("signoff.reported"),
            now: 1300
        )
        let got = try await store.commitFacts(since: 0, repository: "github.com/acme/r")
        #expect(got.count == 1 && got.first?.signers == ["sam", "sue"] && got.first?.signedAt == 1200)
        #expect(got.first?.reporter == "ci" && got.first?.reported == 1300)
        #expect(try await store.commitFacts(since: 901, repository: nil).isEmpty)
        #expect(try await store.signoffEnvelopes(commits: [sha, "00"]) == [sha: [envelope]])
        // Suggestions: decided once.
        let d = SuggestionDecision(
            id: "sug_1",
            rule: "git.force-push",
            pattern: "git push --force origin x",
            repository: "github.com/acme/r",
            status: "rejected",
            yaml: "",
            by: "ada",
            time: 1400
        )
        let before = try await store.auditHead().size
        try await store.decideSuggestion(d, audit: draft("suggestion.rejected"), now: 1400)
        await #expect(throws: APIError.self) {
            try await store.decideSuggestion(d, audit: draft("suggestion.rejected"), now: 1401)
        }
        #expect(try await store.suggestionDecisions() == [d])
        #expect(try await store.auditHead().size == before + 1, "a refused decision leaves no audit event")
        #expect(try await store.value("digest.last") == nil)
        try await store.setValue("digest.last", "5")
        try await store.setValue("digest.last", "6")
        #expect(try await store.value("digest.last") == "6")
        // Requests: their facts, and shapes approved again and again (never denied).
        func request(_ id: String, _ branch: String, status: Approval.Status, votes: [Vote], at t: Int) -> Approval {
            Approval(
                id: id,
                digest: "sha256:" + id,
                summary: "git push --force origin \(branch)",
                detail: .object([
                    ("commands", .array([.string("git push --force origin \(branch)")])),
                    ("reasons", .array([.object([("rule", .string("git.force-push"))])])),
                ]),
                requester: "bo",
                agent: "codex",
                session: "o1",
                repository: "github.com/acme/r",
                environment: "",
                requiredRole: "senior",
                requiredCount: 1,
                status: status,
                created: t,
                expires: t + 900,
                votes: votes,
                decided: t + 10
            )
        }
        let yes = { (u: String) in [Vote(user: u, role: "senior", vote: "approve", reason: "", time: 0)] }
        for (i, u) in ["sam", "sue", "sam"].enumerated() {
            try await store.insertApproval(
                request("r\(i)", "x", status: .used, votes: yes(u), at: 2000 + i),
                audit: draft("approval.requested"),
                now: 2000
            )
            try await store.insertApproval(
                request(
                    "d\(i)",
                    "y",
                    status: i == 2 ? .approved : .used,
                    votes: yes(u)
                        + (i == 2 ? [Vote(user: "al", role: "senior", vote: "deny", reason: "", time: 0)] : []),
                    at: 2000 + i
                ),
                audit: draft("approval.requested"),
                now: 2000
            )
        }
        let facts2 = try await store.requestFacts(since: 2001)
        #expect(facts2.count == 4 && facts2.allSatisfy { $0.created >= 2001 && $0.decided == $0.created + 10 })
        let shapes = try await store.shapeStats(since: 0, minApprovals: 3)
        #expect(shapes.count == 1, "the shape with a deny vote is left out")
        #expect(shapes.first?.approvals == 3 && shapes.first?.approvers == ["sam", "sue"])
        #expect(shapes.first?.first == 2000 && shapes.first?.last == 2002)
        #expect(shapes.first?.examples == Array(repeating: "git push --force origin x", count: 3))
        #expect(try await store.shapeStats(since: 0, minApprovals: 4).isEmpty)
        #expect(try await store.shapeStats(since: 2001, minApprovals: 3).isEmpty)
    }
}

@Suite("Store conformance")
struct StoreConformanceTests {
    @Test("SQLite backend passes the conformance suite")
    func sqlite() async throws {
        let dir = try TempDir()
        let store = try SQLiteStore(path: dir.path + "/brake.sqlite")
        try await StoreConformance.run(store)
    }
}

@Suite("Store conformance on PostgreSQL")
struct PostgresConformanceTests {
    @Test("PostgreSQL backend passes the conformance suite")
    func postgres() async throws {
        guard let url = try await PostgresTestServer.shared.newDatabase() else { return }
        let store = try await PostgresStore(url, password: PostgresTestServer.password)
        defer { store.close() }
        try await StoreConformance.run(store)
    }
}
