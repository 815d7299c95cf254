/// A shell syntax error: what was wrong and where.
public struct ShellSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What the parser expected or found.
    public var message: String
    /// The byte offset in the input.
    public var offset: Int

    public var description: String { "shell syntax error at byte \(offset): \(message)" }
}

/// Parses the bash language that agents emit into a `Script`.
///
/// The parser works on UTF-8 bytes, never backtracks more than a few bytes, and bounds its nesting depth,
/// so any input (megabytes long, deeply nested, unterminated, not valid UTF-8) ends in a `Script` or a
/// `ShellSyntaxError` in time linear in its length.
public struct ShellParser {
    /// The deepest nesting of subshells, groups, substitutions and compound commands accepted.
    public static let maxDepth = 200

    private let b: [UInt8]
    private var i = 0
    private var depth: Int
    /// After the newline at `newline`, continue at `resume`: here-document bodies already read.
    private var heredocSkip: (newline: Int, resume: Int)?

    /// Parses `source` into a script.
    public static func parse(_ source: String, depth: Int = 0) throws(ShellSyntaxError) -> Script {
        var p = ShellParser(bytes: Array(source.utf8), depth: depth)
        return try p.parseProgram()
    }

    /// Parses raw bytes into a script.
    public static func parse(bytes: [UInt8], depth: Int = 0) throws(ShellSyntaxError) -> Script {
        var p = ShellParser(bytes: bytes, depth: depth)
        return try p.parseProgram()
    }

    private init(bytes: [UInt8], depth: Int) {
        self.b = bytes
        self.depth = depth
    }

    // MARK: - Bytes

    private var atEnd: Bool { i >= b.count }
    private func peek(_ k: Int = 0) -> UInt8 { i + k < b.count ? b[i + k] : 0 }
    private func fail(_ message: String) -> ShellSyntaxError { ShellSyntaxError(message: message, offset: i) }

