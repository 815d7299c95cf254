import BrakeCore
import BrakeHost
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The plan: what an action destroys inside the project, read from the analysis alone.
@Suite("Checkpoint plans")
struct CheckpointPlanTests {
    let context = Context(cwd: "/p", home: "/home/dev", projectRoot: "/p")

    func plan(_ command: String) -> CheckpointPlan {
        CheckpointPlan.of(
            actions: [.shell(command: command)],
            analyses: [Engine.analyze(command, context: context)],
            context: context,
            settings: .standard
        )
    }

    @Test("deletes keep the project's files; build output and places outside are listed, not kept")
    func deletes() {
        let p = plan("rm -rf node_modules src/old.py && rm ~/notes.txt")
        #expect(p.places.map(\.path) == ["/p/src/old.py"])
        #expect(p.places.first?.recursive == true && p.places.first?.replaced == true)
        #expect(p.skipped.map(\.path).contains("/p/node_modules"))
        #expect(p.skipped.map(\.path).contains("/home/dev/notes.txt"))
    }

    @Test("in-place rewrites, truncations and moves are kept by copy (only a removal by link)")
    func rewrites() {
        let p = plan("sed -i 's/a/b/' src/a.py && : > log.txt && mv draft.md docs/")
        let byPath = Dictionary(uniqueKeysWithValues: p.places.map { ($0.path, $0) })
        #expect(byPath["/p/src/a.py"]?.replaced == false)
        #expect(byPath["/p/log.txt"]?.why == "truncate")
        #expect(byPath["/p/draft.md"]?.why == "move" && byPath["/p/draft.md"]?.replaced == false)
    }

    @Test("a move or copy into a directory names what it writes there")
    func into() {
        let p = plan("mv a.txt b.txt docs/ && cp -r assets build/../public")
        #expect(p.places.first { $0.path == "/p/docs" }?.into == ["a.txt", "b.txt"])
        #expect(p.places.first { $0.path == "/p/public" }?.into == ["assets"])
    }

    @Test("code's file writes are kept; a computed path is noted as unresolved")
    func codeWrites() {
        #expect(plan("python3 -c \"open('out.json', 'w').write('{}')\"").places.map(\.path) == ["/p/out.json"])
        let dynamic = plan("rm \"$TARGET\"/x")
        #expect(dynamic.places.isEmpty && !dynamic.unresolved.isEmpty && !dynamic.isEmpty)
    }

    @Test("git commands that discard work or delete branches become git steps where they run")
    func git() {
        let clean = plan("git -C sub clean -fdx")
        #expect(clean.git.count == 1)
        #expect(clean.git.first?.directory == "/p/sub" && clean.git.first?.ignored == true)
        #expect(plan("git branch -D feature/x old").git.first?.branches == ["feature/x", "old"])
        #expect(plan("git reset --hard HEAD~2").git.first?.operation == "reset --hard")
    }

    @Test("routine work, and what runs on another machine, plan nothing")
    func nothing() {
        for c in [
            "cat README.md; ls -la; git status; pytest -q", "git commit -am wip", "npm test", "rg TODO src",
            "ssh deploy@host rm -rf /srv/app", "mkdir -p build && echo hi",
        ] {
            #expect(plan(c).isEmpty, "\(c)")
        }
    }

    @Test("file tools: a write keeps what it replaces, a delete keeps the file")
    func tools() {
        let p = CheckpointPlan.of(
            actions: [.write(path: "a.txt"), .delete(path: "/p/b.txt")],
            analyses: [Engine.analyze("", context: context), Engine.analyze("", context: context)],
            context: context,
            settings: .standard
        )
        #expect(p.places.map(\.path) == ["/p/a.txt", "/p/b.txt"])
        #expect(p.places.map(\.why) == ["write", "delete"])
    }
}

