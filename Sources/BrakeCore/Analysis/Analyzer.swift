/// What the analyzer knows about a file written earlier in the same command.
struct FileInfo {
    /// The content written, when known.
    var content: Content?
    /// The program this file is a copy of or a link to (`cp /bin/rm ./x`).
    var programAlias: String?
    /// The class of the place this file or directory was moved or copied from.
    var movedFrom: TargetClass?
}

/// Shell state that a subshell copies and a parent does not see changed.
struct ShellState {
    var vars: [String: [Field]] = [:]
    var cwd: String?
    var aliases: [String: String] = [:]
    var functions: [String: Command] = [:]
    var positional: [Field] = []
    var ifs: String = " \t\n"
}

/// The symbolic interpreter: walks a parsed script the way bash would run it and records every invocation.
///
/// It never executes anything. Values it cannot know statically stay marked `dynamic`, and everything
/// that could run them is reported, so the rules can ask instead of guessing.
final class Analyzer {
    let context: Context
    /// The home directory, normalised once per analysis.
    lazy var normalizedHome = Paths.normalize(context.home)
    let settings: AnalysisSettings
    var result = Analysis()
    var state: ShellState
    var files: [String: FileInfo] = [:]
    var gitAliases: [String: String] = [:]
    var decodedTexts: Set<String> = []
    /// Symbolic links made earlier in the command: link path → where it leads.
    var madeLinks: [String: String] = [:]
    /// How many loop bodies (`for`, `while`, `until`, `select`) the analysis is inside: a call repeated there is bulk.
    var loopDepth = 0
    /// The interpreter whose program text is being scanned (string literals interpolate differently).
    var literalLanguage = ""
    /// The branch a `git checkout`/`git switch` earlier in the command moved to (nil: the context's branch).
    var currentBranch: String?
    /// Files this command wrote credentials into (an archive or copy of `~/.aws`): sending them is exfiltration.
    var secretCopies: Set<String> = []
    /// Remotes this command added (`git remote add NAME URL`): pushing there sends the code somewhere new.
    var addedRemotes: [String: String] = [:]
    /// Shell code found inside the command and analysed as such (`bash -c '…'`, remote commands, decoded text).
    var sourcesRead: Set<String> = []
    var callStack: [String] = []
    var steps = 0
    var reparseDepth = 0
    var exhausted = false

    static let maxSteps = 50_000
    static let maxReparse = 12
    static let maxInvocations = 2_000

    init(context: Context, settings: AnalysisSettings) {
        self.context = context
        self.settings = settings
        var s = ShellState()
        s.cwd = Paths.normalize(context.cwd)
        self.state = s
    }

    // MARK: - Entry points

    /// Analyses a whole command line.
    func analyze(_ source: String) {
        analyzeSource(source, site: ExecSite(), stdin: nil, origin: "command")
        Scratch.reclassify(&result, context: context)
        SecondOpinion.scan(&result, readSources: sourcesRead, home: normalizedHome)
    }

    /// Parses and runs shell source found somewhere (the command itself, `bash -c`, a script file …).
    @discardableResult
    func analyzeSource(_ source: String, site: ExecSite, stdin: Content?, origin: String) -> Content {
        if reparseDepth >= Analyzer.maxReparse {
            markTooComplex("shell code nested more than \(Analyzer.maxReparse) levels deep (\(origin))")
            return .unknown("nested", suspicious: true)
        }
        if origin != "command" { sourcesRead.insert(source) }
        let script: Script
        do {
            script = try ShellParser.parse(source, depth: 0)
        } catch {
            if reparseDepth == 0 && result.syntaxError == nil { result.syntaxError = error }
            result.effects.append(
                Effect(
                    "shell.unparsed",
                    attrs: ["origin": .string(origin)],
                    invocation: -1,
                    detail: "cannot parse \(origin): \(error.message)"
                )
            )
            return .unknown("unparsed", suspicious: true)
        }
        reparseDepth += 1
        defer { reparseDepth -= 1 }
        return run(script, site: site, stdin: stdin)
    }

    func markTooComplex(_ why: String) {
        if !exhausted {
            exhausted = true
            result.effects.append(Effect("shell.too-complex", invocation: -1, detail: why))
        }
    }

    /// Counts work; false when the analysis budget is spent.
    func tick() -> Bool {
        steps += 1
        if steps > Analyzer.maxSteps || result.invocations.count > Analyzer.maxInvocations {
            markTooComplex("the command is too large to analyse completely")
            return false
        }
        return true
    }

