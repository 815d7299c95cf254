import BrakeCore
import BrakeGuard
import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Brake's files on this machine: `$BRAKE_HOME` (default `~/.brake`) holds `state.json`, `audit.jsonl` and `lock`.
package struct LocalStore {
    package let home: String

    /// Set in the guard service: records are written once the call's answer has gone out, so the answer does not
    /// wait for the log (the server's log already holds the decision; this one follows within moments).
    package var afterAnswer: AfterAnswer?

    package init(env: [String: String], afterAnswer: AfterAnswer? = nil) {
        if let h = env["BRAKE_HOME"], !h.isEmpty {
            home = h
        } else {
            home = (env["HOME"] ?? "/") + "/.brake"
        }
        self.afterAnswer = afterAnswer
    }

    package var statePath: String { home + "/state.json" }
    package var auditPath: String { home + "/audit.jsonl" }

    package static func now() -> Int { Int(time(nil)) }

    /// The state as it is now, read without taking the lock (for reports).
    package func read() throws(Failure) -> LocalState {
        guard Loader.exists(statePath) else { return LocalState() }
        let text = try Loader.readFile(statePath)
        guard let v = try? JSONValue.parse(text), let s = try? LocalState(json: v) else {
            throw Failure(status: ExitStatus.badInput, message: "\(statePath) is damaged; move it aside to start over")
        }
        return s
    }

    /// Runs `body` holding the exclusive lock (for appending to the audit log without touching the state).
    package func withLock<T>(_ body: () throws(Failure) -> T) throws(Failure) -> T {
        try ensureHome()
        let fd = open(home + "/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw Failure(
                status: ExitStatus.badInput,
                message: "cannot open \(home)/lock: \(Loader.string(strerror(errno)))"
            )
        }
        defer { close(fd) }
        guard flock(fd, LOCK_EX) == 0 else {
            throw Failure(status: ExitStatus.badInput, message: "cannot lock \(home)/lock")
        }
        return try body()
    }

    /// Runs `body` holding the exclusive lock, with the state loaded; saves the state it returns.
    package func withState<T>(_ body: (inout LocalState) throws(Failure) -> T) throws(Failure) -> T {
        try withLock { () throws(Failure) -> T in try loadAndSave(body) }
    }

    private func loadAndSave<T>(_ body: (inout LocalState) throws(Failure) -> T) throws(Failure) -> T {
        var state = LocalState()
        if Loader.exists(statePath) {
            let text = try Loader.readFile(statePath)
            do {
                state = try LocalState(json: try JSONValue.parse(text))
            } catch {
                throw Failure(
                    status: ExitStatus.badInput,
                    message: "\(statePath) is damaged (\(error)); move it aside to start over"
                )
            }
        }
        let before = state
        let result = try body(&state)
        if state != before {
            state.prune(now: LocalStore.now())
            try writeAtomically(statePath, state.json.serialized + "\n")
        }
        return result
    }

    package func ensureHome() throws(Failure) {
        if !Loader.exists(home) && mkdir(home, 0o700) != 0 && errno != EEXIST {
            throw Failure(
                status: ExitStatus.badInput,
                message: "cannot create \(home): \(Loader.string(strerror(errno)))"
            )
        }
    }

    package func writeAtomically(_ path: String, _ text: String) throws(Failure) {
        try Self.writeAtomically(path, text)
    }

    /// Writes a whole file through a temporary one and a rename (readers see the old file or the new one).
    /// `sync: false` skips the fsync (a record that can be rebuilt or is advisory).
    package static func writeAtomically(_ path: String, _ text: String, sync: Bool = true) throws(Failure) {
        // Unique per writer, not only per process: the guard service's threads write from one process.
        let tmp = path + ".tmp.\(getpid()).\(UInt32.random(in: 0...UInt32.max))"
        guard let f = fopen(tmp, "wb") else {
            throw Failure(status: ExitStatus.badInput, message: "cannot write \(tmp)")
        }
        var t = text
        let ok = t.withUTF8 { fwrite($0.baseAddress, 1, $0.count, f) == $0.count }
        fflush(f)
        if sync { fsync(fileno(f)) }
        fclose(f)
        guard ok, rename(tmp, path) == 0 else {
            unlink(tmp)
            throw Failure(
                status: ExitStatus.badInput,
                message: "cannot write \(path): \(Loader.string(strerror(errno)))"
            )
        }
    }

    /// True the first time `key` (a session) is seen here: `noticed` keeps the recent ones, a line each. A store
    /// that cannot be written says true (a notice repeated is better than one never shown).
    package func firstNotice(key: String) -> Bool {
        let path = home + "/noticed"
        let line = key.filter { $0 != "\n" }
        let text = (try? Loader.readFile(path)) ?? ""
        if text.split(separator: "\n").contains(Substring(line)) { return false }
        try? ensureHome()
        let kept = text.split(separator: "\n").suffix(199).map(String.init)
        try? writeAtomically(path, (kept + [line]).joined(separator: "\n") + "\n")
        return true
    }

    /// Appends one record to the hash-chained audit log (call while holding the lock).
    package func audit(_ fields: [(String, JSONValue)]) throws(Failure) {
        try ensureHome()
        let (prev, seq) = AuditLog.tail(lastLine(auditPath))
        let stamped: [(String, JSONValue)] = [("time", .number(Double(LocalStore.now())))] + fields
        let (line, hash) = AuditLog.line(fields: stamped, seq: seq + 1, previous: prev)
        guard let f = fopen(auditPath, "ab") else {
            throw Failure(status: ExitStatus.badInput, message: "cannot append to \(auditPath)")
        }
        var t = line + "\n"
        _ = t.withUTF8 { fwrite($0.baseAddress, 1, $0.count, f) }
        fclose(f)
        // The head, kept beside the log, so a cut or rewritten tail is reported (against accidents: the agent's
        // account can write both; the server's log is the one with signed checkpoints).
        let fd = open(headPath, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        if fd >= 0 {
            let bytes = Array(AuditLog.headLine(seq: seq + 1, hash: hash).utf8)
            _ = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
            close(fd)
        }
    }

    package var headPath: String { auditPath + ".head" }

    /// The last line of a file, read from its end (only its bytes are decoded).
    package func lastLine(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { return nil }
        let size = Int(st.st_size)
        var chunk = 2048
        while true {
            let start = max(0, size - chunk)
            var buf = [UInt8](repeating: 0, count: size - start)
            let n = buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(start)) }
            guard n >= 0 else { return nil }
            var end = n
            while end > 0 && buf[end - 1] == UInt8(ascii: "\n") { end -= 1 }
            if end == 0 && start == 0 { return nil }
            if end > 0, let nl = buf[0..<end].lastIndex(of: UInt8(ascii: "\n")) {
                return String(decoding: buf[(nl + 1)..<end], as: UTF8.self)
            }
            if start == 0 { return String(decoding: buf[0..<end], as: UTF8.self) }
            chunk *= 4  // the last line is longer than this chunk
        }
    }

    package static func newID() -> String {
        let alphabet = Array("abcdefghjkmnpqrstuvwxyz23456789")
        return String((0..<8).map { _ in alphabet[Int.random(in: 0..<alphabet.count)] })
    }
}