/// The store and `brake undo`, on real files.
@Suite("Checkpoints and undo")
struct CheckpointStoreTests {
    func request(_ command: String, cwd: String, session: String = "s1") -> (ActionRequest, CheckpointPlan) {
        let context = Context(cwd: cwd, home: "/home/tester", projectRoot: cwd)
        let plan = CheckpointPlan.of(
            actions: [.shell(command: command)],
            analyses: [Engine.analyze(command, context: context)],
            context: context,
            settings: .standard
        )
        return (
            ActionRequest(
                agent: "test",
                session: session,
                tool: "Bash",
                actions: [.shell(command: command)],
                context: context
            ), plan
        )
    }

    func take(_ store: CheckpointStore, _ command: String, cwd: String, session: String = "s1") -> Checkpoint? {
        let (r, plan) = request(command, cwd: cwd, session: session)
        return store.capture(plan, request: r, summary: command, files: .own, env: ["HOME": cwd])
    }

    func read(_ path: String) -> String? {
        guard let bytes = try? Loader.bytes(path) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    func mode(_ path: String) -> mode_t {
        var st = stat()
        lstat(path, &st)
        return st.st_mode & 0o7777
    }

    func run(_ command: String, cwd: String) {
        _ = command.withCString { c in cwd.withCString { d in chdir(d) == 0 ? system(c) : -1 } }
    }

    @Test("a deleted tree, a rewritten file and a truncated one come back byte for byte with their modes")
    func roundTrip() throws {
        let p = scratch()
        let store = CheckpointStore(home: p + "/.brake")
        mkdir(p + "/assets", 0o750)
        mkdir(p + "/assets/deep", 0o755)
        write(p + "/assets/run.sh", "#!/bin/sh\necho hi\n", mode: 0o755)
        write(p + "/assets/deep/data.bin", String(repeating: "\u{1}binary\n", count: 100))
        symlink("run.sh", p + "/assets/current")
        write(p + "/app.py", "foo = 1\n", mode: 0o640)
        write(p + "/log.txt", String(repeating: "line\n", count: 1000))

        let del = take(store, "rm -r assets", cwd: p)
        #expect(del?.linked ?? 0 > 0 && del?.copied == 0, "a step that removes files keeps them by hard link")
        run("rm -r assets", cwd: p)
        #expect(take(store, "sed -i 's/1/2/' app.py", cwd: p)?.copied == 8)
        run("sed -i 's/1/2/' app.py", cwd: p)
        #expect(take(store, ": > log.txt", cwd: p) != nil)
        run(": > log.txt", cwd: p)
        store.settle(session: "s1", files: .own)

        let dry = try Undo.run(
            UndoSelection(session: "s1"),
            store: store,
            files: .own,
            env: [:],
            dryRun: true,
            force: false
        )
        #expect(dry.conflicts == 0)
        #expect(read(p + "/app.py") == "foo = 2\n", "a dry run writes nothing")
        let report = try Undo.run(
            UndoSelection(session: "s1"),
            store: store,
            files: .own,
            env: [:],
            dryRun: false,
            force: false
        )
        #expect(report.conflicts == 0)
        #expect(
            Set(report.items.filter { $0.outcome == .restored }.map(\.path))
                == Set(dry.items.filter { $0.outcome == .restored }.map(\.path))
        )
        #expect(read(p + "/assets/run.sh") == "#!/bin/sh\necho hi\n" && mode(p + "/assets/run.sh") == 0o755)
        #expect(read(p + "/assets/deep/data.bin") == String(repeating: "\u{1}binary\n", count: 100))
        #expect(mode(p + "/assets") == 0o750)
        var buf = [CChar](repeating: 0, count: 64)
        #expect(readlink(p + "/assets/current", &buf, 63) == 6 && String(cString: buf) == "run.sh")
        #expect(read(p + "/app.py") == "foo = 1\n" && mode(p + "/app.py") == 0o640)
        #expect(read(p + "/log.txt") == String(repeating: "line\n", count: 1000))
    }

