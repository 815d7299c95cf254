/// Credential redaction and the hash-chained audit log format. Pure functions; the CLI does the file I/O.
public enum Redact {
    static let secretNames = [
        "TOKEN", "SECRET", "PASSWORD", "PASSWD", "API_KEY", "APIKEY", "ACCESS_KEY", "PRIVATE_KEY", "CREDENTIAL", "AUTH",
    ]
    static let tokenPrefixes = [
        "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-", "xoxb-", "xoxp-", "xoxa-", "sk-", "sk_live_",
        "sk_test_", "rk_live_", "AIza", "ya29.", "npm_", "pypi-", "hf_", "brk_",
    ]

    /// True for a variable name that looks like it holds a credential (`GITHUB_TOKEN`, `DB_PASSWORD` …).
    public static func isSecretName(_ name: String) -> Bool {
        let upper = name.uppercased()
        return secretNames.contains { upper.includes($0) }
    }

    /// The text with credentials replaced by `***`: URL passwords, `Authorization:` headers, `-p…` and
    /// `--password` arguments, `NAME=value` for secret-looking names, AWS keys and well-known token formats.
    public static func text(_ s: String) -> String {
        guard mightHoldSecret(s) else { return s }
        var words = s.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        var redactNext = false
        var userNext = false
        // The program of the current simple command, and whether it is a registry login.
        var program = ""
        var login = false
        var htpasswdBatch: Int?
        for (i, w) in words.enumerated() {
            if redactNext {
                words[i] = redactedQuoted(w)
                let scheme = w.lowercased().trimmingCharacters(in: "'\"")
                redactNext = scheme == "bearer" || scheme == "basic" || scheme == "token"
                continue
            }
            if userNext {
                // curl -u user:password: the user stays readable.
                words[i] = userPassword(w)
                userNext = false
                continue
            }
            let lower = w.lowercased().trimmingCharacters(in: "'\"")
            // openssl's `-passin`/`-passout` are option names, not mysql's glued `-pPASSWORD`.
            words[i] = program == "openssl" && lower.hasPrefix("-pass") ? w : word(w)
            if program.isEmpty || [";", "&&", "||", "|", "&"].contains(lower) {
                if let slash = lower.lastIndex(of: "/") {
                    program = String(lower[lower.index(after: slash)...])
                } else {
                    program = [";", "&&", "||", "|", "&"].contains(lower) ? "" : lower
                }
                login = false
                if program == "htpasswd" { htpasswdBatch = nil }
                continue
            }
            if lower == "login" { login = true }
            if (login || program == "sshpass") && (lower == "-p" || lower == "--password-stdin" && false) {
                redactNext = true
            }
            if ["curl", "wget", "http", "https", "xh"].contains(program) && (lower == "-u" || lower == "--user") {
                userNext = true
            }
            if ["curl", "wget"].contains(program),
                lower.hasPrefix("--user=") || lower.hasPrefix("-u") && lower.count > 2
            {
                words[i] = userPassword(w)
            }
            if program == "openssl" {
                if lower == "-k" { redactNext = true }
                if ["-pass", "-passin", "-passout"].contains(lower) { redactNext = true }
            }
            if program == "htpasswd" && lower.hasPrefix("-") && lower.contains("b") { htpasswdBatch = i }
            if lower == "--http-password" || lower == "--ftp-password" || lower == "--proxy-password" {
                redactNext = true
            }
            if lower == "--password" || lower == "--token" || lower == "--secret" || lower == "--api-key"
                || lower == "-u" && false
                || lower == "authorization:" || lower == "bearer" || lower == "basic" || lower == "--pass"
            {
                redactNext = true
            }
            if lower.hasSuffix("authorization:") || lower.hasSuffix("x-api-key:") || lower.hasSuffix("private-token:") {
                redactNext = true
            }
        }
        // `htpasswd -b FILE USER PASSWORD`: the last argument is the password.
        if htpasswdBatch != nil, let last = words.indices.last, last > (htpasswdBatch ?? 0) + 2 {
            words[last] = redactedQuoted(words[last])
        }
        return words.joined(separator: " ")
    }

