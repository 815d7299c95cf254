/// Interpreter programs (python, node, ruby, perl, php, awk, osascript, swift …): the calls that run
/// commands, delete or overwrite files, call cloud SDK deletes, send HTTP DELETEs or run SQL.
extension Analyzer {
    /// The program text an interpreter invocation runs, when it can be found.
    func interpreterCode(program: String, args: [Field], stdin: Content?) -> (codes: [Field], fromStdin: Bool) {
        var codes: [Field] = []
        let codeFlags: Set<String>
        switch program {
        case "python": codeFlags = ["-c"]
        case "node", "bun": codeFlags = ["-e", "--eval", "-p", "--print"]
        case "ruby", "perl": codeFlags = ["-e", "-E"]
        case "php": codeFlags = ["-r"]
        case "osascript": codeFlags = ["-e"]
        case "lua": codeFlags = ["-e"]
        case "pwsh", "powershell": codeFlags = ["-c", "-Command", "-command"]
        case "deno": codeFlags = ["eval"]
        case "swift": codeFlags = ["-e"]
        default: codeFlags = []
        }
        var i = 0
        var scriptOperand: Field?
        var sawModule = false
        var awkProgramFile = false
        while i < args.count {
            let a = args[i]
            if codeFlags.contains(a.text), i + 1 < args.count {
                codes.append(args[i + 1])
                i += 2
                if program == "python" { break }
                continue
            }
            if program == "python" && a.text.hasPrefix("-c") && a.text.count > 2 {
                codes.append(Field(String(a.text.dropFirst(2)), dynamic: a.dynamic))
                break
            }
            // Clustered flags ending in the code flag: `python3 -Ic CODE`, `ruby -we CODE`, `lua -Ee`? (`-E` alone
            // is an option for lua).
            if a.text.hasPrefix("-"), !a.text.hasPrefix("--"), a.text.count > 2, i + 1 < args.count,
                a.text.dropFirst().allSatisfy({ $0.isLetter }),
                let flag = codeFlags.first(where: { $0.count == 2 && a.text.hasSuffix(String($0.last!)) }),
                program == "python" || program == "ruby" || program == "node" || program == "php"
            {
                _ = flag
                codes.append(args[i + 1])
                i += 2
                if program == "python" { break }
                continue
            }
            if program == "perl",
                a.text.hasPrefix("-") && !a.text.hasPrefix("--") && (a.text.hasSuffix("e") || a.text.hasSuffix("E"))
                    && a.text.count > 2, i + 1 < args.count
            {
                codes.append(args[i + 1])
                i += 2
                continue
            }
            if program == "python" && a.text == "-m" {
                sawModule = true
                break
            }
            if program == "awk" {
                if a.text == "-f" {
                    awkProgramFile = true
                    if i + 1 < args.count { scriptOperand = args[i + 1] }
                    break
                }
                if a.text == "-F" || a.text == "-v" {
                    i += 2
                    continue
                }
                if a.text.hasPrefix("-") {
                    i += 1
                    continue
                }
                codes.append(a)
                break
            }
            if a.text == "-" { return (codes, true) }
            if a.text.hasPrefix("-") {
                if ["-W", "-X", "-I", "-r", "--require", "-M", "--import", "--loader"].contains(a.text) {
                    i += 2
                } else {
                    i += 1
                }
                continue
            }
            if codes.isEmpty { scriptOperand = a }
            break
        }
        _ = awkProgramFile
        if !codes.isEmpty { return (codes, false) }
        if sawModule { return ([], false) }
        if let s = scriptOperand {
            if !s.dynamic, case .known(let text)? = files[resolvePath(s.text)]?.content {
                return ([Field(text)], false)
            }
            if !s.dynamic, case .network? = files[resolvePath(s.text)]?.content {
                return ([Field("", dynamic: true)], false)
            }
            // A program file on disk: the host reads it (or says why it could not).
            if !s.dynamic {
                let path = resolvePath(s.text)
                if let text = context.scripts[path] { return ([Field(text)], false) }
                if context.scriptProblems[path] != nil { return ([Field("", dynamic: true)], false) }
                if !result.wantedFiles.contains(path) { result.wantedFiles.append(path) }
            }
            return ([], false)
        }
        // No program argument: the interpreter reads its program from standard input.
        return ([], stdin != nil && program != "awk")
    }

    func scanInterpreter(program: String, args: [Field], idx: Int, site: ExecSite, stdin: Content?) {
        let (codes, fromStdin) = interpreterCode(program: program, args: args, stdin: stdin)
        var all = codes
        if fromStdin {
            switch stdin {
            case .known(let s)?: all.append(Field(s))
            case .network(let url)?:
                addEffect(
                    "exec.remote-code",
                    attrs: ["url": .string(url)],
                    invocation: idx,
                    detail: "\(program) runs code downloaded from \(url)"
                )
                return
            case .unknown(let name, let suspicious)?:
                if suspicious || !isProjectFile(name) {
                    reportDynamic(
                        "\(program) stdin",
                        invocation: idx,
                        detail: "\(program) runs a program only known at run time"
                    )
                }
                return
            default: return
            }
        }
        for code in all {
            if code.dynamic {
                reportDynamic("\(program) code", invocation: idx, detail: "\(program) runs code only known at run time")
                continue
            }
            if decodedTexts.contains(code.text) {
                addEffect("exec.decoded", invocation: idx, detail: "\(program) runs a decoded payload")
            }
            scanCode(code.text, program: program, idx: idx, site: site)
        }
    }

    /// A string literal or an interpolated piece found in code.
    struct CodeString {
        var text: String
        var dynamic: Bool
        var range: Range<Int>
    }