    @Test("a move into a directory keeps the file it replaces there")
    func moveInto() throws {
        let p = scratch()
        let store = CheckpointStore(home: p + "/.brake")
        mkdir(p + "/docs", 0o755)
        write(p + "/docs/a.txt", "the old one\n")
        write(p + "/a.txt", "the new one\n")
        let c = try #require(take(store, "mv a.txt docs/", cwd: p))
        #expect(Set(c.entries.map(\.path)) == [p + "/a.txt", p + "/docs/a.txt"])
        run("mv a.txt docs/", cwd: p)
        store.settle(session: "s1", files: .own)
        let r = try Undo.run(UndoSelection(), store: store, files: .own, env: [:], dryRun: false, force: false)
        #expect(r.conflicts == 0 && read(p + "/docs/a.txt") == "the old one\n" && read(p + "/a.txt") == "the new one\n")
    }

    @Test("a path changed after its step is left alone and reported, unless forced")
    func conflict() throws {
        let p = scratch()
        let store = CheckpointStore(home: p + "/.brake")
        write(p + "/a.txt", "original\n")
        _ = take(store, "sed -i 's/original/agent/' a.txt", cwd: p)
        run("sed -i 's/original/agent/' a.txt", cwd: p)
        store.settle(session: "s1", files: .own)
        write(p + "/a.txt", "the person's edit, later and longer\n")
        let r = try Undo.run(UndoSelection(), store: store, files: .own, env: [:], dryRun: false, force: false)
        #expect(r.conflicts == 1 && r.items.first?.outcome == .conflict)
        #expect(read(p + "/a.txt") == "the person's edit, later and longer\n")
        let forced = try Undo.run(UndoSelection(), store: store, files: .own, env: [:], dryRun: false, force: true)
        #expect(forced.conflicts == 0 && read(p + "/a.txt") == "original\n")
    }

    @Test("kept content that was altered in the store is refused, never written")
    func tampered() throws {
        let p = scratch()
        let store = CheckpointStore(home: p + "/.brake")
        write(p + "/a.txt", "original\n")
        let c = try #require(take(store, ": > a.txt", cwd: p))
        run(": > a.txt", cwd: p)
        // A small file is kept in the checkpoint's pack: `packs/ID:OFFSET:LENGTH`. Same length, other bytes.
        let object = try #require(c.entries.first?.before.object)
        let parts = object.split(separator: ":")
        #expect(parts.count == 3 && parts[0] == "packs/" + c.id && parts[2] == "9")
        let fd = open(store.dir + "/" + parts[0], O_WRONLY)
        #expect(pwrite(fd, "forgery!\n", 9, off_t(parts[1])!) == 9)
        close(fd)
        let r = try Undo.run(UndoSelection(id: c.id), store: store, files: .own, env: [:], dryRun: false, force: false)
        #expect(r.items.first?.outcome == .failed && read(p + "/a.txt") == "")
    }

    @Test("files over the size limit and past the step's budget are listed, not kept")
    func budgets() throws {
        let p = scratch()
        var settings = CheckpointSettings()
        settings.maxFileBytes = 1000
        settings.stepBudgetBytes = 1500
        let store = CheckpointStore(home: p + "/.brake", settings: settings)
        write(p + "/big.txt", String(repeating: "x", count: 2000))
        write(p + "/a.txt", String(repeating: "a", count: 900))
        write(p + "/b.txt", String(repeating: "b", count: 900))
        let c = try #require(take(store, "sed -i s/x/y/ big.txt a.txt b.txt", cwd: p))
        #expect(c.entries.map(\.path) == [p + "/a.txt"])
        #expect(c.skipped.contains { $0.0 == p + "/big.txt" && $0.1.contains("larger than") })
        #expect(c.skipped.contains { $0.0 == p + "/b.txt" && $0.1.contains("budget") })
    }

