import BrakeCore
import Crypto

#if canImport(Glibc)
import Glibc
#endif

/// Where checkpoints are kept: `checkpoints/` in the local state directory (root's with a system install, so an
/// agent cannot remove the copy of what it is about to delete). Content is stored once per SHA-256 under
/// `objects/`; a file the step removes and nothing else links to is kept by a hard link under `links/` (no copy,
/// no read). Every checkpoint is one JSON file, `ID.json`; `pending/SESSION` lists the ones whose after-state is
/// not recorded yet (at the session's next call).
package struct CheckpointStore: Sendable {
    package var dir: String
    package var settings: CheckpointSettings

    package init(home: String, settings: CheckpointSettings = CheckpointSettings()) {
        dir = home + "/checkpoints"
        self.settings = settings
    }

    /// Files up to this size are packed together (one file per checkpoint), larger ones stored alone.
    static let packedMax: Int64 = 256 << 10

    /// At most this many paths per step (a recursive delete of a huge tree lists where it stopped).
    package var maxEntries = 20_000

    // MARK: Taking a checkpoint

    /// Keeps what `plan` is about to change, reading the agent's files with the agent's rights (`files`) and
    /// writing the store as this process. Nil when there is nothing to keep or checkpoints are off.
    @discardableResult
    package func capture(
        _ plan: CheckpointPlan,
        request: ActionRequest,
        summary: String,
        files: AgentFiles,
        env: [String: String],
        build: Set<String> = AnalysisSettings.standard.buildDirectories
    ) -> Checkpoint? {
        guard settings.enabled, !plan.isEmpty else { return nil }
        let started = Self.micros()
        let now = LocalStore.now()
        var c = Checkpoint(
            id: Self.newID(now),
            time: now,
            session: request.session,
            agent: request.agent,
            action: summary,
            cwd: request.context.cwd
        )
        guard (try? GuardService.makeDirectories(dir + "/objects", mode: 0o700)) != nil else { return nil }
        // Shared with other captures, exclusive for retention: it never removes content a capture is reusing.
        let lock = open(dir + "/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        if lock >= 0 { flock(lock, LOCK_SH) }
        var locked = lock >= 0
        defer { if locked { close(lock) } }
        c.unresolved = plan.unresolved
        c.skipped = plan.skipped.map { ($0.path, $0.why) }
        var taker = Taker(store: self, checkpoint: c, files: files, settings: settings, build: build)
        for g in plan.git { taker.git(g, env: env) }
        for place in plan.places {
            if place.glob {
                let matches = files.read { Self.glob(place.path) }
                for m in matches {
                    taker.keep(
                        m,
                        recursive: place.recursive,
                        replaced: place.replaced,
                        why: place.why,
                        into: place.into
                    )
                }
                if matches.isEmpty { taker.checkpoint.unresolved.append(place.path) }
            } else {
                taker.keep(
                    place.path,
                    recursive: place.recursive,
                    replaced: place.replaced,
                    why: place.why,
                    into: place.into
                )
            }
        }
        if taker.packFD >= 0 { close(taker.packFD) }
        c = taker.checkpoint
        c.micros = Self.micros() - started
        guard !c.entries.isEmpty || !c.git.isEmpty || !c.unresolved.isEmpty || !c.skipped.isEmpty else { return nil }
        guard (try? write(c, sync: false)) != nil else { return nil }
        if !c.session.isEmpty { markPending(c.id, session: c.session) }
        if locked {
            close(lock)
            locked = false
        }
        pruneIfDue(now: now, files: files, env: env)
        return c
    }

    /// Takes one checkpoint's paths, within its budgets.
    struct Taker {
        var store: CheckpointStore
        var checkpoint: Checkpoint
        var files: AgentFiles
        var settings: CheckpointSettings
        var seen: Set<String> = []
        var parents: [String: String] = [:]
        var skippedPaths: Set<String> = []
        /// The path limit was reached: nothing more is walked.
        var full = false
        var storeDevice: UInt64? = nil
        var links = 0
        var linksDir = false
        var packFD: Int32 = -1
        /// Content already in this checkpoint's pack.
        var packed: [String: String] = [:]
        var packOffset = 0
        /// Directory names of regenerable output (`settings.build_directories`).
        var build: Set<String>

        init(
            store: CheckpointStore,
            checkpoint: Checkpoint,
            files: AgentFiles,
            settings: CheckpointSettings,
            build: Set<String>
        ) {
            self.build = build
            self.store = store
            skippedPaths = Set(checkpoint.skipped.map(\.0))
            self.checkpoint = checkpoint
            self.files = files
            self.settings = settings
            var st = stat()
            if stat(store.dir, &st) == 0 { storeDevice = UInt64(st.st_dev) }
        }

        mutating func skip(_ path: String, _ why: String) {
            if skippedPaths.insert(path).inserted { checkpoint.skipped.append((path, why)) }
        }

        /// The directory's path with every link resolved (undo walks it without following links).
        mutating func realDirectory(_ parent: String) -> String {
            if let known = parents[parent] { return known }
            let real = files.read { Loader.realPath(parent) }
            let value = real.isEmpty ? parent : real
            parents[parent] = value
            return value
        }

        mutating func entry(_ path: String, _ why: String, _ state: PathState, real: String) {
            var e = CheckpointEntry(path: path, why: why, before: state)
            e.parentReal = real == Paths.dirname(path) ? nil : real
            checkpoint.entries.append(e)
        }

        /// Keeps a path's state. Its directory is opened once, from its real path, one component at a time without
        /// following links, and everything is read through that descriptor: what is kept and where undo puts it
        /// back are the same place, even if the agent swaps a directory for a link meanwhile. `real` is the
        /// directory's real path when the caller knows it (a walk passes its own down).
        mutating func keep(
            _ path: String,
            recursive: Bool,
            replaced: Bool,
            why: String,
            into: [String] = [],
            depth: Int = 0,
            real known: String? = nil
        ) {
            guard !full, seen.insert(path).inserted else { return }
            guard depth <= 128 else {
                skip(path, "more than 128 directories deep")
                return
            }
            guard checkpoint.entries.count < store.maxEntries else {
                // Listed once: the walk stops here.
                full = true
                skip(path, "this and everything after it: over the \(store.maxEntries)-path limit of one checkpoint")
                return
            }
            let real = known ?? realDirectory(Paths.dirname(path))
            let leaf = Paths.basename(path)
            let opened = files.read { Undo.walk(real, create: false) }
            if let problem = opened.problem {
                skip(path, "its directory changed while it was being kept (\(problem))")
                return
            }
            guard let dir = opened.fd else {
                if why != "delete" && why != "move" { entry(path, why, .absent, real: real) }
                return
            }
            defer { close(dir) }
            guard let state = files.read({ PathState.at(dir, leaf) }) else {
                skip(path, "not a regular file, directory or link, or unreadable")
                return
            }
            let here = real == "/" ? "/" + leaf : real + "/" + leaf
            switch state.kind {
            case .absent:
                // A delete of nothing changes nothing; a write creates the file (undo removes it again).
                if why != "delete" && why != "move" { entry(path, why, .absent, real: real) }
            case .symlink:
                entry(path, why, state, real: real)
            case .directory:
                guard recursive else {
                    // A copy or move into the directory: what it replaces there.
                    for name in into where !name.isEmpty && name != "." && name != ".." && !name.contains("/") {
                        keep(
                            path + "/" + name,
                            recursive: true,
                            replaced: false,
                            why: why,
                            depth: depth + 1,
                            real: here
                        )
                    }
                    return
                }
                entry(path, why, state, real: real)
                for (name, isDirectory) in files.read({ CheckpointStore.list(dir, leaf) }).sorted(by: { $0.0 < $1.0 }) {
                    let child = path == "/" ? "/" + name : path + "/" + name
                    if build.contains(name), isDirectory {
                        skip(child, "build or dependency directory (regenerable)")
                        continue
                    }
                    keep(child, recursive: true, replaced: replaced, why: why, depth: depth + 1, real: here)
                }
            case .file:
                if state.size > settings.maxFileBytes {
                    skip(path, "larger than \(settings.maxFileBytes >> 20) MB (settings.checkpoints.max_file_mb)")
                    return
                }
                var s = state
                guard store(path, in: dir, leaf, &s, replaced: replaced) else { return }
                entry(path, why, s, real: real)
            }
        }

        /// Keeps one regular file's content: opened as the agent, linked or copied as this process.
        mutating func store(
            _ path: String,
            in dir: Int32,
            _ leaf: String,
            _ state: inout PathState,
            replaced: Bool
        )
            -> Bool
        {
            let fd = files.read { openat(dir, leaf, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK) }
            guard fd >= 0 else {
                skip(path, "cannot be read (\(Loader.string(strerror(errno))))")
                return false
            }
            defer { close(fd) }
            var st = stat()
            guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG else {
                skip(path, "changed while it was being kept")
                return false
            }
            // A step that removes the file leaves its inode to the hard link: no copy, no read.
            // Only the caller's own files, never set-id ones (a root service must not pin what is not the agent's).
            let owner = files.uid ?? geteuid()
            if replaced, st.st_nlink == 1, storeDevice == UInt64(st.st_dev), st.st_uid == owner,
                st.st_mode & (S_ISUID | S_ISGID) == 0
            {
                let rel = "links/\(checkpoint.id)/\(links)"
                if !linksDir {
                    linksDir =
                        (try? GuardService.makeDirectories(store.dir + "/links/" + checkpoint.id, mode: 0o700)) != nil
                }
                if linksDir,
                    linkat(AT_FDCWD, "/proc/self/fd/\(fd)", AT_FDCWD, store.dir + "/" + rel, AT_SYMLINK_FOLLOW) == 0
                {
                    links += 1
                    state.object = rel
                    checkpoint.linked += state.size
                    return true
                }
            }
            if checkpoint.copied + state.size > settings.stepBudgetBytes {
                skip(
                    path,
                    "over the step's budget of \(settings.stepBudgetBytes >> 20) MB (settings.checkpoints.step_budget_mb)"
                )
                return false
            }
            // Small files go into one pack per checkpoint (creating a file costs far more than writing one), unless
            // the store already holds their content.
            let kept: (String, String)? =
                Int64(st.st_size) <= CheckpointStore.packedMax
                ? pack(fd, size: Int(st.st_size)) : store.copy(from: fd, size: state.size)
            guard let (rel, sha) = kept else {
                skip(path, "could not be copied into \(store.dir)")
                return false
            }
            state.object = rel
            state.sha256 = sha
            checkpoint.copied += state.size
            return true
        }

        /// Appends a small file's content to this checkpoint's pack (`packs/ID`); `packs/ID:OFFSET:LENGTH` and its
        /// SHA-256, or the loose object already holding the same content.
        mutating func pack(_ fd: Int32, size: Int) -> (String, String)? {
            var bytes = [UInt8](repeating: 0, count: size + 1)
            var n = 0
            while n <= size {
                let r = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + n, size + 1 - n) }
                if r < 0 && errno == EINTR { continue }
                if r <= 0 { break }
                n += r
            }
            guard n == size else { return nil }  // it changed while being read
            bytes.removeLast()
            let sha = AuditChain.hex(SHA256.hash(data: bytes))
            let loose = "objects/" + sha.prefix(2) + "/" + sha.dropFirst(2)
            if access(store.dir + "/" + loose, F_OK) == 0 { return (loose, sha) }
            if let same = packed[sha] { return (same, sha) }
            if packFD < 0 {
                mkdir(store.dir + "/packs", 0o700)
                packFD = open(store.dir + "/packs/" + checkpoint.id, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
                guard packFD >= 0 else { return nil }
            }
            guard CheckpointStore.writeAll(packFD, bytes, size) else { return nil }
            defer { packOffset += size }
            let ref = "packs/\(checkpoint.id):\(packOffset):\(size)"
            packed[sha] = ref
            return (ref, sha)
        }

        /// What a git command is about to discard or move: HEAD, the branches it deletes, the stash, and the
        /// uncommitted work (as a commit under `refs/brake/checkpoints/ID`, and file by file in the store).
        mutating func git(_ step: CheckpointPlan.GitStep, env: [String: String]) {
            func run(_ args: [String], in dir: String) -> String? {
                AgentRecorder.runGit(args, root: dir, files: files, env: env)
            }
            guard let top = run(["rev-parse", "--show-toplevel"], in: step.directory)?.trimmedLine, !top.isEmpty
            else {
                skip(step.directory, "git \(step.operation): not a git repository")
                return
            }
            var g = GitCheckpoint(root: top, operation: step.operation)
            g.headRef = run(["symbolic-ref", "-q", "HEAD"], in: top)?.trimmedLine
            g.head = run(["rev-parse", "-q", "--verify", "HEAD"], in: top)?.trimmedLine
            for b in step.branches {
                if let sha = run(["rev-parse", "-q", "--verify", "refs/heads/" + b], in: top)?.trimmedLine {
                    g.branches.append(("refs/heads/" + b, sha))
                }
            }
            if step.operation.hasPrefix("stash") {
                g.stash = (run(["stash", "list", "--format=%H"], in: top) ?? "").split(separator: "\n").map(String.init)
            }
            let discards = ["reset", "checkout", "restore", "clean", "switch", "stash", "merge", "rebase", "pull"]
            if discards.contains(where: { step.operation.hasPrefix($0) }) {
                if let work = run(["stash", "create", "brake checkpoint \(checkpoint.id)"], in: top)?.trimmedLine,
                    !work.isEmpty
                {
                    let ref = "refs/brake/checkpoints/\(checkpoint.id)"
                    if run(["update-ref", "-m", "brake checkpoint", ref, work], in: top) != nil {
                        g.work = work
                        g.ref = ref
                    }
                }
                // File by file too: untracked files (which the commit does not hold) and the exact bytes and modes.
                var args = ["status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames"]
                if step.ignored { args.append("--ignored=matching") }
                let out = run(args, in: top) ?? ""
                for record in out.split(separator: "\0") where record.count > 3 {
                    // An ignored directory is reported whole (`dir/`): kept with everything in it.
                    var rel = record.dropFirst(3)
                    let whole = rel.hasSuffix("/")
                    if whole { rel = rel.dropLast() }
                    let path = top + "/" + rel
                    if rel.split(separator: "/").contains(where: { build.contains(String($0)) }) {
                        skip(path, "build or dependency directory (regenerable)")
                        continue
                    }
                    keep(path, recursive: whole, replaced: false, why: "git \(step.operation)")
                }
            }
            checkpoint.git.append(g)
        }
    }

    /// Copies an open file into `objects/` (once per content); its relative path and SHA-256.
    func copy(from fd: Int32, size: Int64) -> (String, String)? {
        let tmp = dir + "/objects/tmp.\(getpid()).\(UInt32.random(in: 0...UInt32.max))"
        let out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard out >= 0 else { return nil }
        var hasher = SHA256()
        // Sized to the file (most are small), at most 1 MiB at a time.
        var buf = [UInt8](repeating: 0, count: Int(min(max(size + 1, 4096), 1 << 20)))
        var ok = true
        while true {
            let n = read(fd, &buf, buf.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 {
                ok = n == 0
                break
            }
            hasher.update(data: buf[0..<n])
            if !CheckpointStore.writeAll(out, buf, n) {
                ok = false
                break
            }
        }
        close(out)
        guard ok else {
            unlink(tmp)
            return nil
        }
        let sha = AuditChain.hex(hasher.finalize())
        let sub = "objects/" + sha.prefix(2)
        mkdir(dir + "/" + sub, 0o700)
        let rel = sub + "/" + sha.dropFirst(2)
        if access(dir + "/" + rel, F_OK) == 0 {
            unlink(tmp)
        } else if rename(tmp, dir + "/" + rel) != 0 {
            unlink(tmp)
            return nil
        }
        return (rel, sha)
    }

    /// The names in the directory `name` of the open directory `dir` (opened without following a link), and
    /// whether each is a directory.
    static func list(_ dir: Int32, _ name: String) -> [(String, Bool)] {
        let fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0, let d = fdopendir(fd) else { return [] }
        defer { closedir(d) }
        var out: [(String, Bool)] = []
        while let e = readdir(d) {
            let entryName = withUnsafePointer(to: e.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if entryName == "." || entryName == ".." { continue }
            out.append((entryName, e.pointee.d_type == UInt8(DT_DIR)))
        }
        return out
    }

    /// Opens kept content for reading: a loose object or link (the whole file), or a range of a pack
    /// (`packs/ID:OFFSET:LENGTH`). Nil when it is missing or the reference is malformed.
    package func openObject(_ ref: String) -> (fd: Int32, offset: Int64, length: Int64)? {
        var file = ref
        var range: (Int64, Int64)?
        let parts = ref.split(separator: ":")
        if parts.count == 3 {
            guard let off = Int64(parts[1]), let len = Int64(parts[2]), off >= 0, len >= 0 else { return nil }
            file = String(parts[0])
            range = (off, len)
        }
        guard !file.contains(".."), !file.hasPrefix("/") else { return nil }
        let fd = open(dir + "/" + file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return nil }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            close(fd)
            return nil
        }
        if let (off, len) = range {
            guard off <= Int64(st.st_size), len <= Int64(st.st_size) - off else {
                close(fd)
                return nil
            }
            return (fd, off, len)
        }
        return (fd, 0, Int64(st.st_size))
    }

    static func writeAll(_ fd: Int32, _ buf: [UInt8], _ n: Int) -> Bool {
        var done = 0
        while done < n {
            let w = buf.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, n - done) }
            if w < 0 && errno == EINTR { continue }
            if w <= 0 { return false }
            done += w
        }
        return true
    }

    static func glob(_ pattern: String) -> [String] {
        var g = glob_t()
        defer { globfree(&g) }
        guard Glibc.glob(pattern, 0, nil, &g) == 0 else { return [] }
        // The path limit applies to what is kept; past it the walk records where it stopped.
        return (0..<min(Int(g.gl_pathc), 100_000)).compactMap { g.gl_pathv[$0].map { String(cString: $0) } }
    }

    static func micros() -> Int {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return ts.tv_sec * 1_000_000 + ts.tv_nsec / 1000
    }

    /// `ck-YYYYMMDD-HHMMSS-UUUUUU-XXXX` (UTC, microseconds, random): sorts by when it was taken, reads as a time.
    static func newID(_ now: Int) -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        var t = time_t(ts.tv_sec)
        var tmv = tm()
        gmtime_r(&t, &tmv)
        func pad(_ n: Int, _ w: Int) -> String {
            let s = String(n)
            return String(repeating: "0", count: max(0, w - s.count)) + s
        }
        let date = "\(tmv.tm_year + 1900)\(pad(Int(tmv.tm_mon) + 1, 2))\(pad(Int(tmv.tm_mday), 2))"
        let clock = "\(pad(Int(tmv.tm_hour), 2))\(pad(Int(tmv.tm_min), 2))\(pad(Int(tmv.tm_sec), 2))"
        let suffix = String(UInt16.random(in: 0...0xFFFF), radix: 16)
        return
            "ck-\(date)-\(clock)-\(pad(ts.tv_nsec / 1000, 6))-\(String(repeating: "0", count: 4 - suffix.count) + suffix)"
    }

    // MARK: Reading and writing checkpoints

    func path(of id: String) -> String { dir + "/" + id + ".json" }

    /// Writes a checkpoint's record; `sync: false` for what only adds to one already on disk (its after-state).
    package func write(_ c: Checkpoint, sync: Bool = true) throws(Failure) {
        try GuardService.makeDirectories(dir, mode: 0o700)
        try LocalStore.writeAtomically(path(of: c.id), c.json.serialized + "\n", sync: sync)
    }

    package func load(_ id: String) -> Checkpoint? {
        guard Self.validID(id), let text = try? Loader.readFile(path(of: id)), let v = try? JSONValue.parse(text)
        else { return nil }
        return Checkpoint(json: v)
    }

    static func validID(_ id: String) -> Bool {
        id.hasPrefix("ck-") && id.count < 64 && id.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" }
    }

    /// Every checkpoint, oldest first.
    package func all() -> [Checkpoint] {
        Loader.listDirectory(dir).filter { $0.hasSuffix(".json") }.sorted().compactMap { load(String($0.dropLast(5))) }
    }

    // MARK: After the step

    func pendingFile(_ session: String) -> String {
        dir + "/pending/" + Engine.hexDigest(session).dropFirst(7).prefix(24)
    }

    func markPending(_ id: String, session: String) {
        mkdir(dir + "/pending", 0o700)
        let fd = open(pendingFile(session), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        let line = Array((id + "\n").utf8)
        _ = CheckpointStore.writeAll(fd, line, line.count)
        close(fd)
    }

    /// Records, for the session's checkpoints still open, what their paths look like now that the step ran (at
    /// the session's next call, or right after the tool when the agent reports it). `brake undo` then tells a
    /// path the step changed from one changed again afterwards. One `access` when nothing is open.
    package func settle(session: String, files: AgentFiles, env: [String: String] = [:]) {
        guard !session.isEmpty else { return }
        let file = pendingFile(session)
        guard access(file, F_OK) == 0 else { return }
        // Claimed by renaming, so two calls of one session do not both settle it.
        let claimed = file + ".\(getpid()).\(UInt32.random(in: 0...UInt32.max))"
        guard rename(file, claimed) == 0 else { return }
        defer { unlink(claimed) }
        guard let text = try? Loader.readFile(claimed) else { return }
        for id in Set(text.split(separator: "\n").map(String.init)) {
            guard var c = load(id) else { continue }
            for i in c.entries.indices where c.entries[i].after == nil {
                let e = c.entries[i]
                c.entries[i].after = files.read { () -> PathState in
                    let opened = Undo.walk(e.parentReal ?? Paths.dirname(e.path), create: false)
                    guard let dir = opened.fd else {
                        return opened.problem == nil ? .absent : PathState(kind: .symlink)
                    }
                    defer { close(dir) }
                    return PathState.at(dir, Paths.basename(e.path)) ?? .absent
                }
            }
            for i in c.git.indices where c.git[i].headAfter == nil {
                guard let ref = c.git[i].headRef else { continue }
                c.git[i].headAfter =
                    AgentRecorder.runGit(
                        ["rev-parse", "-q", "--verify", ref],
                        root: c.git[i].root,
                        files: files,
                        env: env
                    )?
                    .trimmedLine
            }
            try? write(c, sync: false)
        }
    }

    // MARK: Retention

    /// At most every ten minutes (a marker file's time), and bounded: checkpoints past their age, then the oldest
    /// while the store is over its budget, then content nothing refers to any more.
    func pruneIfDue(now: Int, files: AgentFiles, env: [String: String]) {
        let marker = dir + "/pruned"
        var st = stat()
        if stat(marker, &st) == 0, now - Int(st.st_mtim.tv_sec) < 600 { return }
        close(open(marker, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600))
        utimensat(AT_FDCWD, marker, nil, 0)
        _ = prune(now: now, files: files, env: env)
    }

    /// Removes what retention says must go, then the repositories' refs of what went (git as the caller, with the
    /// store unlocked: a repository the agent controls cannot hold captures up); the ids removed.
    @discardableResult
    package func prune(
        now: Int,
        limit: Int = 500,
        files: AgentFiles = .own,
        env: [String: String] = [:]
    ) -> [String] {
        let (removed, refs) = removeExpired(now: now, limit: limit)
        for (root, ref) in refs.prefix(50) {
            _ = AgentRecorder.runGit(["update-ref", "-d", ref], root: root, files: files, env: env)
        }
        return removed
    }

    func removeExpired(now: Int, limit: Int) -> ([String], [(String, String)]) {
        // Not while a capture is under way (it may be reusing content that looks unreferenced): next time.
        // Waits up to a second: a capture's lock can also live on for a moment in a child another thread forked.
        let lock = open(dir + "/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        var held = false
        for _ in 0..<100 where lock >= 0 {
            if flock(lock, LOCK_EX | LOCK_NB) == 0 {
                held = true
                break
            }
            usleep(10_000)
        }
        guard held else {
            if lock >= 0 { close(lock) }
            return ([], [])
        }
        defer { close(lock) }
        var list = all()
        var removed: [String] = []
        let oldest = now - settings.maxAgeDays * 86400
        var refs: [(String, String)] = []
        func drop(_ c: Checkpoint) {
            for g in c.git { if let ref = g.ref { refs.append((g.root, ref)) } }
            unlink(path(of: c.id))
            unlink(dir + "/packs/" + c.id)
            Self.removeTree(dir + "/links/" + c.id)
            removed.append(c.id)
        }
        while let c = list.first, c.time < oldest, removed.count < limit {
            drop(c)
            list.removeFirst()
        }
        // Over budget, the oldest go — but none from the last hour: an agent cannot evict the checkpoint of what it
        // just destroyed by making more of them (the store may then run over its budget for that hour).
        var total = list.reduce(Int64(0)) { $0 + $1.copied + $1.linked }
        while total > settings.budgetBytes, let c = list.first, c.time < now - 3600, removed.count < limit {
            drop(c)
            total -= c.copied + c.linked
            list.removeFirst()
        }
        guard !removed.isEmpty else { return (removed, refs) }
        // Content only the removed checkpoints referred to.
        var used: Set<String> = []
        for c in list { for e in c.entries { if let o = e.before.object { used.insert(o) } } }
        for sub in Loader.listDirectory(dir + "/objects") where sub.count == 2 {
            for name in Loader.listDirectory(dir + "/objects/" + sub) where !used.contains("objects/\(sub)/\(name)") {
                unlink(dir + "/objects/\(sub)/\(name)")
            }
        }
        return (removed, refs)
    }

    static func removeTree(_ path: String) {
        for name in Loader.listDirectory(path) { unlink(path + "/" + name) }
        rmdir(path)
    }
}

extension String {
    /// Without the newline (and spaces) git prints after a value.
    var trimmedLine: String {
        var s = Substring(self)
        while let c = s.last, c == "\n" || c == " " || c == "\r" { s.removeLast() }
        while let c = s.first, c == " " { s.removeFirst() }
        return String(s)
    }
}
