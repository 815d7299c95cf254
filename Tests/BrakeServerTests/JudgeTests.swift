import BrakeCore
import BrakeServer
import Hummingbird
import HummingbirdTesting
import Testing

/// `POST /v1/judge`: the server judges the raw action with its own policy and signs what the hook enforces.
@Suite("Server-side judgement")
struct JudgeTests {
    static func judge(
        _ h: Harness,
        _ action: JSONValue,
        as user: String = "dev",
        wait: Double = 0
    ) async throws -> (
        JSONValue, Result<SignedAnswer, SignedAnswerError>
    ) {
        guard case .object(var body) = action else { fatalError() }
        let nonce = SignedAnswer.newNonce()
        body += [("nonce", .string(nonce)), ("wait", .number(wait))]
        let r = try await h.call(.post, "/v1/judge", as: user, .object(body))
        #expect(r.status == 200, "\(r.text)")
        let key = try await h.call(.get, "/v1/audit/public-key", as: nil).json["public_key"]!.stringValue!
        return (r.json, SignedAnswer.verify(r.json, nonce: nonce, publicKey: key))
    }

    @Test("every answer is signed over the hook's nonce; another nonce or an edited verdict does not verify")
    func signed() async throws {
        try await Harness.with { h in
            let (v, verified) = try await Self.judge(h, Harness.shell("ls -la"))
            let a = try verified.get()
            #expect(a.decision == .allow)
            let key = try await h.call(.get, "/v1/audit/public-key", as: nil).json["public_key"]!.stringValue!
            // A replay: the same answer offered to a call with another nonce.
            guard case .failure = SignedAnswer.verify(v, nonce: SignedAnswer.newNonce(), publicKey: key) else {
                Issue.record("a replayed answer verified")
                return
            }
            // An edited answer: deny turned into allow.
            let (denied, _) = try await Self.judge(h, Harness.shell("rm -rf ~"))
            #expect(denied["decision"]?.stringValue == "deny")
            guard case .object(var members) = denied else { return }
            members = members.map { $0.0 == "decision" ? ("decision", .string("allow")) : $0 }
            guard
                case .failure = SignedAnswer.verify(
                    .object(members),
                    nonce: denied["nonce"]!.stringValue!,
                    publicKey: key
                )
            else {
                Issue.record("an edited answer verified")
                return
            }
            // A nonce is required.
            #expect(try await h.call(.post, "/v1/judge", as: "dev", Harness.shell("ls")).status == 400)
        }
    }

