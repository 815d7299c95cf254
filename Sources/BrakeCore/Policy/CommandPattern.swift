/// The shape of a command, for exceptions that cover "this kind of command in this repository": the program and
/// its words with what varies between runs (numbers, hashes, redacted secrets) replaced by `*`.
///
/// A pattern is matched word by word against one invocation's arguments: the same number of words, each word a
/// glob (`*` within the word). A word that is not known statically (`$(…)`, `$VAR`) matches only itself, and
/// commands run elsewhere (ssh, containers) never match.
public enum CommandPattern {
    /// The pattern of a command as a person reads it (`Invocation.display`: words separated by spaces, a word
    /// with spaces in single quotes).
    public static func of(display: String) -> String {
        let words = split(display)
        guard let first = words.first else { return "" }
        return ([first] + words.dropFirst().map(generalise)).map(quote).joined(separator: " ")
    }

    /// A word as `split` reads it back: in single quotes when it holds a space (a quote in it cannot be written).
    static func quote(_ word: String) -> String {
        word.isEmpty || word.contains(" ") || word.contains("\t") ? "'" + word + "'" : word
    }

    /// The words of a display line.
    public static func split(_ line: String) -> [String] {
        var out: [String] = []
        var word = ""
        var quoted = false
        var inWord = false
        for c in line {
            if c == "'" {
                quoted.toggle()
                inWord = true
            } else if c == " " && !quoted {
                if inWord { out.append(word) }
                word = ""
                inWord = false
            } else {
                word.append(c)
                inWord = true
            }
        }
        if inWord { out.append(word) }
        return out
    }

    /// One word with its varying parts as `*`: a redacted secret, and runs of digits inside a name (`pr-123`,
    /// `v1.2.3`). A path segment (or the whole word) made only of digits or a hash stays as it is: `rm -rf ../1`
    /// approved five times is no reason to allow `rm -rf ../anything`.
    static func generalise(_ word: String) -> String {
        if let eq = word.firstIndex(of: "="), word.hasPrefix("-") {
            return String(word[...eq]) + generalise(String(word[word.index(after: eq)...]))
        }
        if word.contains("***") { return "*" }
        return word.split(separator: "/", omittingEmptySubsequences: false).map { segment -> String in
            var out = ""
            for c in segment {
                if c.isASCII && c.isNumber {
                    if !out.hasSuffix("*") { out.append("*") }
                } else {
                    out.append(c)
                }
            }
            let hex = segment.count >= 7 && segment.allSatisfy(\.isHexDigit)
            return out.allSatisfy({ $0 == "*" }) || hex ? String(segment) : out
        }.joined(separator: "/")
    }

    /// Whether an invocation has this shape.
    public static func matches(_ pattern: String, _ invocation: Invocation) -> Bool {
        // Elsewhere, fed from a pipe or a file, or with variables set in front: not the shape people approved.
        if invocation.site.remote != nil || invocation.site.container { return false }
        if invocation.stdin != nil || !invocation.assignments.isEmpty { return false }
        let words = split(pattern)
        guard words.count == invocation.argv.count else { return false }
        for (p, field) in zip(words, invocation.argv) {
            if field.dynamic {
                if p != field.text { return false }
            } else if !word(p, field.text) {
                return false
            }
        }
        return true
    }

    /// One word against its glob, path segment by path segment as a shell matches file names: `*` never crosses
    /// a `/`, and a segment starting with `.` (`..`, hidden names) matches only a pattern segment that does too —
    /// so `build-*` is no way to `build-1/../../x`, nor `*` to `..`.
    static func word(_ pattern: String, _ text: String) -> Bool {
        if !pattern.contains(where: { $0 == "*" || $0 == "?" || $0 == "[" }) { return pattern == text }
        let ps = pattern.split(separator: "/", omittingEmptySubsequences: false)
        let ts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard ps.count == ts.count else { return false }
        for (p, t) in zip(ps, ts) {
            if t.hasPrefix(".") && !p.hasPrefix(".") { return false }
            if !Glob.match(String(p), String(t)) { return false }
        }
        return true
    }
}
