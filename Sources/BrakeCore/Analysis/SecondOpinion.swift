/// The lexical second opinion. The analysis models how bash and the tools run what they are given; where a tool
/// runs text in a way it does not model (a configured command, an interpreter idiom it has not seen), it finds
/// nothing dangerous rather than "I do not know". This scan looks at the text every such invocation is handed —
/// its arguments and what arrives on its standard input — for the catastrophic shapes: a recursive forced removal
/// of `/`, a home or a system root; `mkfs`, `wipefs`, `dd of=/dev/…`; a fork bomb; an infrastructure destroy. A
/// hit is an effect (`text.catastrophic-shape`) that the built-in policy asks about, so a gap in the model fails
/// safe. Text that is only data (what `echo` prints, a commit message, a pattern `grep` looks for) and shell code
/// the analysis already read are not scanned.
enum SecondOpinion {
    static let kind = "text.catastrophic-shape"
    /// Programs whose arguments are data: nothing they are given is run.
    static let dataPrograms: Set<String> = [
        "echo", "printf", "cat", "grep", "egrep", "fgrep", "rg", "ag", "ack", "head", "tail", "wc", "sort", "uniq",
        "cut", "tr", "diff", "comm", "jq", "yq", "tee", "touch", "mkdir", "ls", "test", "[", "[[", "true", "false",
        "base64", "printenv", "basename", "dirname", "realpath", "readlink", "stat", "file", "column", "fold", "fmt",
        "nl", "rev", "expand", "unexpand", "md5sum", "sha256sum", "sha1sum", "cksum", "brake", "gh", "glab",
    ]
    /// git subcommands that run something they are given (`bisect run`, `submodule foreach`, `rebase --exec`, an
    /// external diff or merge tool) or configure what runs; the others treat their arguments as data.
    static let gitRunning: Set<String> = [
        "bisect", "submodule", "filter-branch", "rebase", "difftool", "mergetool", "config",
    ]
    static let interpreters: Set<String> = [
        "python", "node", "ruby", "perl", "php", "lua", "deno", "bun", "Rscript", "osascript", "swift", "tclsh",
        "awk", "gawk", "mawk", "nawk", "julia", "elixir", "erl", "raku", "pwsh", "powershell",
    ]
    /// Words that make interpreter code run or delete something (a shape in a plain string is data otherwise).
    static let executors = [
        "system", "exec", "popen", "spawn", "subprocess", "child_process", "shell", "run", "call", "`", "%x", "qx",
        "eval", "remove", "unlink", "rmtree", "rm_rf", "rimraf", "rmSync", "remove_dir_all", "Process", "Command",
    ]

    /// Appends an effect for each invocation handed a catastrophic shape the analysis did not account for.
    static func scan(_ analysis: inout Analysis, readSources: Set<String>, home: String) {
        var found: [Effect] = []
        for (index, inv) in analysis.invocations.enumerated() {
            let program = inv.program.isEmpty ? (inv.argv.first?.text ?? "") : inv.program
            if dataPrograms.contains(program) { continue }
            var texts: [String] = []
            let args = inv.args.map(\.text)
            if program == "git" {
                // `git -c key=value …` configures what runs; a running subcommand runs its arguments.
                var i = 0
                while i < args.count, args[i].hasPrefix("-") {
                    if args[i] == "-c" || args[i] == "--config-env", i + 1 < args.count { texts.append(args[i + 1]) }
                    if args[i].hasPrefix("-c") && args[i].count > 2 { texts.append(String(args[i].dropFirst(2))) }
                    i += args[i] == "-c" || args[i] == "-C" || args[i] == "--config-env" ? 2 : 1
                }
                if i < args.count, gitRunning.contains(args[i]) {
                    texts += args[(i + 1)...]
                    texts.append(args[(i + 1)...].joined(separator: " "))
                }
            } else {
                // Each argument, and all of them as one line (`systemd-run rm -rf ~` hands over a command in words).
                texts = args + (args.count > 1 ? [args.joined(separator: " ")] : [])
            }
            if case .known(let input)? = inv.stdin { texts.append(input) }
            let interpreter = interpreters.contains(program) || program.hasPrefix("python")
            for raw in texts where raw.count >= 4 {
                var text = raw
                // Shell code the analysis read (`bash -c '…'`, ssh's remote command) was judged already.
                for source in readSources where source.count >= 4 && text.includes(source) {
                    text = text.replacingAll(source, with: " ")
                }
                guard let shape = shape(in: text, home: home) else { continue }
                if interpreter && !executors.contains(where: { text.includes($0) }) { continue }
                found.append(
                    Effect(
                        kind,
                        attrs: ["shape": .string(shape), "program": .string(program)],
                        invocation: index,
                        detail: "\(program) is handed text that \(shape), in a way Brake does not model"
                    )
                )
                break
            }
        }
        analysis.effects += found
    }

