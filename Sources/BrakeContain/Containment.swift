#if canImport(Glibc)
import CBrakeSystem
import Glibc

/// What a confined command may do: where it may write, what it may not read, and which paths inside the writable
/// places stay read-only (a repository's `.git/hooks`, the agent's own configuration).
public struct ContainmentSpec: Sendable, Equatable {
    public var write: [String]
    public var denyRead: [String]
    public var readOnly: [String]
    public var removeIn: [String]
    /// The TCP ports the command may connect to; nil leaves the network alone (the default).
    public var connect: [Int]?

    public init(
        write: [String] = [],
        denyRead: [String] = [],
        readOnly: [String] = [],
        removeIn: [String] = [],
        connect: [Int]? = nil
    ) {
        self.write = write
        self.denyRead = denyRead
        self.readOnly = readOnly
        self.removeIn = removeIn
        self.connect = connect
    }

    /// `--connect 443,22` (or `none`) as ports; nil when malformed.
    static func ports(_ text: String) -> [Int]? {
        if text == "none" { return [] }
        var out: [Int] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let p = Int(part), (1...65535).contains(p) else { return nil }
            out.append(p)
        }
        return out
    }

    /// `--write P`, `--deny-read P`, `--read-only P` … `-- COMMAND…` (what `brake-hook contain` reads).
    public static func parse(_ args: [String]) -> (ContainmentSpec, [String])? {
        var spec = ContainmentSpec()
        var i = 0
        while i < args.count {
            let a = args[i]
            if a == "--" { return (spec, Array(args[(i + 1)...])) }
            guard i + 1 < args.count else { return nil }
            switch a {
            case "--write": spec.write.append(args[i + 1])
            case "--deny-read": spec.denyRead.append(args[i + 1])
            case "--read-only": spec.readOnly.append(args[i + 1])
            case "--remove-in": spec.removeIn.append(args[i + 1])
            case "--connect":
                guard let ports = ports(args[i + 1]) else { return nil }
                spec.connect = ports
            default: return nil
            }
            i += 2
        }
        return nil
    }

    public var arguments: [String] {
        write.flatMap { ["--write", $0] } + removeIn.flatMap { ["--remove-in", $0] }
            + denyRead.flatMap { ["--deny-read", $0] } + readOnly.flatMap { ["--read-only", $0] }
            + connectArguments
    }

    var connectArguments: [String] {
        guard let connect else { return [] }
        let ports: [String] = connect.map { String($0) }
        return ["--connect", ports.isEmpty ? "none" : ports.joined(separator: ",")]
    }
}

/// Confines this process, then runs the command in it: paths inside writable places made read-only in a private
/// mount namespace of an unprivileged user namespace, then a Landlock ruleset (writes only where granted, reads of
/// everything but the denied credential stores, execution anywhere) under no_new_privs. Everything the command
/// starts inherits both; neither can be undone from inside. Must run single-threaded (a user namespace cannot be
/// entered by a multi-threaded process), which is why the small `brake-hook` binary does it.
public enum Containment {
    public struct Report: Sendable {
        public var abi: Int
        public var readOnlyApplied: [String]
        public var warnings: [String]
    }

