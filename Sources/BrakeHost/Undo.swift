import BrakeCore
import Crypto

#if canImport(Glibc)
import Glibc
#endif

/// Which checkpoints `brake undo` restores.
package struct UndoSelection: Sendable, Equatable {
    /// One checkpoint by id.
    package var id: String?
    /// Every checkpoint of a session.
    package var session: String?
    /// The N most recent (of the session, when one is given).
    package var last: Int?

    package init(id: String? = nil, session: String? = nil, last: Int? = nil) {
        self.id = id
        self.session = session
        self.last = last
    }

    /// `id=…;session=…;last=N`, for the guard service's wire.
    package var wire: String {
        [id.map { "id=" + $0 }, session.map { "session=" + $0 }, last.map { "last=\($0)" }].compactMap { $0 }
            .joined(separator: "\u{1f}")
    }

    package init(wire: String) {
        for part in wire.split(separator: "\u{1f}") {
            if part.hasPrefix("id=") { id = String(part.dropFirst(3)) }
            if part.hasPrefix("session=") { session = String(part.dropFirst(8)) }
            if part.hasPrefix("last=") { last = Int(part.dropFirst(5)).map { max($0, 0) } }
        }
    }

    func pick(_ all: [Checkpoint]) throws(Failure) -> [Checkpoint] {
        if let id {
            guard let c = all.first(where: { $0.id == id }) else {
                throw Failure(
                    status: ExitStatus.usage,
                    message: "no checkpoint \(id); `brake checkpoints list` shows them"
                )
            }
            return [c]
        }
        if let last, last < 1 { throw Failure(status: ExitStatus.usage, message: "--last takes a positive number") }
        var list = all
        if let session { list = list.filter { $0.session == session } }
        if let last {
            list = Array(list.suffix(last))
        } else if session == nil {
            // The most recent one not undone yet.
            list = Array(list.filter { $0.undone == nil }.suffix(1))
        }
        if list.isEmpty {
            throw Failure(
                status: ExitStatus.usage,
                message: session.map { "no checkpoints of session \($0)" } ?? "there are no checkpoints"
            )
        }
        return list
    }
}

/// What `brake undo` did, or would do.
package struct UndoReport: Sendable {
    package enum Outcome: String, Sendable { case restored, unchanged, conflict, failed }
    package struct Item: Sendable {
        package var path: String
        package var outcome: Outcome
        package var detail: String
    }
    package var checkpoints: [String] = []
    package var items: [Item] = []
    package var dryRun = false

    package var conflicts: Int { items.filter { $0.outcome == .conflict || $0.outcome == .failed }.count }

    package var json: JSONValue {
        .object([
            ("dry_run", .bool(dryRun)), ("checkpoints", .array(checkpoints.map { .string($0) })),
            (
                "items",
                .array(
                    items.map {
                        .object([
                            ("path", .string($0.path)), ("outcome", .string($0.outcome.rawValue)),
                            ("detail", .string($0.detail)),
                        ])
                    }
                )
            ),
        ])
    }

    package var text: String {
        var out = "checkpoint\(checkpoints.count == 1 ? "" : "s") \(checkpoints.joined(separator: ", "))\n"
        for i in items where i.outcome != .unchanged {
            let verb: String
            switch i.outcome {
            case .restored: verb = dryRun ? "would restore" : "restored"
            case .conflict: verb = "changed since, left alone"
            case .failed: verb = "could not restore"
            case .unchanged: verb = "unchanged"
            }
            out += "  \(verb): \(i.path)\(i.detail.isEmpty ? "" : " — " + i.detail)\n"
        }
        let same = items.filter { $0.outcome == .unchanged }.count
        if same > 0 { out += "  \(same) path\(same == 1 ? " is" : "s are") already as kept\n" }
        if conflicts > 0 {
            out +=
                "\(conflicts) path\(conflicts == 1 ? "" : "s") not restored; `--force` overwrites what changed since\n"
        }
        return out
    }
}

