/// Wrappers that run another command: privilege, environment, scheduling, fan-out and remote executors.
extension Analyzer {
    enum Unwrapped {
        /// Run this argv next, at this site, with these extra assignments.
        case run([Field], ExecSite, [String: Field])
        /// The wrapper was fully handled; this is its output.
        case output(Content)
    }

    /// Skips options; `withValue` lists options that take the next argument. Returns the index of the first operand.
    func skipOptions(_ args: [Field], from start: Int = 0, withValue: Set<String>, stopAtDoubleDash: Bool = true) -> Int
    {
        var i = start
        while i < args.count {
            let a = args[i].text
            if a == "--" && stopAtDoubleDash { return i + 1 }
            guard a.hasPrefix("-") && a.count > 1 else { return i }
            if a.hasPrefix("--") {
                if !a.includes("=") && withValue.contains(a) { i += 2 } else { i += 1 }
                continue
            }
            // A short cluster: the first option letter that takes a value consumes the rest or the next word.
            var consumedNext = false
            let letters = Array(a.dropFirst())
            for (k, ch) in letters.enumerated() where withValue.contains("-" + String(ch)) {
                consumedNext = k == letters.count - 1
                break
            }
            i += consumedNext ? 2 : 1
        }
        return i
    }

    func via(_ site: ExecSite, _ name: String) -> ExecSite {
        var s = site
        s.via.append(name)
        return s
    }

