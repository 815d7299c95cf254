/// Running one expanded command: functions, builtins, wrappers, shells, remote executors, interpreters.
extension Analyzer {
    static let shells: Set<String> = [
        "sh", "bash", "zsh", "dash", "ksh", "mksh", "ash", "yash", "posh", "fish", "tcsh", "csh", "rbash", "oksh",
    ]
    static let interpreters: Set<String> = [
        "python", "node", "ruby", "perl", "php", "awk", "osascript", "swift", "deno", "bun", "lua", "Rscript",
        "pwsh", "powershell", "groovy", "jshell", "irb", "tclsh", "expect",
    ]

    /// The program's normalized name: basename, interpreter versions folded, copies of binaries resolved.
    func normalizeProgram(_ text: String) -> String {
        var name = Paths.basename(text)
        if text.includes("/") {
            let path = resolvePath(text)
            if let alias = files[path]?.programAlias { return alias }
            // Through a link made on the line (`ln -s /bin/rm ./tidy`): the program it leads to.
            if !madeLinks.isEmpty { name = Paths.basename(path) }
        }
        if name.hasSuffix(".exe") { name.removeLast(4) }
        for base in ["python", "pypy", "ruby", "perl", "php", "node", "pip", "lua", "psql"] where name.hasPrefix(base) {
            let rest = name.dropFirst(base.count)
            if rest.allSatisfy({ $0.isNumber || $0 == "." }) { return base == "pypy" ? "python" : base }
        }
        switch name {
        case "nodejs": return "node"
        case "gawk", "mawk", "nawk", "busybox-awk": return "awk"
        case "python-dbg", "ipython": return "python"
        case "podman", "nerdctl", "finch": return "docker"
        case "docker-compose", "podman-compose": return "docker-compose"
        case "tofu", "terraform": return name
        case "mongo": return "mongosh"
        case "mariadb": return "mysql"
        case "opentofu": return "tofu"
        default: return name
        }
    }

    @discardableResult
    func record(_ argv: [Field], program: String, site: ExecSite, assignments: [String: Field], stdin: Content?) -> Int
    {
        let inv = Invocation(
            argv: LongOptions.expand(program: program, argv: argv),
            program: program,
            cwd: site.remote == nil ? state.cwd : nil,
            site: site,
            assignments: assignments,
            stdin: stdin
        )
        result.invocations.append(inv)
        return result.invocations.count - 1
    }