    /// Applies the spec to this process. Throws when the kernel refuses; returns what was applied.
    public static func apply(_ spec: ContainmentSpec) throws(Landlock.Failure) -> Report {
        let abi = Landlock.abi()
        var report = Report(abi: abi, readOnlyApplied: [], warnings: [])
        guard abi >= 1 else {
            throw Landlock.Failure(description: "this kernel has no Landlock (or it is disabled)")
        }
        // Denied paths inside a writable place are also made read-only there (a write grant covers everything
        // beneath it, and Landlock rules can only grant).
        // Only what exists is resolved and ruled (a path created later is governed by where it is created).
        let denied = Set(spec.denyRead.filter { access($0, F_OK) == 0 }.map(canonical))
        let writable = spec.write.filter { access($0, F_OK) == 0 }.map(canonical)
        let shadowed = denied.filter { d in writable.contains { d.hasPrefix($0 == "/" ? "/" : $0 + "/") } }
        var readOnly: [String] = []
        for p in spec.readOnly.map(canonical) + shadowed.sorted() where access(p, F_OK) == 0 && !readOnly.contains(p) {
            readOnly.append(p)
        }
        if !readOnly.isEmpty {
            do {
                try privateReadOnly(readOnly)
                report.readOnlyApplied = readOnly
            } catch {
                report.warnings.append("\(readOnly.joined(separator: ", ")) stay writable: \(error.description)")
            }
        }
        let writes = Landlock.writeRights(abi: abi)
        let reads = Landlock.readFile | Landlock.readDir | Landlock.execute
        // TCP connect limited to the listed ports, where the profile asks for it; a kernel that cannot is a failure
        // (the command is not run), never a silently open network.
        if spec.connect != nil && abi < 4 {
            throw Landlock.Failure(
                description: "the profile limits TCP connections, which needs Landlock ABI 4 (this kernel has \(abi))"
            )
        }
        let ruleset = try Landlock.Ruleset(
            handled: writes | reads,
            network: spec.connect == nil ? 0 : Landlock.connectTCP
        )
        for port in spec.connect ?? [] { try ruleset.allow(port: port, Landlock.connectTCP) }
        try ruleset.allow("/", Landlock.execute | Landlock.readDir)
        try grantReads("/", denied: denied, ruleset: ruleset)
        // Writes only: what may be read there is the read rules' business.
        for w in writable { try ruleset.allow(w, writes) }
        // Removal only, where an approved delete takes its target away.
        for d in spec.removeIn where access(d, F_OK) == 0 {
            try ruleset.allow(canonical(d), Landlock.removeDir | Landlock.removeFile)
        }
        // Terminals and the null devices are written by almost everything.
        for d in ["/dev/null", "/dev/zero", "/dev/full", "/dev/tty", "/dev/ptmx", "/dev/pts", "/dev/shm"] {
            try ruleset.allow(d, d == "/dev/shm" || d == "/dev/pts" ? writes : Landlock.writeFile)
        }
        try ruleset.restrictSelf()
        return report
    }

    /// The path with symbolic links resolved (the kernel judges the object, not the name).
    static func canonical(_ path: String) -> String {
        guard let r = realpath(path, nil) else { return path }
        defer { free(r) }
        return String(cString: r)
    }

