/// Word expansion: tilde, parameters, command substitution, arithmetic, field splitting, quote removal.
extension Analyzer {
    /// A piece of an expanded word before field splitting.
    struct Piece {
        var text: String
        var quoted: Bool
        var splittable: Bool
        var dynamic: Bool
        var temp: Bool = false
        var glob: Bool = false
        var secret: Bool = false
        /// Ends the current field before this piece (`"${a[@]}"` elements).
        var breakBefore: Bool = false
    }

    /// Expands a word into fields, the way bash does for command arguments: braces first, then the rest.
    func expandWord(_ w: Word) -> [Field] {
        switch w.braceExpansion() {
        case .none: return expandBraceless(w)
        case .words(let ws): return ws.flatMap(expandBraceless)
        case .tooMany: return [Field("{…}", dynamic: true)]
        }
    }

    private func expandBraceless(_ w: Word) -> [Field] {
        var pieces: [Piece] = []
        appendPieces(w.parts, quoted: false, into: &pieces, atStart: true)
        return assemble(pieces)
    }

    /// Expands a word into one string (assignment values, here-strings, redirection targets).
    func expandString(_ w: Word) -> Field {
        var pieces: [Piece] = []
        appendPieces(w.parts, quoted: false, into: &pieces, atStart: true)
        var f = Field("")
        for p in pieces {
            if p.breakBefore && !f.text.isEmpty { f.text += " " }
            f.text += p.text
            f.dynamic = f.dynamic || p.dynamic
            f.temp = f.temp || p.temp
            f.quoted = f.quoted || p.quoted
            f.glob = f.glob || p.glob
            f.secret = f.secret || p.secret
        }
        return f
    }

    private func assemble(_ pieces: [Piece]) -> [Field] {
        var fields: [Field] = []
        var current: Field?
        let ifs = state.ifs
        func flush() {
            if let c = current { fields.append(c) }
            current = nil
        }
        for p in pieces {
            if p.breakBefore { flush() }
            if p.splittable && !p.dynamic && !ifs.isEmpty {
                // Split on IFS characters; leading/trailing separators end or start fields.
                var chunk = ""
                var sawSeparator = false
                for ch in p.text {
                    if ifs.contains(ch) {
                        if !chunk.isEmpty || current != nil {
                            var c = current ?? Field("")
                            c.text += chunk
                            current = c
                            flush()
                        }
                        chunk = ""
                        sawSeparator = true
                    } else {
                        chunk.append(ch)
                    }
                }
                _ = sawSeparator
                if !chunk.isEmpty {
                    var c = current ?? Field("")
                    c.text += chunk
                    c.glob = c.glob || chunk.contains(where: { $0 == "*" || $0 == "?" || $0 == "[" })
                    current = c
                }
                continue
            }
            var c = current ?? Field("")
            c.text += p.text
            c.dynamic = c.dynamic || p.dynamic
            c.temp = c.temp || p.temp
            c.quoted = c.quoted || p.quoted
            c.glob = c.glob || p.glob
            c.secret = c.secret || p.secret
            current = c
        }
        flush()
        return fields
    }

    private func appendPieces(_ parts: [WordPart], quoted: Bool, into pieces: inout [Piece], atStart: Bool) {
        var first = atStart
        for part in parts {
            defer { first = false }
            switch part {
            case .literal(let s):
                let g = !quoted && s.contains(where: { $0 == "*" || $0 == "?" || $0 == "[" })
                pieces.append(Piece(text: s, quoted: quoted, splittable: false, dynamic: false, glob: g))
            case .escaped(let s), .singleQuoted(let s), .ansiC(let s):
                pieces.append(Piece(text: s, quoted: true, splittable: false, dynamic: false))
            case .doubleQuoted(let inner):
                if inner.isEmpty {
                    pieces.append(Piece(text: "", quoted: true, splittable: false, dynamic: false))
                }
                appendPieces(inner, quoted: true, into: &pieces, atStart: false)
            case .tilde(let user):
                let home: String
                if user.isEmpty {
                    home = context.home
                } else if user == "root" {
                    home = "/root"
                } else if user == "+" {
                    home = state.cwd ?? "${PWD}"
                } else {
                    home = (context.home.hasPrefix("/Users/") ? "/Users/" : "/home/") + user
                }
                _ = first
                pieces.append(Piece(text: home, quoted: true, splittable: false, dynamic: false))
            case .parameter(let pe):
                appendParameter(pe, quoted: quoted, into: &pieces)
            case .commandSubstitution(let script):
                let f = substitute(script)
                var piece = Piece(
                    text: f.text,
                    quoted: quoted,
                    splittable: !quoted && !f.temp,
                    dynamic: f.dynamic,
                    temp: f.temp
                )
                piece.secret = f.secret
                pieces.append(piece)
            case .arithmetic(let expr):
                scanArithmetic(expr, site: ExecSite())
                if let v = Int(expr.trimmingSpaces) {
                    pieces.append(Piece(text: String(v), quoted: quoted, splittable: false, dynamic: false))
                } else {
                    pieces.append(Piece(text: "$((\(expr)))", quoted: quoted, splittable: false, dynamic: true))
                }
            case .processSubstitution(let script, let output):
                let saved = state
                let content = run(script, site: ExecSite(), stdin: nil)
                state = saved
                let path = "/dev/fd/63"
                files[path] = FileInfo(content: output ? nil : content)
                pieces.append(Piece(text: path, quoted: true, splittable: false, dynamic: false))
            }
        }
    }

