/// Commands that tools run because an option, a setting or an argument names them: `git -c core.sshCommand=…`,
/// `git submodule foreach …`, `ssh -o ProxyCommand=…`, `tar --checkpoint-action=exec=…`, `rsync -e …`,
/// `zip -TT …`, `vim -c '!…'`, `sqlite3 … '.shell …'`, `psql -c '\! …'`. The tool itself runs too (it was recorded);
/// what it will run is analysed as the shell code (or argv) it is.
extension Analyzer {
    /// Shell text or an argv a program will run, with where it came from.
    enum Carried {
        case shell(Field, String)
        case argv([Field], String)
    }

    /// git settings whose value is a command git runs (`credential.helper` and aliases only when they start with
    /// `!`).
    static let gitCommandKeys: Set<String> = [
        "core.sshcommand", "core.fsmonitor", "core.editor", "core.pager", "sequence.editor", "diff.external",
        "gpg.program", "core.askpass", "gpg.ssh.program", "uploadpack.packobjectshook", "core.hookspath",
    ]

    func carried(program: String, args: [Field]) -> [Carried] {
        var out: [Carried] = []
        func value(_ f: Field, from prefix: String) -> Field {
            var v = f
            v.text = String(f.text.dropFirst(prefix.count))
            return v
        }
        switch program {
        case "git":
            func setting(_ kv: Field, origin: String) {
                guard let eq = kv.text.firstIndex(of: "=") else { return }
                let key = kv.text[..<eq].lowercased()
                var v = value(kv, from: String(kv.text[...eq]))
                if key == "core.sshcommand" {
                    // A transport: git adds the host and the remote command.
                    v.text += " remote-host"
                    out.append(.shell(v, origin))
                } else if Self.gitCommandKeys.contains(key) && key != "core.hookspath" {
                    out.append(.shell(v, origin))
                } else if key.hasPrefix("alias.") || key == "credential.helper" || key.hasPrefix("pager."),
                    v.text.hasPrefix("!")
                {
                    v.text.removeFirst()
                    out.append(.shell(v, origin))
                }
            }
            var i = 0
            while i < args.count, args[i].text.hasPrefix("-") {
                if args[i].text == "-c", i + 1 < args.count { setting(args[i + 1], origin: "git -c") }
                i +=
                    ["-c", "-C", "--git-dir", "--work-tree", "--namespace", "--config-env"].contains(args[i].text)
                    ? 2 : 1
            }
            guard i < args.count else { break }
            let sub = args[i].text
            let rest = Array(args[(i + 1)...])
            switch sub {
            case "config":
                // `git config KEY VALUE` (and `--global`, `set`): the value runs on a later git call.
                let words = rest.filter { !$0.text.hasPrefix("-") && $0.text != "set" }
                if words.count >= 2 {
                    var kv = words[0]
                    kv.text += "=" + words[1].text
                    kv.dynamic = kv.dynamic || words[1].dynamic
                    setting(kv, origin: "git config")
                }
            case "bisect" where rest.first?.text == "run" && rest.count > 1:
                out.append(.argv(Array(rest.dropFirst()), "git bisect run"))
            case "submodule":
                if let f = rest.firstIndex(where: { $0.text == "foreach" }), f + 1 < rest.count {
                    let cmd = rest[(f + 1)...].filter {
                        $0.text != "--recursive" && $0.text != "-q" && $0.text != "--quiet"
                    }
                    if !cmd.isEmpty { out.append(.shell(Self.joined(Array(cmd)), "git submodule foreach")) }
                }
            case "rebase":
                out += Self.optionValues(rest, names: ["-x", "--exec"]).map { .shell($0, "git rebase --exec") }
            case "filter-branch":
                let filters = [
                    "--tree-filter", "--index-filter", "--msg-filter", "--commit-filter", "--env-filter",
                    "--parent-filter", "--tag-name-filter",
                ]
                out += Self.optionValues(rest, names: filters).map { .shell($0, "git filter-branch") }
            case "difftool", "mergetool":
                out += Self.optionValues(rest, names: ["-x", "--extcmd"]).map { .shell($0, "git \(sub) --extcmd") }
            default: break
            }
        case "ssh", "scp", "sftp":
            var i = 0
            while i < args.count {
                let a = args[i].text
                var opt: Field?
                if a == "-o", i + 1 < args.count {
                    opt = args[i + 1]
                    i += 1
                } else if a.hasPrefix("-o") && a.count > 2 {
                    opt = value(args[i], from: "-o")
                }
                if let o = opt {
                    for key in ["proxycommand", "localcommand", "knownhostscommand"] {
                        let lower = o.text.lowercased()
                        guard lower.hasPrefix(key) else { continue }
                        var rest = o.text.dropFirst(key.count)
                        rest = rest.drop { $0 == " " || $0 == "=" || $0 == "\t" }
                        var v = o
                        v.text = String(rest)
                        if !v.text.isEmpty && v.text.lowercased() != "none" { out.append(.shell(v, "ssh -o \(key)")) }
                    }
                }
                i += 1
            }
        case "tar", "gtar", "bsdtar":
            for (i, a) in args.enumerated() {
                let t = a.text
                if t.hasPrefix("--checkpoint-action=exec=") {
                    out.append(.shell(value(a, from: "--checkpoint-action=exec="), "tar --checkpoint-action"))
                }
                for p in ["--to-command=", "--use-compress-program=", "--info-script=", "--new-volume-script="]
                where t.hasPrefix(p) {
                    out.append(.shell(value(a, from: p), "tar \(p.dropLast())"))
                }
                if t == "-I" || t == "-F" || t == "--to-command" || t == "--use-compress-program", i + 1 < args.count {
                    out.append(.shell(args[i + 1], "tar \(t)"))
                }
            }
        case "rsync":
            // A transport: rsync adds the host and its own remote command.
            out += Self.optionValues(args, names: ["-e", "--rsh"]).map { f in
                var v = f
                v.text += " remote-host"
                return .shell(v, "rsync -e")
            }
        case "zip":
            out += Self.optionValues(args, names: ["-TT", "--unzip-command"]).map { .shell($0, "zip -TT") }
        case "vim", "vi", "nvim", "ex", "view", "gvim", "rvim", "vimdiff":
            var cmds = Self.optionValues(args, names: ["-c", "--cmd"])
            cmds += args.filter { $0.text.hasPrefix("+") && $0.text.count > 1 }.map { value($0, from: "+") }
            for c in cmds {
                var v = c
                let t = c.text.drop { $0 == ":" || $0 == " " }
                let body = t.hasPrefix("silent") ? t.dropFirst(6).drop { $0 == " " } : t
                guard body.hasPrefix("!") else { continue }
                v.text = String(body.dropFirst())
                out.append(.shell(v, "\(program) -c !"))
            }
        case "sqlite3", "duckdb":
            for a in args {
                for p in [".shell ", ".system "] {
                    for line in a.text.split(separator: "\n") where line.hasPrefix(p) {
                        var v = a
                        v.text = String(line.dropFirst(p.count))
                        out.append(.shell(v, "\(program) \(p.dropLast())"))
                    }
                }
            }
        case "psql", "mysql", "mariadb":
            for a in Self.optionValues(args, names: ["-c", "--command", "-e", "--execute"]) {
                for marker in ["\\!", "system "] {
                    guard let r = a.text.firstRange(of: marker), marker == "\\!" || a.text.hasPrefix("system ") else {
                        continue
                    }
                    var v = a
                    v.text = String(a.text[r.upperBound...])
                    out.append(.shell(v, "\(program) \(marker.trimmingSpaces)"))
                }
            }
        case "man":
            out += Self.optionValues(args, names: ["-P", "--pager"]).map { .shell($0, "man --pager") }
        case "less", "more":
            // `less +!cmd` / `-+!`: a command run when less starts.
            for a in args where a.text.hasPrefix("+!") {
                var v = a
                v.text = String(a.text.dropFirst(2))
                out.append(.shell(v, "less +!"))
            }
        case "coproc":
            // `coproc CMD …` runs CMD in the background (a NAME before a compound command is not handled).
            if !args.isEmpty { out.append(.argv(args, "coproc")) }
        case "sed", "gsed":
            // GNU sed's `e COMMAND` runs COMMAND; `s/…/…/e` runs the pattern space (unknown here).
            var scripts = Self.optionValues(args, names: ["-e", "--expression"])
            if scripts.isEmpty, let first = args.first(where: { !$0.text.hasPrefix("-") }) { scripts = [first] }
            for script in scripts {
                for raw in script.text.split(whereSeparator: { $0 == "\n" || $0 == ";" }) {
                    // An address (`1`, `$`, `/re/`, `1,5`) then the command letter.
                    let cmd = raw.drop { $0.isNumber || $0 == "$" || $0 == "," || $0 == " " || $0 == "!" }
                    if cmd.hasPrefix("e ") || cmd.hasPrefix("e\t") {
                        var v = script
                        v.text = String(cmd.dropFirst(2))
                        out.append(.shell(v, "sed e"))
                    } else if cmd.hasPrefix("s"), let d = cmd.dropFirst().first,
                        cmd.split(separator: d, omittingEmptySubsequences: false).last?.contains("e") == true,
                        cmd.split(separator: d, omittingEmptySubsequences: false).count == 4
                    {
                        var v = script
                        v.text = "${SED_PATTERN_SPACE}"
                        v.dynamic = true
                        out.append(.shell(v, "sed s///e"))
                    }
                }
            }
        case "tmux":
            // The shell command of a new session, window or pane, or the keys typed into one.
            let sub = args.first { !$0.text.hasPrefix("-") }?.text ?? ""
            guard let at = args.firstIndex(where: { $0.text == sub }) else { break }
            let rest = Array(args[(at + 1)...])
            let valued: Set<String> = ["-s", "-n", "-t", "-c", "-e", "-x", "-y", "-F", "-f", "-l", "-w", "-h", "-T"]
            var i = 0
            while i < rest.count, rest[i].text.hasPrefix("-") { i += valued.contains(rest[i].text) ? 2 : 1 }
            let tail = Array(rest[min(i, rest.count)...])
            if [
                "new", "new-session", "new-window", "neww", "split-window", "splitw", "respawn-pane", "respawnp",
                "respawn-window", "respawnw", "run-shell", "run",
            ].contains(sub), !tail.isEmpty {
                out.append(.shell(Self.joined(tail), "tmux \(sub)"))
            } else if sub == "send-keys" || sub == "send" {
                let keys = tail.filter { !["Enter", "C-m", "KPEnter", "C-j"].contains($0.text) }
                if !keys.isEmpty { out.append(.shell(Self.joined(keys), "tmux send-keys")) }
            }
        case "screen" where args.contains(where: { $0.text.hasPrefix("-") && $0.text.contains("m") }):
            var i = 0
            while i < args.count, args[i].text.hasPrefix("-") {
                i += ["-S", "-t", "-c", "-L", "-Logfile", "-p", "-X"].contains(args[i].text) ? 2 : 1
            }
            if i < args.count { out.append(.argv(Array(args[i...]), "screen")) }
        case "systemd-run", "unshare", "nsenter", "chroot", "setpriv", "firejail", "bwrap", "runcon":
            let valued: Set<String> = [
                "-u", "--unit", "-p", "--property", "-E", "--setenv", "--uid", "--gid", "--working-directory",
                "--description", "-M", "--machine", "--slice", "--on-calendar", "--on-active", "--timer-property",
                "-H", "--host", "--nice", "-t", "--target", "--userspec", "--groups", "--reuid", "--regid",
                "--bind", "--ro-bind", "--chdir", "--setenv", "--unsetenv", "--uid", "--gid",
            ]
            var i = 0
            while i < args.count, args[i].text.hasPrefix("-") {
                if args[i].text == "--" {
                    i += 1
                    break
                }
                i += valued.contains(args[i].text) ? 2 : 1
            }
            if program == "chroot" { i += 1 }  // the new root
            if program == "bwrap" || program == "firejail" { break }
            if i < args.count { out.append(.argv(Array(args[i...]), program)) }
        default: break
        }
        return out
    }