    // MARK: - Walking the tree

    @discardableResult
    func run(_ script: Script, site: ExecSite, stdin: Content?) -> Content {
        var out: [Content] = []
        for item in script.items {
            guard tick() else { break }
            let c = runAndOr(item.andOr, site: site, stdin: stdin, background: item.background)
            out.append(c)
        }
        return Analyzer.concat(out)
    }

    func runAndOr(_ andOr: AndOr, site: ExecSite, stdin: Content?, background: Bool) -> Content {
        var out: [Content] = []
        for p in andOr.pipelines {
            out.append(runPipeline(p, site: site, stdin: stdin, background: background))
        }
        return Analyzer.concat(out)
    }

    func runPipeline(_ p: Pipeline, site: ExecSite, stdin: Content?, background: Bool) -> Content {
        if p.commands.count == 1 {
            return runCommand(p.commands[0], site: site, stdin: stdin, inPipeline: false, background: background)
        }
        var input = stdin
        for cmd in p.commands {
            let saved = state
            input = runCommand(cmd, site: site, stdin: input, inPipeline: true, background: background)
            state = saved
        }
        return input ?? .unknown("pipeline", suspicious: false)
    }

    func runCommand(_ cmd: Command, site: ExecSite, stdin: Content?, inPipeline: Bool, background: Bool) -> Content {
        guard tick() else { return .unknown("budget", suspicious: true) }
        switch cmd {
        case .simple(let sc):
            return runSimple(sc, site: site, stdin: stdin, inPipeline: inPipeline, background: background)
        case .subshell(let s, let r):
            let saved = state
            let input = redirectInput(r, stdin: stdin)
            let out = run(s, site: site, stdin: input)
            state = saved
            return applyOutputRedirects(r, output: out, site: site)
        case .group(let s, let r):
            let input = redirectInput(r, stdin: stdin)
            let out = run(s, site: site, stdin: input)
            return applyOutputRedirects(r, output: out, site: site)
        case .ifClause(let conditions, let bodies, let elseBody, let r):
            var out: [Content] = []
            for c in conditions { out.append(run(c, site: site, stdin: stdin)) }
            for b in bodies { out.append(run(b, site: site, stdin: stdin)) }
            if let e = elseBody { out.append(run(e, site: site, stdin: stdin)) }
            return applyOutputRedirects(r, output: Analyzer.concat(out), site: site)
        case .forLoop(let v, let words, let body, let r), .select(let v, let words, let body, let r):
            var values: [Field] = []
            if let words {
                for w in words { values += expandWord(w) }
            } else {
                values = state.positional
            }
            var out: [Content] = []
            let limited = values.count <= 16 ? values : [Field("${\(v)}", dynamic: true)]
            if limited.isEmpty { state.vars[v] = [Field("${\(v)}", dynamic: true)] }
            loopDepth += 1
            for value in limited.isEmpty ? [Field("${\(v)}", dynamic: true)] : limited {
                state.vars[v] = [value]
                out.append(run(body, site: site, stdin: stdin))
                if exhausted { break }
            }
            loopDepth -= 1
            return applyOutputRedirects(r, output: Analyzer.concat(out), site: site)
        case .arithmeticFor(let header, let body, let r):
            scanArithmetic(header, site: site)
            loopDepth += 1
            let out = run(body, site: site, stdin: stdin)
            loopDepth -= 1
            return applyOutputRedirects(r, output: out, site: site)
        case .whileLoop(let condition, let body, _, let r):
            let input = redirectInput(r, stdin: stdin)
            loopDepth += 1
            let c = run(condition, site: site, stdin: input)
            let b = run(body, site: site, stdin: input)
            loopDepth -= 1
            return applyOutputRedirects(r, output: Analyzer.concat([c, b]), site: site)
        case .caseClause(let subject, let items, let r):
            _ = expandString(subject)
            var out: [Content] = []
            for item in items {
                for p in item.patterns { _ = expandString(p) }
                out.append(run(item.body, site: site, stdin: stdin))
            }
            return applyOutputRedirects(r, output: Analyzer.concat(out), site: site)
        case .function(let name, let body):
            state.functions[name] = body
            return .known("")
        case .arithmetic(let expr, let r):
            scanArithmetic(expr, site: site)
            return applyOutputRedirects(r, output: .known(""), site: site)
        case .conditional(let words, let r):
            for w in words { _ = expandString(w) }
            return applyOutputRedirects(r, output: .known(""), site: site)
        }
    }