    /// Extracts string literals from code, with interpolations replaced (home references become `~`).
    func stringLiterals(_ code: [Character], from: Int, to: Int) -> [CodeString] {
        var out: [CodeString] = []
        var i = from
        while i < to {
            let c = code[i]
            if c == "#" && (i == 0 || code[i - 1] == "\n" || code[i - 1] == " ") && false {
                i += 1
                continue
            }
            if c == "'" || c == "\"" || c == "`" {
                let start = i
                var triple = false
                if i + 2 < to && code[i + 1] == c && code[i + 2] == c {
                    triple = true
                    i += 3
                } else {
                    i += 1
                }
                var text = ""
                var dynamic = false
                // `$x` is interpolated in Perl, PHP and Ruby double quotes; in Python and JavaScript only
                // f-strings (`{…}`) and template literals (`${…}`) interpolate.
                let plainDollar = ["python", "node", "bun", "deno"].contains(literalLanguage) && c != "`"
                let interpolates =
                    c != "'" && !(plainDollar && c == "\"" && !(start > 0 && "fF".contains(code[start - 1])))
                while i < to {
                    if triple {
                        if i + 2 < to && code[i] == c && code[i + 1] == c && code[i + 2] == c {
                            i += 3
                            break
                        }
                    } else if code[i] == c {
                        i += 1
                        break
                    }
                    if code[i] == "\\" && i + 1 < to {
                        let n = code[i + 1]
                        switch n {
                        case "n": text.append("\n")
                        case "t": text.append("\t")
                        default: text.append(n)
                        }
                        i += 2
                        continue
                    }
                    if interpolates, code[i] == "$" || code[i] == "#" || code[i] == "{", i + 1 < to {
                        // ${…} (js, perl), #{…} (ruby), {…} (python f-strings), $ENV{HOME}, $HOME.
                        var j = i
                        if code[i] == "#" && code[i + 1] != "{" {
                            text.append(code[i])
                            i += 1
                            continue
                        }
                        if code[i] == "{" && !(start > 0 && (code[start - 1] == "f" || code[start - 1] == "F")) {
                            text.append(code[i])
                            i += 1
                            continue
                        }
                        if code[i] == "$" && !(code[i + 1] == "{" || code[i + 1].isLetter) {
                            text.append(code[i])
                            i += 1
                            continue
                        }
                        var depth = 0
                        var expr = ""
                        if code[j] == "$" && code[j + 1].isLetter {
                            j += 1
                            while j < to
                                && (code[j].isIdentifierCharacter || code[j] == "_" || code[j] == "{"
                                    || code[j] == "}" || (depth > 0))
                            {
                                if code[j] == "{" { depth += 1 }
                                if code[j] == "}" {
                                    depth -= 1
                                    expr.append(code[j])
                                    j += 1
                                    if depth <= 0 { break }
                                    continue
                                }
                                expr.append(code[j])
                                j += 1
                            }
                        } else {
                            if code[j] != "{" { j += 1 }
                            while j < to {
                                if code[j] == "{" {
                                    depth += 1
                                } else if code[j] == "}" {
                                    depth -= 1
                                    if depth == 0 {
                                        j += 1
                                        break
                                    }
                                }
                                expr.append(code[j])
                                j += 1
                            }
                        }
                        if isHomeExpression(expr) {
                            text.append("~")
                        } else if code[i] == "$", c != "`",
                            case let name = expr.filter({ $0 != "{" && $0 != "}" }),
                            !name.isEmpty, name.allSatisfy({ $0.isUppercase || $0.isNumber || $0 == "_" })
                        {
                            // `"… $AWS_SECRET_ACCESS_KEY …"`, `"…${IFS}…"`: an environment variable by convention,
                            // which a shell the string is handed to expands. Kept, so what it holds is judged.
                            text.append("${" + name + "}")
                            dynamic = true
                        } else {
                            text.append("$BRAKE_DYNAMIC")
                            dynamic = true
                        }
                        i = j
                        continue
                    }
                    text.append(code[i])
                    i += 1
                }
                out.append(CodeString(text: text, dynamic: dynamic, range: start..<i))
                continue
            }
            i += 1
        }
        return out
    }

    func isHomeExpression(_ e: String) -> Bool {
        let s = e.filter { !$0.isWhitespace }.replacingAll("{", with: "").replacingAll("}", with: "")
        let homes = [
            "ENV[\"HOME\"]", "ENV['HOME']", "ENVHOME", "HOME", "process.env.HOME", "os.environ['HOME']",
            "os.environ[\"HOME\"]", "os.getenv('HOME')", "os.getenv(\"HOME\")", "Path.home()", "pathlib.Path.home()",
            "Dir.home", "os.homedir()", "require('os').homedir()", "os.path.expanduser('~')", "$HOME",
            "NSHomeDirectory()", "homedir", "HOME_DIR",
        ]
        return homes.contains(s) || s.hasSuffix("homedir()")
    }

