import Foundation
import GRDB
import Synchronization

/// Copies the SQLite write-ahead log back into the database file off the write path, and keeps the log bounded.
///
/// SQLite's own checkpoint runs inside the commit that crosses its threshold (1,000 pages by default): the one
/// writer stops while it copies pages and syncs the file, and every decision report waiting on that group waits with
/// it (20–30 ms at p99 under load, measured). Here the writer never checkpoints (`wal_autocheckpoint = 0`); a
/// connection of its own runs a passive checkpoint after writes, at most every `interval`, which never blocks the
/// writer. When writes pause the log is fully copied and the next write starts it over.
///
/// Under a sustained load a passive checkpoint never catches up (the writer appends while it copies), so the log
/// would only grow. When it holds more than the policy's cap, one checkpoint runs on the writer's queue: only what the
/// last passive run left is copied, and the next write restarts the log. That is one pause of about 40 ms every
/// several seconds of full load instead of a pause in every commit that crosses a threshold. When writes have
/// paused for a while, a log file grown past the policy's size limit is truncated.
final class WALCheckpointer: Sendable {
    /// When the log is copied back, restarted and truncated.
    struct Policy: Sendable {
        /// The writer's own checkpoint threshold, as a backstop only: reached if this checkpointer cannot run or
        /// cannot keep up (four times the standard cap, about 2 GiB); then SQLite checkpoints in the commit, as it
        /// does by default.
        var backstop = 524_288
        /// Frames (pages of about 4 KiB) in the log above which the writer waits for a catch-up: about 512 MiB,
        /// reached after 8–15 s of the heaviest load measured (8,000 reports/s). Each catch-up pauses the writer
        /// 40–80 ms, so the cap sets how often: with 16 connections, p99 was 15–25 ms at 20,000–40,000 frames,
        /// 9–22 ms at 65,536, and 6–14 ms here (full 15-s runs).
        var capFrames = 131_072
        /// A log file larger than this is truncated once writes have paused for `idle`.
        var sizeLimit = 64 << 20
        /// Writes other than decision reports do not nudge; a checkpoint runs at least this often for them.
        var idle = Duration.seconds(5)

        static let standard = Policy()
    }

    static let interval = Duration.milliseconds(100)
    /// A catch-up that could not restart the log (a long read still used it) is not retried sooner than this.
    static let catchUpSpacing = Duration.seconds(1)

    private let wake: AsyncStream<Void>.Continuation
    /// Set by every nudge from a write, cleared by the checkpointer: how it tells writes from its idle timer.
    private let written = Flag()
    private let task: Task<Void, Never>
    private let timer: Task<Void, Never>
    /// What the checkpoints did (for tests and diagnostics).
    let progress = Progress()

    final class Flag: Sendable {
        private let value = Mutex(false)
        func set() { value.withLock { $0 = true } }
        func take() -> Bool {
            value.withLock { v in
                defer { v = false }
                return v
            }
        }
    }

    final class Progress: Sendable {
        struct Counts {
            var runs = 0, catchUps = 0, truncations = 0
            /// Frames in the log after the last run.
            var log = 0
            /// Runs that found fewer frames than the run before: the log had started over.
            var restarts = 0
        }
        let counts = Mutex(Counts())

        func record(_ r: (walFrameCount: Int, checkpointedFrameCount: Int), catchUp: Bool = false) {
            counts.withLock {
                $0.runs += 1
                if r.walFrameCount < $0.log { $0.restarts += 1 }
                $0.log = max(r.walFrameCount, 0)
                if catchUp { $0.catchUps += 1 }
            }
        }
    }

    init(path: String, configuration: Configuration, writer: DatabasePool, policy: Policy = .standard) throws {
        var configuration = configuration
        // Only a truncation waits for locks (passive checkpoints never do): briefly, and it is tried again later.
        configuration.busyMode = .timeout(0.2)
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        let (nudges, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        self.wake = wake
        let (progress, written) = (self.progress, self.written)
        let logFile = path + "-wal"
        task = Task.detached(priority: .utility) {
            var lastCatchUp = ContinuousClock.now - Self.catchUpSpacing
            // Nil until this process writes: one that only reads the file (`brake audit verify --data-dir` beside a
            // running server) never truncates the writer's log.
            var lastWrite: ContinuousClock.Instant? = nil
            for await _ in nudges {
                if written.take() { lastWrite = ContinuousClock.now }
                // A busy or failed attempt is left to the next nudge (after the pause: no retry loop).
                guard let r = try? await queue.writeWithoutTransaction({ db in try db.checkpoint(.passive) }) else {
                    try? await Task.sleep(for: Self.interval)
                    continue
                }
                progress.record(r)
                if r.walFrameCount > policy.capFrames && ContinuousClock.now - lastCatchUp >= Self.catchUpSpacing {
                    lastCatchUp = ContinuousClock.now
                    // On the writer's queue: no write runs meanwhile, so this copies the rest of the log.
                    if let r = try? await writer.writeWithoutTransaction({ _ in
                        try queue.inDatabase { db in try db.checkpoint(.passive) }
                    }) {
                        progress.record(r, catchUp: true)
                    }
                } else if let lastWrite, ContinuousClock.now - lastWrite >= policy.idle,
                    let size = try? FileManager.default.attributesOfItem(atPath: logFile)[.size] as? Int,
                    size > policy.sizeLimit,
                    (try? await queue.writeWithoutTransaction({ db in try db.checkpoint(.truncate) })) != nil
                {
                    progress.counts.withLock { $0.truncations += 1 }
                }
                try? await Task.sleep(for: Self.interval)
            }
        }
        timer = Task.detached(priority: .utility) {
            while (try? await Task.sleep(for: policy.idle)) != nil { wake.yield() }
        }
    }

    /// Something was committed: a checkpoint follows (at most one per interval, however many nudges).
    func nudge() {
        written.set()
        wake.yield()
    }

    deinit {
        wake.finish()
        task.cancel()
        timer.cancel()
    }
}
