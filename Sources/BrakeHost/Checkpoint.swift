import BrakeCore
import BrakeGuard

#if canImport(Glibc)
import Glibc
#endif

/// The state of one path at one moment: enough to put it back (with the stored content) and to tell whether it
/// changed since.
package struct PathState: Sendable, Equatable {
    package enum Kind: String, Sendable { case file, directory, symlink, absent }
    package var kind: Kind
    /// Permission bits.
    package var mode: UInt32 = 0
    package var size: Int64 = 0
    /// Modification time, nanoseconds since the epoch.
    package var mtime: Int64 = 0
    /// A symbolic link's target.
    package var link: String?
    /// Where the content is kept, relative to the store (`objects/ab/cdef…` or `links/ID/N`).
    package var object: String?
    /// The content's SHA-256 (hex), when it was read to copy it.
    package var sha256: String?

    package static let absent = PathState(kind: .absent)

    /// The same file as far as metadata can tell (kind, size, modification time, mode; a link's target).
    package func sameAs(_ o: PathState) -> Bool {
        guard kind == o.kind else { return false }
        switch kind {
        case .file: return size == o.size && mtime == o.mtime && mode == o.mode
        case .symlink: return link == o.link
        case .directory, .absent: return true
        }
    }

    /// `fstatat` of `name` in an open directory, not following a link (as whoever the calling thread reads as);
    /// nil for kinds a checkpoint does not keep.
    package static func at(_ dir: Int32, _ name: String) -> PathState? {
        var st = stat()
        guard fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else {
            return errno == ENOENT || errno == ENOTDIR ? .absent : nil
        }
        var s = PathState(kind: .file)
        s.mode = UInt32(st.st_mode & 0o7777)
        s.size = Int64(st.st_size)
        s.mtime = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
        switch st.st_mode & S_IFMT {
        case S_IFREG: s.kind = .file
        case S_IFDIR: s.kind = .directory
        case S_IFLNK:
            s.kind = .symlink
            var buf = [CChar](repeating: 0, count: 4097)
            let n = readlinkat(dir, name, &buf, 4096)
            guard n >= 0 else { return nil }
            s.link = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        default: return nil
        }
        return s
    }

    var json: JSONValue {
        var m: [(String, JSONValue)] = [("kind", .string(kind.rawValue))]
        if kind != .absent {
            m.append(("mode", .number(Double(mode))))
            m.append(("size", .number(Double(size))))
            m.append(("mtime_ns", .string(String(mtime))))
        }
        if let link { m.append(("link", .string(link))) }
        if let object { m.append(("object", .string(object))) }
        if let sha256 { m.append(("sha256", .string(sha256))) }
        return .object(m)
    }

    init(kind: Kind) { self.kind = kind }

    init?(json v: JSONValue?) {
        guard let v, let k = v["kind"]?.stringValue.flatMap(Kind.init(rawValue:)) else { return nil }
        kind = k
        mode = UInt32(v["mode"]?.intValue ?? 0)
        size = Int64(v["size"]?.intValue ?? 0)
        mtime = Int64(v["mtime_ns"]?.stringValue ?? "") ?? 0
        link = v["link"]?.stringValue
        object = v["object"]?.stringValue
        sha256 = v["sha256"]?.stringValue
    }
}

/// One path a checkpoint keeps: its state before the step and, once known, after it.
package struct CheckpointEntry: Sendable, Equatable {
    package var path: String
    /// What the step does to it (`delete`, `move`, `write`, `truncate`, `git reset --hard` …).
    package var why: String
    package var before: PathState
    package var after: PathState?
    /// Its directory with every link resolved, when that differs from the path's own: undo walks this, without
    /// following links, so a link put in the way later cannot send it elsewhere.
    package var parentReal: String?

    init(path: String, why: String, before: PathState, after: PathState? = nil) {
        self.path = path
        self.why = why
        self.before = before
        self.after = after
    }
}