    /// The path an API call's argument text denotes, or nil with `dynamic` when it cannot be known.
    func pathExpression(_ arg: String) -> Field? {
        let chars = Array(arg)
        let lits = stringLiterals(chars, from: 0, to: chars.count)
        // Replace the literals with markers and look at what else is there.
        var skeleton = ""
        var last = 0
        for (k, l) in lits.enumerated() {
            skeleton += String(chars[last..<l.range.lowerBound]) + "\u{1}\(k)\u{1}"
            last = l.range.upperBound
        }
        skeleton += String(chars[last..<chars.count])
        var s = skeleton
        for h in [
            "os.path.expanduser", "path.expanduser", "File.expand_path", "expand_path", "pathlib.Path", "Path",
            "os.path.join", "path.join", "path.resolve", "File.join", "URL(fileURLWithPath:", "fileURLWithPath:",
            "atPath:", "at:", "NSString", "new File", "Paths.get", "resolve", "join", "expanduser", "String", ".rglob",
            ".glob", ".iterdir", "os.listdir", "os.scandir", "os.walk", "glob.glob", "readdirSync", "Dir.glob",
            "Dir.children", "Dir.entries",
        ] {
            s = s.replacingAll(h, with: " ")
        }
        var homeFirst = false
        for h in [
            "process.env.HOME", "os.environ['HOME']", "os.environ[\"HOME\"]", "os.getenv('HOME')",
            "os.getenv(\"HOME\")", "Path.home()", ".home()", "Dir.home", "os.homedir()", "$ENV{HOME}", "ENV['HOME']",
            "ENV[\"HOME\"]", "NSHomeDirectory()", "homedir()", "FileManager.default.homeDirectoryForCurrentUser.path",
            "$HOME",
        ] where s.contains(h) {
            s = s.replacingAll(h, with: "\u{2}")
            homeFirst = true
        }
        // What remains may only be markers, separators and brackets.
        var pieces: [String] = []
        var dynamic = false
        var k = s.startIndex
        var sawFunctionCall = false
        while k < s.endIndex {
            let ch = s[k]
            if ch == "\u{1}" {
                let end = s[s.index(after: k)...].firstIndex(of: "\u{1}")!
                let n = Int(s[s.index(after: k)..<end])!
                pieces.append(lits[n].text)
                dynamic = dynamic || lits[n].dynamic
                k = s.index(after: end)
                continue
            }
            if ch == "\u{2}" {
                pieces.append("~")
            } else if ch == "," {
                break  // later arguments (options) do not name the path
            } else if " \t\n()+/.[]".contains(ch) {
                if ch == "/" { pieces.append("/") }
            } else if ch.isLetter || ch.isNumber || ch == "_" {
                dynamic = true
                sawFunctionCall = true
            }
            k = s.index(after: k)
        }
        _ = homeFirst
        _ = sawFunctionCall
        if pieces.isEmpty { return dynamic ? Field("$(…)", dynamic: true) : nil }
        var text = ""
        for p in pieces {
            if text.isEmpty || p == "/" || text.hasSuffix("/") || p.hasPrefix("/") {
                text += p
            } else {
                text += "/" + p
            }
        }
        text = text.replacingAll("//", with: "/")
        if text.includes("$BRAKE_DYNAMIC") { dynamic = true }
        return Field(text, dynamic: dynamic, glob: text.includes("*"))
    }

    /// The argument text of the call whose `(` is at `open`.
    func callArgument(_ code: [Character], open: Int) -> (String, Int) {
        var depth = 0
        var i = open
        var quote: Character?
        // `(…)`, and Perl's `qx{…}`/`qx[…]` forms: the bracket that opens it closes it.
        let opener: Character = open < code.count && "{[".contains(code[open]) ? code[open] : "("
        let closer: Character = opener == "{" ? "}" : opener == "[" ? "]" : ")"
        let bareText = opener != "("
        while i < code.count {
            let c = code[i]
            if let q = quote {
                if c == "\\" {
                    i += 2
                    continue
                }
                if c == q { quote = nil }
            } else if !bareText && (c == "'" || c == "\"" || c == "`") {
                quote = c
            } else if c == opener {
                depth += 1
            } else if c == closer {
                depth -= 1
                if depth == 0 {
                    let inner = String(code[(open + 1)..<i])
                    // `qx{rm -rf ~}` holds shell text, not an expression: hand it over quoted.
                    return (bareText ? "'" + inner.replacingAll("'", with: "'\\''") + "'" : inner, i + 1)
                }
            }
            i += 1
        }
        return (String(code[min(open + 1, code.count)...]), code.count)
    }

    /// Shell text for an exec call's argument: a string, or a list of strings (argv).
    func shellTextOfExecArgument(_ arg: String) -> (String, Bool) {
        let trimmed = arg.trimmingSpaces
        let chars = Array(trimmed)
        let lits = stringLiterals(chars, from: 0, to: chars.count)
        if trimmed.hasPrefix("[") || trimmed.hasPrefix("%w") || trimmed.hasPrefix("qw") {
            // argv list: literals are words, anything else is a dynamic word.
            guard let close = chars.firstIndex(of: "]") else { return ("$BRAKE_DYNAMIC", true) }
            var words: [String] = []
            var dynamic = false
            var last = 1
            for l in lits where l.range.upperBound <= close {
                let between = String(chars[last..<l.range.lowerBound]).filter { !" ,\n\t".contains($0) }
                if !between.isEmpty {
                    words.append("$BRAKE_DYNAMIC")
                    dynamic = true
                }
                words.append(quoteForShell(l.text))
                dynamic = dynamic || l.dynamic
                last = l.range.upperBound
            }
            let tail = String(chars[last..<close]).filter { !" ,\n\t".contains($0) }
            if !tail.isEmpty {
                words.append("$BRAKE_DYNAMIC")
                dynamic = true
            }
            return (words.joined(separator: " "), dynamic)
        }
        // `system("rm", "-rf", "/")` (Perl, Ruby): a list of words, run without a shell.
        if lits.count >= 2, String(chars[0..<lits[0].range.lowerBound]).allSatisfy({ " \n\t".contains($0) }) {
            var words = [lits[0]]
            for l in lits.dropFirst() {
                let gap = String(chars[words.last!.range.upperBound..<l.range.lowerBound])
                guard gap.filter({ !" \n\t".contains($0) }) == "," else { break }
                words.append(l)
            }
            let after = String(chars[words.last!.range.upperBound...]).trimmingSpaces
            if words.count >= 2, after.isEmpty || after.hasPrefix(")") || after.hasPrefix(";") {
                return (words.map { quoteForShell($0.text) }.joined(separator: " "), words.contains(where: \.dynamic))
            }
        }
        // A string built from literals and expressions: expressions become a dynamic value.
        var text = ""
        var last = 0
        var dynamic = false
        for l in lits {
            let between = String(chars[last..<l.range.lowerBound]).filter { !" +.\n\t(".contains($0) }
            if !between.isEmpty {
                if between.hasPrefix(",") || between.hasPrefix("shell=") || between.hasPrefix("{") { break }
                text += "$BRAKE_DYNAMIC"
                dynamic = true
            }
            text += l.text
            dynamic = dynamic || l.dynamic
            last = l.range.upperBound
        }
        if lits.isEmpty { return ("$BRAKE_DYNAMIC", true) }
        let tail = String(chars[last...]).trimmingSpaces
        if !tail.isEmpty && !tail.hasPrefix(",") && !tail.hasPrefix(")") && tail.first?.isLetter == false
            && tail.first != "{"
        {
            text += "$BRAKE_DYNAMIC"
            dynamic = true
        } else if tail.hasPrefix("+") || tail.hasPrefix(".") {
            text += "$BRAKE_DYNAMIC"
            dynamic = true
        }
        return (text, dynamic)
    }