    func unwrap(
        program: String,
        args: [Field],
        argv: [Field],
        site: ExecSite,
        assignments: [String: Field],
        stdin: Content?
    ) -> Unwrapped? {
        switch program {
        case "sudo", "doas", "pkexec", "run0":
            let idx = record(argv, program: program, site: site, assignments: assignments, stdin: stdin)
            let s = enterPrivileged(
                site,
                program: program,
                invocation: idx,
                detail: "runs with root privileges via \(program)"
            )
            let start = skipOptions(
                args,
                withValue: [
                    "-u", "-g", "-h", "-p", "-C", "-D", "-r", "-t", "-U", "-T", "-R", "--user", "--group", "--host",
                    "--prompt", "--chdir", "--other-user", "--close-from", "--role", "--type", "--command-timeout",
                ]
            )
            var inner = Array(args[min(start, args.count)...])
            var extra: [String: Field] = [:]
            while let f = inner.first, let eq = f.text.firstIndex(of: "="), !f.text.hasPrefix("="),
                f.text[..<eq].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" })
            {
                extra[String(f.text[..<eq])] = Field(String(f.text[f.text.index(after: eq)...]), dynamic: f.dynamic)
                inner.removeFirst()
            }
            let shellMode = args.prefix(start).contains {
                $0.text == "-s" || $0.text == "-i" || $0.text == "--shell" || $0.text == "--login"
            }
            if shellMode && !inner.isEmpty {
                return .output(
                    runShellText(
                        inner,
                        program: "sh",
                        argv: [Field("sh"), Field("-c")] + inner,
                        site: s,
                        assignments: extra,
                        stdin: stdin,
                        origin: "\(program) -s"
                    )
                )
            }
            return .run(inner, s, extra)
        case "su", "runuser":
            let idx = record(argv, program: program, site: site, assignments: assignments, stdin: stdin)
            let s = enterPrivileged(site, program: program, invocation: idx, detail: "switches user via \(program)")
            if let c = args.firstIndex(where: { $0.text == "-c" || $0.text == "--command" }), c + 1 < args.count {
                return .output(
                    runShellText(
                        [args[c + 1]],
                        program: "sh",
                        argv: [Field("sh"), Field("-c"), args[c + 1]],
                        site: s,
                        assignments: [:],
                        stdin: stdin,
                        origin: "\(program) -c"
                    )
                )
            }
            if let dd = args.firstIndex(where: { $0.text == "--" }), program == "runuser" {
                return .run(Array(args[(dd + 1)...]), s, [:])
            }
            return .output(runShellStdin(stdin, idx: idx, site: s, what: program))
        case "env":
            var i = 0
            var extra: [String: Field] = [:]
            var inner: [Field] = []
            var chdir: Field?
            while i < args.count {
                let a = args[i].text
                if a == "--" {
                    i += 1
                    break
                }
                if a == "-i" || a == "-" || a == "--ignore-environment" || a == "-0" || a == "--null" || a == "-v"
                    || a == "--debug"
                {
                    i += 1
                    continue
                }
                if a == "-u" || a == "--unset" || a == "-C" || a == "--chdir" || a == "-P"
                    || a == "--default-signal" && false
                {
                    if a == "-C" || a == "--chdir", i + 1 < args.count { chdir = args[i + 1] }
                    i += 2
                    continue
                }
                if a.hasPrefix("--unset=") || a.hasPrefix("--chdir=") || a.hasPrefix("--default-signal")
                    || a.hasPrefix("--ignore-signal") || a.hasPrefix("--block-signal")
                {
                    if a.hasPrefix("--chdir=") { chdir = Field(String(a.dropFirst(8)), dynamic: args[i].dynamic) }
                    i += 1
                    continue
                }
                if a == "-S" || a == "--split-string" || a.hasPrefix("-S") || a.hasPrefix("--split-string=") {
                    var text: Field
                    if a == "-S" || a == "--split-string" {
                        guard i + 1 < args.count else {
                            i += 1
                            break
                        }
                        text = args[i + 1]
                        i += 2
                    } else {
                        text = Field(
                            a.hasPrefix("-S") ? String(a.dropFirst(2)) : String(a.dropFirst(15)),
                            dynamic: args[i].dynamic
                        )
                        i += 1
                    }
                    if text.dynamic {
                        inner.append(text)
                    } else if let parsed = try? ShellParser.parse(text.text), let first = parsed.items.first,
                        case .simple(let sc) = first.andOr.first.commands.first
                    {
                        for w in sc.assignments { extra[w.name] = expandString(w.value) }
                        for w in sc.words { inner += expandWord(w) }
                    } else {
                        inner += text.text.split(separator: " ").map { Field(String($0)) }
                    }
                    continue
                }
                if a.hasPrefix("-") && a.count > 1 {
                    i += 1
                    continue
                }
                if let eq = a.firstIndex(of: "="), eq != a.startIndex {
                    extra[String(a[..<eq])] = Field(String(a[a.index(after: eq)...]), dynamic: args[i].dynamic)
                    i += 1
                    continue
                }
                break
            }
            inner += Array(args[min(i, args.count)...])
            if inner.isEmpty {
                record(argv, program: program, site: site, assignments: assignments, stdin: stdin)
                return .output(.environment)
            }
            if let chdir, site.remote == nil {
                let saved = state.cwd
                state.cwd = chdir.dynamic ? nil : resolvePath(chdir.text)
                var merged = assignments
                for (k, v) in extra { merged[k] = v }
                let out = execute(
                    inner,
                    assignments: merged,
                    stdin: stdin,
                    site: via(site, "env"),
                    inPipeline: false,
                    background: false
                )
                state.cwd = saved
                return .output(out)
            }
            return .run(inner, via(site, "env"), extra)
        case "nice", "nohup", "time", "stdbuf", "setsid", "unbuffer", "caffeinate", "chrt", "taskset", "ionice",
            "builtin", "exec", "catchsegv", "nocache", "cpulimit", "systemd-inhibit", "firejail", "proxychains",
            "proxychains4", "tsocks", "torsocks", "chronic", "sem", "lldb", "strace", "ltrace", "valgrind":
            var start: Int
            switch program {
            case "nice": start = skipOptions(args, withValue: ["-n", "--adjustment"])
            case "ionice":
                if args.contains(where: { $0.text == "-p" || $0.text == "-P" || $0.text == "-u" }) {
                    return .output(.known(""))
                }
                start = skipOptions(args, withValue: ["-c", "-n", "--class", "--classdata"])
            case "time": start = skipOptions(args, withValue: ["-f", "-o", "--format", "--output"])
            case "stdbuf": start = skipOptions(args, withValue: ["-i", "-o", "-e", "--input", "--output", "--error"])
            case "caffeinate": start = skipOptions(args, withValue: ["-t", "-w"])
            case "chrt":
                start = skipOptions(args, withValue: ["-T", "-P", "-D"])
                if start < args.count { start += 1 }
            case "taskset":
                start = skipOptions(args, withValue: [])
                if start < args.count { start += 1 }
            case "exec": start = skipOptions(args, withValue: ["-a"])
            case "cpulimit": start = skipOptions(args, withValue: ["-l", "-p", "-e", "--limit", "--pid", "--exe"])
            case "strace", "ltrace": start = skipOptions(args, withValue: ["-e", "-o", "-p", "-s", "-u", "-E", "-P"])
            case "systemd-inhibit": start = skipOptions(args, withValue: ["--what", "--who", "--why", "--mode"])
            case "sem": start = skipOptions(args, withValue: ["-j", "--id", "--jobs"])
            default: start = skipOptions(args, withValue: [])
            }
            return .run(Array(args[min(start, args.count)...]), via(site, program), [:])
        case "timeout", "gtimeout":
            var start = skipOptions(args, withValue: ["-s", "-k", "--signal", "--kill-after"])
            if start < args.count { start += 1 }
            return .run(Array(args[min(start, args.count)...]), via(site, program), [:])
        case "command":
            let start = skipOptions(args, withValue: [])
            if args.prefix(start).contains(where: { $0.text == "-v" || $0.text == "-V" }) {
                record(argv, program: program, site: site, assignments: assignments, stdin: stdin)
                return .output(
                    .known(args.dropFirst(start).map { "/usr/bin/" + $0.text }.joined(separator: "\n") + "\n")
                )
            }
            return .run(Array(args[min(start, args.count)...]), via(site, program), [:])
        case "busybox", "toybox":
            guard let first = args.first, !first.text.hasPrefix("-") else { return nil }
            return .run(args, via(site, program), [:])
        case "xcrun":
            let start = skipOptions(args, withValue: ["--sdk", "--toolchain", "-sdk", "-toolchain", "--log"])
            if args.prefix(start).contains(where: { $0.text == "-f" || $0.text == "--find" }) { return nil }
            return .run(Array(args[min(start, args.count)...]), via(site, program), [:])
        case "flock":
            let start = skipOptions(args, withValue: ["-w", "-E", "--timeout", "--conflict-exit-code"])
            guard start < args.count else { return nil }
            let rest = Array(args[(start + 1)...])
            if let c = rest.firstIndex(where: { $0.text == "-c" || $0.text == "--command" }), c + 1 < rest.count {
                return .output(
                    runShellText(
                        [rest[c + 1]],
                        program: "sh",
                        argv: argv,
                        site: via(site, "flock"),
                        assignments: [:],
                        stdin: stdin,
                        origin: "flock -c"
                    )
                )
            }
            return .run(rest, via(site, program), [:])
        case "script":
            if let c = args.firstIndex(where: { $0.text == "-c" || $0.text == "--command" }), c + 1 < args.count {
                return .output(
                    runShellText(
                        [args[c + 1]],
                        program: "sh",
                        argv: argv,
                        site: via(site, "script"),
                        assignments: [:],
                        stdin: stdin,
                        origin: "script -c"
                    )
                )
            }
            return nil
        case "watch":
            let start = skipOptions(
                args,
                withValue: ["-n", "--interval", "-d", "--differences", "-q", "--equexit", "--chgexit"]
            )
            let inner = Array(args[min(start, args.count)...])
            if args.prefix(start).contains(where: { $0.text == "-x" || $0.text == "--exec" }) {
                return .run(inner, via(site, program), [:])
            }
            if inner.isEmpty { return .output(.known("")) }
            return .output(
                runShellText(
                    inner,
                    program: "sh",
                    argv: argv,
                    site: via(site, "watch"),
                    assignments: [:],
                    stdin: nil,
                    origin: "watch"
                )
            )
        case "uv", "poetry", "pipenv", "pdm", "hatch", "rye", "bundle", "conda", "mamba", "micromamba", "pixi",
            "direnv", "aws-vault", "op", "doppler", "dotenvx", "infisical", "chamber", "npm", "pnpm", "yarn",
            "nix-shell", "nix", "bun":
            return unwrapRunner(
                program: program,
                args: args,
                argv: argv,
                site: site,
                assignments: assignments,
                stdin: stdin
            )
        case "npx", "bunx", "pnpx", "uvx":
            let start = skipOptions(
                args,
                withValue: [
                    "-p", "--package", "-c", "--call", "--from", "--with", "--python", "--index", "--index-url",
                ]
            )
            return .run(Analyzer.packageCommand(Array(args[min(start, args.count)...])), via(site, program), [:])
        case "pipx" where args.first?.text == "run":
            let start = skipOptions(args, from: 1, withValue: ["--spec", "--python", "--index-url", "--pip-args"])
            return .run(Analyzer.packageCommand(Array(args[min(start, args.count)...])), via(site, "pipx run"), [:])
        case "python":
            // `python -m MODULE ARGS` runs the module as its command: `python -m twine upload` is twine.
            var i = 0
            while i < args.count, args[i].text.hasPrefix("-"), args[i].text != "-m", args[i].text != "-c" {
                i += ["-W", "-X", "--check-hash-based-pycs"].contains(args[i].text) ? 2 : 1
            }
            if i + 1 < args.count, args[i].text == "-m", !args[i + 1].dynamic {
                return .run(Array(args[(i + 1)...]), via(site, "python -m"), [:])
            }
            return nil
        case "xargs":
            return unwrapXargs(args, argv: argv, site: site, assignments: assignments, stdin: stdin)
        case "parallel":
            return unwrapParallel(args, argv: argv, site: site, assignments: assignments, stdin: stdin)
        case "find":
            return .output(runFind(args, argv: argv, site: site, assignments: assignments, stdin: stdin))
        case "ansible":
            return unwrapAnsible(args, argv: argv, site: site, assignments: assignments, stdin: stdin)
        case "ssh":
            // What ssh runs locally (ProxyCommand, LocalCommand), besides what it runs on the host.
            runCarried(program: program, args: args, idx: -1, site: site, stdin: nil)
            return unwrapSSH(args, argv: argv, site: site, assignments: assignments, stdin: stdin)
        case "kubectl", "oc":
            return unwrapKubectlExec(
                args,
                argv: argv,
                program: program,
                site: site,
                assignments: assignments,
                stdin: stdin
            )
        case "docker", "docker-compose":
            return unwrapDocker(args, argv: argv, program: program, site: site, assignments: assignments, stdin: stdin)
        default:
            return nil
        }
    }

