import Synchronization

/// Wakes the long-polls waiting on a request when this process changes it (a vote, a use, an expiry), so a
/// waiting hook costs nothing while nobody decides; a change made elsewhere (another replica, SQL) is still seen
/// within `ControlPlane.waitRecheck`.
final class ApprovalSignals: Sendable {
    private struct Waiter {
        let continuation: CheckedContinuation<Void, Never>
        let timer: Task<Void, Never>
    }

    private let waiting = Mutex<(next: Int, byRequest: [String: [Int: Waiter]])>((0, [:]))

    /// Returns when `id` is signalled or `limit` has passed, whichever comes first.
    func wait(for id: String, upTo limit: Duration) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            waiting.withLock { w in
                let ticket = w.next
                w.next += 1
                let timer = Task { [weak self] in
                    try? await Task.sleep(for: limit)
                    self?.resume(id, ticket: ticket)
                }
                w.byRequest[id, default: [:]][ticket] = Waiter(continuation: c, timer: timer)
            }
        }
    }

    /// Wakes every wait on `id`.
    func signal(_ id: String) {
        let woken = waiting.withLock { w in w.byRequest.removeValue(forKey: id) ?? [:] }
        for (_, waiter) in woken {
            waiter.timer.cancel()
            waiter.continuation.resume()
        }
    }

    /// Wakes every wait (changes were missed: each looks at its request again).
    func signalAll() {
        let woken = waiting.withLock { w in
            defer { w.byRequest.removeAll() }
            return w.byRequest.values.flatMap(\.values)
        }
        for waiter in woken {
            waiter.timer.cancel()
            waiter.continuation.resume()
        }
    }

    /// How many waits are registered (for tests).
    var count: Int { waiting.withLock { $0.byRequest.values.reduce(0) { $0 + $1.count } } }

    private func resume(_ id: String, ticket: Int) {
        let waiter = waiting.withLock { w -> Waiter? in
            let found = w.byRequest[id]?.removeValue(forKey: ticket)
            if w.byRequest[id]?.isEmpty == true { w.byRequest[id] = nil }
            return found
        }
        waiter?.continuation.resume()
    }
}