    /// `$(( … ))` and `(( … ))` may hold command substitutions; run them.
    func scanArithmetic(_ expr: String, site: ExecSite) {
        guard expr.includes("$(") || expr.includes("`") else { return }
        if let script = try? ShellParser.parse("echo \"$((" + expr + "))\"") {
            run(script, site: site, stdin: nil)
        }
    }

    // MARK: - Simple commands

    func runSimple(_ sc: SimpleCommand, site: ExecSite, stdin: Content?, inPipeline: Bool, background: Bool) -> Content
    {
        // Alias expansion: an unquoted first word that names an alias defined earlier in the command.
        if let first = sc.words.first, first.isPlainLiteral, let name = first.literalText,
            let value = state.aliases[name], !callStack.contains("alias:" + name)
        {
            result.notes.append("alias \(name) → \(value)")
            if let aliasScript = try? ShellParser.parse(value),
                aliasScript.items.count == 1, aliasScript.items[0].andOr.rest.isEmpty,
                aliasScript.items[0].andOr.first.commands.count == 1,
                case .simple(let inner) = aliasScript.items[0].andOr.first.commands[0]
            {
                var merged = sc
                merged.assignments = inner.assignments + sc.assignments
                merged.words = inner.words + sc.words.dropFirst()
                merged.redirects = inner.redirects + sc.redirects
                callStack.append("alias:" + name)
                defer { callStack.removeLast() }
                return runSimple(merged, site: site, stdin: stdin, inPipeline: inPipeline, background: background)
            }
            callStack.append("alias:" + name)
            analyzeSource(value, site: site, stdin: stdin, origin: "alias \(name)")
            callStack.removeLast()
        }

        // Assignments.
        var assigned: [String: Field] = [:]
        var localValues: [(String, [Field])] = []
        for a in sc.assignments {
            let values: [Field]
            if let arr = a.array {
                values = arr.flatMap { expandWord($0) }
            } else {
                values = [expandString(a.value)]
            }
            assigned[a.name] = values.first ?? Field("")
            localValues.append((a.name, values))
        }

        var argv: [Field] = []
        for w in sc.words { argv += expandWord(w) }

        if argv.isEmpty {
            // Pure assignments change the shell; redirections alone still open (and truncate) files.
            for (name, values) in localValues {
                if let prev = state.vars[name], sc.assignments.first(where: { $0.name == name })?.append == true {
                    state.vars[name] = [
                        Field(
                            prev.map(\.text).joined() + (values.first?.text ?? ""),
                            dynamic: prev.contains(where: \.dynamic)
                        )
                    ]
                } else {
                    state.vars[name] = values
                }
                if name == "IFS", let v = values.first, !v.dynamic { state.ifs = v.text }
            }
            _ = redirectInput(sc.redirects, stdin: stdin)
            return applyOutputRedirects(sc.redirects, output: .known(""), site: site, bareRedirect: true)
        }

        let input = redirectInput(sc.redirects, stdin: stdin)
        let out = execute(
            argv,
            assignments: assigned,
            stdin: input,
            site: site,
            inPipeline: inPipeline,
            background: background
        )
        // `: > file` and `true > file` only truncate.
        let bare = argv.count == 1 && !argv[0].quoted && (argv[0].text == ":" || argv[0].text == "true")
        return applyOutputRedirects(sc.redirects, output: out, site: site, bareRedirect: bare)
    }

    /// Standard input after `<`, `<<`, `<<<` redirections.
    func redirectInput(_ redirects: [Redirect], stdin: Content?) -> Content? {
        var input = stdin
        for r in redirects {
            switch r.op {
            case "<<", "<<-":
                if let h = r.heredoc {
                    if h.quoted {
                        input = .known(h.body)
                    } else if let w = h.expandable {
                        let f = expandString(w)
                        input = f.dynamic ? .unknown("here-document", suspicious: false) : .known(f.text)
                    } else {
                        input = .known(h.body)
                    }
                }
            case "<<<":
                let f = expandString(r.target)
                input = f.dynamic ? .unknown("here-string", suspicious: false) : .known(f.text + "\n")
            case "<":
                let f = expandString(r.target)
                input = readFile(f)
            default: break
            }
        }
        return input
    }

    /// The content of a file, as far as it is known.
    func readFile(_ f: Field) -> Content {
        if f.dynamic { return .unknown(f.text, suspicious: false) }
        let path = resolvePath(f.text)
        if let info = files[path], let c = info.content { return c }
        let cls = Paths.classify(path, context: context, settings: settings)
        if cls == .sensitive || isSecretFile(path) { return .secret(path) }
        return .unknown(path, suspicious: false)
    }

