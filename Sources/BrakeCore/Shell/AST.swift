/// A parsed shell program: a list of and-or lists, each run in the foreground or in the background.
public struct Script: Sendable, Equatable {
    /// The items in execution order.
    public var items: [ListItem]

    /// Creates a script from its items.
    public init(items: [ListItem] = []) {
        self.items = items
    }
}

/// One and-or list and whether it runs in the background (`&`).
public struct ListItem: Sendable, Equatable {
    /// The and-or list.
    public var andOr: AndOr
    /// True when the list ends with `&`.
    public var background: Bool
}

/// Pipelines joined by `&&` and `||`.
public struct AndOr: Sendable, Equatable {
    /// The first pipeline.
    public var first: Pipeline
    /// The following pipelines with the operator before each (`&&` or `||`).
    public var rest: [(op: String, pipeline: Pipeline)]

    public static func == (lhs: AndOr, rhs: AndOr) -> Bool {
        lhs.first == rhs.first && lhs.rest.map(\.op) == rhs.rest.map(\.op)
            && lhs.rest.map(\.pipeline) == rhs.rest.map(\.pipeline)
    }

    /// All pipelines in order.
    public var pipelines: [Pipeline] { [first] + rest.map(\.pipeline) }
}

/// Commands joined by `|` or `|&`, optionally negated with `!`.
public struct Pipeline: Sendable, Equatable {
    /// The commands, left to right.
    public var commands: [Command]
    /// True when the pipeline starts with `!`.
    public var negated: Bool
}

/// A simple or compound command.
public indirect enum Command: Sendable, Equatable {
    /// Assignments, words and redirections.
    case simple(SimpleCommand)
    /// `( list )`.
    case subshell(Script, [Redirect])
    /// `{ list; }`.
    case group(Script, [Redirect])
    /// `if`/`elif`/`else`: every condition and body in source order, plus the else body.
    case ifClause(conditions: [Script], bodies: [Script], elseBody: Script?, redirects: [Redirect])
    /// `for name in words; do body; done` (words nil: the positional parameters).
    case forLoop(variable: String, words: [Word]?, body: Script, redirects: [Redirect])
    /// `for (( … ))` arithmetic loop.
    case arithmeticFor(header: String, body: Script, redirects: [Redirect])
    /// `while`/`until` loops.
    case whileLoop(condition: Script, body: Script, until: Bool, redirects: [Redirect])
    /// `case word in pattern) body;; esac`.
    case caseClause(subject: Word, items: [CaseItem], redirects: [Redirect])
    /// `name() body` or `function name body`.
    case function(name: String, body: Command)
    /// `(( expression ))`.
    case arithmetic(String, [Redirect])
    /// `[[ expression ]]`, kept as words.
    case conditional([Word], [Redirect])
    /// `select name in words; do body; done`.
    case select(variable: String, words: [Word]?, body: Script, redirects: [Redirect])
}

/// One branch of a `case` command.
public struct CaseItem: Sendable, Equatable {
    /// The patterns before `)`.
    public var patterns: [Word]
    /// The body.
    public var body: Script
}

/// A command with optional leading assignments and redirections anywhere.
public struct SimpleCommand: Sendable, Equatable {
    /// `NAME=value` words before the command name.
    public var assignments: [Assignment]
    /// The command name and its arguments, before expansion.
    public var words: [Word]
    /// The redirections, in source order.
    public var redirects: [Redirect]
}

/// `NAME=value`, `NAME+=value` or `NAME=(array words)`.
public struct Assignment: Sendable, Equatable {
    /// The variable name.
    public var name: String
    /// The scalar value (empty word for `NAME=`).
    public var value: Word
    /// The array elements for `NAME=( … )`.
    public var array: [Word]?
    /// True for `+=`.
    public var append: Bool
}

