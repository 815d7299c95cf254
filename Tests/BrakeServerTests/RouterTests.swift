import BrakeCore
import BrakeServer
import Hummingbird
import HummingbirdTesting
import Testing

/// Router-level tests: every endpoint and every role check, through HTTP requests to the real router.
struct Harness {
    let client: any TestClientProtocol
    let clock: TestClock
    var tokens: [String: String] = [:]

    func call(
        _ method: HTTPRequest.Method,
        _ uri: String,
        as user: String?,
        _ body: JSONValue? = nil,
        headers extra: HTTPFields = [:]
    ) async throws -> (status: Int, json: JSONValue, headers: HTTPFields, text: String) {
        var headers = extra
        if let user { headers[.authorization] = "Bearer \(tokens[user] ?? user)" }
        let r = try await client.execute(
            uri: uri,
            method: method,
            headers: headers,
            body: body.map { ByteBuffer(string: $0.serialized) }
        )
        let text = String(buffer: r.body)
        return (Int(r.status.code), (try? JSONValue.parse(text)) ?? .null, r.headers, text)
    }

    /// Test rules: an MCP tool `op_ROLE` (or `op_ROLE_2` for two approvers) asks for that role.
    static let testPolicy: String = {
        var out = "rules:\n"
        for role in ["junior", "mid", "senior", "admin", "operator"] {
            for n in [1, 2] {
                out += "  - id: test.\(role)-\(n)\n"
                out += "    decision: ask\n"
                out += "    message: A test operation for \(n) x \(role).\n"
                out += "    approvers: {role: \(role), count: \(n)}\n"
                out += "    match: {effect: mcp.call, attrs: {tool: [op_\(role)\(n == 2 ? "_2" : "")]}}\n"
                out += "    examples: {match: [], no_match: []}\n"
            }
        }
        return out
    }()

    /// A raw action for `POST /v1/judge` and `POST /v1/approvals`: the MCP tool that asks for `role` × `count`,
    /// with `tag` in its arguments so different tags are different actions.
    static func action(_ tag: String, role: String = "senior", count: Int = 1, session: String = "s1") -> JSONValue {
        let tool = "op_\(role)\(count == 2 ? "_2" : "")"
        return .object([
            ("agent", .string("claude-code")), ("session", .string(session)), ("tool", .string(tool)),
            (
                "actions",
                .array([
                    .object([
                        ("kind", .string("mcp")), ("server", .string("test")), ("tool", .string(tool)),
                        ("arguments", .string(JSONValue.object([("tag", .string(tag))]).serialized)),
                    ])
                ])
            ),
            ("context", .object([("cwd", .string("/home/dev/shop")), ("home", .string("/home/dev"))])),
            ("repositories", .array([.string("github.com/acme/shop")])), ("environment", .string("staging")),
        ])
    }

    /// A raw shell action.
    static func shell(_ command: String, session: String = "s1") -> JSONValue {
        .object([
            ("agent", .string("claude-code")), ("session", .string(session)), ("tool", .string("Bash")),
            ("actions", .array([.object([("kind", .string("shell")), ("command", .string(command))])])),
            ("context", .object([("cwd", .string("/home/dev/shop")), ("home", .string("/home/dev"))])),
            ("repositories", .array([.string("github.com/acme/shop")])),
        ])
    }

    /// Runs `body` against a fresh server with users admin, sam and sue (senior), dev (mid), jo (junior).
    static func with(
        config: ServerConfig = ServerConfig(),
        _ body: @escaping @Sendable (Harness) async throws -> Void
    ) async throws {
        let dir = try TempDir()
        var config = config
        if config.policyFile == nil {
            let file = dir.path + "/test-policy.yaml"
            try FileIO.write(file, testPolicy)
            config.policyFile = file
        }
        let store = try SQLiteStore(path: dir.path + "/brake.sqlite")
        let clock = TestClock()
        let plane = try BrakeServerMain.plane(
            store: store,
            config: config,
            key: Curve25519Key.make(),
            clock: { clock.now },
            webhookBackoff: .milliseconds(10),
            webhookTimeout: .milliseconds(300)
        )
        let admin = try await plane.bootstrap()!
        let app = Application(router: Routes.router(plane: plane, openAPI: OpenAPI.document))
        try await app.test(.router) { client in
            var h = Harness(client: client, clock: clock, tokens: ["admin": admin])
            for (name, role) in [("sam", "senior"), ("sue", "senior"), ("dev", "mid"), ("jo", "junior")] {
                let r = try await h.call(
                    .post,
                    "/v1/users",
                    as: "admin",
                    .object([("name", .string(name)), ("role", .string(role))])
                )
                #expect(r.status == 201)
                h.tokens[name] = r.json["token"]?.stringValue
            }
            try await body(h)
            _ = dir
        }
    }