    /// Handles `>`, `>>`, `&>` … : records writes and truncations; returns what still reaches stdout.
    func applyOutputRedirects(
        _ redirects: [Redirect],
        output: Content,
        site: ExecSite,
        bareRedirect: Bool = false
    )
        -> Content
    {
        var stdoutGoesToFile = false
        for r in redirects where r.writes {
            let f = expandString(r.target)
            if r.fd == nil || r.fd == 1 || r.op.hasPrefix("&") { stdoutGoesToFile = true }
            let target = makeTarget(f, site: site)
            if target.cls == .null { continue }
            var attrs: [String: AttrValue] = ["via": .string("redirect " + r.op)]
            if r.truncates { attrs["truncate"] = .bool(true) }
            let idx = result.invocations.count - 1
            if target.cls == .device {
                addEffect(
                    "disk.overwrite",
                    attrs: attrs,
                    targets: [target],
                    invocation: idx,
                    detail: "writes to device \(f.text)"
                )
            } else if bareRedirect && r.truncates {
                addEffect(
                    "fs.truncate",
                    attrs: attrs,
                    targets: [target],
                    invocation: idx,
                    detail: "truncates \(f.text)"
                )
            } else {
                addEffect("fs.write", attrs: attrs, targets: [target], invocation: idx, detail: "writes \(f.text)")
            }
            if let p = target.path, site.remote == nil {
                files[p] = FileInfo(content: r.op.hasSuffix(">>") ? nil : output)
            }
        }
        return stdoutGoesToFile ? .known("") : output
    }

    // MARK: - Effects and targets

    func addEffect(
        _ kind: String,
        attrs: [String: AttrValue] = [:],
        targets: [Target] = [],
        invocation: Int,
        detail: String
    ) {
        var attrs = attrs
        if invocation >= 0 && invocation < result.invocations.count {
            let site = result.invocations[invocation].site
            if site.privileged { attrs["privileged"] = .bool(true) }
            if let r = site.remote { attrs["remote"] = .string(r) }
            if site.container { attrs["container"] = .bool(true) }
        }
        result.effects.append(Effect(kind, attrs: attrs, targets: targets, invocation: invocation, detail: detail))
    }

    /// Records that something runs code only known at run time (never assumed safe).
    func reportDynamic(_ what: String, invocation idx: Int, detail: String) {
        addEffect("exec.dynamic", attrs: ["what": .string(what)], invocation: idx, detail: detail)
    }

    /// Records a privilege change (`sudo`, `su` …) and returns the site the inner command runs at.
    func enterPrivileged(_ site: ExecSite, program: String, invocation idx: Int, detail: String) -> ExecSite {
        addEffect("privilege.escalation", attrs: ["via": .string(program)], invocation: idx, detail: detail)
        var s = site
        s.via.append(program)
        s.privileged = true
        return s
    }

    /// Resolves a path word against the current directory and home.
    func resolvePath(_ text: String) -> String {
        var t = text
        if t == "~" || t.hasPrefix("~/") {
            t = context.home + t.dropFirst(1)
        }
        if t.hasPrefix("/") { return throughMadeLinks(Paths.normalize(t)) }
        guard let cwd = state.cwd else { return Paths.normalize("/\u{0}unknown/" + t) }
        return throughMadeLinks(Paths.resolve(t, cwd: cwd))
    }

    /// A path through a symbolic link the command made earlier (`ln -s / r; cd r`) is where the link leads.
    func throughMadeLinks(_ path: String) -> String {
        guard !madeLinks.isEmpty else { return path }
        var p = path
        for _ in 0..<4 {
            guard let (link, target) = madeLinks.first(where: { p == $0.key || p.hasPrefix($0.key + "/") }) else {
                break
            }
            p = Paths.normalize(target + "/" + p.dropFirst(link.count))
        }
        return p
    }

