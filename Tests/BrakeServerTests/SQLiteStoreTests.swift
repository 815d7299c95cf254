import BrakeCore
import BrakeServer
import GRDB
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What keeps a hook's commit short on the embedded store: the breaker's indexes hold destructive events only.
@Suite("SQLite store: the commit path")
struct SQLiteStoreTests {
    static func decision(_ store: SQLiteStore, destructive: Bool, now: Int) async throws {
        let report = try DecisionReport(
            json: .object([
                ("decision", .string("allow")), ("agent", .string("claude-code")), ("session", .string("s1")),
                ("action", .string("git status")), ("tool", .string("Bash")),
            ])
        )
        _ = try await store.recordDecision(
            report,
            user: "ada",
            audit: AuditDraft(kind: "decision", actor: "ada", session: "s1", destructive: destructive, tool: "Bash"),
            now: now
        )
    }

    @Test("the breaker's counts are answered from indexes that hold only destructive events")
    func partialIndexes() async throws {
        let dir = try TempDir()
        let store = try SQLiteStore(path: dir.path + "/brake.sqlite")
        for i in 0..<6 { try await Self.decision(store, destructive: i % 3 == 0, now: 100 + i) }
        #expect(try await store.destructiveCount(session: "s1", user: nil, tool: nil, since: 0) == 2)
        #expect(try await store.destructiveCount(session: nil, user: "ada", tool: nil, since: 0) == 2)
        #expect(try await store.destructiveCount(session: "s1", user: nil, tool: "Bash", since: 104) == 0)
        let raw = try DatabaseQueue(path: dir.path + "/brake.sqlite")
        try await raw.read { db in
            // Rows of the index: the destructive events, not every decision.
            let indexed = try Int.fetchOne(
                db,
                sql: "SELECT COUNT(*) FROM audit INDEXED BY audit_actor WHERE destructive = 1"
            )
            #expect(indexed == 2)
            for (column, extra) in [("session", ""), ("actor", ""), ("session", " AND tool = 'Bash'")] {
                let plan = try Row.fetchAll(
                    db,
                    sql:
                        "EXPLAIN QUERY PLAN SELECT COUNT(*) FROM audit WHERE destructive = 1 AND \(column) = 'x' AND time >= 5\(extra)"
                ).map { $0["detail"] as String }.joined(separator: " ")
                #expect(plan.contains("USING INDEX audit_"), "\(column)\(extra): \(plan)")
            }
        }
    }
}