    /// Asks for approval of the test action `tag` that needs `role` × `count` (the server computes both).
    func ask(_ tag: String, as user: String = "dev", role: String = "senior", count: Int = 1) async throws -> JSONValue
    {
        try await call(.post, "/v1/approvals", as: user, Harness.action(tag, role: role, count: count)).json
    }

    func report(
        _ decision: String,
        session: String = "s1",
        effects: [String] = [],
        as user: String = "dev"
    )
        async throws -> JSONValue
    {
        try await call(
            .post,
            "/v1/decisions",
            as: user,
            .object([
                ("decision", .string(decision)), ("agent", .string("claude-code")), ("session", .string(session)),
                ("action", .string("rm x")), ("effects", .array(effects.map { .string($0) })),
                ("repository", .string("github.com/acme/shop")), ("environment", .string("staging")),
            ])
        ).json
    }
}

@Suite("Control plane API")
struct RouterTests {
    @Test("health, OpenAPI and the public key need no token; everything else does")
    func publicEndpoints() async throws {
        try await Harness.with { h in
            #expect(try await h.call(.get, "/v1/health", as: nil).status == 200)
            let doc = try await h.call(.get, "/v1/openapi.yaml", as: nil)
            #expect(doc.status == 200 && doc.text.contains("/v1/approvals/{id}/wait"))
            #expect(try await h.call(.get, "/v1/audit/public-key", as: nil).json["public_key"] != nil)
            for path in [
                "/v1/me", "/v1/stops", "/v1/approvals", "/v1/sessions", "/v1/audit", "/v1/users", "/v1/policy",
            ] {
                let r = try await h.call(.get, path, as: nil)
                #expect(r.status == 401, "\(path)")
                #expect(r.json["error"]?.stringValue?.contains("Bearer") == true)
            }
            #expect(try await h.call(.get, "/v1/me", as: "brk_forged_token").status == 401)
            #expect(try await h.call(.get, "/v1/me", as: "sam").json["role"]?.stringValue == "senior")
        }
    }