    /// `user:password` → `user:***` (a bare user, with no colon, stays).
    static func userPassword(_ w: String) -> String {
        guard let colon = w.firstIndex(of: ":") else { return w }
        var out = String(w[...colon]) + "***"
        if let l = w.last, l == "'" || l == "\"" { out.append(l) }
        return out
    }

    /// Everything `text` reacts to, as lower-case byte strings: a cheap test that lets the common command
    /// ("git status") through without the word-by-word scan.
    static let triggers: [[UInt8]] =
        ([
            "://", "-p", "--pass", "--token", "--secret", "--api-key", "akia", "asia", "authorization", "bearer",
            "basic", "x-api-key", "private-token", "-u", "--user", "htpasswd", "openssl", "-k", "--http-password",
            "--ftp-password", "--proxy-password",
        ]
        + secretNames.map { $0.lowercased() } + tokenPrefixes.map { $0.lowercased() }).map { Array($0.utf8) }

    static func mightHoldSecret(_ s: String) -> Bool {
        var bytes = Array(s.utf8)
        for i in bytes.indices where bytes[i] >= 65 && bytes[i] <= 90 { bytes[i] += 32 }
        for t in triggers where t.count <= bytes.count {
            let first = t[0]
            var i = 0
            let last = bytes.count - t.count
            while i <= last {
                if bytes[i] == first {
                    var j = 1
                    while j < t.count && bytes[i + j] == t[j] { j += 1 }
                    if j == t.count { return true }
                }
                i += 1
            }
        }
        return false
    }

    static func redactedQuoted(_ w: String) -> String {
        var out = ""
        if let f = w.first, f == "'" || f == "\"" { out.append(f) }
        out += "***"
        if let l = w.last, l == "'" || l == "\"", w.count > 1 { out.append(l) }
        return out
    }

    static func word(_ w0: String) -> String {
        var w = w0
        // scheme://user:password@host
        if let scheme = w.firstRange(of: "://") {
            let rest = w[scheme.upperBound...]
            if let at = rest.firstIndex(of: "@"), let colon = rest[..<at].firstIndex(of: ":"),
                !rest[..<at].contains("/")
            {
                w = String(w[..<rest.index(after: colon)]) + "***" + String(w[at...])
            }
        }
        // -pPASSWORD (mysql style) — only the short form glued to its value.
        if w.hasPrefix("-p") && w.count > 2 && !w.hasPrefix("-p=") && w.dropFirst(2).allSatisfy({ !$0.isWhitespace })
            && !w.dropFirst(2).allSatisfy(\.isNumber)
        {
            return "-p***"
        }
        if w.hasPrefix("--password=") || w.hasPrefix("--token=") || w.hasPrefix("--secret=")
            || w.hasPrefix("--api-key=")
        {
            return String(w[...w.firstIndex(of: "=")!]) + "***"
        }
        // NAME=value for secret-looking names (also inside quotes and headers).
        if let eq = w.firstIndex(of: "=") {
            let name = w[..<eq].uppercased().trimmingCharacters(in: "'\"-")
            if secretNames.contains(where: { name.contains($0) }) {
                return String(w[...eq]) + "***"
            }
        }
        // AWS access keys and known token formats anywhere in the word.
        var out = ""
        var i = w.startIndex
        while i < w.endIndex {
            let rest = w[i...]
            if rest.hasPrefix("AKIA") || rest.hasPrefix("ASIA"), rest.count >= 20,
                rest.prefix(20).dropFirst(4).allSatisfy({ $0.isUppercase || $0.isNumber })
            {
                out += String(rest.prefix(4)) + "****************"
                i = w.index(i, offsetBy: 20)
                continue
            }
            if let p = tokenPrefixes.first(where: { rest.hasPrefix($0) }),
                i == w.startIndex || !w[w.index(before: i)].isLetter
            {
                let tokenEnd = rest.dropFirst(p.count).prefix(while: {
                    $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == "."
                })
                if tokenEnd.count >= 8 {
                    out += p + "***"
                    i = tokenEnd.endIndex
                    continue
                }
            }
            out.append(w[i])
            i = w.index(after: i)
        }
        return out
    }
}

