/// SaaS and data APIs judged by method and endpoint, whatever sends the request (curl, wget, httpie, xh, an
/// interpreter's HTTP client, `gh api`, `az rest`): the destructive endpoints of mail (Gmail, Microsoft Graph),
/// chat (Slack), forges (GitHub, GitLab), trackers (Jira, Confluence), payments and messaging (Stripe, Twilio),
/// DNS and edge (Cloudflare) and search clusters (Elasticsearch, OpenSearch) — including deletions sent as POST —
/// and, for any other API, a DELETE or a POST to a path that names a deletion.
enum Endpoints {
    /// One judged HTTP call.
    struct Call: Equatable {
        /// `saas.delete`, `saas.bulk-delete` or `net.http-delete`.
        var kind: String
        var service: String
        var detail: String
    }

    /// Words in a path or RPC method name that delete.
    static let deleting: Set<String> = [
        "delete", "deletes", "batchdelete", "remove", "purge", "destroy", "trash", "wipe", "erase", "archive",
        "permanentdelete", "empty", "emptytrash", "truncate", "drop", "_delete_by_query", "bulkdelete",
    ]

    /// The path's words: segments, and the parts of RPC names (`chat.delete`, `messages:batchDelete`).
    static func words(_ path: String) -> [String] {
        path.lowercased().split(whereSeparator: { "/.:?&=-".contains($0) }).map(String.init)
    }