    @Test("retention removes checkpoints past their age, then the oldest over budget, and content nothing uses")
    func prune() throws {
        let p = scratch()
        var settings = CheckpointSettings()
        settings.budgetBytes = 500 << 10
        let store = CheckpointStore(home: p + "/.brake", settings: settings)
        // Large enough to be stored alone (small ones share their checkpoint's pack).
        for name in ["a", "b", "c"] { write(p + "/\(name).txt", String(repeating: name, count: 300 << 10)) }
        write(p + "/small.txt", "small\n")
        let first = try #require(take(store, ": > a.txt && : > small.txt", cwd: p))
        #expect(Loader.listDirectory(store.dir + "/packs") == [first.id])
        var old = first
        old.time -= 30 * 86400
        try store.write(old)
        let second = try #require(take(store, ": > b.txt", cwd: p))
        func loose() -> Int {
            Loader.listDirectory(store.dir + "/objects").filter { $0.count == 2 }
                .flatMap { Loader.listDirectory(store.dir + "/objects/" + $0) }.count
        }
        #expect(loose() == 2)
        #expect(store.prune(now: LocalStore.now()) == [first.id])
        #expect(store.all().map(\.id) == [second.id])
        #expect(loose() == 1, "the removed checkpoint's content went with it")
        #expect(Loader.listDirectory(store.dir + "/packs").isEmpty, "and its pack")
        let third = try #require(take(store, ": > c.txt", cwd: p))
        #expect(store.prune(now: LocalStore.now()).isEmpty, "over budget, but nothing from the last hour goes")
        var older = second
        older.time -= 7200
        try store.write(older)
        #expect(store.prune(now: LocalStore.now()) == [second.id] && store.all().map(\.id) == [third.id])
        #expect(loose() == 1)
    }

    @Test(
        "git: uncommitted work is kept as a commit under refs/brake/checkpoints, put back by undo, and its ref pruned"
    )
    func gitWork() throws {
        let p = scratch()
        let store = CheckpointStore(home: p + "/.brake")
        run(
            "git init -q . && git -c user.email=a@b -c user.name=t commit -q --allow-empty -m init"
                + " && echo tracked > t.txt && git add t.txt && git -c user.email=a@b -c user.name=t commit -qm t"
                + " && echo changed >> t.txt && echo new > untracked.txt",
            cwd: p
        )
        let c = try #require(take(store, "git reset --hard", cwd: p))
        let ref = try #require(c.git.first?.ref)
        #expect(ref == "refs/brake/checkpoints/" + c.id && c.git.first?.work?.count == 40)
        func git(_ args: String) -> String? {
            AgentRecorder.runGit(args.split(separator: " ").map(String.init), root: p, files: .own, env: ["HOME": p])
        }
        #expect(git("cat-file -t " + ref)?.hasPrefix("commit") == true)
        run("git reset -q --hard", cwd: p)
        store.settle(session: "s1", files: .own)
        #expect(read(p + "/t.txt") == "tracked\n")
        let r = try Undo.run(UndoSelection(), store: store, files: .own, env: ["HOME": p], dryRun: false, force: false)
        #expect(r.conflicts == 0 && read(p + "/t.txt") == "tracked\nchanged\n" && read(p + "/untracked.txt") == "new\n")
        var old = c
        old.time -= 30 * 86400
        try store.write(old)
        #expect(store.prune(now: LocalStore.now(), files: .own, env: ["HOME": p]) == [c.id])
        #expect(git("rev-parse -q --verify " + ref) == nil, "the ref went with the checkpoint")
    }

