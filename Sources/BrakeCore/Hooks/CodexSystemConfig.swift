/// Codex's system configuration layer, `/etc/codex/config.toml`: hooks there are managed (they run without the
/// per-hook trust review that user and project hooks need, and no user setting removes them). Codex reads inline
/// `[[hooks.PreToolUse]]` tables from it. Brake owns one marked block and edits nothing else in the file:
/// arrays of tables may be appended after any other table, so the rest of the operator's TOML stays as written.
public enum CodexSystemConfig {
    public static let path = "/etc/codex/config.toml"
    static let begin =
        "# >>> brake: written by `brake install codex --system`; `brake uninstall codex --system` removes it"
    static let end = "# <<< brake"

    /// The file with Brake's block (replacing an earlier one), or nil when a table the block would clash with
    /// is already declared another way (`[hooks.PreToolUse]` as a single table, or an inline `hooks = …`).
    public static func install(existing: String?, command: String) -> Result<String, HookConfigError> {
        let rest = without(existing ?? "")
        for raw in rest.split(separator: "\n") {
            let line = raw.drop { $0 == " " || $0 == "\t" }
            if line.hasPrefix("[hooks.PreToolUse]") || line.hasPrefix("[hooks.PreToolUse.hooks]")
                || line.hasPrefix("hooks =") || line.hasPrefix("hooks=") || line.hasPrefix("PreToolUse =")
            {
                return .failure(
                    HookConfigError(
                        message:
                            "\(path) declares PreToolUse hooks as a plain table (\(line.prefix(40))); make them [[hooks.PreToolUse]] arrays and run this again"
                    )
                )
            }
        }
        var text = rest
        if !text.isEmpty && !text.hasSuffix("\n") { text += "\n" }
        if !text.isEmpty && !text.hasSuffix("\n\n") { text += "\n" }
        text += """
            \(begin)
            [[hooks.PreToolUse]]
            matcher = "*"

            [[hooks.PreToolUse.hooks]]
            type = "command"
            command = \(basicString(command))
            timeout = 30
            \(end)

            """
        return .success(text)
    }

    /// The file without Brake's block; nil when nothing else is left in it.
    public static func uninstall(existing: String) -> String? {
        let rest = without(existing)
        return rest.allSatisfy(\.isWhitespace) ? nil : rest
    }

    /// Codex's requirements file: what users cannot change. Hooks are a feature a user's own `config.toml` can turn
    /// off (the user layer outranks the system one); `[features] hooks = true` here pins them on
    /// (developers.openai.com/codex/enterprise/managed-configuration).
    public static let requirementsPath = "/etc/codex/requirements.toml"
    static let pinMarker = "# brake: keeps managed hooks on (brake install codex --system)"

    /// The requirements file with `[features] hooks = true`: a line added to an existing `[features]` table, or a
    /// marked block; an error when the operator's file pins hooks to something else.
    public static func pinHooks(existing: String?) -> Result<String, HookConfigError> {
        let text = existing ?? ""
        if installed(text) || text.includes(pinMarker) { return .success(text) }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if let header = lines.firstIndex(where: { $0.trimmingSpaces == "[features]" }) {
            var i = header + 1
            while i < lines.count, !lines[i].trimmingSpaces.hasPrefix("[") {
                let l = lines[i].trimmingSpaces
                if l.hasPrefix("hooks") && l.dropFirst(5).trimmingSpaces.hasPrefix("=") {
                    let value = l.split(separator: "=", maxSplits: 1).last.map { String($0).trimmingSpaces } ?? ""
                    if value.hasPrefix("true") { return .success(text) }
                    return .failure(
                        HookConfigError(
                            message:
                                "\(requirementsPath) pins [features] hooks = \(value); Brake's hook needs them on: set it to true"
                        )
                    )
                }
                i += 1
            }
            lines.insert("hooks = true  " + pinMarker, at: header + 1)
            return .success(lines.joined(separator: "\n"))
        }
        if text.includes("features.") {
            return .failure(
                HookConfigError(
                    message: "\(requirementsPath) sets features with dotted keys; add features.hooks = true there"
                )
            )
        }
        var out = text
        if !out.isEmpty && !out.hasSuffix("\n") { out += "\n" }
        if !out.isEmpty { out += "\n" }
        return .success(out + "\(begin)\n[features]\nhooks = true\n\(end)\n")
    }

    /// The requirements file without Brake's pin; nil when nothing else is left.
    public static func unpinHooks(existing: String) -> String? {
        let lines = without(existing).split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasSuffix(pinMarker) }
        let rest = lines.joined(separator: "\n")
        return rest.allSatisfy(\.isWhitespace) ? nil : rest
    }

    /// Whether the file holds Brake's block.
    public static func installed(_ text: String) -> Bool { text.contains(begin) }

    /// The hook commands in Brake's block (for `brake doctor`).
    public static func commands(_ text: String) -> [String] {
        var inside = false
        var out: [String] = []
        for line in text.split(separator: "\n") {
            if line == begin {
                inside = true
            } else if line == end {
                inside = false
            } else if inside,
                line.hasPrefix("command = \""), line.hasSuffix("\"")
            {
                out.append(unescape(line.dropFirst(11).dropLast()))
            }
        }
        return out
    }

    static func without(_ text: String) -> String {
        var out: [Substring] = []
        var inside = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == begin {
                inside = true
            } else if inside && line == end {
                inside = false
            } else if !inside {
                out.append(line)
            }
        }
        var s = out.joined(separator: "\n")
        while s.hasSuffix("\n\n") { s.removeLast() }
        return s
    }

    /// A TOML basic string.
    static func basicString(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if u.value < 0x20 || u.value == 0x7F {
                    let hex = String(u.value, radix: 16, uppercase: true)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }

    static func unescape(_ s: Substring) -> String {
        var out = ""
        var escaped = false
        for c in s {
            if escaped {
                switch c {
                case "n": out.append("\n")
                case "t": out.append("\t")
                case "r": out.append("\r")
                default: out.append(c)
                }
                escaped = false
            } else if c == "\\" {
                escaped = true
            } else {
                out.append(c)
            }
        }
        return out
    }
}

/// A configuration Brake will not edit, and why.
public struct HookConfigError: Error, Sendable, Equatable {
    public let message: String
    public init(message: String) { self.message = message }
}