    private func appendParameter(_ pe: ParameterExpansion, quoted: Bool, into pieces: inout [Piece]) {
        result.referencedVariables.insert(pe.name)
        // Nested expansions in the operator word run too (they may hold command substitutions).
        var argField: Field?
        if let arg = pe.argument { argField = expandString(arg) }
        let placeholder = "${\(pe.name)}"
        if pe.indirect {
            pieces.append(Piece(text: placeholder, quoted: quoted, splittable: false, dynamic: true))
            return
        }
        let values = lookup(pe.name)
        if pe.length {
            if let v = values, !v.contains(where: \.dynamic) {
                let n = pe.index == "@" || pe.index == "*" ? v.count : (v.first?.text.count ?? 0)
                pieces.append(Piece(text: String(n), quoted: quoted, splittable: false, dynamic: false))
            } else {
                pieces.append(Piece(text: "${#\(pe.name)}", quoted: quoted, splittable: false, dynamic: true))
            }
            return
        }
        guard var vals = values else {
            // `${TMPDIR:-/tmp}`: the temporary directory, whether set or not.
            if Analyzer.tempVariables.contains(pe.name), let op = pe.op, op == ":-" || op == ":=", let a = argField,
                !a.dynamic, a.text == "/tmp" || a.text == "/var/tmp" || a.text.hasPrefix("/tmp/")
            {
                pieces.append(Piece(text: a.text, quoted: quoted, splittable: false, dynamic: false, temp: true))
                return
            }
            // Unset or unknown: the default word is one possibility, not a certainty.
            if let op = pe.op, op == ":-" || op == "-" || op == ":=" || op == "=", let a = argField, !a.dynamic,
                isLocallyUnset(pe.name)
            {
                pieces.append(Piece(text: a.text, quoted: quoted, splittable: !quoted, dynamic: false, temp: a.temp))
                return
            }
            var p = Piece(text: placeholder, quoted: quoted, splittable: false, dynamic: true)
            // Secrets no legitimate request ever carries: an AWS secret key (requests are signed with it, it never
            // travels), a private key. Sending one anywhere is exfiltration.
            p.secret = Analyzer.neverSentVariables.contains(pe.name)
            pieces.append(p)
            return
        }
        if let index = pe.index {
            if index == "@" || index == "*" {
                // all elements
            } else if let n = Int(index), n >= 0 {
                vals = n < vals.count ? [vals[n]] : []
            } else {
                pieces.append(Piece(text: placeholder, quoted: quoted, splittable: false, dynamic: true))
                return
            }
        } else if vals.count > 1 && pe.name != "@" && pe.name != "*" {
            vals = [vals[0]]
        }
        if let op = pe.op {
            guard let v = vals.first, vals.count == 1, !v.dynamic else {
                pieces.append(Piece(text: placeholder, quoted: quoted, splittable: false, dynamic: true))
                return
            }
            let a = argField?.text ?? ""
            var out: String?
            switch op {
            case ":-", ":=": out = v.text.isEmpty ? a : v.text
            case "-", "=": out = v.text
            case ":+": out = v.text.isEmpty ? "" : a
            case "+": out = a
            case ":?", "?": out = v.text
            case "#", "##":
                if argField?.glob == false || !(a.includes("*")) {
                    out = v.text.hasPrefix(a) ? String(v.text.dropFirst(a.count)) : v.text
                }
            case "%", "%%":
                if !(a.includes("*")) {
                    out = v.text.hasSuffix(a) ? String(v.text.dropLast(a.count)) : v.text
                }
            case "/", "//":
                let parts = a.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
                let pat = parts.first.map(String.init) ?? ""
                let rep = parts.count > 1 ? String(parts[1]) : ""
                if !pat.isEmpty && !pat.includes("*") {
                    if op == "//" {
                        out = v.text.replacingAll(pat, with: rep)
                    } else if let r = v.text.firstRange(of: pat) {
                        var t = v.text
                        t.replaceSubrange(r, with: rep)
                        out = t
                    } else {
                        out = v.text
                    }
                }
            case "^^": out = v.text.uppercased()
            case ",,": out = v.text.lowercased()
            case "^": out = v.text.prefix(1).uppercased() + v.text.dropFirst()
            case ",": out = v.text.prefix(1).lowercased() + v.text.dropFirst()
            case ":":
                let nums = a.split(separator: ":").map { Int($0.trimmingSpaces) }
                if let s = nums.first ?? nil {
                    let chars = Array(v.text)
                    let start = s < 0 ? max(0, chars.count + s) : min(s, chars.count)
                    var end = chars.count
                    if nums.count > 1, let l = nums[1] {
                        end = l < 0 ? max(start, chars.count + l) : min(chars.count, start + l)
                    }
                    out = String(chars[start..<max(start, end)])
                }
            default: out = nil
            }
            if let out {
                pieces.append(Piece(text: out, quoted: quoted, splittable: !quoted, dynamic: false))
            } else {
                pieces.append(Piece(text: placeholder, quoted: quoted, splittable: false, dynamic: true))
            }
            return
        }
        // `"${a[@]}"` and `"$@"`: one field per element.
        let arrayAll = (pe.index == "@" || (pe.index == nil && pe.name == "@")) && quoted
        // Values that grow without bound (`a=$a$a` in a loop) stop being tracked.
        if vals.reduce(0, { $0 + $1.text.utf8.count }) > Analyzer.maxValueBytes {
            pieces.append(Piece(text: placeholder, quoted: quoted, splittable: false, dynamic: true))
            return
        }
        for (i, v) in vals.enumerated() {
            var p = Piece(text: v.text, quoted: quoted, splittable: !quoted, dynamic: v.dynamic, temp: v.temp)
            p.secret = v.secret
            if i > 0 {
                if arrayAll {
                    p.breakBefore = true
                } else {
                    pieces.append(Piece(text: " ", quoted: quoted, splittable: !quoted, dynamic: false))
                }
            }
            if v.temp { p.splittable = false }
            pieces.append(p)
        }
    }

