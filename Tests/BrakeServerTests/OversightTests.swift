import BrakeCore
import BrakeServer
import Crypto
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Oversight: reports, suggestions, sign-off reports, the Reports page")
struct OversightTests {
    static var teams: ServerConfig {
        var c = ServerConfig()
        c.teams = ["payments": ["dev"], "platform": ["jo"]]
        return c
    }

    /// Opens a request for a shell action as `user` and has `approver` vote after `seconds`.
    func approved(
        _ h: Harness,
        _ command: String,
        by approver: String,
        after seconds: Int = 0,
        vote: String = "approve",
        as user: String = "dev"
    ) async throws -> String {
        let r = try await h.call(.post, "/v1/approvals", as: user, Harness.shell(command))
        let id = r.json["id"]?.stringValue ?? ""
        #expect(r.status == 201 || r.status == 200, "\(r.text)")
        h.clock.advance(seconds)
        let v = try await h.call(.post, "/v1/approvals/\(id)/\(vote)", as: approver, .object([]))
        #expect(v.status == 200, "\(v.text)")
        // The requester's retry uses it, as a hook does; the next identical action opens a new request.
        if vote == "approve" { _ = try await h.call(.post, "/v1/approvals/\(id)/consume", as: user, .object([])) }
        return id
    }

    @Test("the report's figures on a known history: counts, latency percentiles, teams, stops, CSV")
    func knownHistory() async throws {
        try await Harness.with(config: Self.teams) { h in
            for d in ["allow", "allow", "allow", "ask", "deny"] { _ = try await h.report(d, session: "a1") }
            h.clock.advance(1800)
            _ = try await h.report("ask", session: "a1")
            for d in ["allow", "ask"] { _ = try await h.report(d, session: "j1", as: "jo") }
            // Latencies 10, 20, 30, 40, 600 seconds: nearest rank p50 = 30, p90 = 600.
            for (i, s) in [10, 20, 30, 40, 600].enumerated() {
                _ = try await approved(h, "git push --force origin b\(i)", by: "sam", after: s)
            }
            _ = try await h.call(
                .post,
                "/v1/stops",
                as: "sam",
                .object([("scope", .string("user")), ("value", .string("dev")), ("reason", .string("r"))])
            )
            let r = try await h.call(.get, "/v1/reports?since=7d", as: "sam")
            #expect(r.status == 200, "\(r.text)")
            let j = r.json
            // Decisions: 6 + 2 reported, and the 5 requests were judged by the server without a decision report.
            #expect(j["actions"]?.intValue == 8 && j["asks"]?.intValue == 3 && j["denies"]?.intValue == 1)
            #expect(j["approval_latency"]?["p50_seconds"]?.intValue == 30)
            #expect(j["approval_latency"]?["p90_seconds"]?.intValue == 600)
            #expect(j["approval_latency"]?["count"]?.intValue == 5)
            #expect(j["requests"]?["approved"]?.intValue == 5 && j["stops"]?.intValue == 1)
            // Sessions: a1 spans 1800 s (+60), j1 0 s (+60): 1920 s; 3 asks → 5.63 per agent-hour.
            #expect(j["agent_hours"] == .number(0.53) && j["asks_per_agent_hour"] == .number(5.63))
            let byPerson = j["by_person"]?.arrayValue ?? []
            #expect(byPerson.first?["name"]?.stringValue == "dev" && byPerson.first?["actions"]?.intValue == 6)
            let team = try await h.call(.get, "/v1/reports?since=7d&team=platform", as: "sam").json
            #expect(
                team["actions"]?.intValue == 2 && team["asks"]?.intValue == 1 && team["team"] == .string("platform")
            )
            #expect(team["approval_latency"]?["count"]?.intValue == 0)
            let unknown = try await h.call(.get, "/v1/reports?team=nobody", as: "sam")
            #expect(unknown.status == 400 && unknown.text.contains("payments"))
            #expect(try await h.call(.get, "/v1/reports?since=week", as: "sam").status == 400)
            let csv = try await h.call(.get, "/v1/reports?since=7d&format=csv", as: "sam")
            #expect(csv.headers[.contentType]?.hasPrefix("text/csv") == true)
            let lines = csv.text.split(separator: "\n").map(String.init)
            #expect(lines.first?.hasPrefix("group,name,actions,asks,denies,stopped,would_ask") == true)
            #expect(lines.dropFirst().first?.hasPrefix("total,,8,3,1,0,0,0.53,5.63,30,600") == true, "\(lines)")
            #expect(lines.contains { $0.hasPrefix("team,payments,6,2,1,") })
            // An agent's token reads no reports.
            let agent = try await h.call(
                .post,
                "/v1/tokens",
                as: "dev",
                .object([("scope", .string("agent")), ("label", .string("hooks"))])
            )
            let hooks = agent.json["token"]?.stringValue ?? ""
            #expect(try await h.call(.get, "/v1/reports", as: hooks).status == 403)
        }
    }

    @Test("five approvals of one shape by two people give one suggestion; rejected, it never comes back")
    func suggestions() async throws {
        try await Harness.with { h in
            let force = "git push --force origin feature/login"
            for i in 0..<4 { _ = try await approved(h, force, by: i % 2 == 0 ? "sam" : "sue") }
            #expect(
                try await h.call(.get, "/v1/suggestions", as: "sam").json["suggestions"]?.arrayValue?.isEmpty == true
            )
            _ = try await approved(h, force, by: "sue")
            // One person's approvals alone, a denied shape, several commands of other shapes: nothing.
            for _ in 0..<5 { _ = try await approved(h, "git push --force origin solo", by: "sam") }
            for i in 0..<5 {
                _ = try await approved(
                    h,
                    "git push --force origin once-denied",
                    by: i % 2 == 0 ? "sam" : "sue",
                    vote: i == 4 ? "deny" : "approve"
                )
            }
            let list = try await h.call(.get, "/v1/suggestions", as: "sam").json["suggestions"]?.arrayValue ?? []
            #expect(list.count == 1)
            let s = list.first ?? .null
            #expect(s["rule"]?.stringValue == "git.force-push" && s["pattern"]?.stringValue == force)
            #expect(s["repository"]?.stringValue == "github.com/acme/shop" && s["approvals"]?.intValue == 5)
            let id = s["id"]?.stringValue ?? ""
            #expect(try await h.call(.post, "/v1/suggestions/\(id)/reject", as: "sam").status == 403)
            let rejected = try await h.call(.post, "/v1/suggestions/\(id)/reject", as: "admin")
            #expect(rejected.status == 200 && rejected.json["status"]?.stringValue == "rejected")
            _ = try await approved(h, force, by: "sam")
            #expect(
                try await h.call(.get, "/v1/suggestions", as: "sam").json["suggestions"]?.arrayValue?.isEmpty == true
            )
            #expect(try await h.call(.post, "/v1/suggestions/\(id)/accept", as: "admin").status == 404)
            let audit = try await h.call(.get, "/v1/audit?kind=suggestion.rejected", as: "admin")
            #expect(audit.text.contains(id))
            // The action still asks: a rejection changes nothing in the policy.
            let (v, _) = try await JudgeTests.judge(h, Harness.shell(force))
            #expect(v["decision"]?.stringValue == "ask")
        }
    }

    @Test("an accepted suggestion is part of the policy: the next identical action passes, others still ask")
    func accepted() async throws {
        try await Harness.with { h in
            let force = "git push --force origin feature/login"
            for i in 0..<5 { _ = try await approved(h, force, by: i % 2 == 0 ? "sam" : "sue") }
            let id =
                try await h.call(.get, "/v1/suggestions", as: "sam").json["suggestions"]?.arrayValue?.first?["id"]?
                .stringValue ?? ""
            let etag = try await h.call(.get, "/v1/policy", as: "dev").headers[.eTag]
            let a = try await h.call(.post, "/v1/suggestions/\(id)/accept", as: "admin")
            #expect(a.status == 200 && a.json["status"]?.stringValue == "accepted")
            let policy = try await h.call(.get, "/v1/policy", as: "dev")
            #expect(
                policy.headers[.eTag] != etag && policy.text.contains(force)
                    && policy.text.contains("accepted suggestion")
            )
            var served = Policy.standard
            try served.merge(yaml: policy.text, source: "served")
            #expect(served.exceptions.count == 1, "hooks can load what is served")
            let (v, _) = try await JudgeTests.judge(h, Harness.shell(force))
            #expect(v["decision"]?.stringValue == "allow")
            let (other, _) = try await JudgeTests.judge(h, Harness.shell("git push --force origin main"))
            #expect(other["decision"]?.stringValue == "ask")
            #expect(try await h.call(.post, "/v1/suggestions/\(id)/accept", as: "admin").status == 404)
        }
    }

    @Test("sign-off reports: a person's or CI's token records them, the latest report of a commit wins")
    func signoffReports() async throws {
        try await Harness.with { h in
            let sha = String(repeating: "ab", count: 20)
            let committed = h.clock.now - 3600
            func commit(_ passed: Bool, signers: [String]) -> JSONValue {
                .object([
                    ("commit", .string(sha)), ("time", .number(Double(committed))),
                    ("provenance", .string("ai-assisted")), ("requirements", .array([.string("1 × senior")])),
                    ("signers", .array(signers.map { .string($0) })), ("passed", .bool(passed)),
                    ("missing", .array(passed ? [] : [.string("1 more sign-off by a senior")])),
                    ("added_lines", .number(10)), ("agent_lines", .number(7)),
                ])
            }
            let body = { (c: JSONValue) in
                JSONValue.object([("repository", .string("github.com/acme/shop")), ("commits", .array([c]))])
            }
            #expect(try await h.call(.post, "/v1/signoffs", as: "dev", body(commit(false, signers: []))).status == 201)
            h.clock.advance(600)
            #expect(
                try await h.call(.post, "/v1/signoffs", as: "sam", body(commit(true, signers: ["sam@acme.io"]))).status
                    == 201
            )
            let rows = try await h.call(.get, "/v1/signoffs?repository=github.com/acme/shop", as: "sam").json["commits"]
            let row = rows?.arrayValue?.first
            #expect(rows?.arrayValue?.count == 1 && row?["passed"] == .bool(true))
            #expect(row?["signed_at"]?.intValue == h.clock.now)
            let r = try await h.call(.get, "/v1/reports?since=7d", as: "sam").json["commits"]
            #expect(r?["total"]?.intValue == 1 && r?["ai_assisted"]?.intValue == 1 && r?["signed_off"]?.intValue == 1)
            #expect(r?["signoff_wait"]?["p50_seconds"]?.intValue == 4200)
            let bad = try await h.call(
                .post,
                "/v1/signoffs",
                as: "sam",
                .object([("repository", .string("x")), ("commits", .array([.object([("commit", .string("nope"))])]))])
            )
            #expect(bad.status == 400 && bad.text.contains("commits[0].commit"))
            let agent =
                try await h.call(
                    .post,
                    "/v1/tokens",
                    as: "dev",
                    .object([("scope", .string("agent")), ("label", .string("hooks"))])
                ).json["token"]?.stringValue ?? ""
            #expect(try await h.call(.post, "/v1/signoffs", as: agent, body(commit(true, signers: []))).status == 403)
        }
    }

    @Test("the Reports page: figures, charts with their text, suggestions an admin accepts on the page")
    func page() async throws {
        try await Harness.with { h in
            let force = "git push --force origin feature/login"
            for i in 0..<5 { _ = try await approved(h, force, by: i % 2 == 0 ? "sam" : "sue", after: 60) }
            for d in ["allow", "ask", "deny"] { _ = try await h.report(d) }
            let ui = WebUITests()
            let (cookie, _) = try await ui.signIn(h, as: "sam")
            let page = try await h.client.execute(uri: "/ui/reports?since=7d", method: .get, headers: [.cookie: cookie])
            let html = String(buffer: page.body)
            #expect(page.status == .ok)
            #expect(html.contains("<svg class=\"chart\" role=\"img\" aria-labelledby=\"chart-repo-t chart-repo-d\""))
            #expect(html.contains("<title id=\"chart-rules-t\">Rules that ask most</title>"))
            #expect(
                html.contains("<desc id=\"chart-repo-d\">github.com/acme/shop: asks 1, denies 1, would ask 0</desc>")
            )
            #expect(html.contains("id=\"f-actions\">3<") && html.contains("p50 60 s · p90 60 s"))
            #expect(
                html.contains(force) && !html.contains("/accept\""),
                "a senior sees the suggestion, not the buttons"
            )
            let (adminCookie, csrf) = try await ui.signIn(h, as: "admin")
            let admin = String(
                buffer: try await h.client.execute(uri: "/ui/reports", method: .get, headers: [.cookie: adminCookie])
                    .body
            )
            let id =
                admin.firstRange(of: "/ui/reports/suggestions/").map { r in
                    String(admin[r.upperBound...].prefix { $0 != "/" })
                } ?? ""
            #expect(id.hasPrefix("sug_"))
            let accepted = try await ui.form(h, "/ui/reports/suggestions/\(id)/accept", adminCookie, "csrf=\(csrf)")
            #expect(accepted.status == .seeOther && accepted.headers[.location]?.contains("Accepted") == true)
            let stale = try await ui.form(h, "/ui/reports/suggestions/\(id)/reject", adminCookie, "csrf=wrong")
            #expect(stale.status == .forbidden)
            let (v, _) = try await JudgeTests.judge(h, Harness.shell(force))
            #expect(v["decision"]?.stringValue == "allow")
            let signoffs = try await h.client.execute(uri: "/ui/signoffs", method: .get, headers: [.cookie: cookie])
            #expect(signoffs.status == .ok && String(buffer: signoffs.body).contains("Record sign-offs for a range"))
            // A range's envelopes pasted on the page, one per line: each filed under the commit its statement names.
            let key = Curve25519Key.make()
            let shas = [String(repeating: "1a", count: 20), String(repeating: "2b", count: 20)]
            let envelopes = try shas.map { sha in
                try Signoff.sign(
                    Signoff.Statement(
                        commit: sha,
                        tree: String(repeating: "0", count: 40),
                        signer: "sam@acme.io",
                        level: "senior",
                        repository: "github.com/acme/shop",
                        range: "a..b",
                        time: 1,
                        expires: 2,
                        comment: ""
                    ),
                    privateKey: Array(key.rawRepresentation)
                )
            }
            let (samCookie, samCsrf) = try await ui.signIn(h, as: "sam")
            let body =
                "csrf=\(samCsrf)&repository=github.com%2Facme%2Fshop&envelopes="
                + Percent.encode(envelopes.joined(separator: "\n"))
            let recorded = try await ui.form(h, "/ui/signoffs", samCookie, body)
            #expect(recorded.status == .seeOther && recorded.headers[.location]?.contains("Recorded%202") == true)
            let found = try await h.call(
                .post,
                "/v1/signoffs/lookup",
                as: "dev",
                .object([("commits", .array(shas.map { .string($0) }))])
            )
            #expect(found.json["envelopes"]?[shas[0]]?.strings == [envelopes[0]])
            #expect(found.json["envelopes"]?[shas[1]]?.strings == [envelopes[1]])
            let junk = try await ui.form(h, "/ui/signoffs", samCookie, "csrf=\(samCsrf)&repository=x&envelopes=%7B%7D")
            #expect(junk.headers[.location]?.contains("error=") == true)
        }
    }
}
