import BrakeCore
import BrakeServer
import Crypto
import Synchronization
import Testing

/// What several processes on one PostgreSQL database must get right, shown with several stores (each with its
/// own connection pool and listener, as replicas have) on one database.
@Suite("PostgreSQL shared by replicas")
struct PostgresReplicaTests {
    static func stores(_ n: Int) async throws -> [PostgresStore]? {
        guard let url = try await PostgresTestServer.shared.newDatabase() else { return nil }
        // Started together on an empty database: the migrations run once, under the advisory lock.
        return try await withThrowingTaskGroup(of: PostgresStore.self) { group in
            for _ in 0..<n { group.addTask { try await PostgresStore(url, password: PostgresTestServer.password) } }
            var out: [PostgresStore] = []
            for try await s in group { out.append(s) }
            return out
        }
    }

    static func draft(_ kind: String, _ n: Int) -> AuditDraft {
        AuditDraft(kind: kind, actor: "tester", session: "s", fields: [("n", .number(Double(n)))])
    }

    @Test("appends from three replicas at once form one chain that verifies")
    func oneChain() async throws {
        guard let stores = try await Self.stores(3) else { return }
        defer { for s in stores { s.close() } }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (i, store) in stores.enumerated() {
                group.addTask {
                    for n in 0..<60 { _ = try await store.append(Self.draft("test.\(i)", n), now: 1000 + n) }
                }
                group.addTask {
                    for n in 0..<60 {
                        _ = try await store.recordDecision(
                            try DecisionReport(
                                json: .object([
                                    ("agent", .string("a")), ("session", .string("s\(i)")), ("tool", .string("Bash")),
                                    ("action", .string("ls")), ("decision", .string("allow")),
                                ])
                            ),
                            user: "u",
                            audit: Self.draft("decision", n),
                            now: 1000 + n
                        )
                    }
                }
            }
            try await group.waitForAll()
        }
        let entries = try await stores[1].allAuditEntries()
        #expect(entries.map(\.seq) == Array(1...360))
        let key = Curve25519.Signing.PrivateKey()
        let head = try await stores[2].auditHead()
        let c = AuditChain.sign(treeSize: head.size, headHash: head.hash, time: 2000, key: key)
        try await stores[0].addCheckpoint(c)
        let report = AuditChain.verify(entries, checkpoints: [c], publicKey: key.publicKey)
        #expect(report.ok, "\(report)")
    }

    @Test("a request approved on one replica is used exactly once across replicas")
    func exactlyOnce() async throws {
        guard let stores = try await Self.stores(3) else { return }
        defer { for s in stores { s.close() } }
        let a = Approval(
            id: "req_once",
            digest: "d",
            summary: "s",
            detail: .null,
            requester: "u",
            agent: "a",
            session: "s",
            repository: "",
            environment: "",
            requiredRole: "senior",
            requiredCount: 1,
            status: .approved,
            created: 1000,
            expires: 5000,
            votes: [],
            decided: 1001,
            used: nil
        )
        try await stores[0].insertApproval(a, audit: Self.draft("approval.requested", 0), now: 1000)
        let used = Counter()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<30 {
                let store = stores[i % 3]
                group.addTask {
                    _ = try await store.updateApproval(id: "req_once", now: 1002) { a in
                        guard a.status == .approved else { return nil }
                        a.status = .used
                        a.used = 1002
                        used.add()
                        return Self.draft("approval.used", i)
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(used.value == 1)
        #expect(try await stores[2].allAuditEntries().filter { $0.event.contains("approval.used") }.count == 1)
    }

    @Test("a breaker admits exactly its limit across replicas")
    func breakerAdmission() async throws {
        guard let stores = try await Self.stores(2) else { return }
        defer { for s in stores { s.close() } }
        let admitted = Counter()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<40 {
                let store = stores[i % 2]
                group.addTask {
                    let n = try await store.admitDestructive(slot: "b|s1|", since: 900, limit: 5, now: 1000)
                    if n < 5 { admitted.add() }
                }
            }
            try await group.waitForAll()
        }
        #expect(admitted.value == 5)
        // Another slot, and the same slot outside the window, are counted apart.
        #expect(try await stores[0].admitDestructive(slot: "b|s2|", since: 900, limit: 5, now: 1000) == 0)
        #expect(try await stores[1].admitDestructive(slot: "b|s1|", since: 1000, limit: 5, now: 1200) == 0)
    }

    @Test("changes reach the other replicas' listeners")
    func notifications() async throws {
        guard let stores = try await Self.stores(2) else { return }
        defer { for s in stores { s.close() } }
        let seen = Mutex<[StoreChange]>([])
        stores[1].onChange { c in seen.withLock { $0.append(c) } }
        // The listener is up once it reported itself (it sends `.all` when it starts).
        for _ in 0..<100 where !stores[1].isListening { try await Task.sleep(for: .milliseconds(20)) }
        #expect(stores[1].isListening)
        let stop = Stop(
            id: "stp_x",
            scope: .all,
            value: "",
            reason: "r",
            createdBy: "ada",
            created: 1000,
            liftRole: "admin",
            automatic: false
        )
        try await stores[0].insertStop(stop, audit: Self.draft("stop.created", 0), now: 1000)
        _ = try await stores[0].addUser(
            User(name: "ada", role: "admin", created: 1),
            token: TokenRecord(id: "t1", user: "ada", label: "l", hash: "h1", created: 1),
            audit: Self.draft("user.created", 0),
            now: 1000
        )
        for _ in 0..<100 where seen.withLock({ $0.count }) < 3 { try await Task.sleep(for: .milliseconds(20)) }
        let got = seen.withLock { $0 }
        #expect(got.contains(.stops) && got.contains(.identities))
        // A rolled-back change announces nothing.
        seen.withLock { $0.removeAll() }
        await #expect(throws: APIError.self) {
            _ = try await stores[0].addUser(
                User(name: "ada", role: "admin", created: 1),
                token: TokenRecord(id: "t2", user: "ada", label: "l", hash: "h2", created: 1),
                audit: Self.draft("user.created", 1),
                now: 1000
            )
        }
        try await stores[0].insertStop(
            Stop(
                id: "stp_y",
                scope: .all,
                value: "",
                reason: "r",
                createdBy: "ada",
                created: 1,
                liftRole: "admin",
                automatic: false
            ),
            audit: Self.draft("stop.created", 1),
            now: 1001
        )
        for _ in 0..<100 where seen.withLock({ $0.isEmpty }) { try await Task.sleep(for: .milliseconds(20)) }
        #expect(seen.withLock { $0 } == [.stops])
    }

    @Test("replicas sign one checkpoint per interval for the cluster")
    func oneCheckpoint() async throws {
        guard let stores = try await Self.stores(3) else { return }
        defer { for s in stores { s.close() } }
        let key = Curve25519.Signing.PrivateKey()
        let clock = TestClock()
        let planes = try stores.map {
            try BrakeServerMain.plane(store: $0, config: ServerConfig(), key: key, clock: { clock.now })
        }
        _ = try await stores[0].append(Self.draft("x", 1), now: clock.now)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for p in planes { group.addTask { _ = try await p.checkpoint(every: 60) } }
            try await group.waitForAll()
        }
        #expect(try await stores[1].checkpoints().count == 1)
        // The head moved, but the interval has not passed: no replica signs.
        _ = try await stores[0].append(Self.draft("x", 2), now: clock.now)
        clock.advance(30)
        for p in planes { _ = try await p.checkpoint(every: 60) }
        #expect(try await stores[1].checkpoints().count == 1)
        clock.advance(29)
        for p in planes { _ = try await p.checkpoint(every: 60) }
        #expect(try await stores[1].checkpoints().count == 1, "59 s after the last one, the interval has not passed")
        clock.advance(1)
        for p in planes { _ = try await p.checkpoint(every: 60) }
        #expect(try await stores[1].checkpoints().count == 2)
        // Shutdown's final checkpoint does not wait for the interval; with nothing new it signs nothing.
        _ = try await stores[0].append(Self.draft("x", 3), now: clock.now)
        _ = try await planes[2].checkpoint()
        _ = try await planes[0].checkpoint()
        #expect(try await stores[1].checkpoints().count == 3)
    }

    @Test("the database URL is parsed, and its mistakes are said")
    func databaseURL() throws {
        let u = try DatabaseURL("postgres://brake:s%40cret@db.example.com:6543/control?sslrootcert=/etc/ca.pem")
        #expect(u.user == "brake" && u.password == "s@cret" && u.host == "db.example.com" && u.port == 6543)
        #expect(u.database == "control" && u.sslRootCert == "/etc/ca.pem")
        #expect(u.sslMode == "verify-full", "a remote database is verified unless the URL says otherwise")
        #expect(!u.display.contains("s@cret") && !u.display.contains("cret"))
        #expect(try DatabaseURL("postgresql://b@127.0.0.1/x").sslMode == "prefer")
        #expect(try DatabaseURL("postgres://b@[::1]:7000/x?sslmode=require").port == 7000)
        for bad in [
            "mysql://a@b/c", "postgres://host/db", "postgres://a@b", "postgres://a@b:99999/c",
            "postgres://a@b/c?sslmode=maybe", "postgres://a@b/c?pool=3",
        ] {
            #expect(throws: APIError.self, "\(bad)") { _ = try DatabaseURL(bad) }
        }
    }
}

final class Counter: Sendable {
    private let n = Mutex(0)
    var value: Int { n.withLock { $0 } }
    func add() { n.withLock { $0 += 1 } }
}