    @Test("undo does not follow a link put in place of a directory since the checkpoint")
    func linkedParent() throws {
        let p = scratch()
        let elsewhere = scratch()
        let store = CheckpointStore(home: p + "/.brake")
        mkdir(p + "/x", 0o755)
        write(p + "/x/key.txt", "agent's key\n")
        _ = take(store, "rm -r x", cwd: p)
        run("rm -r x", cwd: p)
        store.settle(session: "s1", files: .own)
        // Later, the agent puts a link where the directory was.
        symlink(elsewhere, p + "/x")
        let r = try Undo.run(UndoSelection(), store: store, files: .own, env: [:], dryRun: false, force: false)
        #expect(
            r.items.contains { $0.path == p + "/x/key.txt" && $0.outcome == .conflict && $0.detail.contains("link") },
            "\(r.items.map { "\($0.path) \($0.outcome) \($0.detail)" })"
        )
        #expect(Loader.listDirectory(elsewhere).isEmpty, "nothing was written through the link")
        // Forced, the link is replaced by the directory it was: still nothing lands on the other side.
        _ = try Undo.run(UndoSelection(session: "s1"), store: store, files: .own, env: [:], dryRun: false, force: true)
        #expect(Loader.listDirectory(elsewhere).isEmpty && read(p + "/x/key.txt") == "agent's key\n")
        var st = stat()
        #expect(lstat(p + "/x", &st) == 0 && st.st_mode & S_IFMT == S_IFDIR)
    }

    @Test("a FIFO put where a kept file was makes undo report it, not hang")
    func fifo() throws {
        let p = scratch()
        let store = CheckpointStore(home: p + "/.brake")
        write(p + "/a.txt", "kept\n")
        _ = try #require(take(store, "sed -i s/kept/gone/ a.txt", cwd: p))
        unlink(p + "/a.txt")
        mkfifo(p + "/a.txt", 0o644)
        let r = try Undo.run(UndoSelection(), store: store, files: .own, env: [:], dryRun: false, force: true)
        #expect(r.items.first?.outcome == .conflict)
    }

    @Test("without a selection, the most recent checkpoint not undone yet; --last must be positive")
    func defaultSelection() throws {
        let p = scratch()
        let store = CheckpointStore(home: p + "/.brake")
        write(p + "/a.txt", "a\n")
        write(p + "/b.txt", "b\n")
        let first = try #require(take(store, ": > a.txt", cwd: p))
        let second = try #require(take(store, ": > b.txt", cwd: p))
        run(": > a.txt; : > b.txt", cwd: p)
        #expect(
            try Undo.run(UndoSelection(), store: store, files: .own, env: [:], dryRun: false, force: true).checkpoints
                == [second.id]
        )
        #expect(
            try Undo.run(UndoSelection(), store: store, files: .own, env: [:], dryRun: false, force: true).checkpoints
                == [first.id]
        )
        #expect(read(p + "/a.txt") == "a\n" && read(p + "/b.txt") == "b\n")
        #expect(UndoSelection(wire: "last=-1").last == 0)
        #expect(throws: Failure.self) {
            try Undo.run(UndoSelection(last: 0), store: store, files: .own, env: [:], dryRun: true, force: false)
        }
    }

    @Test("a tree past the path limit is kept up to it, and where it stopped is listed once")
    func pathLimit() throws {
        let p = scratch()
        var store = CheckpointStore(home: p + "/.brake")
        store.maxEntries = 10
        mkdir(p + "/tree", 0o755)
        for i in 0..<30 { write(p + "/tree/f\(i).txt", "\(i)\n") }
        let c = try #require(take(store, "rm -r tree", cwd: p))
        #expect(c.entries.count == 10)
        #expect(c.skipped.count == 1 && c.skipped[0].1.contains("10-path limit"))
    }

    @Test("a selection that matches nothing is a usage error")
    func selection() {
        let store = CheckpointStore(home: scratch() + "/.brake")
        #expect(throws: Failure.self) {
            try Undo.run(UndoSelection(id: "ck-1"), store: store, files: .own, env: [:], dryRun: true, force: false)
        }
        #expect(throws: Failure.self) {
            try Undo.run(
                UndoSelection(session: "none"),
                store: store,
                files: .own,
                env: [:],
                dryRun: true,
                force: false
            )
        }
    }
}
