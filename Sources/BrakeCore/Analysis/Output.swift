/// What a command prints, evaluated statically where that is possible (echo, printf, base64 -d …).
extension Analyzer {
    func output(of idx: Int) -> Content {
        let inv = result.invocations[idx]
        let args = inv.args
        let stdin = inv.stdin
        if args.contains(where: \.dynamic) && !["cat", "curl", "wget", "find", "ls"].contains(inv.program) {
            return .unknown(inv.program, suspicious: false)
        }
        if Analyzer.isShellSetup(program: inv.program, args: args.map(\.text)) {
            // `eval "$(pyenv init -)"` and friends: shell integration that defines variables and functions.
            return .known("")
        }
        switch inv.program {
        case "echo":
            var words = args.map(\.text)
            var newline = true
            var escapes = false
            while let f = words.first, f.hasPrefix("-"), f.count > 1, f.dropFirst().allSatisfy({ "neE".contains($0) }) {
                if f.includes("n") { newline = false }
                if f.includes("e") { escapes = true }
                words.removeFirst()
            }
            var s = words.joined(separator: " ")
            if escapes { s = Analyzer.decodeEscapes(s) }
            return .known(s + (newline ? "\n" : ""))
        case "printf":
            var a = args.map(\.text)
            if a.first == "-v", a.count >= 2 {
                let name = a[1]
                a.removeFirst(2)
                if let out = Analyzer.printf(a) {
                    state.vars[name] = [Field(out)]
                } else {
                    state.vars[name] = [Field("${\(name)}", dynamic: true)]
                }
                return .known("")
            }
            if let out = Analyzer.printf(a) { return .known(out) }
            return .unknown("printf", suspicious: false)
        case "cat", "tac":
            let ops = Options(args).operands
            if ops.isEmpty || ops.allSatisfy({ $0.text == "-" }) {
                return stdin ?? .unknown("stdin", suspicious: false)
            }
            var parts: [Content] = []
            for f in ops { parts.append(f.text == "-" ? (stdin ?? .unknown("stdin", suspicious: false)) : readFile(f)) }
            let c = Analyzer.concat(parts)
            if case .unknown = c, ops.count == 1 { return readFile(ops[0]) }
            return c
        case "base64", "gbase64", "openssl":
            let decode = args.contains { ["-d", "--decode", "-D", "-di", "-id"].contains($0.text) }
            if inv.program == "openssl" && !(args.first?.text == "base64" || args.first?.text == "enc") {
                return .unknown("openssl", suspicious: false)
            }
            var input = stdin
            if let file = Options(args, withValue: ["-i", "--input", "-in", "-w", "--wrap"]).operands.first(where: {
                $0.text != "base64" && $0.text != "enc"
            }) {
                input = readFile(file)
            }
            if let f = Options(args, withValue: ["-in"]).value("-in", "-i", "--input") { input = readFile(f) }
            if decode {
                if case .known(let s)? = input, let decoded = Analyzer.base64Decode(s) {
                    decodedTexts.insert(decoded)
                    decodedTexts.insert(decoded.trimmingSpaces)
                    return .known(decoded)
                }
                return .unknown("decoded", suspicious: true)
            }
            if input?.isSensitive == true { return input! }
            return .unknown("base64", suspicious: false)
        case "xxd":
            if args.contains(where: { $0.text == "-r" }) {
                if case .known(let s)? = stdin, let decoded = Analyzer.hexDecode(s) {
                    decodedTexts.insert(decoded)
                    decodedTexts.insert(decoded.trimmingSpaces)
                    return .known(decoded)
                }
                return .unknown("decoded", suspicious: true)
            }
            return stdin?.isSensitive == true ? stdin! : .unknown("xxd", suspicious: false)
        case "rev":
            if case .known(let s)? = stdin {
                let out = s.split(separator: "\n", omittingEmptySubsequences: false).map { String($0.reversed()) }
                    .joined(separator: "\n")
                decodedTexts.insert(out)
                decodedTexts.insert(out.trimmingSpaces)
                return .known(out)
            }
            return .unknown("rev", suspicious: true)
        case "tr", "sed", "awk", "perl", "gzip", "gunzip", "zcat", "bzip2", "xz", "unxz", "gpg", "age", "uudecode",
            "iconv":
            if stdin?.isSensitive == true { return stdin! }
            if inv.program == "gpg" && args.contains(where: { $0.text.hasPrefix("--export-secret") }) {
                return .secret("gpg private keys")
            }
            if case .known? = stdin,
                ["tr", "sed", "gunzip", "zcat", "gpg", "age", "uudecode", "xz", "unxz"].contains(inv.program)
            {
                return .unknown("transformed", suspicious: true)
            }
            return .unknown(inv.program, suspicious: false)
        case "head", "tail", "sort", "uniq", "grep", "rg", "cut", "nl", "fold", "column", "strings", "od", "hexdump",
            "jq", "yq", "less", "more", "bat":
            if stdin?.isSensitive == true { return stdin! }
            // Reading credentials was recognized already; what it prints is the secret.
            if let read = result.effects.last(where: { $0.invocation == idx && $0.kind == "secret.read" }) {
                return .secret(read.targets.first?.path ?? "credentials")
            }
            return .unknown(inv.program, suspicious: false)
        case "pwd":
            return state.cwd.map { .known($0 + "\n") } ?? .unknown("pwd", suspicious: false)
        case "dirname":
            let ops = Options(args).operands.map(\.text)
            guard !ops.isEmpty else { return .unknown("dirname", suspicious: false) }
            return .known(
                ops.map { Paths.dirname($0.count > 1 && $0.hasSuffix("/") ? String($0.dropLast()) : $0) }
                    .joined(separator: "\n") + "\n"
            )
        case "mktemp":
            return .known(Analyzer.tempMarker + "/tmp/tmp.brake\(result.invocations.count)\n")
        case "which", "type", "whereis":
            return .known(Options(args).operands.map { "/usr/bin/" + $0.text }.joined(separator: "\n") + "\n")
        case "whoami", "id", "logname":
            return .known((context.user ?? "user") + "\n")
        case "env", "printenv", "export", "set", "declare":
            return args.isEmpty ? .environment : .unknown(inv.program, suspicious: false)
        case "curl", "curlie":
            let o = Options(
                args,
                withValue: [
                    "-X", "--request", "-d", "--data", "-H", "--header", "-o", "--output", "-u", "--user", "-F",
                    "--form", "-A", "-e", "-b", "-c", "-m", "-w", "-T", "-x", "--url", "--retry", "--connect-timeout",
                    "--max-time",
                ]
            )
            let url = o.value("--url")?.text ?? o.operands.first?.text ?? "a URL"
            if let out = o.value("-o", "--output"), out.text != "-" {
                files[resolvePath(out.text)] = FileInfo(content: .network(url))
                return .known("")
            }
            if o.has("-O", "--remote-name") {
                files[resolvePath(Paths.basename(url))] = FileInfo(content: .network(url))
                return .known("")
            }
            return .network(url)
        case "wget":
            let o = Options(
                args,
                withValue: ["-O", "--output-document", "-o", "-P", "--header", "--method", "--body-data"]
            )
            let url = o.operands.first?.text ?? "a URL"
            if let out = o.value("-O", "--output-document") {
                if out.text == "-" { return .network(url) }
                files[resolvePath(out.text)] = FileInfo(content: .network(url))
                return .known("")
            }
            files[resolvePath(Paths.basename(url))] = FileInfo(content: .network(url))
            return .known("")
        case "fetch", "http", "https", "xh", "aria2c":
            return .network(args.first(where: { $0.text.includes("://") })?.text ?? "a URL")
        case "find", "ls", "fd", "fdfind", "git", "du", "tree", "locate":
            if inv.program == "git" {
                let (sub, _) = gitSubcommand(args)
                guard sub == "ls-files" || sub == "diff" && args.contains(where: { $0.text == "--name-only" }) else {
                    return .unknown("git", suspicious: false)
                }
                return .paths([(state.cwd ?? "${PWD}") + "/**/*"])
            }
            if inv.program == "find" { return .unknown("find", suspicious: false) }
            let ops = Options(args).operands
            let roots = ops.isEmpty ? [Field(".")] : ops
            let filtered = inv.program == "fd" || inv.program == "fdfind" || inv.program == "locate"
            return .paths(roots.map { ($0.dynamic ? $0.text : resolvePath($0.text)) + (filtered ? "/**/*" : "/*") })
        default:
            if ["tar", "zip", "7z", "gzip", "bzip2", "xz", "cpio", "gpg"].contains(inv.program) {
                if inv.program == "gpg" && args.contains(where: { $0.text.hasPrefix("--export-secret") }) {
                    return .secret("gpg private keys")
                }
                for a in args where !a.dynamic && !a.text.hasPrefix("-") {
                    let path = resolvePath(a.text)
                    if isCredentialPath(path, includeDotEnv: true)
                        || Paths.isWithin(path, Paths.normalize(context.home) + "/.ssh")
                        || Paths.isWithin(path, Paths.normalize(context.home) + "/.aws")
                        || Paths.isWithin(path, Paths.normalize(context.home) + "/.gnupg")
                    {
                        return .secret(path)
                    }
                }
            }
            return .unknown(inv.program, suspicious: false)
        }
    }