/// A redirection such as `> file`, `2>&1` or a here-document.
public struct Redirect: Sendable, Equatable {
    /// The explicit file descriptor, if one was written.
    public var fd: Int?
    /// The operator as written (`>`, `>>`, `<`, `<<`, `<<-`, `<<<`, `>&`, `<&`, `&>`, `&>>`, `>|`, `<>`).
    public var op: String
    /// The target word (the delimiter for here-documents).
    public var target: Word
    /// The here-document, for `<<` and `<<-`.
    public var heredoc: Heredoc?

    /// True when the redirection writes to its target.
    public var writes: Bool {
        switch op {
        case ">", ">>", ">|", "&>", "&>>", "<>": return true
        case ">&": return !target.isFileDescriptorNumber
        default: return false
        }
    }

    /// True when the redirection truncates (not appends to) its target.
    public var truncates: Bool {
        switch op {
        case ">", ">|", "&>": return true
        case ">&": return !target.isFileDescriptorNumber
        default: return false
        }
    }
}

/// The body of a here-document.
public struct Heredoc: Sendable, Equatable {
    /// The body text with tabs stripped for `<<-`.
    public var body: String
    /// True when the delimiter was quoted, so the body is not expanded.
    public var quoted: Bool
    /// The parsed body when it is expanded (unquoted delimiter).
    public var expandable: Word?
}

/// A shell word before expansion: a sequence of parts.
public struct Word: Sendable, Equatable {
    /// The parts in order.
    public var parts: [WordPart]

    /// Creates a word from parts.
    public init(_ parts: [WordPart]) {
        self.parts = parts
    }

    /// The word's text when it contains only literal parts (quoted or not), else nil.
    public var literalText: String? {
        var out = ""
        for part in parts {
            switch part {
            case .literal(let s), .singleQuoted(let s), .escaped(let s), .ansiC(let s): out += s
            case .doubleQuoted(let inner):
                guard let t = Word(inner).literalText else { return nil }
                out += t
            case .tilde(let user): out += "~" + user
            default: return nil
            }
        }
        return out
    }

    /// True when the word is one unquoted literal (a candidate for reserved words and aliases).
    public var isPlainLiteral: Bool {
        parts.count == 1 && { if case .literal = parts[0] { return true } else { return false } }()
    }

    var isFileDescriptorNumber: Bool {
        guard let t = literalText else { return false }
        return t == "-" || (!t.isEmpty && t.allSatisfy(\.isNumber))
    }
}

/// One piece of a word.
public indirect enum WordPart: Sendable, Equatable {
    /// Unquoted text (may hold glob characters).
    case literal(String)
    /// A backslash-escaped character outside quotes.
    case escaped(String)
    /// `'text'`.
    case singleQuoted(String)
    /// `$'text'` with its escapes already decoded.
    case ansiC(String)
    /// `"…"` with its inner parts.
    case doubleQuoted([WordPart])
    /// `$name` or `${…}`.
    case parameter(ParameterExpansion)
    /// `$(…)` or a backquoted command.
    case commandSubstitution(Script)
    /// `$((…))`.
    case arithmetic(String)
    /// `<(…)` (output false) or `>(…)` (output true).
    case processSubstitution(Script, output: Bool)
    /// A leading `~` or `~user`.
    case tilde(String)
}

/// `$name`, `${name}`, `${name:-word}`, `${#name}`, `${name[@]}` and friends.
public struct ParameterExpansion: Sendable, Equatable {
    /// The parameter name (`HOME`, `1`, `@`, `?` …).
    public var name: String
    /// The subscript for arrays (`@`, `*` or an index), if any.
    public var index: String?
    /// The operator (`:-`, `-`, `:=`, `=`, `:?`, `?`, `:+`, `+`, `#`, `##`, `%`, `%%`, `/`, `//`, `^`, `,`, `:` …).
    public var op: String?
    /// The word after the operator.
    public var argument: Word?
    /// True for `${#name}`.
    public var length: Bool
    /// True for `${!name}`.
    public var indirect: Bool
}