    static let execCalls = [
        "os.system(", "os.popen(", "subprocess.run(", "subprocess.call(", "subprocess.check_call(",
        "subprocess.check_output(", "subprocess.Popen(", "subprocess.getoutput(", "subprocess.getstatusoutput(",
        "commands.getoutput(", "pty.spawn(", "os.execvp(", "os.execv(", "os.execlp(", "os.spawnlp(",
        "execSync(", "execFileSync(", "spawnSync(", "child_process.exec(", "child_process.spawn(", "cp.exec(",
        "cp.spawn(", "exec(", "spawn(", "execFile(", "system(", "IO.popen(", "Open3.capture2(", "Open3.capture3(",
        "Open3.popen3(", "Open3.capture2e(", "shell_exec(", "passthru(", "proc_open(", "popen(", "pcntl_exec(",
        "Deno.Command(", "Bun.spawn(", "Bun.spawnSync(", "sh.run(", "invoke.run(", "fabric.run(", "%x(", "qx(", "qx{",
        "qx[",
        "Process.run(", "shell(", "os.execute(", "io.popen(",
    ]
    static let deleteCalls: [(String, Bool)] = [
        ("shutil.rmtree(", true), ("os.remove(", false), ("os.unlink(", false), ("os.rmdir(", false),
        ("os.removedirs(", true), ("rmSync(", true), ("rmdirSync(", true), ("unlinkSync(", false), ("fs.rm(", true),
        ("fs.unlink(", false), ("fs.rmdir(", true), ("fsp.rm(", true), ("promises.rm(", true), ("rimraf(", true),
        ("rimraf.sync(", true), ("FileUtils.rm_rf(", true), ("FileUtils.rm_r(", true), ("FileUtils.rm(", false),
        ("FileUtils.remove_dir(", true), ("FileUtils.remove_entry(", true), ("File.delete(", false),
        ("Dir.rmdir(", false), ("rmtree(", true), ("remove_tree(", true), ("unlink(", false), ("rmdir(", false),
        ("removeItem(", true), ("Deno.remove(", true), ("remove_dir_all(", true), ("fs.remove(", true),
        ("fse.remove(", true), ("emptyDir(", true), ("emptyDirSync(", true), ("removeSync(", true),
        ("delete_file(", false), ("Remove-Item", true),
    ]
    static let writeCalls = [
        "open(", "write_text(", "write_bytes(", "writeFileSync(", "writeFile(", "appendFileSync(", "File.write(",
        "file_put_contents(", "File.open(", "createWriteStream(", "fopen(", "write(toFile:", "Set-Content",
    ]

    /// Simple variable bindings in a program: `name = expr` and `for name in expr` (loop items are children).
    func bindings(_ code: [Character]) -> [String: String] {
        var out: [String: String] = [:]
        let lines = String(code).split(whereSeparator: { $0 == "\n" || $0 == ";" })
        for raw in lines.prefix(2000) {
            var line = raw.trimmingSpaces
            for kw in ["const ", "let ", "var ", "my ", "local "] where line.hasPrefix(kw) {
                line = String(line.dropFirst(kw.count))
            }
            if line.hasPrefix("for ") {
                let rest = line.dropFirst(4)
                guard let inRange = rest.firstRange(of: " in ") ?? rest.firstRange(of: " of ") else { continue }
                var name = String(rest[..<inRange.lowerBound]).trimmingSpaces
                if name.hasPrefix("(") { name.removeFirst() }
                for kw in ["const ", "let ", "var "] where name.hasPrefix(kw) {
                    name = String(name.dropFirst(kw.count))
                }
                var expr = String(rest[inRange.upperBound...])
                if expr.hasSuffix(":") || expr.hasSuffix("{") { expr.removeLast() }
                if expr.hasSuffix(")") && name.hasPrefix("") && line.includes("(") && !expr.includes("(") {
                    expr.removeLast()
                }
                if name.allSatisfy({ $0.isIdentifierCharacter || $0 == "$" }) && !name.isEmpty {
                    out[name] = expr + " + '/__item__'"
                }
                continue
            }
            guard let eq = line.firstIndex(of: "="), eq != line.startIndex else { continue }
            let after = line.index(after: eq)
            if after < line.endIndex && line[after] == "=" { continue }
            let before = line[line.index(before: eq)]
            if "!<>+-*/%&|^:".contains(before) { continue }
            let name = String(line[..<eq]).trimmingSpaces
            guard !name.isEmpty, name.allSatisfy({ $0.isIdentifierCharacter || $0 == "$" }) else {
                continue
            }
            var expr = String(line[after...]).trimmingSpaces
            if expr.hasSuffix(";") { expr.removeLast() }
            out[name] = expr
        }
        return out
    }

    /// Replaces a bare variable argument with what it was bound to.
    func resolveBinding(_ arg: String, _ binds: [String: String]) -> String {
        let first = arg.split(separator: ",", maxSplits: 1).first.map { $0.trimmingSpaces } ?? ""
        if let b = binds[first] { return b.replacingAll("'/__item__'", with: "'/*'") }
        return arg
    }