    /// A package runner's command with the package spelled as the command it installs: `vercel@latest` →
    /// `vercel`, `@scope/cli@2` → `cli`, `twine==5.1` → `twine`.
    static func packageCommand(_ args: [Field]) -> [Field] {
        guard var first = args.first, !first.dynamic else { return args }
        var name = Substring(first.text)
        if name.hasPrefix("@"), let slash = name.firstIndex(of: "/") { name = name[name.index(after: slash)...] }
        if let at = name.firstIndex(of: "@") { name = name[..<at] }
        if let eq = name.firstIndex(where: { "=<>~[".contains($0) }) { name = name[..<eq] }
        first.text = String(name)
        return [first] + args.dropFirst()
    }

    func unwrapRunner(
        program: String,
        args: [Field],
        argv: [Field],
        site: ExecSite,
        assignments: [String: Field],
        stdin: Content?
    ) -> Unwrapped? {
        guard let sub = args.first?.text else { return nil }
        switch (program, sub) {
        case ("uv", "run"), ("poetry", "run"), ("pipenv", "run"), ("pdm", "run"), ("hatch", "run"), ("rye", "run"),
            ("pixi", "run"), ("bundle", "exec"):
            let start = skipOptions(
                args,
                from: 1,
                withValue: [
                    "--with", "--python", "-p", "--env", "-e", "--project", "--directory", "--package", "--group",
                    "--extra", "--index", "--from",
                ]
            )
            let inner = Array(args[min(start, args.count)...])
            // `pdm run reset`: a script of pyproject.toml when it has one by that name, else a program.
            if let name = inner.first, !name.dynamic,
                let text = pyprojectScript(tool: program, name: name.text, idx: -1)
            {
                return .output(
                    analyzeFileText(text, site: via(site, program + " run"), origin: "\(program) run \(name.text)")
                )
            }
            return .run(inner, via(site, program + " " + sub), [:])
        case ("conda", "run"), ("mamba", "run"), ("micromamba", "run"):
            let start = skipOptions(args, from: 1, withValue: ["-n", "--name", "-p", "--prefix", "--cwd"])
            return .run(Array(args[min(start, args.count)...]), via(site, program + " run"), [:])
        case ("direnv", "exec"):
            return .run(Array(args.dropFirst(2)), via(site, "direnv exec"), [:])
        case ("aws-vault", "exec"):
            let start = skipOptions(
                args,
                from: 1,
                withValue: ["--duration", "-d", "--region", "--mfa-token", "-t", "--ec2-server", "--prompt"]
            )
            guard start < args.count else { return nil }
            let profile = args[start]
            var rest = Array(args[(start + 1)...])
            if rest.first?.text == "--" { rest.removeFirst() }
            return .run(rest, via(site, "aws-vault exec"), ["AWS_PROFILE": profile])
        case ("op", "run"), ("doppler", "run"), ("dotenvx", "run"), ("infisical", "run"), ("chamber", "exec"):
            guard let dd = args.firstIndex(where: { $0.text == "--" }) else { return nil }
            return .run(Array(args[(dd + 1)...]), via(site, program + " " + sub), [:])
        case ("pnpm", "dlx"), ("yarn", "dlx"), ("bun", "x"),
            ("uv", "tool") where sub != "tool" || args.dropFirst().first?.text == "run":
            let from = sub == "tool" ? 2 : 1
            let start = skipOptions(
                args,
                from: from,
                withValue: ["-p", "--package", "-c", "--from", "--with", "--python", "--index"]
            )
            return .run(
                Analyzer.packageCommand(Array(args[min(start, args.count)...])),
                via(site, program + " " + sub),
                [:]
            )
        case ("npm", "exec"), ("pnpm", "exec"), ("yarn", "exec"):
            guard let dd = args.firstIndex(where: { $0.text == "--" }) else { return nil }
            return .run(Array(args[(dd + 1)...]), via(site, program + " exec"), [:])
        case ("nix-shell", _):
            if let r = args.firstIndex(where: { $0.text == "--run" || $0.text == "--command" }), r + 1 < args.count {
                return .output(
                    runShellText(
                        [args[r + 1]],
                        program: "sh",
                        argv: argv,
                        site: via(site, "nix-shell"),
                        assignments: [:],
                        stdin: stdin,
                        origin: "nix-shell --run"
                    )
                )
            }
            return nil
        case ("nix", "develop"), ("nix", "shell"):
            if let c = args.firstIndex(where: { $0.text == "-c" || $0.text == "--command" }), c + 1 < args.count {
                return .run(Array(args[(c + 1)...]), via(site, "nix " + sub), [:])
            }
            return nil
        default:
            return nil
        }
    }