    static func decodeEscapes(_ s: String) -> String {
        var out = ""
        var it = Array(s)
        var i = 0
        while i < it.count {
            if it[i] == "\\" && i + 1 < it.count {
                let n = it[i + 1]
                switch n {
                case "n":
                    out.append("\n")
                    i += 2
                    continue
                case "t":
                    out.append("\t")
                    i += 2
                    continue
                case "\\":
                    out.append("\\")
                    i += 2
                    continue
                case "x":
                    var hex = ""
                    var j = i + 2
                    while j < it.count && hex.count < 2 && it[j].isHexDigit {
                        hex.append(it[j])
                        j += 1
                    }
                    if let v = UInt8(hex, radix: 16) {
                        out.unicodeScalars.append(Unicode.Scalar(v))
                        i = j
                        continue
                    }
                case "0":
                    var oct = ""
                    var j = i + 2
                    while j < it.count && oct.count < 3 && ("0"..."7").contains(it[j]) {
                        oct.append(it[j])
                        j += 1
                    }
                    if let v = UInt8(oct.isEmpty ? "0" : oct, radix: 8) {
                        out.unicodeScalars.append(Unicode.Scalar(v))
                        i = j
                        continue
                    }
                default: break
                }
            }
            out.append(it[i])
            i += 1
        }
        it = []
        return out
    }