    /// The dotted names written right before a `(` (`os.system`, `Path`, `.unlink`): a cheap index that lets
    /// the scanner skip the call patterns a program never uses.
    /// Every dot-separated suffix is kept (`os.system` gives `os.system` and `system`).
    func calledNames(_ code: [Character]) -> Set<String> {
        var out: Set<String> = []
        for (i, c) in code.enumerated() where c == "(" {
            var j = i
            while j > 0, code[j - 1].isIdentifierCharacter || code[j - 1] == "." {
                j -= 1
                if code[j] == "." && j + 1 < i { out.insert(String(code[(j + 1)..<i])) }
            }
            if j < i { out.insert(String(code[j..<i])) }
        }
        return out
    }

    /// False when the program certainly never calls `call` (a pattern such as `os.system(`).
    func mayCall(_ call: String, _ called: Set<String>) -> Bool {
        guard call.hasSuffix("(") else { return true }
        let key = call.dropLast()
        guard key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." }) else { return true }
        return called.contains(String(key))
    }

    /// Scans program text for the calls that matter.
    func scanCode(_ source: String, program: String, idx: Int, site: ExecSite) {
        // Whose strings these are: in Python and JavaScript a `$` in a plain string is just a character.
        let savedLanguage = literalLanguage
        literalLanguage = program
        defer { literalLanguage = savedLanguage }
        let text =
            program == "python"
            ? Self.pythonAliasesResolved(source)
            : (program == "node" || program == "bun" || program == "deno") ? Self.nodeAliasesResolved(source) : source
        // `getattr(os, name)` with a name computed at run time: what it calls cannot be known.
        if program == "python" {
            let compact = text.filter { $0 != " " }
            for m in Self.pythonModules where compact.includes("getattr(\(m),") {
                if let r = compact.firstRange(of: "getattr(\(m),"), let next = compact[r.upperBound...].first,
                    next != "\"" && next != "'"
                {
                    reportDynamic(
                        "getattr",
                        invocation: idx,
                        detail: "\(program) looks up a function of \(m) by a name computed at run time"
                    )
                    break
                }
            }
        }
        let code = Array(text)
        let binds = bindings(code)
        guard code.count < 2_000_000 else {
            markTooComplex("interpreter program too large")
            return
        }
        let hasChildProcess =
            text.includes("child_process") || program != "node" && program != "bun" && program != "deno"
        // Exec calls.
        let called = calledNames(code)
        for call in Analyzer.execCalls where mayCall(call, called) {
            if (call == "exec(" || call == "spawn(" || call == "execFile(") && (!hasChildProcess || program == "python")
            {
                continue
            }
            if call == "system(" && program == "python" { continue }
            if call == "shell(" && program != "python" { continue }
            var searchFrom = 0
            while let at = find(call, in: code, from: searchFrom) {
                searchFrom = at + call.count
                // `os.system(` also matches `system(`; skip prefixed duplicates for the generic names.
                if call.first?.isLetter == true, at > 0,
                    code[at - 1].isLetter || code[at - 1] == "_"
                        || (code[at - 1] == "."
                            && ["exec(", "spawn(", "system(", "popen(", "unlink(", "rmdir("].contains(call)
                            && !call.includes("."))
                {
                    if !(call == "system(" && at > 0 && code[at - 1] == ".") && !(call == "exec(" || call == "spawn(") {
                        continue
                    }
                    if call == "system(" && at >= 3 && String(code[(at - 3)..<at]) == "os." { continue }
                }
                let open = at + call.count - 1
                var (arg, _) = callArgument(code, open: open)
                // `os.execvp(FILE, ARGV)` and `os.execlp(FILE, ARG0, ARG1 …)`: the words run come after the file.
                if call.hasPrefix("os.exec"), let comma = arg.firstIndex(of: ",") {
                    arg = String(arg[arg.index(after: comma)...])
                }
                let (shell, dynamic) = shellTextOfExecArgument(arg)
                result.notes.append("\(program): \(call)… runs `\(shell)`")
                if dynamic && shell.hasPrefix("$BRAKE_DYNAMIC") {
                    reportDynamic(
                        "\(program) \(call.dropLast())",
                        invocation: idx,
                        detail: "\(program) runs a command only known at run time"
                    )
                    continue
                }
                analyzeSource(shell, site: site, stdin: nil, origin: "\(program) \(call.dropLast())")
            }
        }
        // `system "cmd"` and `exec "cmd"` without parentheses (perl, ruby).
        if ["ruby", "perl", "php", "awk"].contains(program) {
            for word in ["system ", "exec "] {
                var from = 0
                while let at = find(word, in: code, from: from) {
                    from = at + word.count
                    if at > 0 && (code[at - 1].isLetter || code[at - 1] == "_") { continue }
                    let lits = stringLiterals(code, from: from, to: min(code.count, from + 2000))
                    guard let first = lits.first, String(code[from..<first.range.lowerBound]).allSatisfy({ $0 == " " })
                    else { continue }
                    analyzeSource(first.text, site: site, stdin: nil, origin: "\(program) \(word.trimmingSpaces)")
                }
            }
        }
        // Backticks and do shell script.
        if ["ruby", "perl", "php"].contains(program) {
            for lit in stringLiterals(code, from: 0, to: code.count) where code[lit.range.lowerBound] == "`" {
                analyzeSource(lit.text, site: site, stdin: nil, origin: "\(program) backticks")
            }
        }
        if program == "osascript" {
            var from = 0
            while let at = find("do shell script", in: code, from: from) {
                from = at + 15
                let lits = stringLiterals(code, from: from, to: code.count)
                if let first = lits.first {
                    analyzeSource(first.text, site: site, stdin: nil, origin: "osascript do shell script")
                }
            }
            if text.lowercased().includes("empty trash") || text.lowercased().includes("empty the trash") {
                addEffect("system.trash", invocation: idx, detail: "empties the Trash")
            }
        }
        if program == "awk" {
            let compact = text.filter { !$0.isWhitespace }
            if compact.includes("|\"sh\"") || compact.includes("|\"bash\"") || compact.includes("|\"/bin/sh\"") {
                reportDynamic("awk pipe to shell", invocation: idx, detail: "awk pipes generated text into a shell")
            }
        }
        // Deletes.
        for (call, recursive) in Analyzer.deleteCalls where mayCall(call, called) {
            var from = 0
            while let at = find(call, in: code, from: from) {
                from = at + call.count
                if call.first?.isLetter == true, at > 0, code[at - 1].isLetter || code[at - 1] == "_" { continue }
                let open = at + call.count - 1
                var (arg, _) = callArgument(code, open: open)
                var isMethod = false
                if at > 0, code[at - 1] == ".",
                    ["unlink(", "rmdir(", "rmtree(", "remove(", "delete_file("].contains(call)
                {
                    // `Path("x").unlink()`: the path is the receiver.
                    isMethod = true
                    if let recv = receiverText(code, before: at - 1) { arg = recv }
                }
                if call == "Remove-Item" {
                    arg = String(code[(at + call.count)...].prefix(while: { $0 != "\n" && $0 != ";" }))
                }
                if isMethod && arg.trimmingSpaces.isEmpty { arg = "$BRAKE_DYNAMIC" }
                arg = resolveBinding(arg, binds)
                let field = pathExpression(arg) ?? Field("$(…)", dynamic: true)
                let target = makeTarget(field, site: site)
                let rec = recursive || arg.includes("recursive") || arg.includes("force: true")
                addEffect(
                    "fs.delete",
                    attrs: ["recursive": .bool(rec), "via": .string("\(program) \(call.dropLast())")],
                    targets: [target],
                    invocation: idx,
                    detail: "\(program) \(call.dropLast()) deletes \(field.text)"
                )
            }
        }
        // Writes to files that matter (credentials, hook configuration, system files).
        for call in Analyzer.writeCalls where mayCall(call, called) {
            var from = 0
            while let at = find(call, in: code, from: from) {
                from = at + call.count
                let open = at + call.count - 1
                var arg: String
                if call.hasSuffix("(") {
                    arg = callArgument(code, open: open).0
                } else {
                    arg = String(code[(at + call.count)...].prefix(200))
                }
                if call == "open(" || call == "File.open(" || call == "fopen(" {
                    let lits = stringLiterals(Array(arg), from: 0, to: arg.count)
                    let modes = lits.dropFirst(
                        arg.trimmingSpaces.first == "'" || arg.trimmingSpaces.first == "\"" ? 1 : 0
                    )
                    .filter { !$0.text.isEmpty && $0.text.count <= 3 && $0.text.allSatisfy({ "rwabxt+".contains($0) }) }
                    guard let mode = modes.first, mode.text.contains(where: { "wax+".contains($0) }) else { continue }
                }
                if call == "write_text(" || call == "write_bytes(", at > 0,
                    let recv = receiverText(code, before: at - 1)
                {
                    arg = recv
                }
                arg = resolveBinding(arg, binds)
                // Every write is an effect (a checkpoint keeps what it overwrites); one whose path is computed has
                // an unknown target, which only the checkpoint notes: the write rules name the places they guard.
                let field = pathExpression(arg).flatMap { $0.dynamic ? nil : $0 } ?? Field("$(…)", dynamic: true)
                let target = makeTarget(field, site: site)
                addEffect(
                    "fs.write",
                    attrs: ["via": .string("\(program) \(call)")],
                    targets: [target],
                    invocation: idx,
                    detail: "\(program) writes \(field.text)"
                )
            }
        }
        // Cloud SDK deletes (boto3 and friends), HTTP DELETE, SQL.
        if called.contains(where: {
            $0 == "delete" || $0.hasPrefix("delete_") || $0.hasPrefix("terminate_") || $0.hasPrefix("purge_")
                || $0.hasPrefix("batch_delete") || $0.hasPrefix("deregister_") || $0 == "schedule_key_deletion"
                || $0 == "request" || $0 == "post" || $0 == "fetch" || $0 == "urlopen"
        })
            || text.includes("DELETE") || text.includes("execute(") || text.includes("query(") || text.includes("sql(")
            || text.includes("raw(") || text.includes(".exec(") || text.includes(".run(") || text.includes("db.")
            || text.includes("collection") || text.includes("Net::HTTP::Delete") || text.includes("boto")
        {
            scanSDK(text, code: code, program: program, idx: idx)
        }
    }