    /// Builds a target from an expanded word, classifying it.
    func makeTarget(_ f: Field, site: ExecSite) -> Target {
        if f.temp { return Target(path: f.text, cls: .temp, written: f.text) }
        if f.dynamic {
            // A dynamic suffix under a known, safe prefix stays there only if no `..` can climb out.
            return Target(path: nil, cls: .unknown, written: f.text)
        }
        if site.remote != nil {
            return Target(path: f.text, cls: remoteClass(f.text), written: f.text)
        }
        if site.container {
            if let host = containerHostPath(f.text, site: site) {
                let cls = Paths.classify(host, context: context, settings: settings)
                return Target(path: host, cls: cls, written: f.text)
            }
            return Target(path: f.text, cls: .temp, written: f.text)
        }
        if state.cwd == nil && !(f.text.hasPrefix("/") || f.text.hasPrefix("~")) {
            return Target(path: nil, cls: .unknown, written: f.text)
        }
        let path = resolvePath(f.text)
        return Target(path: path, cls: classify(path, glob: f.glob), written: f.text)
    }

    /// Classifies a path; for a glob, the class of what it can match.
    func classify(_ path: String, glob: Bool) -> TargetClass {
        if let info = files[path], let from = info.movedFrom { return from }
        if glob {
            // Walk up to the first component without glob characters.
            let comps = path.split(separator: "/", omittingEmptySubsequences: true)
            var fixed: [Substring] = []
            for c in comps {
                if c.contains(where: { $0 == "*" || $0 == "?" || $0 == "[" }) { break }
                fixed.append(c)
            }
            let parent = "/" + fixed.joined(separator: "/")
            let rest = comps.dropFirst(fixed.count)
            let parentClass = Paths.classify(parent, context: context, settings: settings)
            if let first = rest.first, rest.count == 1,
                first.allSatisfy({ $0 == "*" || $0 == "." || $0 == "?" || $0 == "[" || $0 == "]" || $0 == "!" })
            {
                // `dir/*`: everything in dir.
                return parentClass == .projectRoot ? .projectRoot : parentClass
            }
            if parentClass == .root || parentClass == .home { return parentClass == .root ? .system : .outside }
            let child = Paths.classify(parent + "/x", context: context, settings: settings)
            return child
        }
        return Paths.classify(path, context: context, settings: settings)
    }

    /// Class of a path on a remote host: no project, but system paths are still system paths.
    func remoteClass(_ text: String) -> TargetClass {
        if text == "/" { return .root }
        if text == "~" || text == "~/" || text == "$HOME" { return .home }
        // `~` was expanded with this machine's home; on the host it is that host's home, wherever it lies.
        let h = normalizedHome
        if h != "/" && (text == h || text == h + "/" || text == h + "/*") { return .home }
        if h != "/" && text.hasPrefix(h + "/") { return .outside }
        if text.hasPrefix("/tmp/") { return .temp }
        if text.hasPrefix("/") {
            let comps = text.split(separator: "/")
            if let f = comps.first, Paths.systemTops.contains(String(f)) && f != "home" && f != "Users" {
                return .system
            }
            if comps.count <= 2 && (comps.first == "home" || comps.first == "Users") { return .home }
        }
        return .outside
    }

    func containerHostPath(_ text: String, site: ExecSite) -> String? {
        for (inside, host) in site.mounts.sorted(by: { $0.key.count > $1.key.count })
        where Paths.isWithin(text, inside) {
            let rest = text.dropFirst(inside.count)
            return Paths.normalize(host + "/" + rest)
        }
        return nil
    }

    func isSecretFile(_ path: String) -> Bool {
        let base = Paths.basename(path)
        if base.hasPrefix("id_") && !base.hasSuffix(".pub") && path.includes("/.ssh/") { return true }
        if base == ".env" { return false }
        let lower = base.lowercased()
        return lower.hasSuffix(".pem") || lower.hasSuffix(".p12") || lower.hasSuffix(".pfx") || lower.hasSuffix(".key")
            || lower == "credentials" || lower == ".git-credentials" || lower == ".netrc" || lower == ".pgpass"
            || lower == "id_rsa" || lower == "id_ed25519" || lower == "id_ecdsa" || lower == "service-account.json"
            || lower.hasSuffix("-key.json") || lower == "kubeconfig" || lower == ".vault-token"
            || path == "/etc/shadow" || path == "/etc/sudoers" || path.hasPrefix("/etc/ssh/ssh_host_")
    }

    // MARK: - Combining output

    static func concat(_ parts: [Content]) -> Content {
        var text = ""
        var sensitive: Content?
        for p in parts {
            switch p {
            case .known(let s): text += s
            case .secret, .environment: sensitive = p
            case .network: return p
            case .unknown(_, true): return p
            case .unknown, .paths:
                if parts.count == 1 { return p }
                return sensitive ?? .unknown("output", suspicious: false)
            }
        }
        return sensitive ?? .known(text)
    }
}
