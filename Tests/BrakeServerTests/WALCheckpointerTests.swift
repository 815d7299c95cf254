import BrakeCore
import Foundation
import GRDB
import Synchronization
import Testing

@testable import BrakeServer

@Suite("SQLite's write-ahead log: copied back off the write path, capped under load, truncated when idle")
struct WALCheckpointerTests {
    static func report(_ store: SQLiteStore, _ i: Int) async throws -> Int {
        try await SQLiteStoreTests.numbered(store, i, sessions: 50)
    }

    static func walSize(_ dir: TempDir) -> Int {
        (try? FileManager.default.attributesOfItem(atPath: dir.path + "/brake.sqlite-wal")[.size] as? Int) ?? -1
    }

    @Test("the log is copied back by the background checkpointer; the writer's own threshold is only a backstop")
    func copiedBack() async throws {
        let dir = try TempDir()
        let store = try SQLiteStore(path: dir.path + "/brake.sqlite")
        for i in 0..<50 { _ = try await Self.report(store, i) }
        // Copied back means the database file itself holds the rows: a copy of the file alone (no log) has them.
        // Nothing here checkpoints; only the background checkpointer can make that true.
        let copy = dir.path + "/copy.sqlite"
        var rows = 0
        let deadline = ContinuousClock.now + .seconds(5)
        while rows < 50 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
            try? FileManager.default.removeItem(atPath: copy)
            let data = try #require(FileManager.default.contents(atPath: dir.path + "/brake.sqlite"))
            #expect(FileManager.default.createFile(atPath: copy, contents: data))
            let raw = try DatabaseQueue(path: copy)
            // Before the first copy-back the file alone has no tables at all.
            rows = (try? await raw.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM audit") } ?? 0) ?? 0
        }
        #expect(rows == 50)
        #expect(store.checkpointer.progress.counts.withLock { $0.runs } > 0)
        let threshold = try await store.pool.write { db in try Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint") }
        #expect(threshold == WALCheckpointer.Policy.standard.backstop)
    }

    @Test("under a sustained load the log past its cap is caught up with the writer waiting, and starts over")
    func cappedUnderLoad() async throws {
        let dir = try TempDir()
        var policy = WALCheckpointer.Policy.standard
        policy.capFrames = 200
        let store = try SQLiteStore(path: dir.path + "/brake.sqlite", wal: policy)
        // Eight writers without a pause until the log has been caught up and started over (at most 30 s; on a loaded
        // machine the checkpointer runs late): a passive checkpoint alone never finds the log idle.
        let done = Latch()
        let end = ContinuousClock.now + .seconds(30)
        async let written = withThrowingTaskGroup(of: [Int].self) { group in
            for w in 0..<8 {
                group.addTask {
                    var mine: [Int] = []
                    var i = w
                    while !done.value.withLock({ $0 }) {
                        mine.append(try await Self.report(store, i))
                        i += 8
                    }
                    return mine
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        while ContinuousClock.now < end {
            let c = store.checkpointer.progress.counts.withLock { $0 }
            if c.catchUps >= 1 && c.restarts >= 1 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        done.value.withLock { $0 = true }
        let seqs = try await written
        let counts = store.checkpointer.progress.counts.withLock { $0 }
        #expect(counts.catchUps >= 1)
        #expect(counts.restarts >= 1)
        // Nothing lost or reordered by the pauses: every report has its own number and the chain verifies.
        #expect(seqs.sorted() == Array(1...seqs.count))
        let entries = try await store.auditRange(from: 1, limit: seqs.count + 10)
        #expect(entries.count == seqs.count)
        var prev = AuditChain.genesis
        for e in entries {
            #expect(e.prevHash == prev && AuditChain.hash(previous: prev, event: e.event) == e.hash)
            prev = e.hash
        }
    }

    @Test("a log file grown past its limit is truncated once writes pause, and nothing is lost")
    func truncatedWhenIdle() async throws {
        let dir = try TempDir()
        var policy = WALCheckpointer.Policy.standard
        policy.sizeLimit = 32 << 10
        // Long enough that no pause within the writes below (a loaded machine) counts as idle.
        policy.idle = .seconds(2)
        let store = try SQLiteStore(path: dir.path + "/brake.sqlite", wal: policy)
        for i in 0..<100 { _ = try await Self.report(store, i) }
        #expect(Self.walSize(dir) > policy.sizeLimit)
        let deadline = ContinuousClock.now + .seconds(10)
        while Self.walSize(dir) != 0 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(Self.walSize(dir) == 0)
        #expect(store.checkpointer.progress.counts.withLock { $0.truncations } >= 1)
        #expect(try await store.auditHead().size == 100)
        _ = try await Self.report(store, 100)
        #expect(try await store.auditHead().size == 101)
    }
}
