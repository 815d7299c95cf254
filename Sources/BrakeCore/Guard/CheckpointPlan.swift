/// What an allowed action is about to destroy inside the project, from the analysis: the files and trees it
/// deletes, moves, truncates or rewrites, and the git commands that discard work or move branch heads. The host
/// records their current state before the action runs (`brake undo` puts it back). Pure: it only reads the
/// analysis; which paths exist, and what they hold, is the host's business.
public struct CheckpointPlan: Sendable, Equatable {
    /// A path whose current state is to be kept.
    public struct Place: Sendable, Equatable, Hashable {
        /// Absolute and normalized; may hold glob characters when `glob` (expanded by the host).
        public var path: String
        /// Keep everything below it too (a recursive delete or a move of a directory).
        public var recursive: Bool
        /// The path is a pattern (`rm *.txt`).
        public var glob: Bool
        /// The step removes the file (delete): a hard link then keeps its content; a move keeps the inode alive
        /// at its new name, and a truncation or an in-place write changes it, so those need a copy.
        public var replaced: Bool
        /// What the step does to it (`delete`, `move`, `write`, `truncate`), for people.
        public var why: String
        /// When the path turns out to be a directory: the names the step writes into it (`mv a b dir/`).
        public var into: [String] = []
    }

    /// A git command that discards work or moves refs, and where it runs.
    public struct GitStep: Sendable, Equatable, Hashable {
        /// The directory git runs in (`-C` applied).
        public var directory: String
        /// `reset --hard`, `checkout`, `restore`, `clean`, `stash drop`, `stash clear`, `branch -D`, …
        public var operation: String
        /// Branches a `branch -D` deletes.
        public var branches: [String]
        /// `git clean -x`: ignored files go too.
        public var ignored: Bool
    }

    /// Something the plan leaves out, and why (build output, outside the project …).
    public struct Skip: Sendable, Equatable, Hashable {
        public var path: String
        public var why: String
    }

    public var places: [Place] = []
    public var git: [GitStep] = []
    public var skipped: [Skip] = []
    /// Targets the analysis could not resolve (`rm "$X"/f`), as written.
    public var unresolved: [String] = []

    public init() {}

    /// Nothing to keep: no checkpoint is made (skips alone are build output and places outside the project).
    public var isEmpty: Bool { places.isEmpty && git.isEmpty && unresolved.isEmpty }

    /// The classes a checkpoint keeps: what lives in the project.
    static let kept: Set<TargetClass> = [.project, .projectRoot, .automation, .gitInternal]
    /// Regenerable: skipped and listed.
    static let regenerable: Set<TargetClass> = [.build, .cache, .temp]

    /// The plan for one action request: its shell commands' effects and its file tools' paths.
    public static func of(
        actions: [Action],
        analyses: [Analysis],
        context: Context,
        settings: AnalysisSettings
    ) -> CheckpointPlan {
        var plan = CheckpointPlan()
        for (action, analysis) in zip(actions, analyses) {
            switch action {
            case .write(let p), .edit(let p):
                plan.add(
                    Paths.resolve(p, cwd: context.cwd),
                    context,
                    settings,
                    recursive: false,
                    replaced: false,
                    "write"
                )
            case .delete(let p):
                plan.add(
                    Paths.resolve(p, cwd: context.cwd),
                    context,
                    settings,
                    recursive: true,
                    replaced: true,
                    "delete"
                )
            case .shell:
                plan.addEffects(analysis, context: context)
            default:
                continue
            }
        }
        return plan
    }

    mutating func add(
        _ path: String,
        _ context: Context,
        _ settings: AnalysisSettings,
        recursive: Bool,
        replaced: Bool,
        _ why: String
    ) {
        let target = Target(path: path, cls: Paths.classify(path, context: context, settings: settings), written: path)
        add(target, recursive: recursive, glob: false, replaced: replaced, why)
    }