    func execute(
        _ argv: [Field],
        assignments: [String: Field],
        stdin: Content?,
        site: ExecSite,
        inPipeline: Bool,
        background: Bool
    ) -> Content {
        guard tick(), let first = argv.first else { return .known("") }
        if first.dynamic {
            let idx = record(argv, program: "", site: site, assignments: assignments, stdin: stdin)
            reportDynamic(
                "command name",
                invocation: idx,
                detail: "the command name \(first.text) is only known at run time"
            )
            return .unknown("dynamic", suspicious: true)
        }
        let name = first.text

        // Shell functions defined earlier in the command.
        if let body = state.functions[name], site.remote == nil {
            if callStack.contains("fn:" + name) {
                if inPipeline || background {
                    let idx = record(argv, program: name, site: site, assignments: assignments, stdin: stdin)
                    addEffect(
                        "system.fork-bomb",
                        invocation: idx,
                        detail: "function \(name) calls itself in a pipeline or in the background"
                    )
                }
                return .unknown("recursion", suspicious: false)
            }
            callStack.append("fn:" + name)
            let saved = state.positional
            state.positional = Array(argv.dropFirst())
            let out = runCommand(body, site: site, stdin: stdin, inPipeline: inPipeline, background: background)
            state.positional = saved
            callStack.removeLast()
            return out
        }

        // A script written earlier in the same command and now run by its path.
        if name.includes("/"), site.remote == nil, !site.container,
            case .known(let text)? = files[resolvePath(name)]?.content,
            files[resolvePath(name)]?.programAlias == nil
        {
            let idx = record(argv, program: Paths.basename(name), site: site, assignments: assignments, stdin: stdin)
            _ = idx
            result.notes.append("\(name): analysing the script written earlier in the command")
            let saved = state
            state.positional = Array(argv.dropFirst())
            let out = analyzeSource(text, site: site, stdin: stdin, origin: "script \(name)")
            state = saved
            return out
        }
        let program = normalizeProgram(name)
        var args = Array(argv.dropFirst())

        // Builtins that change the shell state.
        switch program {
        case "cd", "pushd":
            if site.remote == nil && !site.container {
                let target = args.first(where: { !$0.text.hasPrefix("-") || $0.text == "-" })
                if let t = target {
                    if t.dynamic || t.text == "-" {
                        state.cwd = nil
                    } else if state.cwd != nil || t.text.hasPrefix("/") || t.text.hasPrefix("~") {
                        state.cwd = resolvePath(t.text)
                    }
                } else if program == "cd" {
                    state.cwd = Paths.normalize(context.home)
                }
            }
            return .known("")
        case "popd":
            state.cwd = nil
            return .known("")
        case "alias":
            for a in args {
                if let eq = a.text.firstIndex(of: "=") {
                    state.aliases[String(a.text[..<eq])] = String(a.text[a.text.index(after: eq)...])
                }
            }
            return .known("")
        case "unalias":
            for a in args { state.aliases[a.text] = nil }
            return .known("")
        case "export", "declare", "typeset", "local", "readonly":
            if args.isEmpty || args.allSatisfy({ $0.text.hasPrefix("-") }) {
                record(argv, program: program, site: site, assignments: assignments, stdin: stdin)
                return .environment
            }
            // Exporting a variable that redirects Brake is itself an action the recognizers must see.
            if args.contains(where: { a in
                a.text.firstIndex(of: "=").map { Analyzer.brakeVariables.contains(String(a.text[..<$0])) } ?? false
            }) {
                recognize(record(argv, program: program, site: site, assignments: assignments, stdin: stdin))
            }
            for a in args where !a.text.hasPrefix("-") {
                if let eq = a.text.firstIndex(of: "=") {
                    let n = String(a.text[..<eq])
                    state.vars[n] = [
                        Field(String(a.text[a.text.index(after: eq)...]), dynamic: a.dynamic, temp: a.temp)
                    ]
                    if n == "IFS" && !a.dynamic { state.ifs = String(a.text[a.text.index(after: eq)...]) }
                }
            }
            return .known("")
        case "unset":
            for a in args where !a.text.hasPrefix("-") {
                state.vars[a.text] = nil
                state.functions[a.text] = nil
            }
            return .known("")
        case "set":
            if let dd = args.firstIndex(where: { $0.text == "--" }) {
                state.positional = Array(args[(dd + 1)...])
            } else if args.isEmpty {
                record(argv, program: program, site: site, assignments: assignments, stdin: stdin)
                return .environment
            }
            return .known("")
        case "shift":
            if !state.positional.isEmpty { state.positional.removeFirst() }
            return .known("")
        case "read", "mapfile", "readarray", "getopts":
            for a in args where !a.text.hasPrefix("-") { state.vars[a.text] = [Field("${\(a.text)}", dynamic: true)] }
            return .known("")
        case "true", ":", "false", "wait", "jobs", "bg", "fg", "disown", "hash", "umask", "ulimit", "shopt", "let",
            "return", "break", "continue", "exit", "test", "[", "sleep":
            if program == "sleep" || program == "test" || program == "[" {
                record(argv, program: program, site: site, assignments: assignments, stdin: stdin)
            }
            return .known("")
        case "trap":
            if let code = args.first, !code.text.hasPrefix("-") {
                if code.dynamic {
                    let idx = record(argv, program: program, site: site, assignments: assignments, stdin: stdin)
                    reportDynamic("trap", invocation: idx, detail: "trap runs a command only known at run time")
                } else {
                    analyzeSource(code.text, site: site, stdin: nil, origin: "trap")
                }
            }
            return .known("")
        case "eval":
            return runShellText(
                args,
                program: program,
                argv: argv,
                site: site,
                assignments: assignments,
                stdin: stdin,
                origin: "eval"
            )
        case "source", ".":
            guard let f = args.first else { return .known("") }
            let idx = record(argv, program: program, site: site, assignments: assignments, stdin: stdin)
            return runScriptFile(f, positional: Array(args.dropFirst()), site: site, invocation: idx, origin: "source")
        default:
            break
        }

        // Wrappers: find the command they run.
        if let unwrapped = unwrap(
            program: program,
            args: args,
            argv: argv,
            site: site,
            assignments: assignments,
            stdin: stdin
        ) {
            switch unwrapped {
            case .run(let inner, let innerSite, let extra):
                var merged = assignments
                for (k, v) in extra { merged[k] = v }
                if inner.isEmpty { return .known("") }
                return execute(
                    inner,
                    assignments: merged,
                    stdin: stdin,
                    site: innerSite,
                    inPipeline: inPipeline,
                    background: background
                )
            case .output(let c):
                return c
            }
        }

        args = argv.dropFirst().map { $0 }
        let idx = record(argv, program: program, site: site, assignments: assignments, stdin: stdin)

        // `./cleanup.sh`, `tools/x`: a file of the project or the user run directly is read and judged.
        if Analyzer.runsOwnFile(first), !first.dynamic, site.remote == nil, !site.container,
            files[resolvePath(first.text)] == nil
        {
            // What the file does is judged, and so is the command itself (`bin/rails db:reset` is still Rails).
            _ = runFileFromDisk(
                resolvePath(first.text),
                positional: args,
                site: site,
                invocation: idx,
                origin: "run \(first.text)"
            )
        }

        if Analyzer.shells.contains(program) {
            return runShell(args, idx: idx, site: site, stdin: stdin)
        }
        if Analyzer.interpreters.contains(program) {
            scanInterpreter(program: program, args: args, idx: idx, site: site, stdin: stdin)
        }
        if program == "git", let out = runGitAlias(args, idx: idx, site: site, stdin: stdin) {
            return out
        }
        runCarried(program: program, args: args, idx: idx, site: site, stdin: stdin)
        runTaskFile(program: program, args: args, idx: idx, site: site)
        recognize(idx)
        trackFiles(idx)
        return output(of: idx)
    }

