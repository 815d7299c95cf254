import BrakeCore
import BrakeServer
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Approver's page, metrics, webhooks (router level)")
struct WebUITests {
    /// Signs in through the form; returns the cookie header value and the page's CSRF token.
    func signIn(_ h: Harness, as user: String) async throws -> (cookie: String, csrf: String) {
        let r = try await h.client.execute(
            uri: "/ui/login",
            method: .post,
            headers: [.contentType: "application/x-www-form-urlencoded"],
            body: ByteBuffer(string: "token=" + h.tokens[user]!)
        )
        #expect(r.status == .seeOther)
        let set = r.headers[.setCookie] ?? ""
        #expect(set.contains("HttpOnly") && set.contains("SameSite=Strict"))
        let cookie = String(set.split(separator: ";")[0])
        let page = try await h.client.execute(uri: "/ui", method: .get, headers: [.cookie: cookie])
        let html = String(buffer: page.body)
        let csrf =
            html.firstRange(of: "name=\"csrf\" value=\"").map { r in
                String(html[r.upperBound...].prefix { $0 != "\"" })
            } ?? ""
        #expect(csrf.count == 32)
        return (cookie, csrf)
    }

    func form(_ h: Harness, _ uri: String, _ cookie: String, _ body: String) async throws -> TestResponse {
        try await h.client.execute(
            uri: uri,
            method: .post,
            headers: [.cookie: cookie, .contentType: "application/x-www-form-urlencoded"],
            body: ByteBuffer(string: body)
        )
    }

