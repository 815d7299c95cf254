import BrakeCore
import BrakeServer
import Crypto
import Testing

/// A team's embedded control plane moved onto PostgreSQL (`brake serve --import-sqlite`): what people and hooks
/// hold keeps working there, and the audit chain carries on from the same head.
@Suite("An embedded control plane copied onto PostgreSQL")
struct StoreImportTests {
    static let blob = String(repeating: "ab", count: 20)

    /// A file an agent wrote, as its hook records it.
    static func file(_ path: String, session: String) -> AgentRecord {
        AgentRecord(
            kind: .file,
            blob: blob,
            path: path,
            repository: "/r",
            agent: "claude-code",
            session: session,
            time: 1
        )
    }

    /// The file's own chain, verified with the key that signed its checkpoints.
    static func verified(_ source: SQLiteStore, _ key: Curve25519.Signing.PrivateKey) async throws -> AuditChain.Report
    {
        AuditChain.verify(
            try await source.allAuditEntries(),
            checkpoints: try await source.checkpoints(),
            publicKey: key.publicKey
        )
    }

    /// An embedded server's database with a little of everything: people, tokens, decisions, agent records, a signed
    /// checkpoint with events after it, and a stop.
    static func embedded(
        _ dir: TempDir,
        key: Curve25519.Signing.PrivateKey
    ) async throws -> (
        store: SQLiteStore, admin: String, dev: String
    ) {
        let store = try SQLiteStore(path: dir.path + "/brake.sqlite")
        let plane = try BrakeServerMain.plane(store: store, config: ServerConfig(), key: key)
        let adminToken = try #require(try await plane.bootstrap())
        let admin = try await plane.authenticate(bearer: adminToken)
        let (_, devToken) = try await plane.addUser(name: "dev", role: "mid", by: admin)
        let dev = try await plane.authenticate(bearer: devToken)
        func decide(_ n: Int) async throws {
            _ = try await plane.report(
                try DecisionReport(
                    json: .object([
                        ("agent", .string("claude-code")), ("session", .string("s1")), ("tool", .string("Bash")),
                        ("action", .string("make test-\(n)")), ("decision", .string("allow")),
                    ])
                ),
                by: dev
            )
        }
        for n in 0..<5 { try await decide(n) }
        try await store.addAgentRecords([file("a.py", session: "s1")], user: "dev", now: 100)
        _ = try await plane.checkpoint()
        for n in 5..<8 { try await decide(n) }
        _ = try await plane.createStop(scope: .user, value: "dev", reason: "incident", by: admin)
        return (store, adminToken, devToken)
    }

    @Test("tokens, stops and records keep working on PostgreSQL, and the chain carries on from the same head")
    func everythingArrives() async throws {
        guard let target = try await PostgresReplicaTests.stores(1)?.first else { return }
        defer { target.close() }
        let dir = try TempDir()
        let key = Curve25519.Signing.PrivateKey()
        let (source, adminToken, devToken) = try await Self.embedded(dir, key: key)
        let expected = try await Self.verified(source, key)
        // 2 people, 8 decisions, a stop: at least 11 events, one checkpoint in the middle.
        #expect(expected.ok && expected.length >= 11 && expected.checkpointsVerified == 1)

        let imported = try await target.importRows(from: source, expected: expected, publicKey: key.publicKey)
        #expect(imported.audit.length == expected.length && imported.audit.head == expected.head)
        #expect(imported.tables.first?.name == "users")
        #expect(imported.tables.first { $0.name == "tokens" }?.rows == 2)

        let plane = try BrakeServerMain.plane(store: target, config: ServerConfig(), key: key)
        #expect(try await plane.authenticate(bearer: adminToken).name == "admin")
        let dev = try await plane.authenticate(bearer: devToken)
        #expect(dev.name == "dev" && dev.role == "mid")
        #expect(try await plane.activeStops().map(\.reason) == ["incident"])
        #expect(try await target.agentRecords(blobs: [Self.blob], commits: []).map(\.path) == ["a.py"])
        #expect(try await target.session(id: "s1")?.actions == 8)

        // New rows after the copy: serial numbers continue past the copied ones, the chain past the copied head.
        try await target.addAgentRecords([Self.file("b.py", session: "s2")], user: "dev", now: 200)
        let admin = try await plane.authenticate(bearer: adminToken)
        _ = try await plane.createStop(scope: .session, value: "s2", reason: "second", by: admin)
        _ = try await plane.checkpoint()
        let after = try await plane.verify()
        #expect(after.ok, "\(after.problems)")
        #expect(after.length == expected.length + 1 && after.checkpointsVerified == 2)

        // A second copy into the database that now holds a control plane is refused, and changes nothing.
        let refused = await #expect(throws: APIError.self) {
            try await target.importRows(from: source, expected: expected, publicKey: key.publicKey)
        }
        #expect(refused?.message.contains("already holds a control plane") == true)
        #expect(try await target.auditHead().size == expected.length + 1)
    }

    @Test("a copy whose chain would not verify as the file's does is never committed")
    func neverHalfCopied() async throws {
        guard let target = try await PostgresReplicaTests.stores(1)?.first else { return }
        defer { target.close() }
        let dir = try TempDir()
        let key = Curve25519.Signing.PrivateKey()
        let (source, _, _) = try await Self.embedded(dir, key: key)
        let good = try await Self.verified(source, key)
        // Another key than the one that signed the checkpoint, and another head than the file's.
        await #expect(throws: APIError.self) {
            try await target.importRows(
                from: source,
                expected: good,
                publicKey: Curve25519.Signing.PrivateKey().publicKey
            )
        }
        var wrong = good
        wrong.head = String(repeating: "0", count: 64)
        await #expect(throws: APIError.self) {
            try await target.importRows(from: source, expected: wrong, publicKey: key.publicKey)
        }
        #expect(try await target.auditHead().size == 0)
        #expect(try await target.users().isEmpty)
        #expect(try await target.tokens(user: nil).isEmpty)
        // ...and the right one then goes in whole.
        let imported = try await target.importRows(from: source, expected: good, publicKey: key.publicKey)
        #expect(imported.audit.length == good.length)
    }
}
