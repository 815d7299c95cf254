/// Bash's brace expansion, the first expansion of a word: `{a,b}` alternatives and `{1..5}` / `{a..e..2}`
/// sequences in its unquoted text, nested and combined with a prefix and suffix (`r{m,} -r{f,}` is `rm -rf`,
/// `/{etc,usr}` is `/etc /usr`). Quoted text, parameters and substitutions are carried through whole, as bash does.
extension Word {
    /// The words this one becomes, or nil when it holds no brace expression. More than `limit` words is reported
    /// as `.tooMany` (the caller treats the word as unknown).
    public func braceExpansion(limit: Int = 256) -> BraceExpansion {
        guard
            parts.contains(where: {
                if case .literal(let s) = $0 { return s.contains("{") }
                return false
            })
        else { return .none }
        var units: [BraceUnit] = []
        for part in parts {
            if case .literal(let s) = part {
                units += s.map { .char($0) }
            } else {
                units.append(.part(part))
            }
        }
        var budget = limit
        guard let words = Self.expand(units, budget: &budget) else { return .tooMany }
        if words.count == 1 && words[0] == units { return .none }
        return .words(words.map(Self.word))
    }

    static func expand(_ u: [BraceUnit], budget: inout Int) -> [[BraceUnit]]? {
        var i = 0
        while i < u.count {
            guard case .char("{") = u[i] else {
                i += 1
                continue
            }
            // `${` never reaches here (a parameter is a part of its own); find the matching close.
            var depth = 0
            var commas: [Int] = []
            var close: Int?
            var j = i
            while j < u.count {
                if case .char(let c) = u[j] {
                    if c == "{" {
                        depth += 1
                    } else if c == "}" {
                        depth -= 1
                        if depth == 0 {
                            close = j
                            break
                        }
                    } else if c == ",", depth == 1 {
                        commas.append(j)
                    }
                }
                j += 1
            }
            guard let end = close else { return [u] }
            let prefix = Array(u[..<i])
            let suffix = Array(u[(end + 1)...])
            var alternatives: [[BraceUnit]] = []
            if !commas.isEmpty {
                var start = i + 1
                for c in commas + [end] {
                    alternatives.append(Array(u[start..<c]))
                    start = c + 1
                }
            } else if let seq = sequence(Array(u[(i + 1)..<end]), budget: budget) {
                alternatives = seq.map { $0.map { BraceUnit.char($0) } }
            } else {
                i += 1
                continue
            }
            var out: [[BraceUnit]] = []
            for alt in alternatives {
                guard let more = expand(prefix + alt + suffix, budget: &budget) else { return nil }
                out += more
                if out.count > budget + 1 { return nil }
            }
            budget -= max(0, out.count - 1)
            return budget < 0 ? nil : out
        }
        return [u]
    }

    /// `a..e`, `1..10`, `10..1..3`: the texts, or nil when it is not a sequence (or is far too long).
    static func sequence(_ u: [BraceUnit], budget: Int) -> [String]? {
        var text = ""
        for unit in u {
            guard case .char(let c) = unit else { return nil }
            text.append(c)
        }
        let pieces = text.split(separator: ".", omittingEmptySubsequences: false)
        // "a..b" splits as [a, "", b]; "a..b..s" as [a, "", b, "", s].
        guard pieces.count == 3 || pieces.count == 5, pieces[1].isEmpty, pieces.count == 3 || pieces[3].isEmpty
        else { return nil }
        let step = pieces.count == 5 ? Int(pieces[4]).map { max(1, abs($0)) } : 1
        guard let step else { return nil }
        if let a = Int(pieces[0]), let b = Int(pieces[2]) {
            guard abs(b - a) / step <= budget else { return nil }
            let width = pieces[0].hasPrefix("0") && pieces[0].count > 1 ? pieces[0].count : 0
            return Swift.stride(from: a, through: b, by: a <= b ? step : -step).map { n in
                let s = String(abs(n))
                let padded = String(repeating: "0", count: max(0, width - s.count - (n < 0 ? 1 : 0))) + s
                return n < 0 ? "-" + padded : padded
            }
        }
        if pieces[0].count == 1, pieces[2].count == 1, let a = pieces[0].unicodeScalars.first,
            let b = pieces[2].unicodeScalars.first, a.properties.isAlphabetic, b.properties.isAlphabetic,
            a.isASCII, b.isASCII
        {
            return Swift.stride(from: Int(a.value), through: Int(b.value), by: a.value <= b.value ? step : -step)
                .compactMap { Unicode.Scalar($0).map { String(Character($0)) } }
        }
        return nil
    }

    /// Units back into a word; a `~` that now starts the word is a tilde again (tilde expansion comes after).
    static func word(_ u: [BraceUnit]) -> Word {
        var parts: [WordPart] = []
        var text = ""
        for unit in u {
            switch unit {
            case .char(let c): text.append(c)
            case .part(let p):
                if !text.isEmpty { parts.append(.literal(text)) }
                text = ""
                parts.append(p)
            }
        }
        if !text.isEmpty { parts.append(.literal(text)) }
        if case .literal(let s)? = parts.first, s.hasPrefix("~") {
            let user = s.dropFirst().prefix { $0 != "/" }
            if user.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == "." }) {
                let rest = String(s.dropFirst(1 + user.count))
                parts.replaceSubrange(0...0, with: [.tilde(String(user))] + (rest.isEmpty ? [] : [.literal(rest)]))
            }
        }
        return Word(parts)
    }
}

/// One unit of a word for brace expansion: an unquoted character, or a part carried whole.
enum BraceUnit: Equatable {
    case char(Character)
    case part(WordPart)
}

/// What brace expansion made of a word.
public enum BraceExpansion: Equatable {
    /// No brace expression: the word stays as it is.
    case none
    case words([Word])
    /// More words than the limit: unknown.
    case tooMany
}