    /// `eval` and similar: the arguments joined are shell code.
    func runShellText(
        _ args: [Field],
        program: String,
        argv: [Field],
        site: ExecSite,
        assignments: [String: Field],
        stdin: Content?,
        origin: String
    ) -> Content {
        let idx = record(argv, program: program, site: site, assignments: assignments, stdin: stdin)
        if args.contains(where: \.dynamic) {
            reportDynamic(origin, invocation: idx, detail: "\(origin) runs code that is only known at run time")
            return .unknown(origin, suspicious: true)
        }
        let text = args.map(\.text).joined(separator: " ")
        if decodedTexts.contains(text) {
            addEffect("exec.decoded", invocation: idx, detail: "\(origin) runs a decoded payload")
        }
        return analyzeSource(text, site: site, stdin: stdin, origin: origin)
    }

    /// A shell program: `-c STRING`, a script file, or standard input.
    func runShell(_ args: [Field], idx: Int, site: ExecSite, stdin: Content?) -> Content {
        var i = 0
        var code: Field?
        var readsStdin = false
        while i < args.count {
            let a = args[i].text
            if a == "--" {
                i += 1
                break
            }
            if a == "-c" || (a.hasPrefix("-") && !a.hasPrefix("--") && a.dropFirst().contains("c") && a.count <= 6) {
                i += 1
                if i < args.count { code = args[i] }
                i += 1
                break
            }
            if a == "-s" || (a.hasPrefix("-") && !a.hasPrefix("--") && a.dropFirst().contains("s") && a.count <= 5) {
                readsStdin = true
                i += 1
                continue
            }
            if a == "-o" || a == "+o" || a == "-O" || a == "+O" || a == "--rcfile" || a == "--init-file" {
                i += 2
                continue
            }
            if a.hasPrefix("-") || a.hasPrefix("+") {
                i += 1
                continue
            }
            break
        }
        let rest = i < args.count ? Array(args[i...]) : []
        if let code {
            if code.dynamic {
                reportDynamic("shell -c", invocation: idx, detail: "the shell runs code only known at run time")
                return .unknown("shell", suspicious: true)
            }
            if decodedTexts.contains(code.text) {
                addEffect("exec.decoded", invocation: idx, detail: "the shell runs a decoded payload")
            }
            let saved = state
            state.positional = Array(rest.dropFirst())
            let out = analyzeSource(code.text, site: site, stdin: stdin, origin: "shell -c")
            state = saved
            return out
        }
        if !readsStdin, let file = rest.first {
            let saved = state
            let out = runScriptFile(
                file,
                positional: Array(rest.dropFirst()),
                site: site,
                invocation: idx,
                origin: "script"
            )
            state = saved
            return out
        }
        return runShellStdin(stdin, idx: idx, site: site, what: "shell")
    }