/// The local state as the guard flow's ledger: one lock for the state and the hash-chained log.
extension LocalStore: Ledger {
    package func transact<T>(
        _ body: (inout LocalState, inout [AuditRecord]) throws(GuardFailure) -> T
    ) throws(GuardFailure)
        -> T
    {
        do {
            return try withState { (state: inout LocalState) throws(Failure) -> T in
                var records: [AuditRecord] = []
                let result: T
                do { result = try body(&state, &records) } catch {
                    throw Failure(status: ExitStatus.badInput, message: "\(error)")
                }
                for r in records { try audit(r) }
                return result
            }
        } catch {
            throw GuardFailure("\(error)")
        }
    }

    package var provenancePath: String { home + "/provenance.jsonl" }

    /// Keeps what agents produced (`AgentRecorder`), one JSON line per record, appended in one write.
    package func appendProvenance(_ records: [AgentRecord]) {
        guard !records.isEmpty else { return }
        let store = self
        let text = records.map { $0.json.serialized + "\n" }.joined()
        let write: @Sendable () -> Void = {
            try? store.ensureHome()
            let fd = open(store.provenancePath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
            guard fd >= 0 else { return }
            defer { close(fd) }
            _ = Array(text.utf8).withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        }
        if let later = afterAnswer { later.add(write) } else { write() }
    }

    package func append(_ records: [AuditRecord]) throws(GuardFailure) {
        if let later = afterAnswer {
            let store = self
            later.add { try? store.withLock { () throws(Failure) in for r in records { try store.audit(r) } } }
            return
        }
        do {
            try withLock { () throws(Failure) in for r in records { try audit(r) } }
        } catch {
            throw GuardFailure("\(error)")
        }
    }
}

/// Work of one call that waits until its answer has gone out (the guard service runs it on its log queue): the
/// local log record, the cached stops.
package final class AfterAnswer: @unchecked Sendable {
    // @unchecked: `jobs` is only touched under `lock`.
    private var jobs: [@Sendable () -> Void] = []
    private let lock = Mutex(())

    package init() {}

    package func add(_ job: @escaping @Sendable () -> Void) { lock.withLock { _ in jobs.append(job) } }

    /// Runs what was added, in order.
    package func run() {
        let todo = lock.withLock { _ in jobs }
        for job in todo { job() }
    }
}
