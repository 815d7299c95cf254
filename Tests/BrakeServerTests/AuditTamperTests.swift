import BrakeCore
import BrakeServer
import Crypto
import GRDB
import Testing

@Suite("Audit chain tampering")
struct AuditTamperTests {
    /// A store with `n` events and a checkpoint over them, plus a raw connection to the same file.
    func fixture(_ n: Int) async throws -> (TempDir, SQLiteStore, ControlPlane, DatabaseQueue) {
        let dir = try TempDir()
        let store = try SQLiteStore(path: dir.path + "/brake.sqlite")
        let plane = try BrakeServerMain.plane(store: store, config: ServerConfig(), key: Curve25519Key.make())
        for i in 0..<n {
            _ = try await store.append(
                AuditDraft(kind: "decision", actor: "dev", fields: [("i", .number(Double(i)))]),
                now: 100 + i
            )
        }
        try await plane.checkpoint()
        return (dir, store, plane, try DatabaseQueue(path: dir.path + "/brake.sqlite"))
    }

    @Test("an untouched log verifies, with its checkpoint")
    func intact() async throws {
        let (dir, _, plane, _) = try await fixture(5)
        defer { withExtendedLifetime(dir) {} }  // the database's directory outlives every read
        let r = try await plane.verify()
        #expect(r.ok && r.length == 5 && r.checkpointsVerified == 1)
    }

    @Test("editing an event's content is reported")
    func edit() async throws {
        let (dir, _, plane, db) = try await fixture(5)
        defer { withExtendedLifetime(dir) {} }  // the database's directory outlives every read
        try await db.write {
            try $0.execute(sql: "UPDATE audit SET event = replace(event, '\"dev\"', '\"eve\"') WHERE seq = 3")
        }
        let r = try await plane.verify()
        #expect(!r.ok)
        #expect(r.problems.contains { $0.contains("event 3") && $0.contains("edited") })
    }

    @Test("editing an event and recomputing its hash breaks the next link and the checkpoint")
    func editAndRehash() async throws {
        let (dir, store, plane, db) = try await fixture(5)
        defer { withExtendedLifetime(dir) {} }  // the database's directory outlives every read
        let e = try await store.auditRange(from: 3, limit: 1)[0]
        let forged = e.event.replacingOccurrences("\"dev\"", "\"eve\"")
        let h = AuditChain.hash(previous: e.prevHash, event: forged)
        try await db.write {
            try $0.execute(sql: "UPDATE audit SET event = ?, hash = ? WHERE seq = 3", arguments: [forged, h])
        }
        let r = try await plane.verify()
        #expect(r.problems.contains { $0.contains("event 4") && $0.contains("prev_hash") })
        #expect(r.problems.contains { $0.contains("checkpoint at 5") })
    }

    @Test("deleting an event is reported")
    func delete() async throws {
        let (dir, _, plane, db) = try await fixture(5)
        defer { withExtendedLifetime(dir) {} }  // the database's directory outlives every read
        try await db.write { try $0.execute(sql: "DELETE FROM audit WHERE seq = 2") }
        let r = try await plane.verify()
        #expect(r.problems.contains { $0.contains("deleted, inserted or reordered") })
    }

    @Test("swapping two events is reported")
    func swap() async throws {
        let (dir, _, plane, db) = try await fixture(5)
        defer { withExtendedLifetime(dir) {} }  // the database's directory outlives every read
        try await db.write { db in
            try db.execute(sql: "UPDATE audit SET seq = -1 WHERE seq = 2")
            try db.execute(sql: "UPDATE audit SET seq = 2 WHERE seq = 3")
            try db.execute(sql: "UPDATE audit SET seq = 3 WHERE seq = -1")
        }
        let r = try await plane.verify()
        #expect(!r.ok)
        #expect(r.problems.contains { $0.contains("moved") || $0.contains("prev_hash") })
    }

    @Test("truncating the log before the last checkpoint is reported")
    func truncate() async throws {
        let (dir, _, plane, db) = try await fixture(5)
        defer { withExtendedLifetime(dir) {} }  // the database's directory outlives every read
        try await db.write { try $0.execute(sql: "DELETE FROM audit WHERE seq > 3") }
        let r = try await plane.verify()
        #expect(r.problems.contains { $0.contains("truncation") })
    }

    @Test("a checkpoint forged without the server's key is reported")
    func forgedCheckpoint() async throws {
        let (dir, _, plane, db) = try await fixture(5)
        defer { withExtendedLifetime(dir) {} }  // the database's directory outlives every read
        try await db.write { try $0.execute(sql: "UPDATE checkpoints SET head_hash = 'ff' || substr(head_hash, 3)") }
        let r = try await plane.verify()
        #expect(r.problems.contains { $0.contains("signature is not valid") })
    }