extension StringProtocol {
    func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}

/// The append-only audit log: JSON lines, each carrying the hash of the previous one.
public enum AuditLog {
    public static let genesis = "sha256:" + String(repeating: "0", count: 64)

    /// A new line following `previous` (its hash), with `seq` and `hash` filled in.
    public static func line(fields: [(String, JSONValue)], seq: Int, previous: String) -> (text: String, hash: String) {
        let body = JSONValue.object([("seq", .number(Double(seq))), ("prev", .string(previous))] + fields)
        let hash = Engine.hexDigest(body.serialized)
        guard case .object(let members) = body else { return ("", hash) }
        return (JSONValue.object(members + [("hash", .string(hash))]).serialized, hash)
    }

    /// The hash and sequence number of the last line of a log, for appending.
    public static func tail(_ lastLine: String?) -> (hash: String, seq: Int) {
        guard let l = lastLine, let v = try? JSONValue.parse(l), let h = v["hash"]?.stringValue,
            case .number(let s)? = v["seq"]
        else {
            return (genesis, 0)
        }
        return (h, Int(s))
    }

    /// Verifies a whole log; returns the first problem (edit, deletion, reordering, insertion), or nil.
    /// Verifies the chain, and — given the head recorded beside the log at the last append — that the log
    /// still reaches it: a cut tail, or a tail rewritten and re-hashed, no longer ends at the recorded head.
    public static func verify(_ text: String, head: (seq: Int, hash: String)?) -> String? {
        if let problem = verify(text) { return problem }
        guard let head else { return nil }
        var last = (seq: 0, hash: genesis)
        var atHead: String?
        for raw in text.split(separator: "\n") {
            guard let v = try? JSONValue.parse(String(raw)), case .number(let n)? = v["seq"],
                let h = v["hash"]?.stringValue
            else { continue }
            last = (Int(n), h)
            if Int(n) == head.seq { atHead = h }
        }
        if last.seq < head.seq {
            return "the log ends at record \(last.seq), but \(head.seq) were written (the tail was cut)"
        }
        if atHead != head.hash {
            return "record \(head.seq) is not the one written there (the tail was rewritten)"
        }
        return nil
    }

    /// The head line kept beside the log: `SEQ HASH`.
    /// Always 100 bytes (padded with spaces), so it is rewritten in place without truncating the file.
    public static func headLine(seq: Int, hash: String) -> String {
        let line = "\(seq) \(hash)"
        return line + String(repeating: " ", count: max(0, 99 - line.utf8.count)) + "\n"
    }

    /// Reads a head line.
    public static func parseHead(_ text: String) -> (seq: Int, hash: String)? {
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard parts.count == 2, let n = Int(parts[0]) else { return nil }
        return (n, String(parts[1]))
    }

    public static func verify(_ text: String) -> String? {
        var previous = genesis
        var expectedSeq = 1
        var lineNumber = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            if raw.isEmpty { continue }
            guard let v = try? JSONValue.parse(String(raw)), case .object(let members) = v else {
                return "line \(lineNumber): not a JSON object"
            }
            guard let hash = v["hash"]?.stringValue, let prev = v["prev"]?.stringValue,
                case .number(let seq)? = v["seq"]
            else {
                return "line \(lineNumber): missing seq, prev or hash"
            }
            if Int(seq) != expectedSeq {
                return
                    "line \(lineNumber): sequence \(Int(seq)) where \(expectedSeq) was expected (a line was deleted, inserted or moved)"
            }
            if prev != previous {
                return "line \(lineNumber): does not follow the line before it (a line was deleted, inserted or moved)"
            }
            let body = JSONValue.object(members.filter { $0.0 != "hash" })
            if Engine.hexDigest(body.serialized) != hash {
                return "line \(lineNumber): content does not match its hash (the line was edited)"
            }
            previous = hash
            expectedSeq += 1
        }
        return nil
    }
}
