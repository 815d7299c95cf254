import BrakeCore
import GRDB
import Testing

@testable import BrakeServer

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

    /// Report number `i` (its action and time), in one of `sessions` sessions; returns its audit sequence number.
    static func numbered(_ store: SQLiteStore, _ i: Int, sessions: Int, decision: String = "allow") async throws -> Int
    {
        let report = try DecisionReport(
            json: .object([
                ("decision", .string(decision)), ("agent", .string("claude-code")),
                ("session", .string("s\(i % sessions)")), ("action", .string("git status \(i)")),
                ("tool", .string("Bash")),
            ])
        )
        return try await store.recordDecision(
            report,
            user: "ada",
            audit: AuditDraft(kind: "decision", actor: "ada", session: "s\(i % sessions)", tool: "Bash"),
            now: 1_000 + i
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

    @Test("an event rendered in two parts (the tail by its request, the number by the writer) is the whole rendering")
    func eventInTwoParts() {
        let drafts = [
            AuditDraft(kind: "decision", actor: "ada", session: "s1", destructive: true, tool: "Bash"),
            AuditDraft(
                kind: "stop.created",
                actor: "circuit-breaker",
                fields: [("reason", .string("quote \" back\\slash\nline\u{1}")), ("n", .number(3))]
            ),
        ]
        for d in drafts {
            for (seq, time) in [(1, 0), (42, 1_700_000_000), (999_999_999_999, 5)] {
                var members: [(String, JSONValue)] = [
                    ("seq", .number(Double(seq))), ("time", .number(Double(time))), ("kind", .string(d.kind)),
                    ("actor", .string(d.actor)),
                ]
                if !d.session.isEmpty { members.append(("session", .string(d.session))) }
                let whole = JSONValue.object(members + d.fields).serialized
                #expect(d.canonical(seq: seq, time: time) == whole)
                #expect(AuditDraft.event(seq: seq, tail: d.canonicalTail(time: time)) == whole)
                #expect(
                    AuditDraft.event(
                        seq: seq,
                        tail: DecisionWrite(
                            report: try! DecisionReport(json: .object([("decision", .string("allow"))])),
                            user: "ada",
                            audit: d,
                            now: time
                        ).eventTail
                    ) == whole
                )
            }
        }
    }

    @Test("reports written concurrently form one chain, each caller gets its own number, and every event verifies")
    func concurrentGroups() async throws {
        let dir = try TempDir()
        let store = try SQLiteStore(path: dir.path + "/brake.sqlite")
        let seqs = try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<400 {
                group.addTask {
                    try await Self.numbered(store, i, sessions: 5, decision: i % 7 == 0 ? "ask" : "allow")
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(seqs.sorted() == Array(1...400))
        let entries = try await store.auditRange(from: 1, limit: 1_000)
        var prev = AuditChain.genesis
        for e in entries {
            #expect(e.prevHash == prev)
            #expect(AuditChain.hash(previous: prev, event: e.event) == e.hash)
            #expect(e.event.hasPrefix("{\"seq\":\(e.seq),\"time\":"))
            prev = e.hash
        }
        #expect(entries.count == 400)
        let sessions = try await store.sessions(limit: 10)
        #expect(sessions.map(\.actions).reduce(0, +) == 400)
    }
}