    @Test("an export line round-trips and verifies offline")
    func exportRoundTrip() async throws {
        let (dir, store, plane, _) = try await fixture(4)
        defer { withExtendedLifetime(dir) {} }  // the database's directory outlives every read
        let entries = try await store.auditRange(from: 1, limit: 100)
        let parsed = try entries.map { try AuditChain.Entry(exportLine: $0.exportLine) }
        #expect(parsed == entries)
        let r = AuditChain.verify(parsed, checkpoints: try await store.checkpoints(), publicKey: plane.publicKey)
        #expect(r.ok)
    }
}

@Suite("Server configuration")
struct ConfigTests {
    @Test("a full configuration parses")
    func parses() throws {
        let c = try ServerConfig(
            yaml: """
                roles: [intern, engineer, lead, owner]
                approval_ttl_minutes: 30
                max_wait_seconds: 50
                checkpoint_interval_seconds: 5
                stop_lift_role: lead
                destructive: {effects: ["fs.*"], labels: [data-loss]}
                breakers:
                  - {name: burst, limit: 5, window_minutes: 2, scope: user, lift_role: owner}
                  - {name: per-tool, limit: 20, window_minutes: 10, scope: session, per_tool: true}
                """,
            source: "c.yaml"
        )
        #expect(c.roles == ["intern", "engineer", "lead", "owner"])
        #expect(c.approvalTTL == 1800 && c.maxWait == 50 && c.checkpointInterval == 5)
        #expect(
            c.breakers == [
                .init(name: "burst", limit: 5, window: 120, scope: "user", liftRole: "owner"),
                .init(name: "per-tool", limit: 20, window: 600, scope: "session", liftRole: "lead", perTool: true),
            ]
        )
        #expect(c.rank("owner") == 3 && c.rank("member") == 3 && c.rank("unknown-role") == 3)
    }

    @Test("mistakes are named with what to fix")
    func errors() {
        for (yaml, needle) in [
            ("roles: [a]", "at least two"), ("colour: red", "unknown key 'colour'"),
            ("approval_ttl_minutes: soon", "whole number"),
            ("stop_lift_role: wizard", "not one of the configured roles"),
            ("breakers:\n  - {scope: planet}", "session or user"), ("roles: [", "not valid YAML"),
        ] {
            do {
                _ = try ServerConfig(yaml: yaml, source: "c.yaml")
                Issue.record("accepted \(yaml)")
            } catch {
                #expect(error.message.contains(needle), "\(yaml): \(error.message)")
                #expect(error.message.hasPrefix("c.yaml: "))
            }
        }
    }
}

extension String {
    func replacingOccurrences(_ a: String, _ b: String) -> String {
        var out = ""
        var rest = Substring(self)
        while let r = rest.firstRange(of: a) {
            out += rest[..<r.lowerBound] + b
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}

@Suite("State tables against the chain")
struct StateTamperTests {
    @Test("a ghost admin, a role bumped by SQL and a revoked token brought back are reported")
    func ghosts() async throws {
        let dir = try TempDir()
        let store = try SQLiteStore(path: dir.path + "/brake.sqlite")
        let plane = try BrakeServerMain.plane(store: store, config: ServerConfig(), key: Curve25519Key.make())
        let adminToken = try await plane.bootstrap()!
        let admin = try await plane.authenticate(bearer: adminToken)
        _ = try await plane.addUser(name: "jo", role: "junior", by: admin)
        let (record, _) = try await plane.createToken(for: "jo", label: "laptop", scope: "person", by: admin)
        _ = try await plane.revokeToken(id: record.id, by: admin)
        #expect(try await plane.verifyAll().ok)
        let db = try DatabaseQueue(path: dir.path + "/brake.sqlite")
        try await db.write {
            try $0.execute(sql: "INSERT INTO users (name, role, created) VALUES ('mallory', 'admin', 1)")
            try $0.execute(sql: "UPDATE users SET role = 'admin' WHERE name = 'jo'")
            try $0.execute(sql: "UPDATE tokens SET revoked = NULL WHERE id = ?", arguments: [record.id])
        }
        let r = try await plane.verifyAll()
        #expect(r.problems.contains { $0.contains("mallory") && $0.contains("not in the audit chain") })
        #expect(r.problems.contains { $0.contains("jo is admin in the database") })
        #expect(r.problems.contains { $0.contains(record.id) && $0.contains("revoked") })
    }
}
