import BrakeCore
import CBrakeSystem

#if canImport(Glibc)
import Glibc
#endif

/// What an agent's tool call produced, read right after it ran (the agent's post-tool hook): the git blob id of
/// every file its file tools wrote, and the commit its `git commit` (merge, rebase, cherry-pick, am, pull, revert)
/// made, with the blobs of the files that commit changed. Files are read with the caller's rights, and git runs
/// as the caller, never as the guard service. Records are kept in `provenance.jsonl` beside the local log, where
/// `brake gate` and `brake provenance export` read them.
package enum AgentRecorder {
    /// The events that come after a tool ran, per agent protocol.
    package static let postToolEvents: Set<String> = [
        "PostToolUse", "postToolUse", "AfterTool", "afterFileEdit", "afterShellExecution",
    ]

    /// Files larger than this are not hashed (a generated artifact, not code a reviewer reads).
    static let maxBytes = 16 << 20

    package static func records(
        _ call: HookCall,
        cwd: String,
        env: [String: String],
        files: AgentFiles,
        now: Int = Int(time(nil))
    ) -> [AgentRecord] {
        var out: [AgentRecord] = []
        let agent = call.agent.rawValue
        let session = call.session ?? ""
        for action in call.actions {
            switch action {
            case .write(let p), .edit(let p):
                let path = Paths.resolve(p, cwd: cwd)
                guard let root = Loader.projectRoot(from: Paths.dirname(path)), path.hasPrefix(root + "/") else {
                    continue
                }
                let bytes: [UInt8]? = files.read {
                    var st = stat()
                    guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, Int(st.st_size) <= maxBytes else {
                        return nil
                    }
                    return try? Loader.bytes(path)
                }
                guard let bytes else { continue }
                out.append(
                    AgentRecord(
                        kind: .file,
                        blob: GitObject.blobID(bytes),
                        path: String(path.dropFirst(root.count + 1)),
                        repository: root,
                        agent: agent,
                        session: session,
                        time: now
                    )
                )
            case .shell(let command):
                guard makesCommits(command, cwd: cwd, env: env), let root = Loader.projectRoot(from: cwd) else {
                    continue
                }
                out += headCommit(root: root, files: files, env: env, now: now).map {
                    var r = $0
                    r.agent = agent
                    r.session = session
                    return r
                }
            default:
                continue
            }
        }
        return out
    }

    /// Whether the command runs a git command that makes commits.
    package static func makesCommits(_ command: String, cwd: String, env: [String: String]) -> Bool {
        let makers: Set<String> = ["commit", "merge", "rebase", "cherry-pick", "am", "pull", "revert"]
        let analysis = Engine.analyze(command, context: Context(cwd: cwd, home: env["HOME"] ?? "/", env: env))
        return analysis.invocations.contains { inv in
            guard inv.program == "git" else { return false }
            var words = inv.args.map(\.text)[...]
            // Global options before the subcommand (`-C DIR`, `-c k=v` take a value).
            while let w = words.first, w.hasPrefix("-") {
                words = words.dropFirst(w == "-C" || w == "-c" ? 2 : 1)
            }
            return words.first.map(makers.contains) ?? false
        }
    }

    /// HEAD of the repository when it was committed in the last two minutes (a failed commit leaves an older HEAD,
    /// which is not the agent's), as a commit record and a file record per blob it adds or changes.
    static func headCommit(root: String, files: AgentFiles, env: [String: String], now: Int) -> [AgentRecord] {
        guard
            let text = runGit(
                [
                    "log", "-1", "-z", "--raw", "--no-renames", "--no-abbrev", "--format=%H%x1f%T%x1f%P%x1f%ct%x1f",
                    "HEAD",
                ],
                root: root,
                files: files,
                env: env
            )
        else { return [] }
        let f = text.split(separator: "\u{1f}", omittingEmptySubsequences: false).map(String.init)
        guard f.count >= 5, f[0].count == 40, let committed = Int(f[3]), now - committed <= 120 else { return [] }
        var out = [
            AgentRecord(
                kind: .commit,
                commit: f[0],
                tree: f[1],
                parents: f[2].split(separator: " ").map(String.init),
                repository: root,
                agent: "",
                session: "",
                time: now
            )
        ]
        let tokens = f[4...].joined(separator: "\u{1f}").split(separator: "\0", omittingEmptySubsequences: false)
        var i = 0
        while i + 1 < tokens.count {
            let t = tokens[i].drop { $0 == "\n" }
            if t.hasPrefix(":") {
                let fields = t.split(separator: " ")
                if fields.count >= 5, !fields[4].hasPrefix("D"), fields[3].count == 40 {
                    out.append(
                        AgentRecord(
                            kind: .file,
                            blob: String(fields[3]),
                            path: String(tokens[i + 1]),
                            repository: root,
                            agent: "",
                            session: "",
                            time: now
                        )
                    )
                }
                i += 2
            } else {
                i += 1
            }
        }
        return out
    }

    /// `git ARGS` in the repository as the caller (a system install's service drops to the caller's account), with
    /// a minimal environment; its output, or nil when it failed.
    package static func runGit(_ args: [String], root: String, files: AgentFiles, env: [String: String]) -> String? {
        let candidates: [String] = ["/usr/bin/git", "/usr/local/bin/git", "/bin/git"]
        guard let git = candidates.first(where: { Glibc.access($0, X_OK) == 0 }) else { return nil }
        var template = Array("/tmp/brake-git-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { return nil }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        defer { close(fd) }
        let argv = [git, "-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null", "--no-pager"] + args
        let envp = ["PATH=/usr/bin:/bin", "HOME=" + (env["HOME"] ?? "/"), "GIT_TERMINAL_PROMPT=0", "LC_ALL=C"]
        var cargv: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        var cenv: [UnsafeMutablePointer<CChar>?] = envp.map { strdup($0) } + [nil]
        defer {
            for p in cargv { free(p) }
            for p in cenv { free(p) }
        }
        let status = brake_run_as(files.uid ?? geteuid(), files.gid ?? getegid(), root, &cargv, &cenv, fd)
        guard status == 0 else { return nil }
        lseek(fd, 0, SEEK_SET)
        var bytes: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fd, &buf, buf.count)
            if n <= 0 { break }
            bytes.append(contentsOf: buf[0..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