/// What a git command was about to discard or move, kept by a checkpoint.
package struct GitCheckpoint: Sendable, Equatable {
    package var root: String
    package var operation: String
    /// The branch HEAD named (`refs/heads/main`), nil when detached, and the commit it pointed at.
    package var headRef: String?
    package var head: String?
    /// Where that branch pointed once the step had run (recorded at the session's next call).
    package var headAfter: String?
    /// Branches a `branch -D` deletes: ref → commit.
    package var branches: [(String, String)] = []
    /// The stash's commits before a `stash drop`/`clear`.
    package var stash: [String] = []
    /// Uncommitted work as a commit (`git stash create`), kept under `ref`.
    package var work: String?
    package var ref: String?

    package static func == (a: GitCheckpoint, b: GitCheckpoint) -> Bool {
        a.root == b.root && a.operation == b.operation && a.headRef == b.headRef && a.head == b.head
            && a.headAfter == b.headAfter
            && a.branches.map(\.0) == b.branches.map(\.0) && a.branches.map(\.1) == b.branches.map(\.1)
            && a.stash == b.stash && a.work == b.work && a.ref == b.ref
    }

    var json: JSONValue {
        var m: [(String, JSONValue)] = [("root", .string(root)), ("operation", .string(operation))]
        m.append(("head_ref", headRef.map { .string($0) } ?? .null))
        m.append(("head", head.map { .string($0) } ?? .null))
        if let headAfter { m.append(("head_after", .string(headAfter))) }
        if !branches.isEmpty { m.append(("branches", .object(branches.map { ($0.0, .string($0.1)) }))) }
        if !stash.isEmpty { m.append(("stash", .array(stash.map { .string($0) }))) }
        if let work { m.append(("work", .string(work))) }
        if let ref { m.append(("ref", .string(ref))) }
        return .object(m)
    }

    init(root: String, operation: String) {
        self.root = root
        self.operation = operation
    }

    init?(json v: JSONValue) {
        guard let root = v["root"]?.stringValue, let op = v["operation"]?.stringValue else { return nil }
        self.root = root
        operation = op
        headRef = v["head_ref"]?.stringValue
        head = v["head"]?.stringValue
        headAfter = v["head_after"]?.stringValue
        if case .object(let members)? = v["branches"] {
            branches = members.compactMap { k, v in v.stringValue.map { (k, $0) } }
        }
        stash = v["stash"]?.strings ?? []
        work = v["work"]?.stringValue
        ref = v["ref"]?.stringValue
    }
}

/// One checkpoint: what a destructive step was about to change, kept before it ran.
package struct Checkpoint: Sendable, Equatable {
    package var id: String
    package var time: Int
    package var session: String
    package var agent: String
    /// The action as a person reads it.
    package var action: String
    package var cwd: String
    package var entries: [CheckpointEntry] = []
    package var git: [GitCheckpoint] = []
    /// Paths left out and why (build output, too large, over the budget, outside the project).
    package var skipped: [(String, String)] = []
    /// Targets the analysis could not resolve, as written.
    package var unresolved: [String] = []
    /// Bytes copied into the store and bytes kept through hard links.
    package var copied: Int64 = 0
    package var linked: Int64 = 0
    /// How long taking it took, in microseconds.
    package var micros: Int = 0
    /// When `brake undo` restored it, if it did.
    package var undone: Int?

    package static func == (a: Checkpoint, b: Checkpoint) -> Bool { a.json == b.json }

    package var json: JSONValue {
        var m: [(String, JSONValue)] = [
            ("id", .string(id)), ("time", .number(Double(time))), ("session", .string(session)),
            ("agent", .string(agent)), ("action", .string(action)), ("cwd", .string(cwd)),
        ]
        m.append(
            (
                "entries",
                .array(
                    entries.map { e in
                        var f: [(String, JSONValue)] = [
                            ("path", .string(e.path)), ("why", .string(e.why)), ("before", e.before.json),
                        ]
                        if let a = e.after { f.append(("after", a.json)) }
                        if let r = e.parentReal { f.append(("parent_real", .string(r))) }
                        return .object(f)
                    }
                )
            )
        )
        m.append(("git", .array(git.map(\.json))))
        m.append(
            ("skipped", .array(skipped.map { .object([("path", .string($0.0)), ("why", .string($0.1))]) }))
        )
        m.append(("unresolved", .array(unresolved.map { .string($0) })))
        m.append(("copied_bytes", .number(Double(copied))))
        m.append(("linked_bytes", .number(Double(linked))))
        m.append(("micros", .number(Double(micros))))
        if let undone { m.append(("undone", .number(Double(undone)))) }
        return .object(m)
    }

    init(id: String, time: Int, session: String, agent: String, action: String, cwd: String) {
        self.id = id
        self.time = time
        self.session = session
        self.agent = agent
        self.action = action
        self.cwd = cwd
    }

    package init?(json v: JSONValue) {
        guard let id = v["id"]?.stringValue, let time = v["time"]?.intValue else { return nil }
        self.id = id
        self.time = time
        session = v["session"]?.stringValue ?? ""
        agent = v["agent"]?.stringValue ?? ""
        action = v["action"]?.stringValue ?? ""
        cwd = v["cwd"]?.stringValue ?? ""
        for e in v["entries"]?.arrayValue ?? [] {
            guard let path = e["path"]?.stringValue, let before = PathState(json: e["before"]) else { return nil }
            var entry = CheckpointEntry(
                path: path,
                why: e["why"]?.stringValue ?? "",
                before: before,
                after: PathState(json: e["after"])
            )
            entry.parentReal = e["parent_real"]?.stringValue
            entries.append(entry)
        }
        git = (v["git"]?.arrayValue ?? []).compactMap(GitCheckpoint.init(json:))
        skipped = (v["skipped"]?.arrayValue ?? []).compactMap { s in
            s["path"]?.stringValue.map { ($0, s["why"]?.stringValue ?? "") }
        }
        unresolved = v["unresolved"]?.strings ?? []
        copied = Int64(v["copied_bytes"]?.intValue ?? 0)
        linked = Int64(v["linked_bytes"]?.intValue ?? 0)
        micros = v["micros"]?.intValue ?? 0
        undone = v["undone"]?.intValue
    }

    /// The local log's line for it (`brake log` shows it as a `checkpoint` after the decision whose digest it
    /// carries).
    package func auditRecord(digest: String) -> AuditRecord {
        [
            ("agent", .string(agent)), ("session", session.isEmpty ? .null : .string(session)),
            ("action", .string(action)), ("decision", .string("checkpoint")), ("digest", .string(digest)),
            ("checkpoint", .string(id)),
            ("kept", .number(Double(entries.filter { $0.before.kind != .absent }.count))),
            ("skipped", .number(Double(skipped.count))), ("unresolved", .number(Double(unresolved.count))),
        ]
    }

    /// What the control plane is told: which paths, never their content.
    package var summary: JSONValue {
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, 255)
        let kept = entries.filter { $0.before.kind != .absent }
        return .object([
            ("id", .string(id)), ("time", .number(Double(time))), ("session", .string(session)),
            ("agent", .string(agent)), ("action", .string(action)), ("host", .string(String(cString: host))),
            ("kept", .number(Double(kept.count))), ("paths", .array(kept.prefix(20).map { .string($0.path) })),
            ("git", .array(git.map { .string($0.operation + " in " + $0.root) })),
            ("skipped", .number(Double(skipped.count))), ("unresolved", .number(Double(unresolved.count))),
        ])
    }

    /// Every path it keeps, plus what it left out, for people: one line each.
    package var lines: [String] {
        var out: [String] = []
        for e in entries { out.append("  \(e.before.kind == .absent ? "(absent) " : "")\(e.path)  (\(e.why))") }
        for g in git {
            var what = "  git \(g.operation) in \(g.root)"
            if let h = g.head { what += ": HEAD \(g.headRef ?? "detached") at \(h.prefix(12))" }
            if let w = g.work { what += ", uncommitted work \(w.prefix(12)) (\(g.ref ?? ""))" }
            for (b, sha) in g.branches { what += ", \(b) at \(sha.prefix(12))" }
            if !g.stash.isEmpty { what += ", \(g.stash.count) stash entr\(g.stash.count == 1 ? "y" : "ies")" }
            out.append(what)
        }
        for (p, why) in skipped { out.append("  not kept: \(p) — \(why)") }
        for u in unresolved { out.append("  not resolved: \(u) — the path is only known when the command runs") }
        return out
    }
}