    /// A shell or interpreter that runs what arrives on standard input.
    @discardableResult
    func runShellStdin(_ stdin: Content?, idx: Int, site: ExecSite, what: String) -> Content {
        switch stdin {
        case .known(let text):
            if decodedTexts.contains(text) || decodedTexts.contains(text.trimmingSpaces) {
                addEffect("exec.decoded", invocation: idx, detail: "\(what) runs a decoded payload")
            }
            let saved = state
            let out = analyzeSource(text, site: site, stdin: nil, origin: "\(what) stdin")
            state = saved
            return out
        case .network(let url):
            addEffect(
                "exec.remote-code",
                attrs: ["url": .string(url)],
                invocation: idx,
                detail: "\(what) runs code downloaded from \(url)"
            )
        case .unknown(let name, let suspicious):
            if !suspicious && isProjectFile(name) { return .unknown("script", suspicious: false) }
            reportDynamic(
                "\(what) stdin",
                invocation: idx,
                detail: "\(what) runs code from its input that is only known at run time"
            )
        case .secret, .environment, .paths:
            reportDynamic("\(what) stdin", invocation: idx, detail: "\(what) runs unexpected input")
        case nil:
            break
        }
        return .unknown(what, suspicious: false)
    }

    func isProjectFile(_ path: String) -> Bool {
        guard path.hasPrefix("/") else { return false }
        let cls = Paths.classify(path, context: context, settings: settings)
        return cls == .project || cls == .build
    }

    /// `sh FILE`, `source FILE`: analyse the file when this command wrote it, else trust project scripts only.
    func runScriptFile(_ f: Field, positional: [Field], site: ExecSite, invocation idx: Int, origin: String) -> Content
    {
        if f.dynamic {
            reportDynamic(origin, invocation: idx, detail: "\(origin) of a file only known at run time")
            return .unknown(origin, suspicious: true)
        }
        if f.text == "-" || f.text == "/dev/stdin" {
            return runShellStdin(result.invocations[idx].stdin, idx: idx, site: site, what: origin)
        }
        let path = resolvePath(f.text)
        if let info = files[path], let content = info.content {
            switch content {
            case .known(let text):
                result.notes.append("\(origin) \(f.text): analysing the script written earlier in the command")
                let savedPositional = state.positional
                state.positional = positional
                let out = analyzeSource(text, site: site, stdin: nil, origin: "\(origin) \(f.text)")
                state.positional = savedPositional
                return out
            case .network(let url):
                addEffect(
                    "exec.remote-code",
                    attrs: ["url": .string(url)],
                    invocation: idx,
                    detail: "\(origin) runs code downloaded from \(url)"
                )
            default:
                reportDynamic(
                    origin,
                    invocation: idx,
                    detail: "\(origin) runs a file whose content is only known at run time"
                )
            }
            return .unknown(origin, suspicious: false)
        }
        return runFileFromDisk(path, positional: positional, site: site, invocation: idx, origin: "\(origin) \(f.text)")
    }