    /// The receiver expression before a method call (`Path('x')` in `Path('x').unlink()`).
    func receiverText(_ code: [Character], before dot: Int) -> String? {
        var i = dot - 1
        var depth = 0
        while i >= 0 {
            let c = code[i]
            if c == ")" || c == "]" {
                depth += 1
            } else if c == "(" || c == "[" {
                if depth == 0 { break }
                depth -= 1
            } else if depth == 0 && (c == " " || c == "\n" || c == "=" || c == ";" || c == ",") {
                break
            }
            i -= 1
        }
        let s = String(code[(i + 1)..<dot])
        return s.isEmpty ? nil : s
    }

    func find(_ needle: String, in code: [Character], from: Int) -> Int? {
        let n = Array(needle)
        guard !n.isEmpty, code.count >= n.count else { return nil }
        var i = from
        let last = code.count - n.count
        while i <= last {
            if code[i] == n[0] {
                var k = 1
                while k < n.count && code[i + k] == n[k] { k += 1 }
                if k == n.count { return i }
            }
            i += 1
        }
        return nil
    }

    func scanSDK(_ text: String, code: [Character], program: String, idx: Int) {
        // boto3: client.delete_bucket(...), ec2.terminate_instances(...), bucket.objects.all().delete()
        // Text inside string literals is data (an edit script's `s.replace("objects.delete()", …)`), not a call.
        var quoted = [Bool](repeating: false, count: code.count)
        for l in stringLiterals(code, from: 0, to: code.count) {
            for k in l.range where k < quoted.count { quoted[k] = true }
        }
        let usesBoto = text.includes("boto3") || text.includes("botocore") || text.includes("aioboto")
        var from = 0
        while let at = find(".", in: code, from: from) {
            from = at + 1
            if quoted[at] { continue }
            var j = at + 1
            var name = ""
            while j < code.count && (code[j].isIdentifierCharacter || code[j] == "_") {
                name.append(code[j])
                j += 1
            }
            guard j < code.count, code[j] == "(" else { continue }
            // boto3 names AWS operations in snake_case: judged by the AWS catalog's class for that operation.
            if usesBoto, name.includes("_"),
                let cls = CloudCatalog.awsOperations[String(name.map { $0 == "_" ? "-" : $0 })]
            {
                let kind: String? =
                    switch cls {
                    case .grant: "cloud.grant"
                    case .unprotect: "cloud.unprotect"
                    case .remoteExec: "cloud.remote-exec"
                    case .delete: "cloud.delete"
                    default: nil
                    }
                if let kind {
                    var attrs: [String: AttrValue] = [
                        "provider": .string("sdk"), "operation": .string(name), "class": .string(cls.description),
                    ]
                    let lower = text.lowercased()
                    if cls == .grant,
                        ["administratoraccess", "iamfullaccess", "poweruseraccess"].contains(where: {
                            lower.includes($0)
                        })
                    {
                        attrs["admin"] = .string("AdministratorAccess")
                    }
                    addEffect(
                        kind,
                        attrs: attrs,
                        invocation: idx,
                        detail: "\(program) calls the AWS operation \(name) (\(cls))"
                    )
                    continue
                }
            }
            let sdkDelete =
                name.hasPrefix("delete_") || name.hasPrefix("terminate_") || name.hasPrefix("purge_")
                || name == "schedule_key_deletion" || name.hasPrefix("batch_delete") || name.hasPrefix("deregister_")
            if sdkDelete {
                addEffect(
                    "cloud.delete",
                    attrs: ["provider": .string("sdk"), "operation": .string(name)],
                    invocation: idx,
                    detail: "\(program) calls \(name)"
                )
            } else if name == "delete" {
                let before = String(code[max(0, at - 40)..<at])
                if before.hasSuffix(".all()") || before.includes("objects.filter(") || before.includes("objects.all")
                    || before.includes("Bucket(") || before.includes("bucket")
                {
                    addEffect(
                        "cloud.delete",
                        attrs: ["provider": .string("sdk"), "operation": .string("bulk delete")],
                        invocation: idx,
                        detail: "\(program) deletes every object in a collection"
                    )
                } else if before.hasSuffix("requests") || before.hasSuffix("httpx") || before.hasSuffix("axios")
                    || before.hasSuffix("session") || before.hasSuffix("client") || before.hasSuffix("http")
                {
                    let (arg, _) = callArgument(code, open: j)
                    let url = stringLiterals(Array(arg), from: 0, to: arg.count).first?.text ?? ""
                    let host = urlHost(url)
                    if !isLocalHost(host) {
                        addEffect(
                            "net.http-delete",
                            attrs: ["host": .string(host)],
                            invocation: idx,
                            detail: "\(program) sends HTTP DELETE to \(url.isEmpty ? "a computed URL" : url)"
                        )
                    }
                }
            }
        }
        let compact = text.filter { !$0.isWhitespace }
        // Deletions sent as POST (Gmail batchDelete, Slack chat.delete …) by any client: judged by endpoint.
        if compact.lowercased().includes("post") {
            for literal in stringLiterals(code, from: 0, to: code.count) where literal.text.includes("://") {
                httpEffect(method: "POST", url: literal.text, body: nil, idx, via: program)
            }
        }
        if compact.includes("method:'DELETE'") || compact.includes("method:\"DELETE\"")
            || compact.includes("method=\"DELETE\"") || compact.includes("method='DELETE'")
            || compact.includes("Net::HTTP::Delete") || compact.includes("request(\"DELETE\"")
            || compact.includes("request('DELETE'")
        {
            let urls = stringLiterals(code, from: 0, to: code.count).filter { $0.text.includes("://") }
            let hosts = urls.map { urlHost($0.text) }
            if hosts.isEmpty || hosts.contains(where: { !isLocalHost($0) }) {
                addEffect(
                    "net.http-delete",
                    attrs: ["host": .string(hosts.first ?? "")],
                    invocation: idx,
                    detail: "\(program) sends an HTTP DELETE"
                )
            }
        }
        // SQL run from code.
        if text.includes("execute(") || text.includes(".query(") || text.includes("executescript(")
            || text.includes(".exec(") || text.includes("raw(") || text.includes(".run(")
            || text.includes("executemany(") || text.includes("sql(")
        {
            for lit in stringLiterals(code, from: 0, to: code.count) {
                let kinds = SQL.destructive(lit.text)
                if !kinds.isEmpty {
                    addEffect(
                        "db.destructive",
                        attrs: ["statement": .list(kinds), "engine": .string(program)],
                        invocation: idx,
                        detail: "\(program) runs \(kinds.joined(separator: ", ")) SQL"
                    )
                }
            }
        }
        let mongo = SQL.mongoDestructive(text)
        if !mongo.isEmpty && (text.includes("db.") || text.includes("collection")) {
            addEffect(
                "db.destructive",
                attrs: ["statement": .list(mongo), "engine": .string("mongodb")],
                invocation: idx,
                detail: "\(program) drops or empties a collection"
            )
        }
    }
}