    /// Runs what `program` carries, after the program itself was recorded as invocation `idx`.
    func runCarried(program: String, args: [Field], idx: Int, site: ExecSite, stdin: Content?) {
        var all = carried(program: program, args: args)
        if program == "git" { all += gitEnvironmentCarried(idx) }
        // `at` and `batch` run the shell code they read, later.
        if program == "at" || program == "batch", case .known(let text)? = stdin, !text.isEmpty {
            all.append(.shell(Field(text), program))
        }
        for c in all {
            switch c {
            case .shell(let f, let origin):
                if f.dynamic {
                    reportDynamic(origin, invocation: idx, detail: "\(origin) runs a command only known at run time")
                } else {
                    analyzeSource(f.text, site: via(site, program), stdin: nil, origin: origin)
                }
            case .argv(let argv, _):
                _ = execute(
                    argv,
                    assignments: [:],
                    stdin: nil,
                    site: via(site, program),
                    inPipeline: false,
                    background: false
                )
            }
        }
    }

    /// Commands git runs from its environment: `GIT_SSH_COMMAND`, `GIT_PAGER`, `GIT_EDITOR` and
    /// `GIT_SEQUENCE_EDITOR` (shell text), `GIT_SSH`, `GIT_EXTERNAL_DIFF`, `GIT_ASKPASS`, `GIT_PROXY_COMMAND`
    /// (programs), and `GIT_CONFIG_COUNT`/`GIT_CONFIG_KEY_n`/`GIT_CONFIG_VALUE_n` (settings like `-c`). Set on the
    /// command, earlier on the line, or inherited.
    func gitEnvironmentCarried(_ idx: Int) -> [Carried] {
        guard idx >= 0, idx < result.invocations.count else { return [] }
        let inv = result.invocations[idx]
        func value(_ name: String) -> Field? {
            if let f = inv.assignments[name] { return f }
            if let v = state.vars[name]?.first { return v }
            if name.hasPrefix("GIT_"), let v = context.env[name] { return Field(v) }
            return nil
        }
        var out: [Carried] = []
        for name in ["GIT_SSH_COMMAND", "GIT_PAGER", "GIT_EDITOR", "GIT_SEQUENCE_EDITOR", "PAGER", "EDITOR", "VISUAL"] {
            if let f = value(name), !f.text.isEmpty { out.append(.shell(f, name)) }
        }
        for name in ["GIT_SSH", "GIT_EXTERNAL_DIFF", "GIT_ASKPASS", "GIT_PROXY_COMMAND"] {
            if let f = value(name), !f.text.isEmpty { out.append(.argv([f], name)) }
        }
        if let count = value("GIT_CONFIG_COUNT").flatMap({ Int($0.text) }), count > 0 {
            var settings: [Field] = []
            for n in 0..<min(count, 32) {
                guard let k = value("GIT_CONFIG_KEY_\(n)"), let v = value("GIT_CONFIG_VALUE_\(n)") else { continue }
                settings += [Field("-c"), Field(k.text + "=" + v.text, dynamic: k.dynamic || v.dynamic)]
            }
            out += carried(program: "git", args: settings + [Field("status")])
        }
        return out
    }

    /// Values of options given as `-x VALUE`, `-xVALUE` (short) or `--name=VALUE` / `--name VALUE` (long).
    static func optionValues(_ args: [Field], names: [String]) -> [Field] {
        var out: [Field] = []
        var i = 0
        while i < args.count {
            let a = args[i]
            for n in names {
                if a.text == n, i + 1 < args.count {
                    out.append(args[i + 1])
                } else if n.hasPrefix("--"), a.text.hasPrefix(n + "=") {
                    var v = a
                    v.text = String(a.text.dropFirst(n.count + 1))
                    out.append(v)
                } else if !n.hasPrefix("--"), n.count == 2, a.text.hasPrefix(n), a.text.count > 2,
                    !a.text.hasPrefix("--")
                {
                    var v = a
                    v.text = String(a.text.dropFirst(2))
                    out.append(v)
                }
            }
            i += 1
        }
        return out
    }

    static func joined(_ fields: [Field]) -> Field {
        var f = Field(fields.map(\.text).joined(separator: " "))
        f.dynamic = fields.contains(where: \.dynamic)
        return f
    }
}