    static let neverSentVariables: Set<String> = [
        "AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY", "AZURE_CLIENT_SECRET", "ARM_CLIENT_SECRET", "SSH_PRIVATE_KEY",
        "GOOGLE_APPLICATION_CREDENTIALS_JSON", "GCP_SERVICE_ACCOUNT_KEY", "PRIVATE_KEY", "DEPLOY_KEY",
    ]

    /// True when the variable is certainly unset: not given by the context and not set in the command.
    func isLocallyUnset(_ name: String) -> Bool { false }

    /// The value of a variable, nil when not known statically.
    func lookup(_ name: String) -> [Field]? {
        if let v = state.vars[name] { return v }
        switch name {
        case "HOME": return [Field(context.home)]
        case "PWD": return state.cwd.map { [Field($0)] }
        case "IFS": return [Field(state.ifs)]
        case "TMPDIR": return context.env["TMPDIR"].map { [Field($0)] }
        case "@", "*": return state.positional
        case "#": return [Field(String(state.positional.count))]
        default: break
        }
        if let n = Int(name), n >= 1 {
            return n <= state.positional.count ? [state.positional[n - 1]] : nil
        }
        if let v = context.env[name] { return [Field(v)] }
        if name == "USER" || name == "LOGNAME", let u = context.user { return [Field(u)] }
        return nil
    }

    /// Runs a command substitution and returns its value.
    func substitute(_ script: Script) -> Field {
        let saved = state
        let out = run(script, site: ExecSite(), stdin: nil)
        state = saved
        switch out {
        case .known(var s):
            while s.hasSuffix("\n") { s.removeLast() }
            if decodedTexts.contains(s) || decodedTexts.contains(s + "\n") { decodedTexts.insert(s) }
            if s.hasPrefix(Analyzer.tempMarker) {
                return Field(String(s.dropFirst(Analyzer.tempMarker.count)), temp: true)
            }
            return Field(s)
        case .paths(let roots):
            return Field(roots.first.map { $0 + "/*" } ?? "$(…)", dynamic: roots.isEmpty, glob: true)
        case .secret, .environment:
            var f = Field("$(…)", dynamic: true)
            f.secret = true
            return f
        default:
            return Field("$(…)", dynamic: true)
        }
    }

    static let tempMarker = "\u{1}brake-temp:"
    static let maxValueBytes = 1 << 20
}

extension StringProtocol {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" || f == "\n" || f == "\r" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\n" || l == "\r" { s = s.dropLast() }
        return String(s)
    }
}

extension Analyzer {
    /// Variables that name the temporary directory.
    static let tempVariables: Set<String> = ["TMPDIR", "TMP", "TEMP", "RUNNER_TEMP"]
}