    /// `printf FORMAT ARGS…` for `%s`, `%b`, `%d`, `%c` and escapes; nil for what it does not model.
    static func printf(_ args: [String]) -> String? {
        guard let format = args.first else { return nil }
        var rest = Array(args.dropFirst())
        let fmt = Array(format)
        var out = ""
        var rounds = 0
        repeat {
            rounds += 1
            var i = 0
            while i < fmt.count {
                let c = fmt[i]
                if c == "%" && i + 1 < fmt.count {
                    var j = i + 1
                    while j < fmt.count && ("-0123456789.".contains(fmt[j])) { j += 1 }
                    guard j < fmt.count else { return nil }
                    let conv = fmt[j]
                    switch conv {
                    case "%": out.append("%")
                    case "s", "q": out += rest.isEmpty ? "" : rest.removeFirst()
                    case "b": out += decodeEscapes(rest.isEmpty ? "" : rest.removeFirst())
                    case "d", "i", "u", "x", "o": out += rest.isEmpty ? "0" : rest.removeFirst()
                    case "c": out += rest.isEmpty ? "" : String(rest.removeFirst().prefix(1))
                    default: return nil
                    }
                    i = j + 1
                    continue
                }
                if c == "\\" && i + 1 < fmt.count {
                    let seq = String(fmt[i...min(i + 3, fmt.count - 1)])
                    let decoded = decodeEscapes(seq)
                    if fmt[i + 1] == "x" || fmt[i + 1] == "0" {
                        out += decoded
                        var j = i + 2
                        var n = 0
                        while j < fmt.count && n < (fmt[i + 1] == "x" ? 2 : 3) && fmt[j].isHexDigit {
                            j += 1
                            n += 1
                        }
                        i = j
                        continue
                    }
                    out += decodeEscapes(String(fmt[i...(i + 1)]))
                    i += 2
                    continue
                }
                out.append(c)
                i += 1
            }
        } while !rest.isEmpty && rounds < 64 && format.includes("%")
        return out
    }

    static func base64Decode(_ s: String) -> String? {
        Base64.decode(s).flatMap { String(validating: $0, as: UTF8.self) }
    }

    static func hexDecode(_ s: String) -> String? {
        let hex = s.filter { $0.isHexDigit }
        guard hex.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        var it = hex.makeIterator()
        while let a = it.next(), let b = it.next() {
            guard let v = UInt8(String([a, b]), radix: 16) else { return nil }
            bytes.append(v)
        }
        return String(validating: bytes, as: UTF8.self)
    }
}

extension Analyzer {
    /// Tools whose output is their own shell integration (exports, functions, completions), printed to be `eval`ed
    /// when a shell starts: `ssh-agent -s`, `pyenv init -`, `direnv hook bash`, `brew shellenv`, `conda shell.bash
    /// hook`, `starship init bash`, `kubectl completion bash` …
    static func isShellSetup(program: String, args: [String]) -> Bool {
        let first = args.first ?? ""
        switch program {
        case "ssh-agent": return args.isEmpty || args.allSatisfy { ["-s", "-c"].contains($0) }
        case "pyenv", "rbenv", "nodenv", "goenv", "jenv", "plenv", "phpenv", "swiftenv":
            return ["init", "virtualenv-init"].contains(first)
        case "direnv": return first == "hook" || first == "export"
        case "brew": return first == "shellenv"
        case "conda", "mamba", "micromamba":
            return first.hasPrefix("shell.") || (first == "shell" && args.contains("hook"))
        case "starship", "zoxide", "atuin", "mcfly", "fzf":
            return first == "init" || first == "--bash" || first == "--zsh"
        case "fnm", "opam": return first == "env"
        case "mise", "rtx": return first == "activate"
        case "dircolors": return args.allSatisfy { $0.hasPrefix("-") }
        case "keychain": return args.contains("--eval")
        case "thefuck": return first == "--alias"
        case "kubectl", "helm", "gh", "glab", "docker", "npm", "pip", "rustup", "poetry", "uv", "deno", "just", "task":
            return first == "completion" || (args.count >= 2 && args[0] == "generate-shell-completion")
        default: return false
        }
    }
}