    /// Judges a call; nil when it deletes nothing Brake knows of.
    static func judge(method rawMethod: String, url: String, body: String?) -> Call? {
        let method = rawMethod.uppercased()
        guard method != "GET" && method != "HEAD" && method != "OPTIONS" else { return nil }
        var rest = Substring(url)
        if let r = rest.firstRange(of: "://") { rest = rest[r.upperBound...] }
        let hostEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        var host = String(rest[..<hostEnd]).lowercased()
        if let at = host.lastIndex(of: "@") { host = String(host[host.index(after: at)...]) }
        let path = String(rest[hostEnd...].prefix { $0 != "?" && $0 != "#" })
        let segments = path.split(separator: "/").map { String($0) }
        let lowerPath = path.lowercased()
        let lowerBody = (body ?? "").lowercased()
        let last = segments.last?.lowercased() ?? ""

        func bodyDeletes() -> Bool {
            lowerBody.includes("\"delete\"") || lowerBody.includes("method\":\"delete") || lowerBody.includes("trash")
                || lowerBody.includes("mutation") && lowerBody.includes("delete")
        }
        // Mail: Gmail (also through www.googleapis.com/gmail) and Microsoft Graph.
        if host == "gmail.googleapis.com" || host == "www.googleapis.com" && lowerPath.hasPrefix("/gmail/") {
            if last.hasSuffix("batchdelete") || last.hasSuffix(":batchdelete") {
                return Call(
                    kind: "saas.bulk-delete",
                    service: "gmail",
                    detail: "Gmail batchDelete deletes messages for good"
                )
            }
            if last.hasSuffix("batchmodify"), lowerBody.includes("trash") || body == nil {
                return Call(
                    kind: "saas.bulk-delete",
                    service: "gmail",
                    detail: "Gmail batchModify moves messages in bulk"
                )
            }
            if last == "trash" || method == "DELETE" {
                return Call(kind: "saas.delete", service: "gmail", detail: "Gmail \(method) \(path) deletes mail")
            }
            return nil
        }
        if host == "graph.microsoft.com" {
            if last == "$batch" && bodyDeletes() {
                return Call(kind: "saas.bulk-delete", service: "microsoft-graph", detail: "a Graph $batch of deletions")
            }
            if method == "DELETE" || last == "permanentdelete"
                || last == "move" && lowerBody.includes("deleteditems")
            {
                return Call(kind: "saas.delete", service: "microsoft-graph", detail: "Graph \(method) \(path)")
            }
            return nil
        }
        if host == "slack.com" || host.hasSuffix(".slack.com") {
            let rpc = last.split(separator: ".").map(String.init)
            if rpc.contains(where: {
                ["delete", "archive", "remove", "disable", "deletescheduledmessage"].contains($0)
            }) {
                return Call(kind: "saas.delete", service: "slack", detail: "Slack \(last)")
            }
            return nil
        }
        // Search clusters: delete-by-query and index drops are bulk, on any host.
        if lowerPath.includes("/_delete_by_query") {
            return Call(
                kind: "saas.bulk-delete",
                service: "elasticsearch",
                detail: "_delete_by_query deletes every match"
            )
        }
        if method == "DELETE",
            host.hasSuffix(":9200") || host.includes("elastic") || host.includes("opensearch")
                || host.includes(".es.") || segments.count == 1 && (segments[0] == "_all" || segments[0].includes("*"))
        {
            let bulk = segments.count <= 1 || segments.first == "_all" || segments.first?.includes("*") == true
            return Call(
                kind: bulk ? "saas.bulk-delete" : "saas.delete",
                service: "elasticsearch",
                detail: bulk ? "DELETE \(path) drops whole indices" : "DELETE \(path)"
            )
        }
        if host == "api.github.com" || host.hasSuffix("/api/v3") || host == "gitlab.com"
            || lowerPath.hasPrefix("/api/v4/")
        {
            let service = host.includes("gitlab") || lowerPath.hasPrefix("/api/v4/") ? "gitlab" : "github"
            if last == "graphql" && bodyDeletes() {
                return Call(kind: "saas.delete", service: service, detail: "a GraphQL mutation that deletes")
            }
            if method == "DELETE" {
                return Call(kind: "saas.delete", service: service, detail: "DELETE \(path) on \(service)")
            }
            if lowerBody.includes("\"archived\":true") || lowerBody.includes("\"archived\": true") {
                return Call(kind: "saas.delete", service: service, detail: "archives a repository")
            }
            return nil
        }
        let known: [(String, String)] = [
            ("atlassian.net", "jira"), ("api.stripe.com", "stripe"), ("api.twilio.com", "twilio"),
            ("api.cloudflare.com", "cloudflare"), ("api.sendgrid.com", "sendgrid"), ("api.notion.com", "notion"),
            ("api.linear.app", "linear"), ("api.hubapi.com", "hubspot"), ("api.pagerduty.com", "pagerduty"),
            ("api.datadoghq.com", "datadog"), ("api.vercel.com", "vercel"), ("api.heroku.com", "heroku"),
            ("api.digitalocean.com", "digitalocean"), ("api.mailgun.net", "mailgun"), ("api.airtable.com", "airtable"),
            ("googleapis.com", "google"), ("api.openai.com", "openai"), ("api.zendesk.com", "zendesk"),
        ]
        let service = known.first(where: { host == $0.0 || host.hasSuffix("." + $0.0) })?.1
        let bulk = segments.contains { $0.lowercased().includes("bulk") || $0.lowercased().includes("batch") }
        let pathDeletes = segments.suffix(2).contains { seg in
            words(seg).contains { deleting.contains($0) } || deleting.contains(seg.lowercased())
        }
        if let service, method == "DELETE" || pathDeletes {
            return Call(
                kind: bulk ? "saas.bulk-delete" : "saas.delete",
                service: service,
                detail: "\(service) \(method) \(path)"
            )
        }
        if method == "DELETE" || pathDeletes && (method == "POST" || method == "PUT" || method == "PATCH") {
            return Call(kind: bulk ? "saas.bulk-delete" : "net.http-delete", service: host, detail: "\(method) \(url)")
        }
        return nil
    }
}

extension Analyzer {
    /// GAM, the Google Workspace admin CLI: `gam user bob delete messages query … doit`, `gam all users trash
    /// messages …`, `gam delete user bob`. Message deletions without `doit` only preview what would go.
    func recognizeGAM(_ idx: Int, _ inv: Invocation) {
        let words = inv.args.map { $0.text.lowercased() }
        let verbs: Set<String> = ["delete", "trash", "purge", "wipe", "deprovision", "remove", "undelete-never"]
        guard let v = words.firstIndex(where: { verbs.contains($0) }) else { return }
        let object = v + 1 < words.count ? words[v + 1] : ""
        let messages = ["messages", "message", "threads", "thread", "drivefile", "drivefiles", "events"].contains(
            object
        )
        if messages && !words.contains("doit") { return }
        let many =
            words.contains("all") || words.contains("query") || words.contains("ou") || words.contains("group")
            || words.contains("users") || words.contains("max_to_delete") || words.contains("max_to_trash")
        addEffect(
            many || messages ? "saas.bulk-delete" : "saas.delete",
            attrs: ["service": .string("google-workspace"), "operation": .string(words[v] + " " + object)],
            invocation: idx,
            detail: "gam \(words[v]) \(object)" + (many ? " for everything a query or a group matches" : "")
        )
    }
}
