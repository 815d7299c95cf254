import BrakeCore
import Hummingbird
import Prometheus

/// The HTTP API under `/v1` (described by `openapi.yaml`, served at `/v1/openapi.yaml`).
public enum Routes {
    public static let version = BrakeVersion.current

    struct Reply {
        var status: HTTPResponse.Status = .ok
        var body: JSONValue
        var headers: HTTPFields = [:]
    }

    static func json(_ status: HTTPResponse.Status, _ text: String, _ extra: HTTPFields = [:]) -> Response {
        var headers: HTTPFields = [.contentType: "application/json", .cacheControl: "no-store"]
        headers.append(contentsOf: extra)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text + "\n")))
    }

    static func error(_ e: any Error) -> Response {
        if let a = e as? APIError {
            return json(
                HTTPResponse.Status(code: a.status),
                JSONValue.object([("error", .string(a.message))]).serialized
            )
        }
        return json(
            .internalServerError,
            JSONValue.object([("error", .string("internal error: \(e)"))]).serialized
        )
    }

    /// Runs a handler, turning every thrown error into a JSON error response.
    static func api(_ body: () async throws -> Reply) async -> Response {
        do {
            let r = try await body()
            return json(r.status, r.body.serialized, r.headers)
        } catch {
            return Routes.error(error)
        }
    }

    static func body(_ req: Request, limit: Int = 1 << 20) async throws -> JSONValue {
        var r = req
        let tooLarge = APIError(
            status: 413,
            message:
                "the body is larger than \(limit >> 20) MiB; send less (a plan: only what `terraform show -json` prints)"
        )
        if let length = req.headers[.contentLength].flatMap({ Int($0) }), length > limit { throw tooLarge }
        let buf: ByteBuffer
        do { buf = try await r.body.collect(upTo: limit) } catch { throw tooLarge }
        let text = String(buffer: buf)
        if text.isEmpty { return .object([]) }
        let v: JSONValue
        do { v = try JSONValue.parse(text) } catch {
            throw APIError.badRequest("the body is not valid JSON: \(error)")
        }
        // A NUL character has no place in a name, a session or a command line, and PostgreSQL's text refuses it
        // (one such report must not fail the others committed with it): it is kept visible as U+FFFD.
        return mentionsNUL(buf) ? withoutNUL(v) : v
    }

    /// Whether the body has the escape `\u0000` (a byte scan: the body is on every hook's path).
    static func mentionsNUL(_ buf: ByteBuffer) -> Bool {
        buf.withUnsafeReadableBytes { raw in
            let b = raw.bindMemory(to: UInt8.self)
            guard b.count >= 6 else { return false }
            var i = 0
            while i <= b.count - 6 {
                if b[i] == 0x5C && b[i + 1] == 0x75 && b[i + 2] == 0x30 && b[i + 3] == 0x30 && b[i + 4] == 0x30
                    && b[i + 5] == 0x30
                {
                    return true
                }
                i += 1
            }
            return false
        }
    }

    static func withoutNUL(_ v: JSONValue) -> JSONValue {
        switch v {
        case .string(let s): return .string(s.contains("\u{0}") ? s.replacingAll("\u{0}", "\u{FFFD}") : s)
        case .array(let a): return .array(a.map(withoutNUL))
        case .object(let m): return .object(m.map { (k, x) in (k.replacingAll("\u{0}", "\u{FFFD}"), withoutNUL(x)) })
        default: return v
        }
    }

    static func query(_ req: Request, _ key: String) -> String? {
        req.uri.queryParameters[Substring(key)].map(String.init)
    }

    static func intQuery(_ req: Request, _ key: String, _ def: Int, max: Int) throws -> Int {
        guard let s = query(req, key) else { return def }
        guard let i = Int(s), i >= 0 else { throw APIError.badRequest("'\(key)' must be a whole number") }
        return min(i, max)
    }

    static func param(_ ctx: BasicRequestContext, _ name: String) throws -> String {
        guard let v = ctx.parameters.get(name) else { throw APIError.badRequest("missing path parameter \(name)") }
        return v
    }

    static func bearer(_ req: Request) -> String? {
        guard let h = req.headers[.authorization] else { return nil }
        return h.hasPrefix("Bearer ") ? String(h.dropFirst(7)) : nil
    }

    public static func router(plane: ControlPlane, openAPI: String) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: NotFoundPage())
        @Sendable func auth(_ req: Request) async throws -> User { try await plane.authenticate(bearer: bearer(req)) }

        router.get("/v1/health") { _, _ in
            // Ready means the store answers: a replica whose database is gone leaves the load balancer.
            if !(await storeAnswers(plane.store, within: .seconds(2))) {
                return json(
                    .serviceUnavailable,
                    JSONValue.object([
                        ("ok", .bool(false)), ("version", .string(version)),
                        ("error", .string("the database does not answer")),
                    ]).serialized
                )
            }
            return json(.ok, JSONValue.object([("ok", .bool(true)), ("version", .string(version))]).serialized)
        }

        /// Whether the store answers a small read in time (a database that is gone may leave a read waiting for a
        /// connection much longer than a probe waits).
        @Sendable func storeAnswers(_ store: any ControlStore, within limit: Duration) async -> Bool {
            let answered = Flag()
            return await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in
                Task {
                    let ok = (try? await store.auditHead()) != nil
                    if answered.claim() { c.resume(returning: ok) }
                }
                Task {
                    try? await Task.sleep(for: limit)
                    if answered.claim() { c.resume(returning: false) }
                }
            }
        }
        router.get("/v1/openapi.yaml") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "application/yaml"],
                body: .init(byteBuffer: ByteBuffer(string: openAPI))
            )
        }
        router.get("/v1/me") { req, _ in
            await api {
                let u = try await auth(req)
                return Reply(body: u.json)
            }
        }

        // Decisions and stops
        router.get("/metrics") { req, _ in
            do {
                // Metrics name sessions, rules and volumes: a person's token (a scraper's, say), not the public.
                try plane.requirePerson(try await auth(req), to: "reading metrics")
                plane.metrics.pending.set(
                    Double(
                        try await plane.store.approvals(status: .pending, limit: 100_000).filter {
                            $0.effectiveStatus(now: plane.now()) == .pending
                        }.count
                    )
                )
                plane.metrics.stops.set(Double(try await plane.activeStops().count))
                plane.metrics.chain.set(Double(try await plane.store.auditHead().size))
            } catch {
                return Routes.error(error)
            }
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: plane.metrics.text()))
            )
        }
        router.get("/v1/webhooks/deliveries") { req, _ in
            await api {
                let u = try await auth(req)
                try plane.require(u, atLeast: plane.config.topRole, to: "reading webhook deliveries")
                return Reply(body: .object([("deliveries", .array(plane.notifier.recent.map(\.json)))]))
            }
        }
        router.post("/v1/decisions") { req, _ in
            let started = ContinuousClock.now
            defer { plane.metrics.hookCall.record(ContinuousClock.now - started) }
            return await api {
                let u = try await auth(req)
                let report = try DecisionReport(json: try await body(req))
                let o = try await plane.report(report, by: u)
                var m: [(String, JSONValue)] = [
                    ("decision", .string(o.decision)), ("seq", .number(Double(o.seq))),
                    ("stopped", .bool(o.stop != nil)), ("stops", .array(o.stops.map(\.json))),
                    ("policy_etag", .string(plane.policyETag)), ("user", .string(u.name)),
                ]
                if let s = o.stop { m.append(("stop", s.json)) }
                if !o.message.isEmpty { m.append(("message", .string(o.message))) }
                return Reply(status: .created, body: .object(m))
            }
        }
        router.post("/v1/judge") { req, _ in
            let started = ContinuousClock.now
            defer { plane.metrics.hookCall.record(ContinuousClock.now - started) }
            return await api {
                let u = try await auth(req)
                return Reply(body: try await plane.judge(try await body(req), by: u))
            }
        }
        router.post("/v1/decisions/spool") { req, _ in
            await api {
                let u = try await auth(req)
                let n = try await plane.recordSpooled(try await body(req), by: u)
                return Reply(status: .created, body: .object([("recorded", .number(Double(n)))]))
            }
        }
        router.post("/v1/provenance") { req, _ in
            await api {
                let u = try await auth(req)
                let n = try await plane.recordAgentWork(try await body(req, limit: 8 << 20), by: u)
                return Reply(status: .created, body: .object([("recorded", .number(Double(n)))]))
            }
        }
        router.post("/v1/checkpoints") { req, _ in
            await api {
                let u = try await auth(req)
                let n = try await plane.recordCheckpoints(try await body(req, limit: 1 << 20), by: u)
                return Reply(status: .created, body: .object([("recorded", .number(Double(n)))]))
            }
        }
        router.post("/v1/provenance/lookup") { req, _ in
            await api {
                _ = try await auth(req)
                let records = try await plane.lookupAgentWork(try await body(req, limit: 8 << 20))
                return Reply(body: .object([("records", .array(records.map(\.signedJSON)))]))
            }
        }
        router.get("/v1/stops/check") { req, _ in
            await api {
                let u = try await auth(req)
                let scope = ActionScope(
                    user: u.name,
                    agent: query(req, "agent"),
                    session: query(req, "session"),
                    repository: query(req, "repository"),
                    environment: query(req, "environment")
                )
                let stops = try await plane.activeStops()
                let hit = stops.first { $0.covers(scope) }
                var m: [(String, JSONValue)] = [("stopped", .bool(hit != nil)), ("stops", .array(stops.map(\.json)))]
                if let hit { m.append(("stop", hit.json)) }
                return Reply(body: .object(m))
            }
        }
        router.get("/v1/stops") { req, _ in
            await api {
                _ = try await auth(req)
                let all = query(req, "all") == "true"
                let stops = try await plane.store.stops(includeLifted: all)
                return Reply(body: .object([("stops", .array(stops.map(\.json)))]))
            }
        }
        router.post("/v1/stops") { req, _ in
            await api {
                let u = try await auth(req)
                let b = try await body(req)
                let s = try await plane.createStop(
                    scope: try ControlPlane.stopScope(b["scope"]?.stringValue),
                    value: b["value"]?.stringValue ?? "",
                    reason: b["reason"]?.stringValue ?? "",
                    by: u
                )
                return Reply(status: .created, body: s.json)
            }
        }
        router.post("/v1/stops/lift") { req, _ in
            await api {
                let u = try await auth(req)
                let b = try await body(req)
                let lifted = try await plane.liftStops(
                    scope: try ControlPlane.stopScope(b["scope"]?.stringValue),
                    value: b["value"]?.stringValue ?? "",
                    reason: b["reason"]?.stringValue ?? "",
                    by: u
                )
                return Reply(body: .object([("lifted", .array(lifted.map(\.json)))]))
            }
        }
        router.post("/v1/stops/{id}/lift") { req, ctx in
            await api {
                let u = try await auth(req)
                let b = try await body(req)
                let s = try await plane.liftStop(
                    id: try param(ctx, "id"),
                    reason: b["reason"]?.stringValue ?? "",
                    by: u
                )
                return Reply(body: s.json)
            }
        }

        // Approvals
        router.post("/v1/approvals") { req, _ in
            await api {
                let u = try await auth(req)
                let r = try await plane.request(try await body(req), by: u)
                return Reply(status: r.created ? .created : .ok, body: r.approval.json(now: plane.now()))
            }
        }
        router.post("/v1/plans") { req, _ in
            await api {
                let u = try await auth(req)
                let r = try await plane.requestPlan(try await body(req, limit: 64 << 20), by: u)
                return Reply(status: r.created ? .created : .ok, body: r.approval.json(now: plane.now()))
            }
        }
        router.get("/v1/approvals") { req, _ in
            await api {
                _ = try await auth(req)
                let limit = try intQuery(req, "limit", 100, max: 1000)
                var status: Approval.Status?
                if case let s = query(req, "status") ?? "pending", s != "all" {
                    guard let st = Approval.Status(rawValue: s) else {
                        throw APIError.badRequest(
                            "unknown status '\(s)'; use one of: all, \(Approval.Status.allCases.map(\.rawValue).joined(separator: ", "))"
                        )
                    }
                    status = st
                }
                let now = plane.now()
                // Stored status may lag expiry; filter on the effective status.
                let stored: Approval.Status? = status == .expired ? nil : status
                let list = try await plane.store.approvals(status: stored, limit: limit).filter {
                    status == nil || $0.effectiveStatus(now: now) == status
                }
                return Reply(body: .object([("approvals", .array(list.map { $0.json(now: now) }))]))
            }
        }
        router.get("/v1/approvals/{id}") { req, ctx in
            await api {
                _ = try await auth(req)
                return Reply(body: try await plane.approval(id: try param(ctx, "id")).json(now: plane.now()))
            }
        }
        router.get("/v1/approvals/{id}/wait") { req, ctx in
            await api {
                _ = try await auth(req)
                let timeout = Double(try intQuery(req, "timeout", 30, max: plane.config.maxWait))
                let a = try await plane.wait(id: try param(ctx, "id"), timeout: timeout)
                return Reply(body: a.json(now: plane.now()))
            }
        }
        for (verb, approve) in [("approve", true), ("deny", false)] {
            router.post("/v1/approvals/{id}/\(verb)") { req, ctx in
                await api {
                    let u = try await auth(req)
                    let b = try await body(req)
                    let a = try await plane.vote(
                        id: try param(ctx, "id"),
                        approve: approve,
                        reason: b["reason"]?.stringValue ?? "",
                        by: u
                    )
                    return Reply(body: a.json(now: plane.now()))
                }
            }
        }
        router.post("/v1/approvals/{id}/consume") { req, ctx in
            await api {
                let u = try await auth(req)
                guard let a = try await plane.consume(id: try param(ctx, "id"), by: u) else {
                    throw APIError.notFound("no such request")
                }
                return Reply(body: a.json(now: plane.now()))
            }
        }

        // Sessions
        router.get("/v1/sessions") { req, _ in
            await api {
                _ = try await auth(req)
                let list = try await plane.store.sessions(limit: try intQuery(req, "limit", 100, max: 1000))
                return Reply(body: .object([("sessions", .array(list.map(\.json)))]))
            }
        }
        router.get("/v1/sessions/{id}") { req, ctx in
            await api {
                _ = try await auth(req)
                let id = try param(ctx, "id")
                guard let s = try await plane.store.session(id: id) else {
                    throw APIError.notFound("no session '\(id)'; `brake sessions` lists them")
                }
                let events = try await plane.store.sessionEvents(
                    id: id,
                    limit: try intQuery(req, "limit", 50, max: 1000)
                )
                return Reply(
                    body: .object([
                        ("session", s.json),
                        ("actions", .array(events.map { (try? JSONValue.parse($0.event)) ?? .string($0.event) })),
                    ])
                )
            }
        }

        // Audit
        router.get("/v1/audit") { req, _ in
            await api {
                try plane.requirePerson(try await auth(req), to: "reading the audit log")
                let from = max(1, try intQuery(req, "from", 1, max: Int.max))
                let entries = try await plane.store.auditRange(
                    from: from,
                    limit: try intQuery(req, "limit", 1000, max: 10000)
                )
                let head = try await plane.store.auditHead()
                return Reply(
                    body: .object([
                        ("events", .array(entries.map { (try? JSONValue.parse($0.exportLine)) ?? .null })),
                        ("size", .number(Double(head.size))), ("head_hash", .string(head.hash)),
                    ])
                )
            }
        }
        router.get("/v1/audit/verify") { req, _ in
            await api {
                try plane.requirePerson(try await auth(req), to: "reading the audit log")
                return Reply(body: try await plane.verifyAll().json)
            }
        }
        router.get("/v1/audit/public-key") { _, _ in
            await api {
                Reply(
                    body: .object([("algorithm", .string("ed25519")), ("public_key", .string(plane.publicKeyBase64))])
                )
            }
        }
        router.get("/v1/audit/checkpoints") { req, _ in
            await api {
                _ = try await auth(req)
                let list = try await plane.store.checkpoints()
                return Reply(
                    body: .object([
                        ("public_key", .string(plane.publicKeyBase64)), ("checkpoints", .array(list.map(\.json))),
                    ])
                )
            }
        }
        router.post("/v1/audit/checkpoints") { req, _ in
            await api {
                let u = try await auth(req)
                try plane.require(u, atLeast: plane.config.topRole, to: "signing a checkpoint on demand")
                guard let c = try await plane.checkpoint() else {
                    throw APIError.conflict("the audit log is empty; there is nothing to sign")
                }
                return Reply(status: .created, body: c.json)
            }
        }

        // Policy
        router.get("/v1/policy") { req, _ in
            do {
                _ = try await auth(req)
            } catch {
                return Routes.error(error)
            }
            if req.headers[.ifNoneMatch] == plane.policyETag {
                return Response(status: .notModified, headers: [.eTag: plane.policyETag])
            }
            return Response(
                status: .ok,
                headers: [.contentType: "application/yaml", .eTag: plane.policyETag],
                body: .init(byteBuffer: ByteBuffer(string: plane.policyText))
            )
        }

        // Users and tokens
        router.get("/v1/users") { req, _ in
            await api {
                _ = try await auth(req)
                let list = try await plane.store.users()
                return Reply(
                    body: .object([
                        ("users", .array(list.map(\.json))), ("roles", .array(plane.config.roles.map { .string($0) })),
                    ])
                )
            }
        }
        router.post("/v1/users") { req, _ in
            await api {
                let u = try await auth(req)
                let b = try await body(req)
                guard let name = b["name"]?.stringValue, let role = b["role"]?.stringValue else {
                    throw APIError.badRequest("'name' and 'role' are required")
                }
                let (user, token) = try await plane.addUser(
                    name: name,
                    role: role,
                    email: b["email"]?.stringValue ?? "",
                    by: u
                )
                return Reply(status: .created, body: .object([("user", user.json), ("token", .string(token))]))
            }
        }
        router.delete("/v1/users/{name}") { req, ctx in
            await api {
                let u = try await auth(req)
                let name = try param(ctx, "name")
                let revoked = try await plane.removeUser(name: name, by: u)
                return Reply(
                    body: .object([
                        ("user", .string(name)), ("removed", .bool(true)),
                        ("revoked_tokens", .array(revoked.map { .string($0) })),
                    ])
                )
            }
        }
        router.put("/v1/users/{name}/role") { req, ctx in
            await api {
                let u = try await auth(req)
                guard let role = try await body(req)["role"]?.stringValue else {
                    throw APIError.badRequest("'role' is required")
                }
                return Reply(body: try await plane.setRole(name: try param(ctx, "name"), role: role, by: u).json)
            }
        }
        router.get("/v1/tokens") { req, _ in
            await api {
                let u = try await auth(req)
                let list = try await plane.tokens(for: u, all: query(req, "all") == "true")
                return Reply(body: .object([("tokens", .array(list.map(\.json)))]))
            }
        }
        router.post("/v1/tokens") { req, _ in
            await api {
                let u = try await auth(req)
                let b = try await body(req)
                let (record, token) = try await plane.createToken(
                    for: b["user"]?.stringValue,
                    label: b["label"]?.stringValue ?? "",
                    scope: b["scope"]?.stringValue ?? "person",
                    by: u
                )
                return Reply(status: .created, body: .object([("token", .string(token)), ("record", record.json)]))
            }
        }
        router.delete("/v1/tokens/{id}") { req, ctx in
            await api {
                let u = try await auth(req)
                return Reply(body: try await plane.revokeToken(id: try param(ctx, "id"), by: u).json)
            }
        }
        OversightController(plane: plane).add(to: router)
        WebUI.add(to: router, plane: plane)
        return router
    }
}