/// `brake checkpoints list`: what can be undone, newest first.
package enum Checkpoints {
    package static func list(_ store: CheckpointStore, session: String?, json: Bool) -> String {
        var all = store.all().reversed().map { $0 }
        if let session { all = all.filter { $0.session == session } }
        if json { return JSONValue.array(all.map(\.json)).serialized + "\n" }
        if all.isEmpty { return session.map { "no checkpoints of session \($0)\n" } ?? "no checkpoints\n" }
        var out = ""
        for c in all {
            let kept = c.entries.filter { $0.before.kind != .absent }.count
            var head = "\(c.id)  \(Checkpoints.utc(c.time))  \(c.agent)"
            if !c.session.isEmpty { head += " session \(c.session)" }
            head += "  \(c.action)\n"
            out += head
            out += "  \(kept) path\(kept == 1 ? "" : "s") kept"
            out += ", \(c.copied) bytes copied, \(c.linked) bytes linked, \(c.micros / 1000) ms"
            if let u = c.undone { out += ", undone \(Checkpoints.utc(u))" }
            out += "\n"
            for line in c.lines.prefix(20) { out += "  \(line)\n" }
            if c.lines.count > 20 { out += "    … \(c.lines.count - 20) more (--json lists all)\n" }
        }
        return out
    }
}

extension Checkpoints {
    /// `2026-12-01 16:20:05Z`.
    package static func utc(_ t: Int) -> String {
        var tt = time_t(t)
        var tmv = tm()
        gmtime_r(&tt, &tmv)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(tmv.tm_year + 1900)-\(two(tmv.tm_mon + 1))-\(two(tmv.tm_mday)) "
            + "\(two(tmv.tm_hour)):\(two(tmv.tm_min)):\(two(tmv.tm_sec))Z"
    }
}