    @Test("users: only the top role adds users and changes roles; the last admin stays")
    func users() async throws {
        try await Harness.with { h in
            let add = JSONValue.object([("name", .string("kim")), ("role", .string("mid"))])
            #expect(try await h.call(.post, "/v1/users", as: "sam", add).status == 403)
            #expect(try await h.call(.post, "/v1/users", as: "admin", add).status == 201)
            #expect(try await h.call(.post, "/v1/users", as: "admin", add).status == 409)
            let bad = try await h.call(
                .post,
                "/v1/users",
                as: "admin",
                .object([("name", .string("x")), ("role", .string("wizard"))])
            )
            #expect(bad.status == 400 && bad.json["error"]?.stringValue?.contains("junior, mid, senior, admin") == true)
            #expect(
                try await h.call(
                    .post,
                    "/v1/users",
                    as: "admin",
                    .object([("name", .string("a b")), ("role", .string("mid"))])
                )
                .status == 400
            )
            #expect(try await h.call(.post, "/v1/users", as: "admin", .object([("name", .string("z"))])).status == 400)
            let list = try await h.call(.get, "/v1/users", as: "jo")
            #expect(list.json["users"]?.arrayValue?.count == 6)
            let role = JSONValue.object([("role", .string("senior"))])
            #expect(try await h.call(.put, "/v1/users/jo/role", as: "sam", role).status == 403)
            #expect(
                try await h.call(.put, "/v1/users/jo/role", as: "admin", role).json["role"]?.stringValue == "senior"
            )
            #expect(try await h.call(.put, "/v1/users/ghost/role", as: "admin", role).status == 404)
            let demote = try await h.call(
                .put,
                "/v1/users/admin/role",
                as: "admin",
                .object([("role", .string("mid"))])
            )
            #expect(demote.status == 409)
        }
    }

    @Test("tokens: random, shown once, hashed, revocable; only the top role acts for others")
    func tokens() async throws {
        try await Harness.with { h in
            let mine = try await h.call(.post, "/v1/tokens", as: "dev", .object([("label", .string("laptop"))]))
            #expect(mine.status == 201)
            let token = mine.json["token"]!.stringValue!
            let id = mine.json["record"]!["id"]!.stringValue!
            #expect(token.hasPrefix("brk_\(id)_"))
            #expect(try await h.call(.get, "/v1/me", as: token).json["name"]?.stringValue == "dev")
            #expect(
                try await h.call(.post, "/v1/tokens", as: "dev", .object([("user", .string("sam"))])).status == 403
            )
            #expect(
                try await h.call(.post, "/v1/tokens", as: "admin", .object([("user", .string("sam"))])).status == 201
            )
            let listed = try await h.call(.get, "/v1/tokens", as: "dev")
            #expect(listed.text.contains(id) && !listed.text.contains(token))
            #expect(try await h.call(.get, "/v1/tokens?all=true", as: "dev").status == 403)
            #expect(try await h.call(.delete, "/v1/tokens/\(id)", as: "jo").status == 403)
            #expect(try await h.call(.delete, "/v1/tokens/\(id)", as: "dev").status == 200)
            #expect(try await h.call(.get, "/v1/me", as: token).status == 401)
            #expect(try await h.call(.delete, "/v1/tokens/nope", as: "admin").status == 404)
        }
    }

    @Test("approvals: bound to digest and requester, N approvers of a role, never self, one deny ends, used once")
    func approvals() async throws {
        try await Harness.with { h in
            let a = try await h.ask("one")
            let id = a["id"]!.stringValue!
            #expect(a["status"]?.stringValue == "pending")
            #expect(a["required"]?["role"]?.stringValue == "senior")
            // The same ask again returns the same pending request.
            #expect(try await h.ask("one")["id"]?.stringValue == id)
            // Requester, junior and mid cannot approve a senior request.
            let selfApprove = try await h.call(.post, "/v1/approvals/\(id)/approve", as: "dev")
            #expect(
                selfApprove.status == 403 && selfApprove.json["error"]?.stringValue?.contains("cannot decide") == true
            )
            #expect(try await h.call(.post, "/v1/approvals/\(id)/approve", as: "jo").status == 403)
            let waiting = try await h.call(.get, "/v1/approvals/\(id)/wait?timeout=0", as: "dev")
            #expect(waiting.json["status"]?.stringValue == "pending")
            let ok = try await h.call(
                .post,
                "/v1/approvals/\(id)/approve",
                as: "sam",
                .object([("reason", .string("hotfix"))])
            )
            #expect(ok.json["status"]?.stringValue == "approved")
            #expect(try await h.call(.post, "/v1/approvals/\(id)/approve", as: "sue").status == 409)
            // Someone else asking for the same digest does not get this approval.
            #expect(try await h.ask("one", as: "jo")["status"]?.stringValue == "pending")
            // The requester's identical retry consumes it once; the next one opens a new request.
            let used = try await h.ask("one")
            #expect(used["status"]?.stringValue == "used" && used["id"]?.stringValue == id)
            let again = try await h.ask("one")
            #expect(again["status"]?.stringValue == "pending" && again["id"]?.stringValue != id)
            // One deny ends a request, whoever else approves.
            let two = try await h.ask("two", count: 2)
            let tid = two["id"]!.stringValue!
            #expect(
                try await h.call(.post, "/v1/approvals/\(tid)/approve", as: "sam").json["status"]?.stringValue
                    == "pending"
            )
            #expect(try await h.call(.post, "/v1/approvals/\(tid)/approve", as: "sam").status == 409)
            #expect(
                try await h.call(.post, "/v1/approvals/\(tid)/deny", as: "jo").json["status"]?.stringValue == "denied"
            )
            #expect(try await h.call(.post, "/v1/approvals/\(tid)/approve", as: "sue").status == 409)
            #expect(try await h.call(.post, "/v1/approvals/\(tid)/consume", as: "dev").status == 409)
            // Two seniors make a two-person request approved.
            let three = try await h.ask("three", count: 2)
            let rid = three["id"]!.stringValue!
            _ = try await h.call(.post, "/v1/approvals/\(rid)/approve", as: "sam")
            #expect(
                try await h.call(.post, "/v1/approvals/\(rid)/approve", as: "sue").json["status"]?.stringValue
                    == "approved"
            )
            #expect(try await h.call(.post, "/v1/approvals/\(rid)/consume", as: "sam").status == 403)
            #expect(
                try await h.call(.post, "/v1/approvals/\(rid)/consume", as: "dev").json["status"]?.stringValue == "used"
            )
            #expect(try await h.call(.post, "/v1/approvals/\(rid)/consume", as: "dev").status == 409)
            // Listing and reading
            let pending = try await h.call(.get, "/v1/approvals", as: "jo")
            #expect(
                pending.json["approvals"]?.arrayValue?.allSatisfy { $0["status"]?.stringValue == "pending" } == true
            )
            #expect(
                try await h.call(.get, "/v1/approvals?status=all", as: "jo").json["approvals"]?.arrayValue?.count == 5
            )
            #expect(try await h.call(.get, "/v1/approvals?status=bogus", as: "jo").status == 400)
            #expect(try await h.call(.get, "/v1/approvals/\(rid)", as: "jo").json["votes"]?.arrayValue?.count == 2)
            #expect(try await h.call(.get, "/v1/approvals/req_missing", as: "jo").status == 404)
            #expect(try await h.call(.post, "/v1/approvals", as: "dev", .object([])).status == 400)
            #expect(try await h.call(.post, "/v1/approvals", as: "dev", body: "{not json").status == 400)
        }
    }

    @Test("an agent token reports, asks and uses approvals, but never decides, lifts or manages")
    func agentTokens() async throws {
        try await Harness.with { h in
            // The senior's hooks run with an agent token of the senior's.
            let made = try await h.call(.post, "/v1/tokens", as: "sam", .object([("scope", .string("agent"))]))
            #expect(made.status == 201 && made.json["record"]?["scope"]?.stringValue == "agent")
            let agent = made.json["token"]!.stringValue!
            #expect(try await h.call(.get, "/v1/me", as: agent).json["scope"]?.stringValue == "agent")
            #expect(try await h.report("allow", as: agent)["decision"]?.stringValue == "allow")
            // Another person's request: the agent token cannot approve it, though sam could.
            let other = try await h.ask("other-person")
            let oid = other["id"]!.stringValue!
            let vote = try await h.call(.post, "/v1/approvals/\(oid)/approve", as: agent)
            #expect(vote.status == 403 && vote.json["error"]?.stringValue?.contains("agent token") == true)
            // Its own request goes through the normal path: a person approves, the agent uses it once.
            let mine = try await h.ask("agent-own", as: agent)
            let mid = mine["id"]!.stringValue!
            #expect(try await h.call(.post, "/v1/approvals/\(mid)/approve", as: "sue").status == 200)
            #expect(try await h.ask("agent-own", as: agent)["status"]?.stringValue == "used")
            // No managing, no lifting, no new tokens.
            #expect(try await h.call(.post, "/v1/tokens", as: agent, .object([])).status == 403)
            #expect(
                try await h.call(
                    .post,
                    "/v1/users",
                    as: agent,
                    .object([("name", .string("x")), ("role", .string("admin"))])
                )
                .status == 403
            )
            // An agent token may stop a session or an agent (its own brake), never everyone or a person.
            #expect(try await h.call(.post, "/v1/stops", as: agent, .object([("scope", .string("all"))])).status == 403)
            let userStop = try await h.call(
                .post,
                "/v1/stops",
                as: agent,
                .object([("scope", .string("user")), ("value", .string("sue"))])
            )
            #expect(userStop.status == 403)
            let stop = try await h.call(
                .post,
                "/v1/stops",
                as: agent,
                .object([("scope", .string("session")), ("value", .string("s9"))])
            )
            #expect(stop.status == 201)
            #expect(try await h.call(.get, "/v1/audit", as: agent).status == 403)
            #expect(try await h.call(.post, "/v1/stops/\(stop.json["id"]!.stringValue!)/lift", as: agent).status == 403)
            #expect(
                try await h.call(.post, "/v1/tokens", as: "sam", .object([("scope", .string("root"))])).status == 400
            )
            // The page does not take agent tokens.
            let page = try await h.client.execute(
                uri: "/ui/login",
                method: .post,
                headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "token=" + agent)
            )
            #expect(page.status == .unauthorized)
        }
    }

    @Test("approvals expire; an approved request past its expiry cannot be used")
    func expiry() async throws {
        try await Harness.with { h in
            let a = try await h.ask("exp")
            let id = a["id"]!.stringValue!
            h.clock.advance(16 * 60)
            #expect(try await h.call(.get, "/v1/approvals/\(id)", as: "dev").json["status"]?.stringValue == "expired")
            #expect(try await h.call(.post, "/v1/approvals/\(id)/approve", as: "sam").status == 409)
            let b = try await h.ask("exp2")
            let bid = b["id"]!.stringValue!
            _ = try await h.call(.post, "/v1/approvals/\(bid)/approve", as: "sam")
            h.clock.advance(16 * 60)
            #expect(try await h.ask("exp2")["status"]?.stringValue == "pending")
            #expect(
                try await h.call(.get, "/v1/approvals?status=expired", as: "dev").json["approvals"]?.arrayValue?.count
                    == 2
            )
        }
    }

    @Test("the server judges the raw action: a forged digest, summary, rules or requirement changes nothing")
    func requirementFromServerPolicy() async throws {
        let dir = try TempDir()
        let file = dir.path + "/org.yaml"
        try FileIO.write(
            file,
            Harness.testPolicy + "overrides:\n  - rule: git.force-push\n    approvers: {role: senior, count: 2}\n"
        )
        var config = ServerConfig()
        config.policyFile = file
        try await Harness.with(config: config) { h in
            // A request for a two-senior action dressed up as a harmless, junior-approvable one.
            guard case .object(var forged) = Harness.action("payments", role: "senior", count: 2) else { return }
            forged += [
                ("digest", .string("sha256:chosen")), ("summary", .string("kubectl get pods")),
                ("rules", .array([.string("git.force-push")])),
                ("approvers", .object([("role", .string("junior")), ("count", .number(1))])),
            ]
            let a = try await h.call(.post, "/v1/approvals", as: "dev", .object(forged)).json
            #expect(a["required"]?["role"]?.stringValue == "senior")
            #expect(a["required"]?["count"]?.intValue == 2)
            #expect(a["digest"]?.stringValue != "sha256:chosen")
            #expect(a["summary"]?.stringValue?.contains("op_senior_2") == true)
            #expect(a["summary"]?.stringValue?.contains("get pods") == false)
            #expect(try await h.call(.post, "/v1/approvals/\(a["id"]!.stringValue!)/approve", as: "jo").status == 403)
            // The server policy's own override applies to the rule the real command meets.
            let push = try await h.call(
                .post,
                "/v1/approvals",
                as: "dev",
                Harness.shell("git push --force origin main")
            )
            #expect(push.json["required"]?["role"]?.stringValue == "senior")
            #expect(push.json["required"]?["count"]?.intValue == 2)
            // What the server allows or refuses cannot be requested at all.
            #expect(try await h.call(.post, "/v1/approvals", as: "dev", Harness.shell("ls")).status == 409)
            #expect(try await h.call(.post, "/v1/approvals", as: "dev", Harness.shell("rm -rf ~")).status == 403)
            // The policy with its ETag.
            let p = try await h.call(.get, "/v1/policy", as: "dev")
            #expect(p.status == 200 && p.text.contains("git.force-push"))
            let etag = p.headers[.eTag]!
            #expect(try await h.call(.get, "/v1/policy", as: "dev", headers: [.ifNoneMatch: etag]).status == 304)
            #expect(try await h.call(.post, "/v1/decisions", as: "dev").status == 400)
            #expect(try await h.report("allow")["policy_etag"]?.stringValue == etag)
        }
    }

    @Test("stops: anyone stops, every scope covers its actions, lifting needs the role")
    func stops() async throws {
        try await Harness.with { h in
            #expect(try await h.report("allow")["decision"]?.stringValue == "allow")
            for (scope, value) in [
                ("all", ""), ("environment", "staging"), ("repository", "github.com/acme/shop"), ("user", "dev"),
                ("agent", "claude-code"), ("session", "s1"),
            ] {
                let s = try await h.call(
                    .post,
                    "/v1/stops",
                    as: "jo",
                    .object([("scope", .string(scope)), ("value", .string(value)), ("reason", .string("incident"))])
                )
                #expect(s.status == 201)
                let id = s.json["id"]!.stringValue!
                let r = try await h.report("allow")
                #expect(r["decision"]?.stringValue == "deny", "\(scope)")
                #expect(r["stop"]?["id"]?.stringValue == id)
                let check = try await h.call(
                    .get,
                    "/v1/stops/check?agent=claude-code&session=s1&repository=github.com%2Facme%2Fshop&environment=staging",
                    as: "dev"
                )
                #expect(check.json["stopped"]?.boolValue == true)
                #expect(try await h.call(.post, "/v1/stops/\(id)/lift", as: "jo").status == 403)
                #expect(try await h.call(.post, "/v1/stops/\(id)/lift", as: "sam").status == 200)
                #expect(try await h.call(.post, "/v1/stops/\(id)/lift", as: "sam").status == 409)
                #expect(try await h.report("allow")["decision"]?.stringValue == "allow")
            }
            // A stop elsewhere does not cover this session.
            _ = try await h.call(
                .post,
                "/v1/stops",
                as: "jo",
                .object([("scope", .string("session")), ("value", .string("s9"))])
            )
            #expect(try await h.report("allow")["decision"]?.stringValue == "allow")
            #expect(try await h.report("allow", session: "s9")["decision"]?.stringValue == "deny")
            #expect(
                try await h.call(
                    .post,
                    "/v1/stops/lift",
                    as: "sam",
                    .object([("scope", .string("session")), ("value", .string("s9"))])
                ).json["lifted"]?.arrayValue?.count == 1
            )
            #expect(
                try await h.call(
                    .post,
                    "/v1/stops/lift",
                    as: "sam",
                    .object([("scope", .string("session")), ("value", .string("s9"))])
                ).status == 404
            )
            #expect(
                try await h.call(.post, "/v1/stops", as: "jo", .object([("scope", .string("galaxy"))])).status == 400
            )
            #expect(try await h.call(.post, "/v1/stops", as: "jo", .object([("scope", .string("user"))])).status == 400)
            #expect(try await h.call(.post, "/v1/stops/stp_nope/lift", as: "sam").status == 404)
            #expect(try await h.call(.get, "/v1/stops", as: "jo").json["stops"]?.arrayValue?.isEmpty == true)
            #expect(try await h.call(.get, "/v1/stops?all=true", as: "jo").json["stops"]?.arrayValue?.count == 7)
        }
    }

    @Test("the circuit breaker stops a session after N destructive actions in the window")
    func breaker() async throws {
        var config = ServerConfig()
        config.breakers = [.init(name: "burst", limit: 3, window: 60, scope: "session", liftRole: "senior")]
        try await Harness.with(config: config) { h in
            for _ in 0..<3 {
                #expect(try await h.report("allow", effects: ["fs.delete"])["decision"]?.stringValue == "allow")
            }
            // Harmless actions do not count.
            #expect(try await h.report("allow", effects: ["fs.read"])["decision"]?.stringValue == "allow")
            let trip = try await h.report("allow", effects: ["fs.delete"])
            #expect(trip["decision"]?.stringValue == "deny")
            #expect(trip["stop"]?["automatic"]?.boolValue == true)
            #expect(trip["message"]?.stringValue?.contains("circuit breaker burst") == true)
            // The stop holds for everything in the session, not only deletes; other sessions go on.
            #expect(try await h.report("allow")["decision"]?.stringValue == "deny")
            #expect(
                try await h.report("allow", session: "s2", effects: ["fs.delete"])["decision"]?.stringValue == "allow"
            )
            let id = trip["stop"]!["id"]!.stringValue!
            #expect(try await h.call(.post, "/v1/stops/\(id)/lift", as: "dev").status == 403)
            #expect(try await h.call(.post, "/v1/stops/\(id)/lift", as: "sam").status == 200)
            // The window: after it passes, the count starts again.
            h.clock.advance(61)
            #expect(try await h.report("allow", effects: ["fs.delete"])["decision"]?.stringValue == "allow")
            let audit = try await h.call(.get, "/v1/audit?limit=1000", as: "jo")
            #expect(audit.text.contains("circuit-breaker"))
        }
    }

    @Test("a per-tool breaker counts each tool on its own")
    func perToolBreaker() async throws {
        var config = ServerConfig()
        config.breakers = [
            .init(name: "tool", limit: 2, window: 600, scope: "session", liftRole: "senior", perTool: true)
        ]
        try await Harness.with(config: config) { h in
            func call(_ tool: String) async throws -> JSONValue {
                try await h.call(
                    .post,
                    "/v1/decisions",
                    as: "dev",
                    .object([
                        ("decision", .string("allow")), ("session", .string("m1")), ("tool", .string(tool)),
                        ("effects", .array([.string("mcp.destructive")])),
                    ])
                ).json
            }
            #expect(try await call("delete_message")["decision"]?.stringValue == "allow")
            #expect(try await call("delete_message")["decision"]?.stringValue == "allow")
            #expect(try await call("archive_thread")["decision"]?.stringValue == "allow")
            let third = try await call("delete_message")
            #expect(third["decision"]?.stringValue == "deny")
            #expect(third["message"]?.stringValue?.contains("destructive delete_message calls") == true)
        }
    }

    @Test("secrets in reported actions are redacted by the server too")
    func redaction() async throws {
        try await Harness.with { h in
            let secret = "AKIAIOSFODNN7EXAMPLE"
            _ = try await h.call(
                .post,
                "/v1/decisions",
                as: "dev",
                .object([("decision", .string("allow")), ("action", .string("aws s3 ls --access-key \(secret)"))])
            )
            let asked = try await h.call(
                .post,
                "/v1/approvals",
                as: "dev",
                Harness.shell("git push --force https://x:\(secret)@github.com/acme/shop main")
            )
            #expect(asked.status == 201)
            let audit = try await h.call(.get, "/v1/audit?limit=1000", as: "sam")
            #expect(!audit.text.contains(secret))
            #expect(!(try await h.call(.get, "/v1/approvals", as: "sam").text.contains(secret)))
        }
    }

    @Test("decisions spooled while the server was unreachable are recorded with their time, all or nothing")
    func spool() async throws {
        try await Harness.with { h in
            let t = h.clock.now
            let ok = try await h.call(
                .post,
                "/v1/decisions/spool",
                as: "dev",
                .object([
                    (
                        "reports",
                        .array([
                            .object([
                                ("decision", .string("allow")), ("action", .string("ls")), ("session", .string("off")),
                                ("time", .number(Double(t - 60))),
                            ]),
                            .object([
                                ("decision", .string("ask")), ("action", .string("git push -f")),
                                ("session", .string("off")), ("enforced", .string("deny")),
                                ("time", .number(Double(t + 9999))),
                            ]),
                        ])
                    )
                ])
            )
            #expect(ok.status == 201 && ok.json["recorded"]?.intValue == 2)
            let events = try await h.call(.get, "/v1/sessions/off", as: "sam").json["actions"]?.arrayValue ?? []
            #expect(events.count == 2 && events.allSatisfy { $0["spooled"]?.boolValue == true })
            #expect(events[0]["reported_time"]?.intValue == t - 60)
            #expect(events[1]["reported_time"]?.intValue == t)  // never in the future
            #expect(events[1]["enforced"]?.stringValue == "deny")
            let bad = try await h.call(
                .post,
                "/v1/decisions/spool",
                as: "dev",
                .object([
                    (
                        "reports",
                        .array([
                            .object([("decision", .string("allow")), ("session", .string("off2"))]),
                            .object([("decision", .string("maybe"))]),
                        ])
                    )
                ])
            )
            #expect(bad.status == 400)
            #expect(try await h.call(.get, "/v1/sessions/off2", as: "sam").status == 404)
        }
    }

    @Test("provenance: hooks send what agents produced; the gate looks it up by blob or commit; bad input is a 400")
    func provenance() async throws {
        try await Harness.with { h in
            let blob = String(repeating: "1f", count: 20)
            let record = AgentRecord(
                kind: .file,
                blob: blob,
                path: "app.py",
                repository: "/home/dev/p",
                agent: "claude-code",
                session: "s7",
                time: 1
            )
            let sent = try await h.call(
                .post,
                "/v1/provenance",
                as: "dev",
                .object([("records", .array([record.json]))])
            )
            #expect(sent.status == 201 && sent.json["recorded"]?.intValue == 1)
            let found = try await h.call(
                .post,
                "/v1/provenance/lookup",
                as: "sam",
                .object([("blobs", .array([.string(blob.uppercased())])), ("commits", .array([]))])
            )
            #expect(found.status == 200)
            #expect(found.json["records"]?.arrayValue?.compactMap(AgentRecord.init(json:)) == [record])
            for bad in [
                JSONValue.object([("records", .string("x"))]),
                .object([("records", .array([.object([("kind", .string("file")), ("blob", .string("short"))])]))]),
            ] {
                #expect(try await h.call(.post, "/v1/provenance", as: "dev", bad).status == 400)
            }
            let badLookup = try await h.call(
                .post,
                "/v1/provenance/lookup",
                as: "sam",
                .object([("blobs", .array([.string("not-an-id")]))])
            )
            #expect(badLookup.status == 400)
        }
    }

    @Test("sessions list with recent actions")
    func sessions() async throws {
        try await Harness.with { h in
            _ = try await h.report("allow")
            _ = try await h.report("ask")
            let list = try await h.call(.get, "/v1/sessions", as: "jo")
            #expect(list.json["sessions"]?.arrayValue?.first?["actions"]?.intValue == 2)
            let one = try await h.call(.get, "/v1/sessions/s1", as: "jo")
            #expect(one.json["actions"]?.arrayValue?.count == 2)
            #expect(try await h.call(.get, "/v1/sessions/none", as: "jo").status == 404)
            #expect(try await h.call(.get, "/v1/sessions?limit=x", as: "jo").status == 400)
        }
    }

    @Test("audit: ranges, verification, checkpoints signed by the top role")
    func audit() async throws {
        try await Harness.with { h in
            _ = try await h.report("allow")
            let page = try await h.call(.get, "/v1/audit?from=2&limit=3", as: "jo")
            #expect(page.json["events"]?.arrayValue?.map { $0["seq"]?.intValue ?? 0 } == [2, 3, 4])
            #expect(page.json["size"]?.intValue == 6)
            #expect(try await h.call(.post, "/v1/audit/checkpoints", as: "sam").status == 403)
            let cp = try await h.call(.post, "/v1/audit/checkpoints", as: "admin")
            #expect(cp.status == 201 && cp.json["tree_size"]?.intValue == 6)
            let cps = try await h.call(.get, "/v1/audit/checkpoints", as: "jo")
            #expect(cps.json["checkpoints"]?.arrayValue?.count == 1)
            let v = try await h.call(.get, "/v1/audit/verify", as: "jo")
            #expect(v.json["ok"]?.boolValue == true && v.json["checkpoints_verified"]?.intValue == 1)
        }
    }
}

extension Harness {
    func call(
        _ method: HTTPRequest.Method,
        _ uri: String,
        as user: String?,
        body: String
    ) async throws -> (
        status: Int, json: JSONValue
    ) {
        var headers: HTTPFields = [:]
        if let user { headers[.authorization] = "Bearer \(tokens[user] ?? user)" }
        let r = try await client.execute(uri: uri, method: method, headers: headers, body: ByteBuffer(string: body))
        return (Int(r.status.code), (try? JSONValue.parse(String(buffer: r.body))) ?? .null)
    }
}