    /// Fields standing for what arrives on stdin when it becomes arguments.
    func argumentsFromStdin(_ stdin: Content?) -> [Field] {
        switch stdin {
        case .known(let text):
            let words = text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).map { Field(String($0)) }
            return words.count <= 64 ? words : [Field("{xargs}", dynamic: true)]
        case .paths(let patterns):
            return patterns.map { Field($0, glob: true) }
        default:
            return [Field("{xargs}", dynamic: true)]
        }
    }

    func unwrapXargs(
        _ args: [Field],
        argv: [Field],
        site: ExecSite,
        assignments: [String: Field],
        stdin: Content?
    ) -> Unwrapped? {
        var i = 0
        var replace: String?
        var argFile = false
        var s = via(site, "xargs")
        s.dynamicArguments = true
        let withValue: Set<String> = [
            "-n", "-P", "-L", "-l", "-d", "-E", "-e", "-s", "-a", "--max-args", "--max-procs", "--delimiter",
            "--arg-file", "--eof", "--max-chars", "--max-lines", "--process-slot-var",
        ]
        while i < args.count {
            let a = args[i].text
            if a == "--" {
                i += 1
                break
            }
            guard a.hasPrefix("-") && a.count > 1 else { break }
            if a == "-I" || a == "--replace" {
                replace = i + 1 < args.count ? args[i + 1].text : "{}"
                i += 2
                continue
            }
            if a.hasPrefix("-I") {
                replace = String(a.dropFirst(2))
                i += 1
                continue
            }
            if a.hasPrefix("--replace=") {
                replace = String(a.dropFirst(10))
                i += 1
                continue
            }
            if a == "-i" {
                replace = "{}"
                i += 1
                continue
            }
            if a == "-a" || a == "--arg-file" || a.hasPrefix("--arg-file=") || a.hasPrefix("-a") && a.count > 2 {
                argFile = true  // the arguments come from a file, whatever stdin holds
            }
            if withValue.contains(a) {
                i += 2
                continue
            }
            i += 1
        }
        var inner = Array(args[min(i, args.count)...])
        if inner.isEmpty { inner = [Field("echo")] }
        let supplied = argFile ? [Field("{xargs}", dynamic: true)] : argumentsFromStdin(stdin)
        if let r = replace {
            let rep = supplied.first ?? Field("{xargs}", dynamic: true)
            inner = inner.map { f in
                guard f.text.contains(r) else { return f }
                var g = f
                g.text = f.text.replacingAll(r, with: rep.text)
                g.dynamic = f.dynamic || rep.dynamic
                g.glob = f.glob || rep.glob
                return g
            }
            if let prog = inner.first, Analyzer.shells.contains(normalizeProgram(prog.text)) {
                // `xargs -I{} sh -c '… {} …'`: the substituted text becomes code.
                return .run(inner, s, [:])
            }
        } else {
            inner += supplied
        }
        return .run(inner, s, [:])
    }

    func unwrapParallel(
        _ args: [Field],
        argv: [Field],
        site: ExecSite,
        assignments: [String: Field],
        stdin: Content?
    ) -> Unwrapped? {
        var s = via(site, "parallel")
        s.dynamicArguments = true
        let start = skipOptions(
            args,
            withValue: [
                "-j", "--jobs", "-S", "--sshlogin", "--joblog", "--results", "--delay", "--timeout", "-N", "-n",
                "--max-args", "--colsep", "-d", "--delimiter", "-a", "--arg-file", "--tmpdir", "--workdir", "--wd",
                "--env", "--tag-string",
            ]
        )
        var rest = Array(args[min(start, args.count)...])
        var values: [Field] = []
        if let sep = rest.firstIndex(where: { $0.text == ":::" || $0.text == "::::" || $0.text == ":::+" }) {
            values = rest[(sep + 1)...].filter { $0.text != ":::" && $0.text != ":::+" }
            rest = Array(rest[..<sep])
        } else {
            values = argumentsFromStdin(stdin)
        }
        if rest.isEmpty {
            // Each input line is a command.
            let idx = record(argv, program: "parallel", site: site, assignments: assignments, stdin: stdin)
            if values.contains(where: \.dynamic) {
                return .output(runShellStdin(stdin, idx: idx, site: s, what: "parallel"))
            }
            for v in values { analyzeSource(v.text, site: s, stdin: nil, origin: "parallel") }
            return .output(.unknown("parallel", suspicious: false))
        }
        let rep = values.first ?? Field("{}", dynamic: true)
        var substituted = false
        var inner: [Field] = rest.map { f in
            guard f.text.includes("{") else { return f }
            var g = f
            for token in ["{}", "{.}", "{/}", "{//}", "{/.}", "{1}"] where g.text.contains(token) {
                g.text = g.text.replacingAll(token, with: rep.text)
                substituted = true
            }
            g.dynamic = g.dynamic || rep.dynamic
            return g
        }
        if !substituted { inner.append(rep) }
        // parallel runs its command through a shell.
        return .output(
            runShellText(
                inner.map { Field(quoteForShell($0.text), dynamic: $0.dynamic) },
                program: "parallel",
                argv: argv,
                site: s,
                assignments: [:],
                stdin: nil,
                origin: "parallel"
            )
        )
    }

    /// `find`: its roots, `-delete`, and the commands run by `-exec`, `-execdir`, `-ok`, `-okdir`.
    func runFind(
        _ args: [Field],
        argv: [Field],
        site: ExecSite,
        assignments: [String: Field],
        stdin: Content?
    ) -> Content {
        let idx = record(argv, program: "find", site: site, assignments: assignments, stdin: stdin)
        // `find … -fprintf FILE FORMAT`: FILE holds text made from every path found; running it later is running
        // code nobody wrote down.
        if site.remote == nil && !site.container {
            for (k, a) in args.enumerated() where ["-fprintf", "-fprint", "-fprint0", "-fls"].contains(a.text) {
                guard k + 1 < args.count, !args[k + 1].dynamic else { continue }
                let format = a.text == "-fprintf" && k + 2 < args.count ? args[k + 2].text : "paths"
                files[resolvePath(args[k + 1].text)] = FileInfo(
                    content: .unknown("find \(a.text) \(format)", suspicious: true)
                )
            }
        }
        var i = 0
        while i < args.count,
            ["-H", "-L", "-P", "-O0", "-O1", "-O2", "-O3"].contains(args[i].text) || args[i].text.hasPrefix("-D")
        { i += args[i].text == "-D" ? 2 : 1 }
        var roots: [Field] = []
        while i < args.count {
            let t = args[i].text
            if t.hasPrefix("-") || t == "(" || t == "!" || t == "\\(" { break }
            roots.append(args[i])
            i += 1
        }
        if roots.isEmpty { roots = [Field(".")] }
        let expr = Array(args[i...])
        let filters: Set<String> = [
            "-name", "-iname", "-path", "-ipath", "-wholename", "-iwholename", "-regex", "-iregex", "-newer", "-mtime",
            "-mmin", "-atime", "-amin", "-ctime", "-cmin", "-size", "-empty", "-user", "-group", "-perm", "-links",
            "-inum", "-samefile", "-lname", "-ilname", "-newermt", "-used", "-nouser", "-nogroup",
        ]
        let filtered = expr.contains { filters.contains($0.text) }
        let patterns: [String] = roots.map { r in
            let base = r.dynamic ? r.text : (r.text == "/" ? "" : resolvePathForSite(r.text, site: site))
            return filtered ? base + "/**/*" : base + "/*"
        }
        let targets: [Target] = zip(roots, patterns).map { root, pattern in
            var f = Field(pattern, dynamic: root.dynamic, glob: true)
            if site.remote != nil { f.text = root.text }
            var t = makeTarget(f, site: site)
            t.written = root.text
            return t
        }
        var j = 0
        while j < expr.count {
            let t = expr[j].text
            if t == "-delete" {
                addEffect(
                    "fs.delete",
                    attrs: [
                        "recursive": .bool(true), "force": .bool(true), "filtered": .bool(filtered),
                        "via": .string("find -delete"),
                    ],
                    targets: targets,
                    invocation: idx,
                    detail: "find deletes what it matches under \(roots.map(\.text).joined(separator: " "))"
                )
            }
            if t == "-exec" || t == "-execdir" || t == "-ok" || t == "-okdir" {
                var k = j + 1
                var inner: [Field] = []
                while k < expr.count && expr[k].text != ";" && expr[k].text != "+" && expr[k].text != "\\;" {
                    inner.append(expr[k])
                    k += 1
                }
                var s = via(site, "find " + t)
                s.dynamicArguments = true
                let rep = Field(patterns.first ?? "{}", dynamic: roots.contains(where: \.dynamic), glob: true)
                var replaced = false
                inner = inner.map { f in
                    guard f.text.includes("{}") else { return f }
                    replaced = true
                    var g = f
                    g.text = f.text.replacingAll("{}", with: rep.text)
                    g.glob = true
                    g.dynamic = f.dynamic || rep.dynamic
                    return g
                }
                if !replaced && !inner.isEmpty { _ = replaced }
                if !inner.isEmpty {
                    let before = result.effects.count
                    _ = execute(inner, assignments: [:], stdin: nil, site: s, inPipeline: false, background: false)
                    // find walks the whole tree: what the command deletes for each match, it deletes all the way down.
                    for e in before..<result.effects.count where result.effects[e].kind == "fs.delete" && replaced {
                        result.effects[e].attrs["recursive"] = .bool(true)
                        result.effects[e].attrs["filtered"] = .bool(filtered)
                    }
                }
                j = k + 1
                continue
            }
            j += 1
        }
        if expr.contains(where: { $0.text == "-fprint" || $0.text == "-fprintf" || $0.text == "-fls" }) {
            for (k, f) in expr.enumerated()
            where ["-fprint", "-fprintf", "-fls"].contains(f.text) && k + 1 < expr.count {
                addEffect(
                    "fs.write",
                    targets: [makeTarget(expr[k + 1], site: site)],
                    invocation: idx,
                    detail: "find writes \(expr[k + 1].text)"
                )
            }
        }
        return .paths(patterns)
    }

    func resolvePathForSite(_ text: String, site: ExecSite) -> String {
        if site.remote != nil || site.container { return text }
        if state.cwd == nil && !(text.hasPrefix("/") || text.hasPrefix("~")) { return "${PWD}/" + text }
        return resolvePath(text)
    }

    /// Ansible ad-hoc commands: `ansible HOSTS -m shell -a 'CMD'` runs CMD on every host the pattern selects
    /// (the `command` module is the default; `shell` and `raw` too), judged like `ssh HOST CMD`.
    func unwrapAnsible(
        _ args: [Field],
        argv: [Field],
        site: ExecSite,
        assignments: [String: Field],
        stdin: Content?
    ) -> Unwrapped? {
        let o = Options(
            args,
            withValue: [
                "-m", "--module-name", "-a", "--args", "-i", "--inventory", "-u", "--user", "-f", "--forks", "-e",
                "--extra-vars", "-l", "--limit", "-b", "--become-user", "-c", "--connection", "-T", "--timeout",
                "-M", "--module-path", "-B", "-P", "--become-method", "--private-key",
            ]
        )
        guard let pattern = o.operands.first, let command = o.value("-a", "--args") else { return nil }
        let module = o.value("-m", "--module-name")?.text ?? "command"
        guard
            ["shell", "command", "raw", "ansible.builtin.shell", "ansible.builtin.command", "ansible.builtin.raw"]
                .contains(module)
        else { return nil }
        _ = record(argv, program: "ansible", site: site, assignments: assignments, stdin: stdin)
        var s = via(site, "ansible")
        let inventory = o.value("-i", "--inventory")?.text ?? ""
        s.remote = pattern.text + (inventory.isEmpty ? "" : " in " + inventory)
        if looksProduction(pattern.text) || looksProduction(inventory) { s.production = s.remote }
        return .output(
            runRemoteText(
                [command],
                argv: [Field("ansible"), pattern, command],
                site: s,
                stdin: nil,
                origin: "ansible \(pattern.text)"
            )
        )
    }

    /// Shell text run by a remote side's shell (ssh, ansible), keeping only the real commands it runs.
    func runRemoteText(_ words: [Field], argv: [Field], site: ExecSite, stdin: Content?, origin: String) -> Content {
        let out = runShellText(
            words,
            program: "sh",
            argv: argv,
            site: site,
            assignments: [:],
            stdin: stdin,
            origin: origin
        )
        _ = result.invocations.popLast().map { inv -> Void in
            // runShellText recorded a synthetic `sh`; keep only the real commands.
            if inv.program != "sh" { result.invocations.append(inv) }
        }
        return out
    }

    func unwrapSSH(
        _ args: [Field],
        argv: [Field],
        site: ExecSite,
        assignments: [String: Field],
        stdin: Content?
    ) -> Unwrapped? {
        let start = skipOptions(
            args,
            withValue: [
                "-b", "-c", "-D", "-E", "-e", "-F", "-I", "-i", "-J", "-L", "-l", "-m", "-O", "-o", "-p", "-Q", "-R",
                "-S", "-W", "-w", "-B",
            ],
            stopAtDoubleDash: true
        )
        guard start < args.count else { return nil }
        let host = args[start]
        let idx = record(argv, program: "ssh", site: site, assignments: assignments, stdin: stdin)
        var s = via(site, "ssh")
        s.remote = host.text
        if looksProduction(host.text) { s.production = host.text }
        if stdin?.isSensitive == true {
            addEffect(
                "secret.exfiltrate",
                attrs: ["channel": .string("ssh")],
                invocation: idx,
                detail: "sends secrets to \(host.text) over ssh"
            )
        }
        var rest = Array(args[(start + 1)...])
        if rest.first?.text == "--" { rest.removeFirst() }
        if rest.isEmpty {
            if stdin != nil { runShellStdin(stdin, idx: idx, site: s, what: "remote shell") }
            return .output(.unknown("ssh", suspicious: false))
        }
        // The remote side joins the words with spaces and runs them with its shell.
        return .output(
            runRemoteText(rest, argv: [Field("ssh"), host] + rest, site: s, stdin: stdin, origin: "ssh \(host.text)")
        )
    }

    func unwrapKubectlExec(
        _ args: [Field],
        argv: [Field],
        program: String,
        site: ExecSite,
        assignments: [String: Field],
        stdin: Content?
    ) -> Unwrapped? {
        guard let sub = kubectlSubcommand(args), sub.name == "exec" || sub.name == "debug" else { return nil }
        guard let dd = args.firstIndex(where: { $0.text == "--" }) else { return nil }
        let idx = record(argv, program: program, site: site, assignments: assignments, stdin: stdin)
        let evidence = result.production.count
        recognize(idx)
        let target = args[(sub.index + 1)..<dd].first(where: { !$0.text.hasPrefix("-") })?.text ?? "pod"
        var s = via(site, "kubectl exec")
        s.remote = "pod/" + target
        if result.production.count > evidence { s.production = result.production[evidence].value }
        let inner = Array(args[(dd + 1)...])
        if inner.isEmpty { return .output(.known("")) }
        return .output(execute(inner, assignments: [:], stdin: stdin, site: s, inPipeline: false, background: false))
    }

    /// The kubectl subcommand after global flags.
    func kubectlSubcommand(_ args: [Field]) -> (name: String, index: Int)? {
        let withValue: Set<String> = [
            "-n", "--namespace", "--context", "--cluster", "--user", "--kubeconfig", "-s", "--server", "--token",
            "--as", "--as-group", "--request-timeout", "-v", "--v", "--certificate-authority", "--client-certificate",
            "--client-key", "--cache-dir", "--tls-server-name", "--username", "--password", "-l", "--selector", "-o",
            "--output", "-f", "--filename", "-c", "--container",
        ]
        var i = 0
        while i < args.count {
            let a = args[i].text
            if a.hasPrefix("-") {
                i += (withValue.contains(a) && !a.includes("=")) ? 2 : 1
                continue
            }
            return (a, i)
        }
        return nil
    }

    func unwrapDocker(
        _ args: [Field],
        argv: [Field],
        program: String,
        site: ExecSite,
        assignments: [String: Field],
        stdin: Content?
    ) -> Unwrapped? {
        // Global options, then the subcommand (`compose` adds a level).
        var i = skipOptions(
            args,
            withValue: [
                "-H", "--host", "--context", "-c", "--config", "-l", "--log-level", "--tlscacert", "--tlscert",
                "--tlskey",
            ]
        )
        var compose = program == "docker-compose"
        if !compose && i < args.count && args[i].text == "compose" {
            compose = true
            i = skipOptions(
                args,
                from: i + 1,
                withValue: [
                    "-f", "--file", "-p", "--project-name", "--profile", "--env-file", "--project-directory", "--ansi",
                    "--parallel", "--progress",
                ]
            )
        } else if compose {
            i = skipOptions(
                args,
                from: 0,
                withValue: [
                    "-f", "--file", "-p", "--project-name", "--profile", "--env-file", "--project-directory", "--ansi",
                    "--parallel", "--progress",
                ]
            )
        }
        guard i < args.count else { return nil }
        var sub = args[i].text
        var subIndex = i
        if !compose && sub == "container" && i + 1 < args.count {
            subIndex += 1
            sub = args[subIndex].text
        }
        let runValue: Set<String> = [
            "-e", "--env", "-u", "--user", "-w", "--workdir", "--env-file", "--detach-keys", "-v", "--volume",
            "--mount", "--name", "-p", "--publish", "--network", "--net", "--entrypoint", "-l", "--label", "-m",
            "--memory", "--cpus", "--platform", "--hostname", "-h", "--add-host", "--device", "--cap-add", "--cap-drop",
            "--security-opt", "--restart", "--pull", "--log-driver", "--log-opt", "--tmpfs", "--ulimit", "--shm-size",
            "--gpus", "--ipc", "--pid", "--userns", "--runtime", "--label-file", "--cidfile", "--volumes-from",
            "--link", "--dns", "--expose", "--health-cmd", "--stop-signal", "--stop-timeout", "--memory-swap",
            "--cpu-shares", "--cgroupns", "--uts", "--group-add", "--mac-address", "--ip", "--init-path", "--attach",
            "-a", "--sig-proxy", "--isolation", "--storage-opt", "--sysctl", "--blkio-weight", "--cpuset-cpus",
            "--oom-score-adj", "--annotation", "--pod", "--arch", "--os", "--variant",
        ]
        switch sub {
        case "exec":
            let idx = record(argv, program: "docker", site: site, assignments: assignments, stdin: stdin)
            recognize(idx)
            let start = skipOptions(args, from: subIndex + 1, withValue: runValue)
            guard start < args.count else { return .output(.known("")) }
            var s = via(site, "docker exec")
            s.remote = "container/" + args[start].text
            let inner = Array(args[(start + 1)...])
            if inner.isEmpty { return .output(.known("")) }
            return .output(
                execute(inner, assignments: [:], stdin: stdin, site: s, inPipeline: false, background: false)
            )
        case "run":
            let idx = record(argv, program: "docker", site: site, assignments: assignments, stdin: stdin)
            var s = via(site, compose ? "docker compose run" : "docker run")
            s.container = true
            // Mounts: host paths the container can reach.
            var k = subIndex + 1
            while k < args.count {
                let a = args[k].text
                if !a.hasPrefix("-") { break }
                var value: Field?
                if a == "-v" || a == "--volume" || a == "--mount", k + 1 < args.count {
                    value = args[k + 1]
                } else if a.hasPrefix("--volume=") || a.hasPrefix("--mount=") {
                    value = Field(String(a.split(separator: "=", maxSplits: 1)[1]), dynamic: args[k].dynamic)
                } else if a.hasPrefix("-v") && a.count > 2 {
                    value = Field(String(a.dropFirst(2)), dynamic: args[k].dynamic)
                }
                if let v = value {
                    var host: String?
                    var inside: String?
                    if a.includes("mount") {
                        for kv in v.text.split(separator: ",") {
                            let p = kv.split(separator: "=", maxSplits: 1).map(String.init)
                            guard p.count == 2 else { continue }
                            if ["source", "src"].contains(p[0]) { host = p[1] }
                            if ["target", "destination", "dst"].contains(p[0]) { inside = p[1] }
                        }
                    } else {
                        let p = v.text.split(separator: ":").map(String.init)
                        if p.count >= 2 {
                            host = p[0]
                            inside = p[1]
                        }
                    }
                    if let h = host, let ins = inside,
                        h.hasPrefix("/") || h.hasPrefix("~") || h.hasPrefix(".") || h.hasPrefix("$")
                    {
                        let hostPath = v.dynamic ? "/\u{0}unknown" : resolvePath(h)
                        s.mounts[ins] = hostPath
                        let cls =
                            v.dynamic
                            ? TargetClass.unknown : Paths.classify(hostPath, context: context, settings: settings)
                        if hostPath == "/var/run/docker.sock" || hostPath == "/run/docker.sock"
                            || [.root, .home, .system, .sensitive, .brake, .device].contains(cls)
                        {
                            addEffect(
                                "container.host-mount",
                                targets: [Target(path: hostPath, cls: cls, written: h)],
                                invocation: idx,
                                detail: "mounts \(h) from the host into a container"
                            )
                        }
                    }
                }
                if a == "--privileged" || a == "--privileged=true" {
                    addEffect("container.privileged", invocation: idx, detail: "runs a privileged container")
                }
                if a == "--pid=host" || a == "--net=host" && false || a == "--userns=host" {
                    addEffect(
                        "container.privileged",
                        attrs: ["flag": .string(a)],
                        invocation: idx,
                        detail: "shares the host's \(a)"
                    )
                }
                if runValue.contains(a) && !a.includes("=") { k += 2 } else { k += 1 }
            }
            guard k < args.count else { return .output(.known("")) }
            let inner = compose ? Array(args[(k + 1)...]) : Array(args[(k + 1)...])
            if inner.isEmpty { return .output(.unknown("container", suspicious: false)) }
            return .output(
                execute(inner, assignments: [:], stdin: stdin, site: s, inPipeline: false, background: false)
            )
        default:
            return nil
        }
    }
}
