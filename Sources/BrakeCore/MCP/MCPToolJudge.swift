/// MCP tools judged by what they do, not by what their server says of them. The MCP specification says clients
/// must treat tool annotations as untrusted unless the server is trusted, so here annotations may only raise a
/// tool's risk (`destructiveHint: true` counts; `readOnlyHint: true` lowers nothing) unless the policy names the
/// server in `settings.mcp_trusted_servers`. What the tool does comes from its name, its description and its
/// input schema, and from the arguments of the call: a deleting verb, a service the tool belongs to (mail, chat,
/// a forge, a tracker, a database), ids or a query that select many items, recipients, SQL text.
enum MCPToolJudge {
    /// The facts about one call.
    struct Facts {
        var server: String
        var tool: String
        var arguments: JSONValue?
        var hints: [String: Bool]
        var description: String
        /// The input schema's properties, as `name:type`.
        var parameters: [String]
        var trusted: Bool
    }

    static let deletingWords: Set<String> = [
        "delete", "deletes", "remove", "removes", "drop", "drops", "destroy", "destroys", "purge", "purges",
        "truncate", "wipe", "wipes", "erase", "erases", "terminate", "trash", "trashes", "archive", "archives",
        "expunge", "empty", "batchdelete", "bulkdelete", "unlink", "revoke", "revokes", "uninstall", "kill", "reset",
        "cancel",
    ]
    static let sendingWords: Set<String> = ["send", "sends", "publish", "transfer", "pay"]
    static let services: [(words: Set<String>, service: String)] = [
        (["gmail", "mail", "email", "emails", "outlook", "inbox", "message", "messages", "thread", "threads"], "mail"),
        (["slack", "channel", "channels", "chat"], "chat"),
        (["github", "gitlab", "repo", "repository", "repositories", "branch", "pull", "issue", "issues"], "forge"),
        (["jira", "confluence", "atlassian", "linear", "ticket", "tickets", "page", "pages"], "tracker"),
        (
            ["drive", "file", "files", "document", "documents", "folder", "folders", "dropbox", "box", "onedrive"],
            "files"
        ),
        (["calendar", "event", "events"], "calendar"),
        (["stripe", "customer", "customers", "subscription", "subscriptions", "invoice"], "payments"),
        (
            ["postgres", "mysql", "sqlite", "database", "db", "table", "tables", "collection", "mongo", "redis"],
            "database"
        ),
        (["bucket", "s3", "object", "objects", "storage"], "storage"),
        (["user", "users", "account", "accounts", "member", "members"], "accounts"),
    ]

    /// Words of a name or text: camelCase, snake_case, kebab-case and dotted names split apart, lowercased.
    static func words(_ text: String) -> [String] {
        var out: [String] = []
        var cur = ""
        var prevLower = false
        for ch in text {
            if ch.isLetter || ch.isNumber {
                if ch.isUppercase && prevLower && !cur.isEmpty {
                    out.append(cur.lowercased())
                    cur = ""
                }
                cur.append(ch)
                prevLower = ch.isLowercase || ch.isNumber
            } else {
                if !cur.isEmpty { out.append(cur.lowercased()) }
                cur = ""
                prevLower = false
            }
        }
        if !cur.isEmpty { out.append(cur.lowercased()) }
        return out
    }

    /// The effects of a call, beside the `mcp.call` every call gets.
    static func effects(_ f: Facts) -> (destructive: Bool, readOnly: Bool, effects: [Effect]) {
        let name = words(f.tool)
        // The description's first sentence says what the tool does ("Permanently deletes the messages …").
        let sentence = f.description.prefix { $0 != "." && $0 != "\n" && $0 != ";" && $0 != "," }
        let described = Array(words(String(sentence)).prefix(16))
        let readOnly = f.trusted && f.hints["readOnlyHint"] == true
        let deleting =
            name.contains { deletingWords.contains($0) } || described.prefix(2).contains { deletingWords.contains($0) }
            || f.hints["destructiveHint"] == true
        let sending = name.contains { sendingWords.contains($0) }
        var out: [Effect] = []
        guard !readOnly else { return (false, true, out) }
        let about = Set(words(f.server) + name + described)
        let service = services.first { !$0.words.isDisjoint(with: about) }?.service
        // Many items: an id list with more than one entry, a query or filter that selects, a batch or bulk name,
        // or a schema built for it (an `ids` array, a `query` string) on a deleting tool.
        var many = name.contains { ["batch", "bulk", "all", "many", "batchdelete", "bulkdelete"].contains($0) }
        var selects = false
        if case .object(let members)? = f.arguments {
            for (k, v) in members {
                let key = words(k)
                if case .array(let items) = v, items.count > 1,
                    key.contains(where: {
                        ["ids", "id", "items", "messages", "keys", "names", "files", "users"].contains($0)
                    })
                {
                    many = true
                }
                if case .string(let s) = v, !s.isEmpty,
                    key.contains(where: {
                        ["query", "q", "filter", "search", "where", "selector", "label"].contains($0)
                    })
                {
                    selects = true
                }
            }
        }
        for p in f.parameters {
            let parts = p.split(separator: ":", maxSplits: 1).map(String.init)
            let key = words(parts.first ?? "")
            if parts.count == 2, parts[1] == "array", key.contains(where: { ["ids", "items", "keys"].contains($0) }) {
                many = many || f.arguments == nil
            }
            if key.contains(where: { ["query", "filter"].contains($0) }) && f.arguments == nil { selects = true }
        }
        let what = "MCP tool \(f.server)/\(f.tool)"
        if deleting {
            out.append(
                Effect(
                    "mcp.destructive",
                    attrs: ["server": .string(f.server), "tool": .string(f.tool)],
                    invocation: -1,
                    detail: "\(what) deletes or destroys"
                )
            )
            if many || selects {
                out.append(
                    Effect(
                        "saas.bulk-delete",
                        attrs: [
                            "server": .string(f.server), "tool": .string(f.tool),
                            "service": .string(service ?? f.server),
                        ],
                        invocation: -1,
                        detail: "\(what) deletes every item \(selects ? "a query selects" : "it is given")"
                    )
                )
            } else if let service {
                out.append(
                    Effect(
                        "saas.delete",
                        attrs: ["server": .string(f.server), "tool": .string(f.tool), "service": .string(service)],
                        invocation: -1,
                        detail: "\(what) deletes \(service) data"
                    )
                )
            }
        } else if sending {
            out.append(
                Effect(
                    "mcp.destructive",
                    attrs: ["server": .string(f.server), "tool": .string(f.tool)],
                    invocation: -1,
                    detail: "\(what) sends, posts or pays"
                )
            )
        }
        return (deleting || sending, false, out)
    }
}