    @Test("an operator rule: the agent's own prompt where it has one; elsewhere a request only its operator decides")
    func operatorRule() async throws {
        try await Harness.with { h in
            let (native, verified) = try await Self.judge(h, Harness.action("op", role: "operator"))
            let a = try verified.get()
            #expect(a.decision == .ask && a.request.isEmpty && native["request"] == nil)
            #expect(native["message"]?.stringValue?.contains("console") == true)
            guard case .object(var members) = Harness.action("op", role: "operator") else { return }
            members = members.map { $0.0 == "agent" ? ("agent", .string("codex")) : $0 }
            let (codex, _) = try await Self.judge(h, .object(members))
            let id = try #require(codex["request"]?["id"]?.stringValue)
            #expect(
                codex["decision"]?.stringValue == "ask"
                    && codex["request"]?["required"]?["role"]?.stringValue == "operator"
            )
            // Only the person whose agent asked decides it: not a senior, not an admin.
            let sam = try await h.call(.post, "/v1/approvals/\(id)/approve", as: "sam", .object([]))
            #expect(sam.status == 403 && sam.text.contains("console"))
            let dev = try await h.call(.post, "/v1/approvals/\(id)/approve", as: "dev", .object([]))
            #expect(dev.status == 200, "\(dev.text)")
            let (retry, _) = try await Self.judge(h, .object(members))
            #expect(retry["decision"]?.stringValue == "allow")
        }
    }

    @Test("ask → a person approves → the identical retry is allowed once, signed; the next one asks again")
    func askApproveRetry() async throws {
        try await Harness.with { h in
            let (first, v1) = try await Self.judge(h, Harness.action("deploy"))
            #expect(try v1.get().decision == .ask)
            let id = try v1.get().request
            #expect(id.hasPrefix("req_") && first["request"]?["required"]?["role"]?.stringValue == "senior")
            #expect(try await h.call(.post, "/v1/approvals/\(id)/approve", as: "sam").status == 200)
            let (_, v2) = try await Self.judge(h, Harness.action("deploy"))
            #expect(try v2.get().decision == .allow && v2.get().request == id)
            let (_, v3) = try await Self.judge(h, Harness.action("deploy"))
            #expect(try v3.get().decision == .ask && v3.get().request != id)
            // Another action (another tag) never rides on an approval.
            let (_, other) = try await Self.judge(h, Harness.action("deploy-other"))
            #expect(try other.get().decision == .ask)
        }
    }

    @Test("a long poll: the answer comes as soon as a person approves")
    func waits() async throws {
        try await Harness.with { h in
            let (_, v1) = try await Self.judge(h, Harness.action("wait"))
            let id = try v1.get().request
            async let answer = Self.judge(h, Harness.action("wait"), wait: 10)
            try await Task.sleep(for: .milliseconds(300))
            let decided = ContinuousClock.now
            _ = try await h.call(.post, "/v1/approvals/\(id)/approve", as: "sue")
            let (_, v2) = try await answer
            #expect(try v2.get().decision == .allow)
            // Woken by the decision itself: well before the waiter would look again on its own (every 15 s).
            #expect(ContinuousClock.now - decided < .seconds(2))
        }
    }

    @Test("an approval never follows a switch of target: kube context, workspace, profile, project, branch")
    func targets() async throws {
        try await Harness.with { h in
            func action(_ targets: [(String, String)]) -> JSONValue {
                .object([
                    ("agent", .string("claude-code")), ("session", .string("s1")), ("tool", .string("Bash")),
                    (
                        "actions",
                        .array([
                            .object([
                                ("kind", .string("shell")), ("command", .string("kubectl delete namespace payments")),
                            ])
                        ])
                    ),
                    (
                        "context",
                        .object(
                            [("cwd", .string("/home/dev/shop")), ("home", .string("/home/dev"))]
                                + targets.map { ($0.0, .string($0.1)) }
                        )
                    ),
                ])
            }
            let (_, dev) = try await Self.judge(h, action([("kube_context", "staging-eu")]))
            let id = try dev.get().request
            #expect(try dev.get().decision == .ask)
            _ = try await h.call(.post, "/v1/approvals/\(id)/approve", as: "sam")
            // The same command after `kubectl config use-context prod`: not the approved action.
            let (_, prod) = try await Self.judge(h, action([("kube_context", "prod-eu")]))
            #expect(try prod.get().decision != .allow)
            for other in [
                ("terraform_workspace", "production"), ("aws_profile", "prod"), ("gcloud_project", "acme-prod"),
                ("git_branch", "release"),
            ] {
                let (_, v) = try await Self.judge(h, action([("kube_context", "staging-eu"), other]))
                #expect(try v.get().decision != .allow, "\(other)")
            }
            // The approved target itself still passes, once.
            let (_, same) = try await Self.judge(h, action([("kube_context", "staging-eu")]))
            #expect(try same.get().decision == .allow)
        }
    }

    @Test("a repository stop follows the action into another repository, wherever the session started")
    func repositoryStop() async throws {
        try await Harness.with { h in
            let s = try await h.call(
                .post,
                "/v1/stops",
                as: "sam",
                .object([("scope", .string("repository")), ("value", .string("github.com/acme/payments"))])
            )
            #expect(s.status == 201)
            guard case .object(var body) = Harness.shell("rm -rf build") else { return }
            body = body.map {
                $0.0 == "repositories"
                    ? ("repositories", .array([.string("github.com/acme/shop"), .string("github.com/acme/payments")]))
                    : $0
            }
            let (_, v) = try await Self.judge(h, .object(body))
            #expect(try v.get().decision == .deny)
            let (_, other) = try await Self.judge(h, Harness.shell("rm -rf build"))
            #expect(try other.get().decision == .allow)
        }
    }

    @Test("malformed raw actions are refused with the field named; an oversize body is 413")
    func malformed() async throws {
        try await Harness.with { h in
            let huge = JSONValue.object([("agent", .string(String(repeating: "x", count: 2 << 20)))])
            #expect(try await h.call(.post, "/v1/judge", as: "dev", huge).status == 413)
            for (body, field) in [
                (JSONValue.object([("agent", .string("x"))]), "tool"),
                (.object([("agent", .string("x")), ("tool", .string("Bash")), ("actions", .array([]))]), "actions"),
                (
                    .object([
                        ("agent", .string("x")), ("tool", .string("Bash")),
                        ("actions", .array([.object([("kind", .string("shell"))])])),
                    ]), "command"
                ),
                (
                    .object([
                        ("agent", .string("x")), ("tool", .string("Bash")),
                        ("actions", .array([.object([("kind", .string("shell")), ("command", .string("ls"))])])),
                        ("context", .object([("cwd", .string("relative")), ("home", .string("/h"))])),
                    ]), "absolute"
                ),
            ] {
                let r = try await h.call(.post, "/v1/approvals", as: "dev", body)
                #expect(r.status == 400 && r.json["error"]?.stringValue?.contains(field) == true, "\(r.text)")
            }
        }
    }
}