    private static func isBlank(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0D }
    private static func isMeta(_ c: UInt8) -> Bool {
        switch c {
        case 0x20, 0x09, 0x0A, 0x0D, 0x3B, 0x26, 0x7C, 0x28, 0x29, 0x3C, 0x3E: return true  // sp tab nl ; & | ( ) < >
        default: return false
        }
    }
    private static func isNameStart(_ c: UInt8) -> Bool {
        (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F
    }
    private static func isNameChar(_ c: UInt8) -> Bool { isNameStart(c) || (c >= 0x30 && c <= 0x39) }
    private static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

    private mutating func enter() throws(ShellSyntaxError) {
        depth += 1
        if depth > Self.maxDepth { throw fail("nesting deeper than \(Self.maxDepth) levels") }
    }
    private mutating func leave() { depth -= 1 }

    /// Skips blanks, line continuations and comments (not newlines).
    private mutating func skipBlanks() {
        while i < b.count {
            let c = b[i]
            if Self.isBlank(c) {
                i += 1
            } else if c == 0x5C && peek(1) == 0x0A {  // backslash-newline
                i += 2
            } else if c == 0x23 {  // '#' at a token start: comment to end of line
                while i < b.count && b[i] != 0x0A { i += 1 }
            } else {
                return
            }
        }
    }

    private mutating func consumeNewline() {
        if let skip = heredocSkip, skip.newline == i {
            i = skip.resume
            heredocSkip = nil
        } else {
            i += 1
        }
    }

    /// Skips blanks, comments and newlines.
    private mutating func skipLinebreaks() {
        while true {
            skipBlanks()
            if i < b.count && b[i] == 0x0A { consumeNewline() } else { return }
        }
    }

    // MARK: - Lists

    private mutating func parseProgram() throws(ShellSyntaxError) -> Script {
        let script = try parseList(terminators: [], closeParen: false, inCase: false)
        skipLinebreaks()
        if !atEnd {
            throw fail("unexpected '\(String(decoding: [b[i]], as: UTF8.self))'")
        }
        return script
    }

    /// Peeks the plain word at the cursor without consuming it (for reserved words).
    private func peekPlainWord() -> String? {
        var j = i
        while j < b.count && !Self.isMeta(b[j]) {
            let c = b[j]
            if c == 0x27 || c == 0x22 || c == 0x5C || c == 0x24 || c == 0x60 { return nil }
            j += 1
        }
        if j == i { return nil }
        return String(decoding: b[i..<j], as: UTF8.self)
    }

    private mutating func parseList(
        terminators: Set<String>,
        closeParen: Bool,
        inCase: Bool
    ) throws(ShellSyntaxError) -> Script {
        var items: [ListItem] = []
        while true {
            skipLinebreaks()
            if atEnd { break }
            let c = b[i]
            if c == 0x29 {  // ')'
                if closeParen || inCase { break }
                throw fail("unexpected ')'")
            }
            if c == 0x3B {  // ';' — either ';;' in a case or a stray separator
                if inCase && (peek(1) == 0x3B || peek(1) == 0x26) { break }
                if peek(1) == 0x3B { throw fail("unexpected ';;' outside a case") }
                // An empty command before ';' is a syntax error in bash.
                throw fail("unexpected ';'")
            }
            if let w = peekPlainWord(), terminators.contains(w) { break }
            let andOr = try parseAndOr()
            skipBlanks()
            var background = false
            if i < b.count {
                switch b[i] {
                case 0x26:  // '&'
                    background = true
                    i += 1
                case 0x3B:  // ';'
                    if peek(1) == 0x3B || peek(1) == 0x26 {
                        if inCase {
                            items.append(ListItem(andOr: andOr, background: false))
                            return Script(items: items)
                        }
                        throw fail("unexpected ';;' outside a case")
                    }
                    i += 1
                case 0x0A:
                    consumeNewline()
                default:
                    break
                }
            }
            items.append(ListItem(andOr: andOr, background: background))
        }
        return Script(items: items)
    }

    private mutating func parseAndOr() throws(ShellSyntaxError) -> AndOr {
        let first = try parsePipeline()
        var rest: [(op: String, pipeline: Pipeline)] = []
        while true {
            skipBlanks()
            if peek() == 0x26 && peek(1) == 0x26 {
                i += 2
                skipLinebreaks()
                rest.append((op: "&&", pipeline: try parsePipeline()))
            } else if peek() == 0x7C && peek(1) == 0x7C {
                i += 2
                skipLinebreaks()
                rest.append((op: "||", pipeline: try parsePipeline()))
            } else {
                break
            }
        }
        return AndOr(first: first, rest: rest)
    }

    private mutating func parsePipeline() throws(ShellSyntaxError) -> Pipeline {
        skipBlanks()
        var negated = false
        if peek() == 0x21 && (Self.isBlank(peek(1)) || peek(1) == 0x0A) {  // '!'
            negated = true
            i += 1
            skipBlanks()
        }
        // The `time` reserved word (with `-p`) times the whole pipeline.
        if peekPlainWord() == "time" {
            let save = i
            i += 4
            skipBlanks()
            if peek() == 0x2D && peek(1) == 0x70 && (Self.isBlank(peek(2)) || peek(2) == 0x28) {
                i += 2
                skipBlanks()
            }
            if peek() != 0x28 && peek() != 0x7B { i = save }
        }
        var commands = [try parseCommand()]
        while true {
            skipBlanks()
            if peek() == 0x7C && peek(1) != 0x7C {
                i += 1
                if peek() == 0x26 { i += 1 }  // |&
                skipLinebreaks()
                commands.append(try parseCommand())
            } else {
                break
            }
        }
        return Pipeline(commands: commands, negated: negated)
    }

    // MARK: - Commands

    private mutating func parseCommand() throws(ShellSyntaxError) -> Command {
        skipBlanks()
        if atEnd { throw fail("expected a command, found the end of the input") }
        let c = b[i]
        if c == 0x28 {  // '('
            if peek(1) == 0x28, let arith = try parseDoubleParen() {
                return .arithmetic(arith, try parseTrailingRedirects())
            }
            i += 1
            try enter()
            let body = try parseList(terminators: [], closeParen: true, inCase: false)
            leave()
            guard peek() == 0x29 else { throw fail("expected ')' to close the subshell") }
            i += 1
            return .subshell(body, try parseTrailingRedirects())
        }
        if let w = peekPlainWord() {
            switch w {
            case "{":
                i += 1
                try enter()
                let body = try parseList(terminators: ["}"], closeParen: false, inCase: false)
                leave()
                try expectWord("}")
                return .group(body, try parseTrailingRedirects())
            case "if": return try parseIf()
            case "while", "until": return try parseWhile(until: w == "until")
            case "for": return try parseFor()
            case "select": return try parseSelect()
            case "case": return try parseCase()
            case "function": return try parseFunctionKeyword()
            case "[[": return try parseConditional()
            case "}", "then", "fi", "do", "done", "esac", "elif", "else", "in":
                throw fail("unexpected '\(w)'")
            default: break
            }
        }
        return try parseSimpleOrFunction()
    }

    private mutating func expectWord(_ word: String) throws(ShellSyntaxError) {
        skipLinebreaks()
        guard let w = peekPlainWord(), w == word else { throw fail("expected '\(word)'") }
        i += word.utf8.count
    }

    private mutating func parseTrailingRedirects() throws(ShellSyntaxError) -> [Redirect] {
        var redirects: [Redirect] = []
        while true {
            skipBlanks()
            guard let r = try parseRedirectIfPresent() else { return redirects }
            redirects.append(r)
        }
    }

    /// `((expr))` as an arithmetic command; nil (cursor unchanged) when it is really `( (…) )`.
    private mutating func parseDoubleParen() throws(ShellSyntaxError) -> String? {
        let start = i
        var j = i + 2
        var level = 0
        while j < b.count {
            let c = b[j]
            if c == 0x28 {
                level += 1
            } else if c == 0x29 {
                if level == 0 {
                    if j + 1 < b.count && b[j + 1] == 0x29 {
                        i = j + 2
                        return String(decoding: b[(start + 2)..<j], as: UTF8.self)
                    }
                    return nil
                }
                level -= 1
            } else if c == 0x0A || c == 0x3B && level == 0 {
                return nil
            }
            j += 1
        }
        return nil
    }

    private mutating func parseIf() throws(ShellSyntaxError) -> Command {
        i += 2
        try enter()
        defer { leave() }
        var conditions: [Script] = []
        var bodies: [Script] = []
        var elseBody: Script?
        conditions.append(try parseList(terminators: ["then"], closeParen: false, inCase: false))
        try expectWord("then")
        bodies.append(try parseList(terminators: ["elif", "else", "fi"], closeParen: false, inCase: false))
        while true {
            skipLinebreaks()
            guard let w = peekPlainWord() else { throw fail("expected 'fi'") }
            if w == "elif" {
                i += 4
                conditions.append(try parseList(terminators: ["then"], closeParen: false, inCase: false))
                try expectWord("then")
                bodies.append(try parseList(terminators: ["elif", "else", "fi"], closeParen: false, inCase: false))
            } else if w == "else" {
                i += 4
                elseBody = try parseList(terminators: ["fi"], closeParen: false, inCase: false)
            } else if w == "fi" {
                i += 2
                break
            } else {
                throw fail("expected 'fi'")
            }
        }
        return .ifClause(
            conditions: conditions,
            bodies: bodies,
            elseBody: elseBody,
            redirects: try parseTrailingRedirects()
        )
    }

    private mutating func parseWhile(until: Bool) throws(ShellSyntaxError) -> Command {
        i += until ? 5 : 5
        try enter()
        defer { leave() }
        let condition = try parseList(terminators: ["do"], closeParen: false, inCase: false)
        let body = try parseDoBody()
        return .whileLoop(condition: condition, body: body, until: until, redirects: try parseTrailingRedirects())
    }

    private mutating func parseDoBody() throws(ShellSyntaxError) -> Script {
        try expectWord("do")
        let body = try parseList(terminators: ["done"], closeParen: false, inCase: false)
        try expectWord("done")
        return body
    }

    private mutating func parseLoopHeader() throws(ShellSyntaxError) -> (String, [Word]?) {
        skipBlanks()
        guard let name = peekPlainWord(), name.utf8.allSatisfy(Self.isNameChar) else {
            throw fail("expected a variable name")
        }
        i += name.utf8.count
        skipBlanks()
        var words: [Word]?
        if peekPlainWord() == "in" {
            i += 2
            var list: [Word] = []
            while true {
                skipBlanks()
                if atEnd || b[i] == 0x3B || b[i] == 0x0A { break }
                guard let w = try parseWord() else { throw fail("unexpected character in a word list") }
                list.append(w)
            }
            words = list
        }
        skipBlanks()
        if peek() == 0x3B { i += 1 }
        skipLinebreaks()
        return (name, words)
    }

    private mutating func parseFor() throws(ShellSyntaxError) -> Command {
        i += 3
        try enter()
        defer { leave() }
        skipBlanks()
        if peek() == 0x28 && peek(1) == 0x28 {
            guard let header = try parseDoubleParen() else { throw fail("malformed 'for ((' header") }
            skipBlanks()
            if peek() == 0x3B { i += 1 }
            skipLinebreaks()
            let body: Script
            if peekPlainWord() == "{" {
                i += 1
                body = try parseList(terminators: ["}"], closeParen: false, inCase: false)
                try expectWord("}")
            } else {
                body = try parseDoBody()
            }
            return .arithmeticFor(header: header, body: body, redirects: try parseTrailingRedirects())
        }
        let (name, words) = try parseLoopHeader()
        let body = try parseDoBody()
        return .forLoop(variable: name, words: words, body: body, redirects: try parseTrailingRedirects())
    }

    private mutating func parseSelect() throws(ShellSyntaxError) -> Command {
        i += 6
        try enter()
        defer { leave() }
        let (name, words) = try parseLoopHeader()
        let body = try parseDoBody()
        return .select(variable: name, words: words, body: body, redirects: try parseTrailingRedirects())
    }

    private mutating func parseCase() throws(ShellSyntaxError) -> Command {
        i += 4
        try enter()
        defer { leave() }
        skipBlanks()
        guard let subject = try parseWord() else { throw fail("expected a word after 'case'") }
        skipLinebreaks()
        guard peekPlainWord() == "in" else { throw fail("expected 'in' after the case word") }
        i += 2
        var items: [CaseItem] = []
        while true {
            skipLinebreaks()
            if atEnd { throw fail("expected 'esac'") }
            if let w = peekPlainWord(), w == "esac" {
                i += 4
                break
            }
            if peek() == 0x28 { i += 1 }
            var patterns: [Word] = []
            while true {
                skipBlanks()
                guard let p = try parseWord() else { throw fail("expected a case pattern") }
                patterns.append(p)
                skipBlanks()
                if peek() == 0x7C {
                    i += 1
                    continue
                }
                guard peek() == 0x29 else { throw fail("expected ')' after a case pattern") }
                i += 1
                break
            }
            let body = try parseList(terminators: ["esac"], closeParen: false, inCase: true)
            items.append(CaseItem(patterns: patterns, body: body))
            skipBlanks()
            if peek() == 0x3B {
                i += 2
                if peek() == 0x26 { i += 1 }
            }
        }
        return .caseClause(subject: subject, items: items, redirects: try parseTrailingRedirects())
    }

    private mutating func parseFunctionKeyword() throws(ShellSyntaxError) -> Command {
        i += 8
        skipBlanks()
        guard let name = try parseWord()?.literalText else { throw fail("expected a function name") }
        skipBlanks()
        if peek() == 0x28 && peek(1) == 0x29 {
            i += 2
        } else if peek() == 0x28 {
            i += 1
            skipBlanks()
            guard peek() == 0x29 else { throw fail("expected ')' after the function name") }
            i += 1
        }
        skipLinebreaks()
        try enter()
        defer { leave() }
        return .function(name: name, body: try parseCommand())
    }

    private mutating func parseConditional() throws(ShellSyntaxError) -> Command {
        i += 2
        var words: [Word] = []
        while true {
            skipBlanks()
            if atEnd { throw fail("expected ']]'") }
            if peekPlainWord() == "]]" {
                i += 2
                break
            }
            let c = b[i]
            if c == 0x0A {
                consumeNewline()
                continue
            }
            if Self.isMeta(c) {
                // Operators inside [[ ]] (&&, ||, <, >, parentheses) are part of the expression.
                words.append(Word([.literal(String(decoding: [c], as: UTF8.self))]))
                i += 1
                continue
            }
            guard let w = try parseWord() else { throw fail("unexpected character in [[ ]]") }
            words.append(w)
        }
        return .conditional(words, try parseTrailingRedirects())
    }

    private mutating func parseSimpleOrFunction() throws(ShellSyntaxError) -> Command {
        var assignments: [Assignment] = []
        var words: [Word] = []
        var redirects: [Redirect] = []
        while true {
            skipBlanks()
            if atEnd { break }
            let c = b[i]
            if c == 0x0A || c == 0x3B || c == 0x26 && peek(1) != 0x3E || c == 0x7C || c == 0x29 { break }
            if (c == 0x3C || c == 0x3E) && peek(1) == 0x28 {  // process substitution as a word
                guard let w = try parseWord() else { throw fail("malformed process substitution") }
                words.append(w)
                continue
            }
            if let r = try parseRedirectIfPresent() {
                redirects.append(r)
                continue
            }
            if c == 0x28 {
                // `name ( )` defines a function.
                if words.count == 1 && assignments.isEmpty, let name = words[0].literalText {
                    i += 1
                    skipBlanks()
                    guard peek() == 0x29 else { throw fail("expected ')' in a function definition") }
                    i += 1
                    skipLinebreaks()
                    try enter()
                    defer { leave() }
                    return .function(name: name, body: try parseCommand())
                }
                throw fail("unexpected '('")
            }
            if words.isEmpty, let a = try parseAssignmentIfPresent() {
                assignments.append(a)
                continue
            }
            guard let w = try parseWord() else { throw fail("unexpected character") }
            words.append(w)
        }
        if words.isEmpty && assignments.isEmpty && redirects.isEmpty {
            if atEnd { throw fail("expected a command, found the end of the input") }
            throw fail("expected a command before '\(String(decoding: [b[i]], as: UTF8.self))'")
        }
        return .simple(SimpleCommand(assignments: assignments, words: words, redirects: redirects))
    }

    private mutating func parseAssignmentIfPresent() throws(ShellSyntaxError) -> Assignment? {
        guard Self.isNameStart(peek()) else { return nil }
        var j = i
        while j < b.count && Self.isNameChar(b[j]) { j += 1 }
        // Optional [index]
        if j < b.count && b[j] == 0x5B {
            var k = j + 1
            while k < b.count && b[k] != 0x5D && !Self.isMeta(b[k]) { k += 1 }
            guard k < b.count && b[k] == 0x5D else { return nil }
            j = k + 1
        }
        var append = false
        if j < b.count && b[j] == 0x2B && j + 1 < b.count && b[j + 1] == 0x3D {
            append = true
            j += 1
        }
        guard j < b.count && b[j] == 0x3D else { return nil }
        let nameEnd = b[i..<j].firstIndex(of: 0x5B) ?? (append ? j - 1 : j)
        let name = String(decoding: b[i..<nameEnd], as: UTF8.self)
        i = j + 1
        if peek() == 0x28 {  // array
            i += 1
            var elements: [Word] = []
            while true {
                skipLinebreaks()
                if atEnd { throw fail("expected ')' to close the array") }
                if b[i] == 0x29 {
                    i += 1
                    break
                }
                guard let w = try parseWord() else { throw fail("unexpected character in an array") }
                elements.append(w)
            }
            return Assignment(name: name, value: Word([]), array: elements, append: append)
        }
        if atEnd || Self.isMeta(b[i]) {
            return Assignment(name: name, value: Word([]), array: nil, append: append)
        }
        let value = try parseWord() ?? Word([])
        return Assignment(name: name, value: value, array: nil, append: append)
    }

    // MARK: - Redirections

    private mutating func parseRedirectIfPresent() throws(ShellSyntaxError) -> Redirect? {
        let start = i
        var fd: Int?
        var j = i
        while j < b.count && Self.isDigit(b[j]) { j += 1 }
        if j > i && j < b.count && (b[j] == 0x3C || b[j] == 0x3E) {
            fd = Int(String(decoding: b[i..<j], as: UTF8.self))
            i = j
        }
        let c = peek()
        var op: String
        switch c {
        case 0x3C:  // <
            if peek(1) == 0x28 {
                i = start
                return nil
            }
            if peek(1) == 0x3C && peek(2) == 0x3C {
                op = "<<<"
            } else if peek(1) == 0x3C && peek(2) == 0x2D {
                op = "<<-"
            } else if peek(1) == 0x3C {
                op = "<<"
            } else if peek(1) == 0x3E {
                op = "<>"
            } else if peek(1) == 0x26 {
                op = "<&"
            } else {
                op = "<"
            }
        case 0x3E:  // >
            if peek(1) == 0x28 {
                i = start
                return nil
            }
            if peek(1) == 0x3E {
                op = ">>"
            } else if peek(1) == 0x26 {
                op = ">&"
            } else if peek(1) == 0x7C {
                op = ">|"
            } else {
                op = ">"
            }
        case 0x26:  // &> or &>>
            guard fd == nil, peek(1) == 0x3E else {
                i = start
                return nil
            }
            op = peek(2) == 0x3E ? "&>>" : "&>"
        default:
            i = start
            return nil
        }
        i += op.utf8.count
        skipBlanks()
        guard let target = try parseWord() else { throw fail("expected a file name after '\(op)'") }
        var heredoc: Heredoc?
        if op == "<<" || op == "<<-" {
            heredoc = try readHeredoc(delimiterWord: target, stripTabs: op == "<<-")
        }
        return Redirect(fd: fd, op: op, target: target, heredoc: heredoc)
    }

    /// Finds the newline that ends the current line, skipping quoted text.
    private func lineEnd(from start: Int) -> Int {
        var j = start
        while j < b.count {
            switch b[j] {
            case 0x0A: return j
            case 0x5C: j += 2
            case 0x27:
                j += 1
                while j < b.count && b[j] != 0x27 { j += 1 }
                j += 1
            case 0x22:
                j += 1
                while j < b.count && b[j] != 0x22 {
                    if b[j] == 0x5C { j += 1 }
                    j += 1
                }
                j += 1
            default: j += 1
            }
        }
        return b.count
    }

    private mutating func readHeredoc(delimiterWord: Word, stripTabs: Bool) throws(ShellSyntaxError) -> Heredoc {
        var quoted = false
        var delimiter = ""
        for part in delimiterWord.parts {
            switch part {
            case .literal(let s): delimiter += s
            case .singleQuoted(let s), .escaped(let s), .ansiC(let s):
                quoted = true
                delimiter += s
            case .doubleQuoted(let inner):
                quoted = true
                delimiter += Word(inner).literalText ?? ""
            case .tilde(let u): delimiter += "~" + u
            case .parameter(let p):
                delimiter += "$" + p.name
            default:
                throw fail("unsupported here-document delimiter")
            }
        }
        let newline: Int
        var start: Int
        if let skip = heredocSkip {
            newline = skip.newline
            start = skip.resume
        } else {
            newline = lineEnd(from: i)
            start = newline + 1
        }
        let delimBytes = Array(delimiter.utf8)
        var body: [UInt8] = []
        var end = b.count
        while start < b.count {
            var lineStop = start
            while lineStop < b.count && b[lineStop] != 0x0A { lineStop += 1 }
            var lineStart = start
            if stripTabs { while lineStart < lineStop && b[lineStart] == 0x09 { lineStart += 1 } }
            let line = b[lineStart..<lineStop]
            if line.elementsEqual(delimBytes) {
                end = min(lineStop + 1, b.count)
                break
            }
            body.append(contentsOf: line)
            body.append(0x0A)
            start = lineStop + 1
            end = min(start, b.count)
        }
        heredocSkip = (newline: newline, resume: end)
        var expandable: Word?
        if !quoted && body.contains(where: { $0 == 0x24 || $0 == 0x60 }) {
            var sub = ShellParser(bytes: body, depth: depth + 1)
            expandable = try? sub.parseParts(stop: .heredoc)
        }
        return Heredoc(body: String(decoding: body, as: UTF8.self), quoted: quoted, expandable: expandable)
    }

    // MARK: - Words

    private enum Stop {
        case word  // stop at metacharacters
        case doubleQuote  // inside "…": stop at the closing quote
        case braceArgument  // inside ${…}: stop at the closing brace
        case heredoc  // a here-document body: stop at the end
    }

    /// Parses one word at the cursor, or returns nil when the cursor is at a metacharacter.
    private mutating func parseWord() throws(ShellSyntaxError) -> Word? {
        if atEnd { return nil }
        let c = b[i]
        if (c == 0x3C || c == 0x3E) && peek(1) == 0x28 {
            let output = c == 0x3E
            i += 2
            try enter()
            let script = try parseList(terminators: [], closeParen: true, inCase: false)
            leave()
            guard peek() == 0x29 else { throw fail("expected ')' to close the process substitution") }
            i += 1
            var word = Word([.processSubstitution(script, output: output)])
            if !atEnd && !Self.isMeta(b[i]) { word.parts += try parseParts(stop: .word).parts }
            return word
        }
        if Self.isMeta(c) { return nil }
        return try parseParts(stop: .word)
    }

    private mutating func parseParts(stop: Stop) throws(ShellSyntaxError) -> Word {
        var parts: [WordPart] = []
        var lit: [UInt8] = []
        func flush() {
            if !lit.isEmpty {
                parts.append(.literal(String(decoding: lit, as: UTF8.self)))
                lit.removeAll(keepingCapacity: true)
            }
        }
        let wordStart = i
        while i < b.count {
            let c = b[i]
            switch stop {
            case .word:
                if Self.isMeta(c) {
                    flush()
                    return Word(parts)
                }
            case .doubleQuote:
                if c == 0x22 {
                    flush()
                    return Word(parts)
                }
            case .braceArgument:
                if c == 0x7D {
                    flush()
                    return Word(parts)
                }
            case .heredoc:
                break
            }
            switch c {
            case 0x5C:  // backslash
                let n = peek(1)
                if i + 1 >= b.count {
                    lit.append(c)
                    i += 1
                } else if n == 0x0A {
                    i += 2  // line continuation
                } else if stop == .word || stop == .braceArgument {
                    flush()
                    let len = Self.utf8Length(n)
                    parts.append(.escaped(String(decoding: b[(i + 1)..<min(i + 1 + len, b.count)], as: UTF8.self)))
                    i += 1 + len
                } else {
                    // In double quotes and here-documents only \$ \` \" \\ lose the backslash.
                    if n == 0x24 || n == 0x60 || n == 0x5C || (n == 0x22 && stop == .doubleQuote) {
                        lit.append(n)
                    } else {
                        lit.append(c)
                        lit.append(n)
                    }
                    i += 2
                }
            case 0x27 where stop == .word || stop == .braceArgument:  // '
                flush()
                i += 1
                let s = i
                while i < b.count && b[i] != 0x27 { i += 1 }
                if i >= b.count { throw ShellSyntaxError(message: "unterminated single quote", offset: s - 1) }
                parts.append(.singleQuoted(String(decoding: b[s..<i], as: UTF8.self)))
                i += 1
            case 0x22 where stop == .word || stop == .braceArgument:  // "
                flush()
                let s = i
                i += 1
                let inner = try parseParts(stop: .doubleQuote)
                if i >= b.count { throw ShellSyntaxError(message: "unterminated double quote", offset: s) }
                i += 1
                parts.append(.doubleQuoted(inner.parts))
            case 0x60:  // `
                flush()
                parts.append(try parseBackquote())
            case 0x24:  // $
                if let part = try parseDollar(inDoubleQuotes: stop != .word && stop != .braceArgument) {
                    flush()
                    parts.append(part)
                } else {
                    lit.append(c)
                    i += 1
                }
            case 0x7E where i == wordStart && stop == .word:  // ~ at word start
                flush()
                i += 1
                let s = i
                while i < b.count && (Self.isNameChar(b[i]) || b[i] == 0x2D || b[i] == 0x2E) { i += 1 }
                parts.append(.tilde(String(decoding: b[s..<i], as: UTF8.self)))
            default:
                lit.append(c)
                i += 1
            }
        }
        if stop == .doubleQuote { throw ShellSyntaxError(message: "unterminated double quote", offset: wordStart) }
        if stop == .braceArgument { throw ShellSyntaxError(message: "unterminated ${", offset: wordStart) }
        flush()
        return Word(parts)
    }

    private static func utf8Length(_ lead: UInt8) -> Int {
        if lead < 0x80 { return 1 }
        if lead >> 5 == 0b110 { return 2 }
        if lead >> 4 == 0b1110 { return 3 }
        if lead >> 3 == 0b11110 { return 4 }
        return 1
    }

    private mutating func parseBackquote() throws(ShellSyntaxError) -> WordPart {
        let s = i
        i += 1
        var inner: [UInt8] = []
        while i < b.count && b[i] != 0x60 {
            if b[i] == 0x5C && i + 1 < b.count && (b[i + 1] == 0x60 || b[i + 1] == 0x5C || b[i + 1] == 0x24) {
                inner.append(b[i + 1])
                i += 2
            } else {
                inner.append(b[i])
                i += 1
            }
        }
        if i >= b.count { throw ShellSyntaxError(message: "unterminated backquote", offset: s) }
        i += 1
        try enter()
        defer { leave() }
        var sub = ShellParser(bytes: inner, depth: depth)
        return .commandSubstitution(try sub.parseProgram())
    }

    private mutating func parseDollar(inDoubleQuotes: Bool) throws(ShellSyntaxError) -> WordPart? {
        let n = peek(1)
        switch n {
        case 0x28:  // $(
            if peek(2) == 0x28, let arith = arithmeticAt(i + 3) {
                i = arith.end
                return .arithmetic(arith.text)
            }
            let s = i
            i += 2
            try enter()
            let script = try parseList(terminators: [], closeParen: true, inCase: false)
            leave()
            guard peek() == 0x29 else { throw ShellSyntaxError(message: "unterminated $(", offset: s) }
            i += 1
            return .commandSubstitution(script)
        case 0x7B:  // ${
            return try parseBraceParameter()
        case 0x27 where !inDoubleQuotes:  // $'
            i += 2
            return .ansiC(try decodeANSIC())
        case 0x22 where !inDoubleQuotes:  // $"
            i += 1
            return nil
        default:
            if Self.isNameStart(n) {
                let s = i + 1
                var j = s
                while j < b.count && Self.isNameChar(b[j]) { j += 1 }
                i = j
                return .parameter(param(String(decoding: b[s..<j], as: UTF8.self)))
            }
            if Self.isDigit(n) || n == 0x40 || n == 0x2A || n == 0x23 || n == 0x3F || n == 0x24 || n == 0x21
                || n == 0x2D
            {
                i += 2
                return .parameter(param(String(decoding: [n], as: UTF8.self)))
            }
            return nil
        }
    }

    private func param(_ name: String) -> ParameterExpansion {
        ParameterExpansion(name: name, index: nil, op: nil, argument: nil, length: false, indirect: false)
    }

    /// Scans `$((…))` starting after the opening `$((`; nil when the parentheses do not close as `))`.
    private func arithmeticAt(_ start: Int) -> (text: String, end: Int)? {
        var j = start
        var level = 0
        while j < b.count {
            let c = b[j]
            if c == 0x28 {
                level += 1
            } else if c == 0x29 {
                if level == 0 {
                    guard j + 1 < b.count && b[j + 1] == 0x29 else { return nil }
                    return (String(decoding: b[start..<j], as: UTF8.self), j + 2)
                }
                level -= 1
            }
            j += 1
        }
        return nil
    }

    private mutating func parseBraceParameter() throws(ShellSyntaxError) -> WordPart {
        let s = i
        i += 2
        var p = param("")
        if peek() == 0x23 && peek(1) != 0x7D {  // ${#name}
            p.length = true
            i += 1
        } else if peek() == 0x21 && peek(1) != 0x7D {  // ${!name}
            p.indirect = true
            i += 1
        }
        let ns = i
        if Self.isNameStart(peek()) {
            while i < b.count && Self.isNameChar(b[i]) { i += 1 }
        } else if Self.isDigit(peek()) {
            while i < b.count && Self.isDigit(b[i]) { i += 1 }
        } else if !atEnd {
            i += 1  // special parameter
        }
        p.name = String(decoding: b[ns..<i], as: UTF8.self)
        if peek() == 0x5B {  // [index]
            let is0 = i + 1
            var j = is0
            var level = 0
            while j < b.count && !(b[j] == 0x5D && level == 0) {
                if b[j] == 0x5B { level += 1 } else if b[j] == 0x5D { level -= 1 }
                j += 1
            }
            if j >= b.count { throw ShellSyntaxError(message: "unterminated ${…[", offset: s) }
            p.index = String(decoding: b[is0..<j], as: UTF8.self)
            i = j + 1
        }
        if peek() == 0x7D {
            i += 1
            return .parameter(p)
        }
        // Operator
        let ops = [
            ":-", ":=", ":?", ":+", "##", "%%", "//", "/#", "/%", "^^", ",,", "-", "=", "?", "+", "#", "%", "/", "^",
            ",", ":", "@",
        ]
        var matched: String?
        for op in ops where b.count - i >= op.utf8.count && b[i..<(i + op.utf8.count)].elementsEqual(op.utf8) {
            matched = op
            break
        }
        guard let op = matched else { throw ShellSyntaxError(message: "bad substitution", offset: s) }
        i += op.utf8.count
        p.op = op
        try enter()
        p.argument = try parseParts(stop: .braceArgument)
        leave()
        guard peek() == 0x7D else { throw ShellSyntaxError(message: "unterminated ${", offset: s) }
        i += 1
        return .parameter(p)
    }

    private mutating func decodeANSIC() throws(ShellSyntaxError) -> String {
        let s = i
        var out: [UInt8] = []
        func hex(_ c: UInt8) -> UInt32? {
            switch c {
            case 0x30...0x39: return UInt32(c - 0x30)
            case 0x41...0x46: return UInt32(c - 0x41 + 10)
            case 0x61...0x66: return UInt32(c - 0x61 + 10)
            default: return nil
            }
        }
        func appendScalar(_ v: UInt32) {
            if let u = Unicode.Scalar(v) { out.append(contentsOf: Array(String(Character(u)).utf8)) }
        }
        while i < b.count && b[i] != 0x27 {
            let c = b[i]
            guard c == 0x5C, i + 1 < b.count else {
                out.append(c)
                i += 1
                continue
            }
            let e = b[i + 1]
            i += 2
            switch e {
            case 0x6E: out.append(0x0A)  // n
            case 0x74: out.append(0x09)  // t
            case 0x72: out.append(0x0D)  // r
            case 0x61: out.append(0x07)  // a
            case 0x62: out.append(0x08)  // b
            case 0x65, 0x45: out.append(0x1B)  // e E
            case 0x66: out.append(0x0C)  // f
            case 0x76: out.append(0x0B)  // v
            case 0x5C, 0x27, 0x22, 0x3F: out.append(e)
            case 0x63:  // \cX
                if i < b.count {
                    out.append(b[i] & 0x1F)
                    i += 1
                }
            case 0x78, 0x75, 0x55:  // \xHH \uHHHH \UHHHHHHHH
                let maxDigits = e == 0x78 ? 2 : (e == 0x75 ? 4 : 8)
                var v: UInt32 = 0
                var n = 0
                while n < maxDigits, i < b.count, let h = hex(b[i]) {
                    v = v * 16 + h
                    i += 1
                    n += 1
                }
                if n == 0 {
                    out.append(0x5C)
                    out.append(e)
                } else if e == 0x78 {
                    out.append(UInt8(v))
                } else {
                    appendScalar(v)
                }
            case 0x30...0x37:  // octal
                var v: UInt32 = UInt32(e - 0x30)
                var n = 1
                while n < 3, i < b.count, b[i] >= 0x30, b[i] <= 0x37 {
                    v = v * 8 + UInt32(b[i] - 0x30)
                    i += 1
                    n += 1
                }
                out.append(UInt8(truncatingIfNeeded: v))
            default:
                out.append(0x5C)
                out.append(e)
            }
        }
        if i >= b.count { throw ShellSyntaxError(message: "unterminated $'", offset: s - 2) }
        i += 1
        return String(decoding: out, as: UTF8.self)
    }
}