    /// A shell script on disk: analysed from the content the host read, asked about when it could not be read,
    /// and requested (`Analysis.wantedFiles`) when the context does not hold it yet.
    func runFileFromDisk(
        _ path: String,
        positional: [Field],
        site: ExecSite,
        invocation idx: Int,
        origin: String
    )
        -> Content
    {
        guard site.remote == nil, !site.container else { return .unknown(origin, suspicious: false) }
        if let why = context.scriptProblems[path] {
            addEffect(
                "exec.unread-script",
                attrs: ["path": .string(path)],
                invocation: idx,
                detail: "\(origin): \(why)"
            )
            return .unknown(origin, suspicious: true)
        }
        guard let text = context.scripts[path] else {
            if !result.wantedFiles.contains(path) { result.wantedFiles.append(path) }
            return .unknown(origin, suspicious: false)
        }
        result.notes.append("\(origin): analysing the file on disk")
        // A script with another interpreter's shebang is that interpreter's program.
        if text.hasPrefix("#!"), let line = text.split(separator: "\n").first {
            let words = line.dropFirst(2).split(separator: " ").map(String.init)
            let interp = words.first == "/usr/bin/env" ? words.dropFirst().first { !$0.hasPrefix("-") } : words.first
            if let i = interp, case let name = normalizeProgram(i), Analyzer.interpreters.contains(name) {
                scanCode(text, program: name, idx: idx, site: site)
                return .unknown(origin, suspicious: false)
            }
        }
        let saved = state.positional
        let savedZero = state.vars["0"]
        state.positional = positional
        state.vars["0"] = [Field(path)]
        defer {
            state.positional = saved
            state.vars["0"] = savedZero
        }
        return analyzeFileText(text, site: site, origin: origin)
    }

    /// Code read from disk: what it concretely does is judged like the command; what it leaves to run time
    /// (`exec "$JAVACMD" "$@"` in a build wrapper) is not held against it, but its text gets the lexical second
    /// opinion.
    func analyzeFileText(_ text: String, site: ExecSite, origin: String) -> Content {
        let before = result.effects.count
        let out = analyzeSource(text, site: site, stdin: nil, origin: origin)
        let vague: Set<String> = ["exec.dynamic", "shell.unparsed", "shell.too-complex", "exec.decoded"]
        var kept = Array(result.effects[..<before])
        kept += result.effects[before...].filter { !vague.contains($0.kind) }
        result.effects = kept
        if let shape = SecondOpinion.shape(in: text, home: normalizedHome) {
            addEffect(
                SecondOpinion.kind,
                attrs: ["shape": .string(shape), "program": .string(origin)],
                invocation: -1,
                detail: "\(origin) holds text that \(shape)"
            )
        }
        return out
    }

    /// `git config alias.x '!cmd'` then `git x`.
    func runGitAlias(_ args: [Field], idx: Int, site: ExecSite, stdin: Content?) -> Content? {
        let (sub, subIndex) = gitSubcommand(args)
        if sub == "config" {
            let rest = args[(subIndex + 1)...].map(\.text).filter { !$0.hasPrefix("-") }
            if rest.count >= 2, rest[0].hasPrefix("alias.") {
                gitAliases[String(rest[0].dropFirst(6))] = rest[1]
            }
            return nil
        }
        guard let sub, let value = gitAliases[sub] else { return nil }
        let extra = args[(subIndex + 1)...].map { quoteForShell($0.text) }.joined(separator: " ")
        if value.hasPrefix("!") {
            return analyzeSource(
                String(value.dropFirst()) + (extra.isEmpty ? "" : " " + extra),
                site: site,
                stdin: stdin,
                origin: "git alias \(sub)"
            )
        }
        return analyzeSource(
            "git " + value + (extra.isEmpty ? "" : " " + extra),
            site: site,
            stdin: stdin,
            origin: "git alias \(sub)"
        )
    }