    @Test("sign-in, session cookie, CSRF on forms, role checks, sign-out")
    func page() async throws {
        try await Harness.with { h in
            let anon = try await h.client.execute(uri: "/ui", method: .get)
            #expect(anon.status == .seeOther && anon.headers[.location] == "/ui/login")
            let bad = try await h.client.execute(
                uri: "/ui/login",
                method: .post,
                headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "token=brk_nope_nope")
            )
            #expect(bad.status == .unauthorized)
            let (cookie, csrf) = try await signIn(h, as: "jo")
            let page = try await h.client.execute(uri: "/ui", method: .get, headers: [.cookie: cookie])
            #expect(page.status == .ok)
            #expect(page.headers[.contentSecurityPolicy]?.contains("frame-ancestors 'none'") == true)
            // Another site's form: sign-in (login CSRF) and a valid-looking form post are refused, nothing happens.
            for headers: HTTPFields in [
                [.contentType: "application/x-www-form-urlencoded", .origin: "http://evil.example"],
                [.contentType: "application/x-www-form-urlencoded", HTTPField.Name("Sec-Fetch-Site")!: "cross-site"],
                [
                    .contentType: "application/x-www-form-urlencoded", .origin: "null",
                    HTTPField.Name("Sec-Fetch-Site")!: "same-site",
                ],
            ] {
                let foreign = try await h.client.execute(
                    uri: "/ui/login",
                    method: .post,
                    headers: headers,
                    body: ByteBuffer(string: "token=" + h.tokens["jo"]!)
                )
                #expect(foreign.status == .forbidden && foreign.headers[.setCookie] == nil)
                var withSession = headers
                withSession[.cookie] = cookie
                let stop = try await h.client.execute(
                    uri: "/ui/stops",
                    method: .post,
                    headers: withSession,
                    body: ByteBuffer(string: "csrf=\(csrf)&scope=all&reason=x")
                )
                #expect(stop.status == .forbidden)
            }
            #expect(try await h.call(.get, "/v1/stops", as: "sam").json["stops"]?.arrayValue?.isEmpty == true)
            // This page's own form, as a browser posts it under `Referrer-Policy: no-referrer`, signs in.
            let own = try await h.client.execute(
                uri: "/ui/login",
                method: .post,
                headers: [
                    .contentType: "application/x-www-form-urlencoded", .origin: "null",
                    HTTPField.Name("Sec-Fetch-Site")!: "same-origin",
                ],
                body: ByteBuffer(string: "token=" + h.tokens["jo"]!)
            )
            #expect(own.status == .seeOther)
            // No CSRF token: refused, nothing stopped.
            #expect(try await form(h, "/ui/stops", cookie, "scope=all&reason=x").status == .forbidden)
            #expect(try await h.call(.get, "/v1/stops", as: "sam").json["stops"]?.arrayValue?.isEmpty == true)
            let ok = try await form(h, "/ui/stops", cookie, "csrf=\(csrf)&scope=all&reason=incident+42")
            #expect(ok.status == .seeOther)
            let stops = try await h.call(.get, "/v1/stops", as: "sam").json["stops"]?.arrayValue ?? []
            #expect(stops.count == 1 && stops[0]["reason"]?.stringValue == "incident 42")
            // A junior cannot lift it: the page comes back with the reason.
            let id = stops[0]["id"]!.stringValue!
            let lift = try await form(h, "/ui/stops/\(id)/lift", cookie, "csrf=\(csrf)&reason=done")
            #expect(lift.headers[.location]?.contains("error=") == true)
            #expect(try await h.call(.get, "/v1/stops", as: "sam").json["stops"]?.arrayValue?.count == 1)
            // Approving from the page follows the API's rules.
            let req = try await h.ask("web")
            let rid = req["id"]!.stringValue!
            let no = try await form(h, "/ui/requests/\(rid)/decide", cookie, "csrf=\(csrf)&decision=approve")
            #expect(no.headers[.location]?.contains("error=") == true)
            let (samCookie, samCSRF) = try await signIn(h, as: "sam")
            let yes = try await form(
                h,
                "/ui/requests/\(rid)/decide",
                samCookie,
                "csrf=\(samCSRF)&decision=approve&reason=ok"
            )
            #expect(yes.headers[.location]?.contains("msg=Approved") == true)
            let detail = try await h.client.execute(
                uri: "/ui/requests/\(rid)",
                method: .get,
                headers: [.cookie: samCookie]
            )
            #expect(String(buffer: detail.body).contains("sam</strong> (senior) approved"))
            // The admin page is for the top role, and its link is shown only to that role.
            let admin = try await h.client.execute(uri: "/ui/admin", method: .get, headers: [.cookie: samCookie])
            #expect(admin.status == .forbidden)
            let samPage = try await h.client.execute(uri: "/ui", method: .get, headers: [.cookie: samCookie])
            #expect(!String(buffer: samPage.body).contains("href=\"/ui/admin\""))
            // The audit view reads as sentences, not JSON.
            let audit = try await h.client.execute(uri: "/ui/audit", method: .get, headers: [.cookie: samCookie])
            let auditText = String(buffer: audit.body)
            #expect(auditText.contains("sam (senior) approved \(rid)") && auditText.contains("stopped"))
            #expect(!auditText.contains("{&quot;") && !auditText.contains("{\"kind"))
            // A request without a session shows no empty session label; one with a session names it.
            _ = try await h.call(.post, "/v1/approvals", as: "dev", Harness.action("nosess", session: ""))
            let pending = String(
                buffer: try await h.client.execute(uri: "/ui", method: .get, headers: [.cookie: samCookie]).body
            )
            #expect(!pending.contains("session </span>") && !pending.contains("\"muted\"></span>"))
            // A page that does not exist is a page that says so.
            let missing = try await h.client.execute(uri: "/ui/stop", method: .get, headers: [.cookie: samCookie])
            #expect(missing.status == .notFound && String(buffer: missing.body).contains("There is no page at"))
            // Sign-out ends the session.
            _ = try await form(h, "/ui/logout", cookie, "csrf=\(csrf)")
            let after = try await h.client.execute(uri: "/ui", method: .get, headers: [.cookie: cookie])
            #expect(after.status == .seeOther)
        }
    }

    @Test("a session's page shows what its hooks kept, and how to undo it there")
    func checkpoints() async throws {
        try await Harness.with { h in
            let summary = JSONValue.object([
                ("id", .string("ck-20261201-120000-000001-abcd")), ("session", .string("sess-undo")),
                ("agent", .string("claude-code")), ("host", .string("laptop-7")), ("action", .string("rm -r assets")),
                ("kept", .number(3)), ("paths", .array([.string("/w/p/assets/run.sh"), .string("/w/p/assets/a.svg")])),
                ("skipped", .number(1)), ("unresolved", .number(0)),
            ])
            let posted = try await h.call(
                .post,
                "/v1/checkpoints",
                as: "dev",
                .object([("checkpoints", .array([summary]))])
            )
            #expect(posted.status == 201 && posted.json["recorded"]?.intValue == 1)
            for bad: JSONValue in [
                .object([]),
                .object([("checkpoints", .array([.object([("id", .string("x")), ("session", .string("s"))])]))]),
                .object([("checkpoints", .array([.string("ck-1")]))]),
            ] {
                #expect(try await h.call(.post, "/v1/checkpoints", as: "dev", bad).status == 400)
            }
            #expect(
                try await h.call(.post, "/v1/checkpoints", as: nil, .object([("checkpoints", .array([summary]))]))
                    .status == 401
            )
            let (cookie, _) = try await signIn(h, as: "sam")
            func page(_ uri: String) async throws -> String {
                String(buffer: try await h.client.execute(uri: uri, method: .get, headers: [.cookie: cookie]).body)
            }
            let html = try await page("/ui/sessions/sess-undo")
            #expect(html.contains("What can be undone") && html.contains("ck-20261201-120000-000001-abcd"))
            #expect(html.contains("brake undo --session sess-undo") && html.contains("laptop-7"))
            #expect(html.contains("3 files kept, 1 not kept") && html.contains("/w/p/assets/run.sh"))
            let other = try await page("/ui/sessions/another")
            #expect(!other.contains("What can be undone"))
        }
    }

    @Test("/metrics counts decisions by outcome and rule, and the gauges")
    func metrics() async throws {
        try await Harness.with { h in
            _ = try await h.call(
                .post,
                "/v1/decisions",
                as: "dev",
                .object([("decision", .string("ask")), ("rules", .array([.string("git.force-push")]))])
            )
            _ = try await h.ask("m")
            #expect(try await h.client.execute(uri: "/metrics", method: .get).status == .unauthorized)
            let r = try await h.call(.get, "/metrics", as: "sam")
            let text = r.text
            #expect(text.contains(#"brake_decisions_total{outcome="ask",rule="git.force-push"} 1"#))
            #expect(text.contains("brake_pending_requests 1"))
            #expect(text.contains("brake_hook_call_seconds_count 1"))
            #expect(text.contains("# TYPE brake_approval_latency_seconds histogram"))
        }
    }

    @Test("webhook deliveries are retried and their failure is visible to admins")
    func webhookFailure() async throws {
        var config = ServerConfig()
        config.webhooks = [Webhook(url: "http://127.0.0.1:9/unreachable", secret: "s", events: [])]
        config.webhookRetries = 2
        try await Harness.with(config: config) { h in
            _ = try await h.call(.post, "/v1/stops", as: "jo", .object([("scope", .string("all"))]))
            #expect(try await h.call(.get, "/v1/webhooks/deliveries", as: "sam").status == 403)
            var status = ""
            for _ in 0..<100 {
                let d =
                    try await h.call(.get, "/v1/webhooks/deliveries", as: "admin").json["deliveries"]?.arrayValue ?? []
                status = d.first?["status"]?.stringValue ?? ""
                if status == "failed" {
                    #expect(d.first?["attempts"]?.intValue == 3)
                    #expect(d.first?["event"]?.stringValue == "stop.created")
                    break
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(status == "failed")
            #expect(
                try await h.call(.get, "/metrics", as: "sam").text.contains("brake_webhook_failures_total 1")
            )
        }
    }

    @Test("markup characters glued to combining marks are still escaped")
    func escaping() async throws {
        try await Harness.with { h in
            let sneaky = "x\"\u{0301} onmouseover=\u{0301}alert(1) <\u{0338}script>"
            _ = try await h.call(
                .post,
                "/v1/approvals",
                as: "dev",
                Harness.action(sneaky, session: sneaky)
            )
            let (cookie, _) = try await signIn(h, as: "sam")
            let page = try await h.client.execute(uri: "/ui", method: .get, headers: [.cookie: cookie])
            let html = String(buffer: page.body)
            #expect(html.contains("x&quot; onmouseover"))
            #expect(!html.contains("<script>") && !html.contains("\"\u{0301}"))
        }
    }

    @Test("the webhook signature is HMAC-SHA256 over timestamp and body")
    func signature() {
        // Known answer: python3 -c 'import hmac,hashlib;print(hmac.new(b"key",b"1700000000.{}",hashlib.sha256).hexdigest())'
        #expect(
            Notifier.signature(secret: "key", timestamp: 1_700_000_000, body: "{}")
                == "sha256=9d713ed406bb7076d4123f0dc2c39d2df5c654ed4b0cd56b52c8b4c940bd63ae"
        )
    }
}
