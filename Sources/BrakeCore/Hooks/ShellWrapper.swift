/// The command inside an agent's shell wrapper. Claude Code hands its shell prefix one string such as
/// `source SNAPSHOT || true && eval 'CMD' < /dev/null && pwd -P >| CWDFILE`: the command the agent asked for is the
/// one `eval` argument; the rest is the agent's own plumbing.
public enum ShellWrapper {
    /// Builtins the wrapper itself uses around the command; nothing else may appear beside the `eval`.
    static let plumbing: Set<String> = ["source", ".", "true", ":", "shopt", "pwd", "set", "unset", "cd", "export"]

    /// The single command the wrapper evaluates — only when everything else in it is plumbing with literal words
    /// (so an approval for that command covers this run of it and nothing added beside it); else nil.
    public static func evaluated(_ wrapped: String) -> String? {
        guard let script = try? ShellParser.parse(wrapped) else { return nil }
        var found: String?
        for item in script.items {
            guard !item.background else { return nil }
            for pipeline in item.andOr.pipelines {
                guard pipeline.commands.count == 1, case .simple(let c) = pipeline.commands[0], c.assignments.isEmpty
                else { return nil }
                let words = c.words.map(\.literalText)
                guard let name = words.first ?? nil, !words.contains(nil) else { return nil }
                if name == "eval" {
                    guard found == nil, words.count == 2, let command = words[1] else { return nil }
                    found = command
                } else if !plumbing.contains(name) {
                    return nil
                }
            }
        }
        return found
    }

    /// The program a shell command starts with (its first word), for the credentials an approval unlocks.
    public static func program(_ command: String) -> String? {
        guard let script = try? ShellParser.parse(command), let item = script.items.first,
            case .simple(let c) = item.andOr.first.commands.first
        else { return nil }
        return c.words.first?.literalText
    }
}