    func quoteForShell(_ s: String) -> String { Hooks.shellQuote(s) }

    /// The git subcommand after global options (`-C dir`, `-c k=v`, `--git-dir=…`).
    func gitSubcommand(_ args: [Field]) -> (String?, Int) {
        var i = 0
        while i < args.count {
            let a = args[i].text
            if a == "-C" || a == "-c" || a == "--git-dir" || a == "--work-tree" || a == "--namespace"
                || a == "--exec-path" && false
            {
                i += 2
                continue
            }
            if a.hasPrefix("-") {
                i += 1
                continue
            }
            return (a, i)
        }
        return (nil, args.count)
    }

    /// Remembers copies, links and moves so later commands see through them.
    func trackFiles(_ idx: Int) {
        let inv = result.invocations[idx]
        guard inv.site.remote == nil, !inv.site.container else { return }
        let operands = inv.args.filter { !$0.text.hasPrefix("-") }
        guard operands.count >= 2, let dest = operands.last, !dest.dynamic else { return }
        let destPath = resolvePath(dest.text)
        // `ln -s / r`: later paths through r land in /.
        if inv.program == "ln", operands.count == 2, !operands[0].dynamic,
            inv.args.contains(where: {
                $0.text == "-s" || $0.text == "--symbolic"
                    || ($0.text.hasPrefix("-") && !$0.text.hasPrefix("--") && $0.text.contains("s"))
            })
        {
            let target = operands[0].text
            let absolute =
                target.hasPrefix("/") || target.hasPrefix("~")
                ? resolvePath(target) : Paths.resolve(target, cwd: Paths.dirname(destPath))
            madeLinks[destPath] = absolute
        }
        switch inv.program {
        case "cp", "ln", "install", "rsync":
            let src = operands[operands.count - 2]
            if !src.dynamic {
                let srcPath = resolvePath(src.text)
                let base = Paths.basename(srcPath)
                let srcDir = Paths.dirname(srcPath)
                if ["/bin", "/usr/bin", "/sbin", "/usr/sbin", "/usr/local/bin", "/opt/homebrew/bin"].contains(srcDir) {
                    files[destPath] = FileInfo(content: nil, programAlias: normalizeProgram(base))
                } else if let info = files[srcPath] {
                    files[destPath] = info
                } else if srcPath == "/dev/null" {
                    files[destPath] = FileInfo(content: .known(""))
                }
            }
        case "mv":
            for src in operands.dropLast() where !src.dynamic {
                let srcPath = resolvePath(src.text)
                let cls = classify(srcPath, glob: src.glob)
                var info = files[srcPath] ?? FileInfo()
                if info.movedFrom == nil && ![.project, .build, .temp, .cache, .null].contains(cls) {
                    info.movedFrom = cls
                }
                files[destPath] = info
                if operands.count > 2 { files[destPath + "/" + Paths.basename(srcPath)] = info }
            }
        default:
            break
        }
    }
}

extension Analyzer {
    /// A command named by a path outside the system's own directories (`./deploy.sh`, `bin/setup`, `~/x.sh`).
    static func runsOwnFile(_ f: Field) -> Bool {
        let t = f.text
        guard t.contains("/") else { return false }
        for system in ["/usr/", "/bin/", "/sbin/", "/opt/homebrew/", "/usr/local/bin/", "/nix/", "/snap/", "/proc/"]
        where t.hasPrefix(system) {
            return false
        }
        return true
    }
}