    mutating func add(_ t: Target, recursive: Bool, glob: Bool, replaced: Bool, _ why: String) {
        guard let path = t.path, t.cls != .unknown else {
            if !unresolved.contains(t.written) { unresolved.append(t.written) }
            return
        }
        if t.cls == .null || t.cls == .device { return }
        if Self.regenerable.contains(t.cls) {
            let s = Skip(path: path, why: "\(t.cls.rawValue) directory (regenerable)")
            if !skipped.contains(s) { skipped.append(s) }
            return
        }
        guard Self.kept.contains(t.cls) else {
            let s = Skip(path: path, why: "outside the project (\(t.cls.rawValue))")
            if !skipped.contains(s) { skipped.append(s) }
            return
        }
        if let i = places.firstIndex(where: { $0.path == path }) {
            places[i].recursive = places[i].recursive || recursive
            places[i].replaced = places[i].replaced && replaced
            return
        }
        places.append(Place(path: path, recursive: recursive, glob: glob, replaced: replaced, why: why))
    }

    mutating func addEffects(_ analysis: Analysis, context: Context) {
        for e in analysis.effects {
            let inv =
                e.invocation >= 0 && e.invocation < analysis.invocations.count
                ? analysis.invocations[e.invocation] : nil
            // What runs elsewhere (ssh, a container's own file system) is not this machine's project.
            if let inv, inv.site.remote != nil || (inv.site.container && inv.site.mounts.isEmpty) { continue }
            // A target is a pattern only if it was written as one (`rm 'a[1].txt' *.log`: the first is literal).
            let patterns = Set(inv?.args.filter(\.glob).map(\.text) ?? [])
            func isGlob(_ t: Target) -> Bool { patterns.contains(t.written) }
            switch e.kind {
            case "fs.delete":
                for t in e.targets {
                    add(t, recursive: e.attrs["recursive"] == .bool(true), glob: isGlob(t), replaced: true, "delete")
                }
            case "fs.move":
                // The moved inode lives on at its new name: a link to it would follow later writes there.
                for t in e.targets { add(t, recursive: true, glob: isGlob(t), replaced: false, "move") }
            case "fs.truncate":
                for t in e.targets { add(t, recursive: false, glob: isGlob(t), replaced: false, "truncate") }
            case "fs.write":
                for t in e.targets {
                    add(t, recursive: false, glob: isGlob(t), replaced: false, "write")
                    if case .list(let names)? = e.attrs["sources"], let path = t.path,
                        let i = places.firstIndex(where: { $0.path == path })
                    {
                        places[i].into += names.filter { !places[i].into.contains($0) }
                    }
                }
            case "git.discard", "git.clean", "git.branch-delete", "git.history-rewrite":
                guard let inv else { continue }
                addGit(e, inv, context: context)
            default:
                continue
            }
        }
    }

    mutating func addGit(_ e: Effect, _ inv: Invocation, context: Context) {
        var dir = inv.cwd ?? context.cwd
        var words = inv.args.map(\.text)[...]
        // Global options before the subcommand: `-C DIR` moves it, `-c k=v` takes a value.
        while let w = words.first, w.hasPrefix("-") {
            if w == "-C", words.count > 1 {
                let d = words[words.startIndex + 1]
                dir = Paths.resolve(d, cwd: dir)
            }
            words = words.dropFirst(w == "-C" || w == "-c" ? 2 : 1)
        }
        var operation = e.attrs["op"]?.description ?? e.attrs["subcommand"]?.description ?? e.kind
        var branches: [String] = []
        if e.kind == "git.branch-delete" {
            operation = "branch -D"
            branches = words.dropFirst().filter { !$0.hasPrefix("-") }
        }
        let step = GitStep(
            directory: dir,
            operation: operation,
            branches: branches,
            ignored: e.kind == "git.clean" && e.attrs["ignored"] == .bool(true)
        )
        if !git.contains(step) { git.append(step) }
    }
}

/// `settings.checkpoints`: what a checkpoint keeps and for how long.
public struct CheckpointSettings: Sendable, Equatable {
    /// Checkpoints are made at all.
    public var enabled = true
    /// Files larger than this are listed, not kept.
    public var maxFileBytes: Int64 = 128 << 20
    /// What one step's checkpoint may copy; beyond it, files are listed, not kept.
    public var stepBudgetBytes: Int64 = 512 << 20
    /// What all checkpoints together may hold; the oldest go first.
    public var budgetBytes: Int64 = 2 << 30
    /// Checkpoints older than this are removed.
    public var maxAgeDays = 14

    public init() {}
}
