import GRDB
import Synchronization

/// Copies the SQLite write-ahead log back into the database file off the write path.
///
/// SQLite's own checkpoint runs inside the commit that crosses its threshold (1,000 pages by default): the one
/// writer stops while it copies pages and syncs the file, and every decision report waiting on that group waits with
/// it — 20–30 ms at p99 under load, measured. Here a connection of its own runs a passive checkpoint after writes, at
/// most every `interval`; a passive checkpoint never blocks the writer, which appends to the log meanwhile. When
/// writes pause the log is fully copied and the writer starts it over. The writer's own threshold stays, raised to
/// `walBound` pages, as the bound on the log's size under a sustained load (where the log only restarts after a
/// checkpoint that copies everything, and most of it has been copied by then).
final class WALCheckpointer: Sendable {
    /// The writer's own checkpoint threshold, in pages (4 KiB each): about 200 MiB of log at most.
    static let walBound = 50_000
    /// A log larger than this is cut back to it when it restarts.
    static let sizeLimit = 64 << 20
    static let interval = Duration.milliseconds(100)
    /// Writes other than decision reports do not nudge; a checkpoint runs at least this often for them.
    static let idle = Duration.seconds(5)

    private let wake: AsyncStream<Void>.Continuation
    private let task: Task<Void, Never>
    private let timer: Task<Void, Never>
    /// Checkpoints run and log frames found copied by them (for tests and diagnostics).
    let progress = Progress()

    final class Progress: Sendable {
        let counts = Mutex<(runs: Int, frames: Int)>((0, 0))
    }

    init(path: String, configuration: Configuration) throws {
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        let (nudges, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        self.wake = wake
        let progress = self.progress
        task = Task.detached(priority: .utility) {
            for await _ in nudges {
                // A busy or failed attempt is left to the next nudge; the writer's bound holds meanwhile.
                if let r = try? await queue.writeWithoutTransaction({ db in try db.checkpoint(.passive) }) {
                    progress.counts.withLock { $0 = ($0.runs + 1, $0.frames + max(r.checkpointedFrameCount, 0)) }
                }
                try? await Task.sleep(for: Self.interval)
            }
        }
        timer = Task.detached(priority: .utility) {
            while (try? await Task.sleep(for: Self.idle)) != nil { wake.yield() }
        }
    }

    /// Something was committed: a checkpoint follows (at most one per interval, however many nudges).
    func nudge() { wake.yield() }

    deinit {
        wake.finish()
        task.cancel()
        timer.cancel()
    }
}
