import BrakeCore

/// Reading what a command will run, at decision time: the scripts, Makefiles and package.json files the engine
/// asks for (`Analysis.wantedFiles`), with the caller's rights, bounded in number and size. A file that exists but
/// cannot be read, or is too large, is recorded as a problem (the engine asks about it); one that does not exist is
/// left out (the command would fail to run it). The guard flow asks for them after its first judgement
/// (`GuardFlow.scriptsOf`); `brake check` and `brake explain` read them ahead with `load`.
package enum ScriptFiles {
    package static func load(
        into context: inout Context,
        commands: [String],
        settings: AnalysisSettings,
        files: AgentFiles = .own
    ) {
        guard !commands.isEmpty else { return }
        for _ in 0..<3 {
            var wanted: [String] = []
            for c in commands {
                for p in Engine.analyze(c, context: context, settings: settings).wantedFiles where !wanted.contains(p) {
                    wanted.append(p)
                }
            }
            guard add(wanted, to: &context, files: files) else { return }
        }
    }

    /// Reads the wanted files the context does not hold yet; true when anything was added (a text, or a problem
    /// the engine will ask about).
    package static func add(_ wanted: [String], to context: inout Context, files: AgentFiles = .own) -> Bool {
        let fresh = wanted.filter { context.scripts[$0] == nil && context.scriptProblems[$0] == nil }
        var added = false
        for path in fresh {
            guard context.scripts.count + context.scriptProblems.count < ScriptLimits.files else {
                context.scriptProblems[path] = "more than \(ScriptLimits.files) files to read"
                added = true
                continue
            }
            switch files.read({ read(path) }) {
            case .missing: continue
            case .text(let t): context.scripts[path] = t
            case .problem(let why): context.scriptProblems[path] = why
            }
            added = true
        }
        return added
    }

    enum Read {
        case missing
        case text(String)
        case problem(String)
    }

    static func read(_ path: String) -> Read {
        guard Loader.exists(path) else { return .missing }
        guard !Loader.isDirectory(path) else { return .missing }
        guard let bytes = try? Loader.bytes(path) else { return .problem("cannot be read") }
        if bytes.count > ScriptLimits.bytes { return .problem("is larger than \(ScriptLimits.bytes / 1024) KiB") }
        // A compiled program: nothing to read in it (as for any binary the agent runs).
        if bytes.prefix(8192).contains(0) { return .text("") }
        return .text(String(decoding: bytes, as: UTF8.self))
    }
}