    static let recursiveRemovers: Set<String> = [
        "rmtree", "rm_rf", "rm_r", "remove_dir_all", "rimraf", "rmSync", "remove_tree", "removedirs",
    ]
    static let infraTools: Set<String> = ["terraform", "tofu", "terragrunt", "pulumi", "cdk", "cdktf"]
    static let cheapMarkers = ["rm", "mkfs", "wipefs", "of=/dev/", "destroy", ":(", "rimraf", "remove_dir_all"]

    /// What catastrophic thing the text would do, or nil.
    static func shape(in text: String, home: String) -> String? {
        guard cheapMarkers.contains(where: { text.includes($0) }) else { return nil }
        let compact = text.filter { $0 != " " && $0 != "\t" }
        if compact.includes(":(){:|:&};:") || compact.includes(":(){:|:&};") { return "is a fork bomb" }
        let tokens = tokenize(text)
        // `from shutil import rmtree as r`: r removes recursively too.
        var removers = recursiveRemovers
        for i in tokens.indices.dropLast(2) where removers.contains(tokens[i]) && tokens[i + 1] == "as" {
            removers.insert(tokens[i + 2])
        }
        var i = 0
        while i < tokens.count {
            let t = tokens[i]
            // `/usr/bin/rm` is rm; `shutil.rmtree` is rmtree.
            let file = t.split(separator: "/").last.map(String.init) ?? t
            let base = t.hasPrefix("mkfs") ? t : (file.split(separator: ".").last.map(String.init) ?? file)
            let rest = tokens[(i + 1)...].prefix { $0 != ";" }.prefix(12)
            // (Separate tests: a `where` in a multi-pattern case guards only the last pattern.)
            if base == "rm" && rest.contains(where: isRecursiveFlag) && rest.contains(where: { isRoot($0, home: home) })
            {
                return "recursively removes a root, home or system directory"
            }
            if removers.contains(base) && rest.prefix(4).contains(where: { isRoot($0, home: home) }) {
                return "recursively removes a root, home or system directory"
            }
            if base.hasPrefix("mkfs") || base == "wipefs" { return "makes or wipes a file system" }
            if base == "dd" && rest.contains(where: { $0.hasPrefix("of=/dev/") && !$0.hasPrefix("of=/dev/null") }) {
                return "writes over a device"
            }
            if infraTools.contains(base) && (rest.prefix(6).contains("destroy") || rest.prefix(6).contains("-destroy"))
            {
                return "destroys infrastructure"
            }
            i += 1
        }
        return nil
    }

    /// Words of shell or program text: split at blanks, quotes, brackets and separators, with `;` kept for the
    /// end of a command.
    static func tokenize(_ text: String) -> [String] {
        var out: [String] = []
        var word = ""
        func flush() {
            if !word.isEmpty { out.append(word) }
            word = ""
        }
        for c in text {
            switch c {
            case " ", "\t", "\"", "'", "`", "(", ")", "[", "]", "{", "}", ",", "+", "=", "!":
                flush()
            case ";", "\n", "|", "&":
                flush()
                if out.last != ";" { out.append(";") }
            default:
                word.append(c)
            }
        }
        flush()
        return out
    }

    static func isRecursiveFlag(_ t: String) -> Bool {
        if t == "--recursive" || t == "-r" || t == "-R" { return true }
        guard t.hasPrefix("-"), !t.hasPrefix("--"), t.count <= 6 else { return false }
        return t.contains("r") || t.contains("R")
    }

    static let systemRoots: Set<String> = [
        "/", "/etc", "/usr", "/var", "/boot", "/home", "/opt", "/bin", "/sbin", "/lib", "/lib64", "/srv", "/root",
        "/var/lib", "/usr/local", "/Users", "/System", "/Library",
    ]

    static func isRoot(_ t: String, home: String) -> Bool {
        var p = t
        for suffix in ["/*", "/.", "/"] where p.count > suffix.count && p.hasSuffix(suffix) {
            p.removeLast(suffix.count)
        }
        if p == "/*" || p == "/" { return true }
        if ["~", "$HOME", "${HOME}", "HOME", "homedir", "Path.home", "expanduser", "home_dir", "Dir.home"].contains(p) {
            return true
        }
        if p.hasPrefix("~") && !p.contains("/") { return true }  // ~user
        let h = home.hasSuffix("/") ? String(home.dropLast()) : home
        return systemRoots.contains(p) || p == h
    }
}