/// Puts back what checkpoints kept: files byte for byte with their modes, deleted files and directories, links,
/// branch heads, the stash and uncommitted work. Files are written with the person's rights (`files`); content
/// is checked against its SHA-256 (or, for a hard link, its size and time) before it is written.
package enum Undo {
    package static func run(
        _ selection: UndoSelection,
        store: CheckpointStore,
        files: AgentFiles,
        env: [String: String],
        dryRun: Bool,
        force: Bool
    ) throws(Failure) -> UndoReport {
        let chosen = try selection.pick(store.all())
        var report = UndoReport(checkpoints: chosen.map(\.id), dryRun: dryRun)
        // Branch heads, the stash and deleted branches, newest checkpoint first.
        for c in chosen.reversed() {
            for g in c.git { report.items += git(g, files: files, env: env, dryRun: dryRun, force: force) }
        }
        // Per path: the state before the oldest checkpoint that kept it, and the state the newest one saw after
        // its step (what the path should still look like, unless it changed again).
        var target: [String: PathState] = [:]
        var expected: [String: PathState?] = [:]
        var why: [String: String] = [:]
        var directory: [String: String] = [:]
        var order: [String] = []
        for c in chosen {
            for e in c.entries {
                if target[e.path] == nil {
                    target[e.path] = e.before
                    why[e.path] = e.why
                    directory[e.path] = e.parentReal ?? Paths.dirname(e.path)
                    order.append(e.path)
                }
                expected[e.path] = e.after
            }
        }
        // Parents before children; removals deepest first; directories' modes last, deepest first (a read-only
        // directory must not keep its children out).
        order.sort()
        var removals: [String] = []
        var modes: [(String, UInt32)] = []
        for path in order {
            guard let want = target[path], let dir = directory[path] else { continue }
            let leaf = Paths.basename(path)
            // The path's directory, walked without following links: a link put in the way since is a conflict.
            let found = files.read { walk(dir, create: false) }
            if let problem = found.problem {
                report.items.append(.init(path: path, outcome: .conflict, detail: problem))
                continue
            }
            defer { if let fd = found.fd { close(fd) } }
            guard let now = found.fd.map({ fd in files.read { PathState.at(fd, leaf) } }) ?? .absent else {
                report.items.append(.init(path: path, outcome: .conflict, detail: "cannot be read now"))
                continue
            }
            if matches(now, want, dir: found.fd, leaf: leaf, store: store, files: files) {
                report.items.append(.init(path: path, outcome: .unchanged, detail: ""))
                continue
            }
            let after = expected[path] ?? nil
            if !force {
                if let after, !now.sameAs(after) {
                    report.items.append(
                        .init(
                            path: path,
                            outcome: .conflict,
                            detail: "it changed after the step (\(describe(now))); kept: \(describe(want))"
                        )
                    )
                    continue
                }
                if after == nil, want.kind == .absent {
                    report.items.append(
                        .init(path: path, outcome: .conflict, detail: "it exists now and did not before; not removed")
                    )
                    continue
                }
            }
            if want.kind == .absent {
                removals.append(path)
                continue
            }
            var detail = "\(why[path] ?? ""): \(describe(now)) → \(describe(want))"
            if after == nil { detail += " (what the step left was not recorded)" }
            if dryRun {
                report.items.append(.init(path: path, outcome: .restored, detail: detail))
                continue
            }
            let made = files.read { walk(dir, create: true) }
            guard let fd = made.fd else {
                report.items.append(.init(path: path, outcome: .failed, detail: made.problem ?? "no directory"))
                continue
            }
            defer { close(fd) }
            if let problem = put(want, in: fd, leaf: leaf, was: now, store: store, files: files) {
                report.items.append(.init(path: path, outcome: .failed, detail: problem))
            } else {
                report.items.append(.init(path: path, outcome: .restored, detail: detail))
                if want.kind == .directory { modes.append((path, want.mode)) }
            }
        }
        for (path, mode) in modes.reversed() {
            guard let dir = directory[path] else { continue }
            let ok = files.read { () -> Bool in
                guard let pfd = walk(dir, create: false).fd else { return false }
                defer { close(pfd) }
                let fd = openat(pfd, Paths.basename(path), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                guard fd >= 0 else { return false }
                defer { close(fd) }
                return fchmod(fd, mode_t(mode)) == 0
            }
            if !ok {
                report.items.append(
                    .init(path: path, outcome: .failed, detail: "its mode \(String(mode, radix: 8)) could not be set")
                )
            }
        }
        for path in removals.sorted(by: >) {
            if dryRun {
                report.items.append(.init(path: path, outcome: .restored, detail: "would be removed (absent before)"))
                continue
            }
            let leaf = Paths.basename(path)
            let ok = files.read { () -> Bool in
                guard let dir = directory[path], let fd = walk(dir, create: false).fd else { return false }
                defer { close(fd) }
                return unlinkat(fd, leaf, 0) == 0 || (errno == EISDIR && unlinkat(fd, leaf, AT_REMOVEDIR) == 0)
            }
            report.items.append(
                .init(
                    path: path,
                    outcome: ok ? .restored : .failed,
                    detail: ok ? "removed (absent before)" : "cannot remove: \(Loader.string(strerror(errno)))"
                )
            )
        }
        // Undone only when nothing was left alone (a forced run can finish it).
        if !dryRun && report.conflicts == 0 {
            for var c in chosen {
                c.undone = LocalStore.now()
                try? store.write(c)
            }
        }
        return report
    }

    static func describe(_ s: PathState) -> String {
        switch s.kind {
        case .absent: return "absent"
        case .directory: return "directory"
        case .symlink: return "link to \(s.link ?? "?")"
        case .file: return "\(s.size) bytes, mode \(String(s.mode, radix: 8))"
        }
    }

    /// `O_PATH` (Linux; the Glibc module does not export it): a handle on the directory, not opened for reading.
    static let oPath: Int32 = 0o1000_0000

    /// Opens a directory component by component without following links (as whoever the thread acts as);
    /// `create` makes missing ones. No descriptor and no problem: it does not exist.
    static func walk(_ dir: String, create: Bool) -> (fd: Int32?, problem: String?) {
        var fd = open("/", oPath | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return (nil, "cannot open /") }
        var prefix = ""
        for part in dir.split(separator: "/") {
            let name = String(part)
            prefix += "/" + name
            var next = openat(fd, name, oPath | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if next < 0 && errno == ENOENT {
                guard create else {
                    close(fd)
                    return (nil, nil)
                }
                if mkdirat(fd, name, 0o755) != 0 && errno != EEXIST {
                    let why = Loader.string(strerror(errno))
                    close(fd)
                    return (nil, "cannot create \(prefix): \(why)")
                }
                next = openat(fd, name, oPath | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            }
            if next < 0 {
                let why =
                    errno == ELOOP || errno == ENOTDIR
                    ? "\(prefix) is a link or a file now, not the directory it was; not followed"
                    : "cannot open \(prefix): \(Loader.string(strerror(errno)))"
                close(fd)
                return (nil, why)
            }
            close(fd)
            fd = next
        }
        return (fd, nil)
    }

    /// The path already holds what was kept: the content is hashed whenever there is one to compare (a size and
    /// a time can be copied with `touch -r`).
    static func matches(
        _ now: PathState,
        _ want: PathState,
        dir: Int32?,
        leaf: String,
        store: CheckpointStore,
        files: AgentFiles
    ) -> Bool {
        guard now.kind == want.kind else { return false }
        switch want.kind {
        case .absent: return true
        case .directory: return now.mode == want.mode
        case .symlink: return now.link == want.link
        case .file:
            guard let dir, now.size == want.size, now.mode == want.mode,
                let sha = want.sha256 ?? objectHash(want, store: store)
            else { return false }
            // Never blocks on a FIFO put there since, and reads no more than the kept size.
            let fd = files.read { openat(dir, leaf, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK) }
            guard fd >= 0 else { return false }
            defer { close(fd) }
            var st = stat()
            guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG, Int64(st.st_size) == want.size else {
                return false
            }
            return hash(fd, offset: 0, length: want.size) == sha
        }
    }

    static func objectHash(_ s: PathState, store: CheckpointStore) -> String? {
        guard let o = s.object, let src = store.openObject(o) else { return nil }
        defer { close(src.fd) }
        return hash(src.fd, offset: src.offset, length: src.length)
    }

    /// A whole open file's SHA-256 (hex).
    static func hash(_ fd: Int32) -> String? { hash(fd, offset: 0, length: nil) }

    /// The SHA-256 (hex) of `length` bytes from `offset` (to the end when nil).
    static func hash(_ fd: Int32, offset: Int64, length: Int64?) -> String? {
        var hasher = SHA256()
        guard
            each(
                fd,
                offset: offset,
                length: length,
                { buf, n in
                    hasher.update(data: buf[0..<n])
                    return true
                }
            )
        else { return nil }
        return AuditChain.hex(hasher.finalize())
    }

    /// Reads `length` bytes from `offset` (to the end when nil) in chunks; false on a read error, a short range or
    /// when `body` says stop.
    static func each(
        _ fd: Int32,
        offset: Int64,
        length: Int64?,
        _ body: ([UInt8], Int) -> Bool
    ) -> Bool {
        var buf = [UInt8](repeating: 0, count: Int(min(max(length ?? (1 << 20), 4096), 1 << 20)))
        var at = offset
        var left = length ?? Int64.max
        while left > 0 {
            let want = Int(min(Int64(buf.count), left))
            let n = buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, want, off_t(at)) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { return false }
            if n == 0 { return length == nil }
            guard body(buf, n) else { return false }
            at += Int64(n)
            left -= Int64(n)
        }
        return true
    }

    /// Writes one kept state as `leaf` in the open directory `dir`; nil when done, else why not.
    static func put(
        _ want: PathState,
        in dir: Int32,
        leaf: String,
        was: PathState,
        store: CheckpointStore,
        files: AgentFiles
    ) -> String? {
        let tmp = ".brake-undo.\(UInt32.random(in: 0...UInt32.max))"
        switch want.kind {
        case .absent:
            return nil
        case .directory:
            if was.kind != .directory && was.kind != .absent {
                guard files.read({ unlinkat(dir, leaf, 0) == 0 }) else { return "cannot replace \(describe(was))" }
            }
            // Made writable for its children; its own mode comes last.
            let ok = files.read { mkdirat(dir, leaf, 0o700) == 0 || errno == EEXIST }
            return ok ? nil : "cannot create the directory: \(Loader.string(strerror(errno)))"
        case .symlink:
            guard was.kind != .directory else { return "a directory is there now" }
            let ok = files.read { symlinkat(want.link ?? "", dir, tmp) == 0 && renameat(dir, tmp, dir, leaf) == 0 }
            return ok ? nil : "cannot create the link: \(Loader.string(strerror(errno)))"
        case .file:
            guard was.kind != .directory else { return "a directory is there now" }
            guard let object = want.object else { return "its content was not kept" }
            // Read as this process (the store is its own), checked, then written as the person.
            guard let src = store.openObject(object) else { return "the kept content is missing from \(store.dir)" }
            defer { close(src.fd) }
            guard src.length == want.size else { return "the kept content was changed (size differs); not restored" }
            if let sha = want.sha256 {
                guard hash(src.fd, offset: src.offset, length: src.length) == sha else {
                    return "the kept content was changed (SHA-256 differs); not restored"
                }
            } else {
                var st = stat()
                fstat(src.fd, &st)
                let mtime = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
                guard mtime == want.mtime else { return "the kept content was changed since; not restored" }
            }
            return files.read { () -> String? in
                let out = openat(dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
                guard out >= 0 else { return "cannot write beside it: \(Loader.string(strerror(errno)))" }
                var ok = each(src.fd, offset: src.offset, length: src.length) { buf, n in
                    CheckpointStore.writeAll(out, buf, n)
                }
                ok = ok && fchmod(out, mode_t(want.mode)) == 0 && fsync(out) == 0
                close(out)
                guard ok, renameat(dir, tmp, dir, leaf) == 0 else {
                    let why = Loader.string(strerror(errno))
                    unlinkat(dir, tmp, 0)
                    return "cannot write it: \(why)"
                }
                return nil
            }
        }
    }

    /// Puts back a git checkpoint's refs: deleted branches, dropped stash entries, a branch HEAD a reset moved.
    static func git(
        _ g: GitCheckpoint,
        files: AgentFiles,
        env: [String: String],
        dryRun: Bool,
        force: Bool
    )
        -> [UndoReport.Item]
    {
        func run(_ args: [String]) -> String? { AgentRecorder.runGit(args, root: g.root, files: files, env: env) }
        var out: [UndoReport.Item] = []
        for (ref, sha) in g.branches {
            let now = run(["rev-parse", "-q", "--verify", ref])?.trimmedLine
            if now == sha {
                out.append(.init(path: ref, outcome: .unchanged, detail: ""))
            } else if now != nil && !force {
                out.append(.init(path: ref, outcome: .conflict, detail: "exists again at \(now!.prefix(12))"))
            } else if dryRun {
                out.append(.init(path: ref, outcome: .restored, detail: "would point at \(sha.prefix(12)) again"))
            } else {
                let ok = run(["update-ref", "-m", "brake undo", ref, sha]) != nil
                out.append(.init(path: ref, outcome: ok ? .restored : .failed, detail: "at \(sha.prefix(12))"))
            }
        }
        if !g.stash.isEmpty {
            let now = Set((run(["stash", "list", "--format=%H"]) ?? "").split(separator: "\n").map(String.init))
            for sha in g.stash.reversed() where !now.contains(sha) {
                if dryRun {
                    out.append(
                        .init(path: "refs/stash", outcome: .restored, detail: "would store \(sha.prefix(12)) again")
                    )
                    continue
                }
                let ok = run(["stash", "store", "-m", "restored by brake undo", sha]) != nil
                out.append(.init(path: "refs/stash", outcome: ok ? .restored : .failed, detail: "\(sha.prefix(12))"))
            }
        }
        if let ref = g.headRef, let head = g.head {
            let now = run(["rev-parse", "-q", "--verify", ref])?.trimmedLine
            let current = run(["symbolic-ref", "-q", "HEAD"])?.trimmedLine
            if now == head {
                out.append(.init(path: ref, outcome: .unchanged, detail: ""))
            } else if !force && (g.headAfter == nil || g.headAfter != now) {
                // Moved by something after the step (new commits), or it is not known what the step left.
                let what =
                    g.headAfter == nil
                    ? "it moved, and where the step left it was not recorded"
                    : "it moved after the step (now \((now ?? "gone").prefix(12)))"
                out.append(.init(path: ref, outcome: .conflict, detail: what + "; kept: \(head.prefix(12))"))
            } else if dryRun {
                out.append(.init(path: ref, outcome: .restored, detail: "would move back to \(head.prefix(12))"))
            } else if current == ref {
                // `--keep` moves the branch and the files that differ, and refuses where there is local work.
                let ok = run(["reset", "--keep", head]) != nil
                out.append(
                    .init(
                        path: ref,
                        outcome: ok ? .restored : .conflict,
                        detail: ok ? "moved back to \(head.prefix(12))" : "local changes in the way of moving back"
                    )
                )
            } else {
                let ok = run(["update-ref", "-m", "brake undo", ref, head]) != nil
                out.append(.init(path: ref, outcome: ok ? .restored : .failed, detail: "at \(head.prefix(12))"))
            }
        }
        return out
    }
}