    /// Read access to everything except the denied paths: a directory with nothing denied beneath it is granted
    /// whole; one that holds a denied path is listed and its entries are granted one by one (symbolic links are
    /// skipped: what they lead to is granted, or not, where it lives).
    static func grantReads(_ path: String, denied: Set<String>, ruleset: Landlock.Ruleset) throws(Landlock.Failure) {
        if denied.contains(path) { return }
        let prefix = path == "/" ? "/" : path + "/"
        guard denied.contains(where: { $0.hasPrefix(prefix) }) else {
            try ruleset.allow(path, Landlock.readFile | Landlock.readDir | Landlock.execute)
            return
        }
        guard let dir = opendir(path) else { return }
        var children: [String] = []
        while let e = readdir(dir) {
            let name = withUnsafePointer(to: e.pointee.d_name) { p in
                p.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name == "." || name == ".." { continue }
            var type = e.pointee.d_type
            if type == UInt8(DT_UNKNOWN) {  // file systems that do not report it
                var st = stat()
                guard lstat(prefix + name, &st) == 0 else { continue }
                type = (st.st_mode & S_IFMT) == S_IFLNK ? UInt8(DT_LNK) : UInt8(DT_REG)
            }
            if type != UInt8(DT_LNK) { children.append(prefix + name) }
        }
        closedir(dir)
        for child in children { try grantReads(child, denied: denied, ruleset: ruleset) }
    }

    /// Bind-mounts each path read-only over itself in a new mount namespace of a new user namespace that maps
    /// this process's own uid and gid (so files keep their owners and the command keeps no privilege).
    static func privateReadOnly(_ paths: [String]) throws(Landlock.Failure) {
        func fail(_ what: String) -> Landlock.Failure {
            Landlock.Failure(description: "\(what): \(String(cString: strerror(errno)))")
        }
        let uid = getuid()
        let gid = getgid()
        guard brake_unshare_user_mount() == 0 else { throw fail("unshare") }
        func write(_ file: String, _ text: String) -> Bool {
            let fd = open(file, O_WRONLY | O_CLOEXEC)
            guard fd >= 0 else { return false }
            defer { close(fd) }
            return text.withCString { Glibc.write(fd, $0, strlen($0)) } == text.utf8.count
        }
        guard write("/proc/self/setgroups", "deny"), write("/proc/self/uid_map", "\(uid) \(uid) 1"),
            write("/proc/self/gid_map", "\(gid) \(gid) 1")
        else { throw fail("uid map") }
        // No need to make the copied mounts private: in a namespace of a less privileged user namespace the kernel
        // has already reduced shared mounts to slaves, so nothing mounted here propagates out (mount_namespaces(7)).
        for p in paths {
            guard mount(p, p, nil, UInt(MS_BIND | MS_REC), nil) == 0 else { throw fail("bind \(p)") }
            // A remount must keep the flags the outer namespace locked (nosuid, nodev, noexec, atime).
            var vfs = statvfs()
            var flags = UInt(MS_BIND | MS_REMOUNT | MS_RDONLY)
            if statvfs(p, &vfs) == 0 {
                let f = vfs.f_flag
                // statvfs ST_* bit → mount MS_* bit: nosuid, nodev, noexec, noatime, nodiratime, relatime.
                for (st, ms) in [(2, 2), (4, 4), (8, 8), (1024, 1024), (2048, 2048), (4096, 1 << 21)]
                where f & UInt(st) != 0 {
                    flags |= UInt(ms)
                }
            }
            guard mount(nil, p, nil, flags, nil) == 0 else { throw fail("read-only \(p)") }
        }
    }

    /// `brake-hook contain …`: confine, then run the command. Never returns. When stderr is not a terminal (an
    /// agent's tool call, an MCP server) the command runs as a child whose stderr passes through this process, so a
    /// refusal can be explained ("Brake's containment refused writing ~/.brake/…") and reported to the guard service
    /// for the audit log; on a terminal the command simply replaces this process.
    public static func main(_ args: [String], report: (Refusal) -> Void = { _ in }) -> Never {
        func die(_ status: Int32, _ m: String) -> Never {
            let line = "Brake's containment: \(m)\n"
            _ = line.withCString { Glibc.write(2, $0, strlen($0)) }
            exit(status)
        }
        guard let (spec, command) = ContainmentSpec.parse(args), !command.isEmpty else {
            die(
                64,
                "usage: brake-hook contain [--write PATH]… [--remove-in DIR]… [--deny-read PATH]… [--read-only PATH]… [--connect PORT,…|none] -- COMMAND…"
            )
        }
        var pipeFDs: [Int32] = [-1, -1]
        // Supervised only where an explanation can be read: not on a terminal (the command keeps it), not into
        // /dev/null (nobody reads it; one process less).
        var err = stat()
        var null = stat()
        let discarded =
            fstat(2, &err) == 0 && stat("/dev/null", &null) == 0 && (err.st_mode & S_IFMT) == S_IFCHR
            && err.st_rdev == null.st_rdev
        let supervise = isatty(2) == 0 && !discarded && pipe(&pipeFDs) == 0
        var child: pid_t = 0
        if supervise {
            child = fork()
            if child < 0 { die(70, "fork: \(String(cString: strerror(errno))); the command was not run") }
        }
        if child == 0 {  // the command's process (or this one, unsupervised)
            if supervise {
                close(pipeFDs[0])
                dup2(pipeFDs[1], 2)
                close(pipeFDs[1])
            }
            do {
                let report = try apply(spec)
                for w in report.warnings { die(70, w) }
            } catch {
                // Fail closed: a command that was to be confined is not run unconfined.
                die(70, "\(error.description); the command was not run")
            }
            var cargs: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
            execvp(command[0], &cargs)
            die(127, "\(command[0]): \(String(cString: strerror(errno)))")
        }
        close(pipeFDs[1])
        // Signals a terminal or an agent sends reach the command.
        forwardTo = child
        for sig in [SIGINT, SIGTERM, SIGHUP, SIGQUIT] { signal(sig, forward) }
        var refusals: [Refusal] = []
        var line: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        let cwd = currentDirectory()
        // Relay until the command has exited and its error output is drained. A background job it started may
        // keep the pipe open: then a detached copier carries on relaying, so the job neither blocks this answer
        // nor dies of SIGPIPE (what it writes later is passed through, not explained).
        var status: Int32 = 0
        var exited = false
        var fds = pollfd(fd: pipeFDs[0], events: Int16(POLLIN), revents: 0)
        while true {
            if !exited, waitpid(child, &status, WNOHANG) == child { exited = true }
            let ready = poll(&fds, 1, exited ? 50 : 100)
            if ready < 0 && errno == EINTR { continue }
            if ready == 0 {
                guard exited else { continue }
                if fork() == 0 {  // the copier: detached, relays what is left, then ends
                    setsid()
                    while true {
                        let n = read(pipeFDs[0], &buf, buf.count)
                        if n < 0 && errno == EINTR { continue }
                        if n <= 0 { _exit(0) }
                        _ = buf.withUnsafeBytes { Glibc.write(2, $0.baseAddress, n) }
                    }
                }
                break
            }
            let n = read(pipeFDs[0], &buf, buf.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            _ = buf.withUnsafeBytes { Glibc.write(2, $0.baseAddress, n) }
            for b in buf[0..<n] {
                if b == 0x0A {
                    if let r = refusal(String(decoding: line, as: UTF8.self), spec: spec, cwd: cwd),
                        !refusals.contains(r), refusals.count < 20
                    {
                        refusals.append(r)
                    }
                    line.removeAll(keepingCapacity: true)
                } else if line.count < 4096 {
                    line.append(b)
                }
            }
        }
        if let r = refusal(String(decoding: line, as: UTF8.self), spec: spec, cwd: cwd), !refusals.contains(r) {
            refusals.append(r)
        }
        while !exited && waitpid(child, &status, 0) < 0 && errno == EINTR {}
        for r in refusals {
            let m = "Brake's containment refused \(r.access) \(r.path)\n"
            _ = m.withCString { Glibc.write(2, $0, strlen($0)) }
            report(Refusal(access: r.access, path: r.path, command: command.joined(separator: " ")))
        }
        if status & 0x7f == 0 { exit((status >> 8) & 0xff) }
        let sig = status & 0x7f
        signal(sig, SIG_DFL)
        kill(getpid(), sig)
        exit(128 + sig)
    }

    /// A refused access named in the command's own error output.
    public struct Refusal: Sendable, Equatable {
        public var access: String  // "writing" or "reading"
        public var path: String
        public var command: String = ""
    }

    /// Reads an error line such as `cat: /home/a/.aws/credentials: Permission denied` or
    /// `bash: .git/config: Read-only file system`: the path it names, if the containment is why.
    static func refusal(_ line: String, spec: ContainmentSpec, cwd: String) -> Refusal? {
        let denied =
            line.contains("Permission denied") || line.contains("Read-only file system")
            || line.contains("Operation not permitted")
        guard denied else { return nil }
        let separators: Set<Character> = [" ", ":", "'", "\"", "`", "(", ")", ",", "[", "]"]
        for token in line.split(whereSeparator: { separators.contains($0) }) {
            let t = String(token)
            guard t.contains("/") || t.hasPrefix("."), t.count > 1 else { continue }
            let path = t.hasPrefix("/") ? t : cwd + "/" + t
            func beneath(_ roots: [String]) -> Bool {
                roots.contains { path == $0 || path.hasPrefix($0 == "/" ? "/" : $0 + "/") }
            }
            if beneath(spec.denyRead) && !line.contains("Read-only") { return Refusal(access: "reading", path: t) }
            if beneath(spec.readOnly) { return Refusal(access: "writing", path: t) }
            // Outside the writable places: the containment is why only if the user could write it unconfined
            // (this process is not confined); otherwise it is the file's own permissions.
            if !beneath(spec.write) {
                let parent = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
                let target = access(path, F_OK) == 0 ? path : (parent.isEmpty ? "/" : parent)
                if access(target, W_OK) == 0 { return Refusal(access: "writing", path: t) }
            }
        }
        return nil
    }

    static func currentDirectory() -> String {
        var b = [CChar](repeating: 0, count: 4096)
        return getcwd(&b, b.count) != nil ? String(cString: b) : "/"
    }
}

nonisolated(unsafe) var forwardTo: pid_t = 0
private func forward(_ sig: Int32) { if forwardTo > 0 { kill(forwardTo, sig) } }
#endif