extension Character {
    /// A letter, digit or `_`, answered from the ASCII value when there is one (the common case in code).
    var isIdentifierCharacter: Bool {
        guard let a = asciiValue else { return isLetter || isNumber }
        return (a >= 0x61 && a <= 0x7A) || (a >= 0x41 && a <= 0x5A) || (a >= 0x30 && a <= 0x39) || a == 0x5F
    }
}

extension Analyzer {
    static let pythonModules = ["os", "subprocess", "shutil", "pty", "commands", "pathlib"]

    /// Python that names a module or a function another way, written the usual way so the call scanner sees
    /// it: `__import__("os")` and `importlib.import_module("os")` → `os`; `import os as o` → `os.`; `from os import
    /// system as s` (or `from os import system`) → `os.system(`; `getattr(os, "system")` → `os.system`.
    static func pythonAliasesResolved(_ code: String) -> String {
        guard code.includes("import") || code.includes("getattr") else { return code }
        var text = foldingConcatenation(code)
        for m in pythonModules {
            for q in ["\"", "'"] {
                text = text.replacingAll("__import__(\(q)\(m)\(q))", with: m)
                text = text.replacingAll("importlib.import_module(\(q)\(m)\(q))", with: m)
                for attr in [
                    "system", "popen", "rmtree", "remove", "unlink", "run", "call", "Popen", "spawn", "check_output",
                    "check_call", "getoutput", "execvp", "execv",
                ] {
                    text = text.replacingAll("getattr(\(m), \(q)\(attr)\(q))", with: "\(m).\(attr)")
                    text = text.replacingAll("getattr(\(m),\(q)\(attr)\(q))", with: "\(m).\(attr)")
                }
            }
        }
        let words = SecondOpinion.tokenize(text.replacingAll(".", with: " . "))
        var renames: [(String, String)] = []
        var i = 0
        while i < words.count {
            if words[i] == "import", i + 3 < words.count, words[i + 2] == "as", pythonModules.contains(words[i + 1]) {
                renames.append((words[i + 3] + ".", words[i + 1] + "."))
            }
            if words[i] == "from", i + 3 < words.count, pythonModules.contains(words[i + 1]), words[i + 2] == "import" {
                var j = i + 3
                while j < words.count, words[j] != ";" {
                    let name = words[j]
                    if j + 2 < words.count, words[j + 1] == "as" {
                        renames.append((words[j + 2] + "(", words[i + 1] + "." + name + "("))
                        j += 3
                    } else {
                        if name != "*" { renames.append((name + "(", words[i + 1] + "." + name + "(")) }
                        j += 1
                    }
                }
            }
            i += 1
        }
        for (from, to) in renames where from != to {
            text = replacingCalls(text, from, to)
        }
        return text
    }

    /// String literals joined by `+` or written side by side (`'sys'+'tem'`, `"o" "s"`) written as one literal,
    /// so a name spelt in pieces is seen whole.
    static func foldingConcatenation(_ code: String) -> String {
        guard code.includes("+") || code.includes("' '") || code.includes("\" \"") else { return code }
        let chars = Array(code)
        var out: [Character] = []
        var i = 0
        while i < chars.count {
            let c = chars[i]
            guard c == "'" || c == "\"" else {
                out.append(c)
                i += 1
                continue
            }
            // A literal: read it, then any `+ 'more'` or `'more'` that follows.
            var body: [Character] = []
            var j = i + 1
            while j < chars.count, chars[j] != c, chars[j] != "\n" {
                if chars[j] == "\\", j + 1 < chars.count {
                    body.append(chars[j])
                    j += 1
                }
                body.append(chars[j])
                j += 1
            }
            guard j < chars.count, chars[j] == c else {
                out += chars[i..<min(j, chars.count)]
                i = j
                continue
            }
            var end = j + 1
            while true {
                var k = end
                while k < chars.count, chars[k] == " " { k += 1 }
                var plus = false
                if k < chars.count, chars[k] == "+" {
                    plus = true
                    k += 1
                    while k < chars.count, chars[k] == " " { k += 1 }
                }
                guard k < chars.count, chars[k] == "'" || chars[k] == "\"", plus || k > end else { break }
                let q = chars[k]
                var m = k + 1
                var more: [Character] = []
                while m < chars.count, chars[m] != q, chars[m] != "\n", chars[m] != "\\" {
                    more.append(chars[m])
                    m += 1
                }
                guard m < chars.count, chars[m] == q else { break }
                body += more
                end = m + 1
            }
            out.append(c)
            out += body
            out.append(c)
            i = end
        }
        return String(out)
    }

    /// Replaces `from` where it starts a name (not after a letter, digit, `_` or `.`).
    static func replacingCalls(_ text: String, _ from: String, _ to: String) -> String {
        var out = ""
        var rest = Substring(text)
        while let r = rest.firstRange(of: from) {
            let before = rest[..<r.lowerBound]
            let prev = before.last ?? out.last
            out += before
            if let p = prev, p.isLetter || p.isNumber || p == "_" || p == "." {
                out += rest[r]
            } else {
                out += to
            }
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}

extension Analyzer {
    static let childProcessCalls: Set<String> = [
        "exec", "execSync", "execFile", "execFileSync", "spawn", "spawnSync", "fork",
    ]

    /// Node code that takes child_process's functions under other names, written the usual way:
    /// `const {execSync: x} = require("child_process")` and `import {exec as run} from "node:child_process"` make
    /// `x(` and `run(` into `child_process.execSync(` and `child_process.exec(`.
    static func nodeAliasesResolved(_ code: String) -> String {
        guard code.includes("child_process") else { return code }
        var renames: [(String, String)] = []
        var rest = Substring(code)
        while let open = rest.firstIndex(of: "{") {
            guard let close = rest[open...].firstIndex(of: "}") else { break }
            let after = rest[rest.index(after: close)...].prefix(60)
            let inside = rest[rest.index(after: open)..<close]
            if String(after).includes("child_process") {
                for item in inside.split(separator: ",") {
                    let parts = item.split(whereSeparator: { $0 == ":" || $0 == " " }).filter { $0 != "as" }
                    guard let name = parts.first.map(String.init), childProcessCalls.contains(name) else { continue }
                    let local = parts.count >= 2 ? String(parts.last!) : name
                    renames.append((local + "(", "child_process." + name + "("))
                }
            }
            rest = rest[rest.index(after: close)...]
        }
        var text = code
        for (from, to) in renames { text = replacingCalls(text, from, to) }
        return text
    }
}
