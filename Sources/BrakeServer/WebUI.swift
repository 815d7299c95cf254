import BrakeCore
import HTTPTypes
import Hummingbird
import Mustache
import Synchronization

/// The approver's page under `/ui`: sign in with a token (then an HttpOnly, SameSite=Strict session cookie),
/// CSRF tokens on every form, the same role checks as the API (it calls the same `ControlPlane`).
public enum WebUI {
    static let cookie = "brake_session"
    static let sessionSeconds = 12 * 3600

    static let library: MustacheLibrary = {
        var lib = MustacheLibrary()
        for (name, text) in [
            ("layout", Templates.layout), ("login", Templates.login), ("pending", Templates.pending),
            ("pendingRows", Templates.pendingRows), ("request", Templates.request), ("stops", Templates.stops),
            ("sessions", Templates.sessions), ("session", Templates.session), ("audit", Templates.audit),
            ("admin", Templates.admin), ("notFound", Templates.notFound), ("reports", Templates.reports),
            ("signoffs", Templates.signoffs),
        ] {
            // The templates are constants checked by the tests; a broken one is a programming error.
            try! lib.register(text, named: name)
        }
        return lib
    }()

    struct Page {
        var title: String
        var template: String
        var context: [String: Any]
        var nav: String = ""
        var script: String?
    }

    static func render(
        _ page: Page,
        session: WebSession?,
        flash: String? = nil,
        error: String? = nil,
        status: HTTPResponse.Status = .ok
    )
        -> Response
    {
        var ctx = (sanitize(page.context) as? [String: Any]) ?? [:]
        if let s = session { ctx["csrf"] = s.csrf }
        let body = library.render(ctx, withTemplate: page.template) ?? ""
        let nonce = ControlPlane.randomString(16)
        var outer: [String: Any] = ["title": page.title, "body": body, "nonce": nonce]
        if let s = session {
            outer["user"] =
                [
                    "name": s.user.name, "role": s.user.role, "csrf": s.csrf, "nav" + page.nav: true,
                    // Links a role cannot use are not shown (the admin pages answer 403 to others).
                    "isAdmin": s.user.role == adminRole.withLock { $0 },
                ] as [String: Any]
        }
        if let flash { outer["flash"] = flash }
        if let error { outer["error"] = error }
        if let script = page.script { outer["script"] = script }
        let html = library.render(outer, withTemplate: "layout") ?? ""
        return Response(
            status: status,
            headers: [
                .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                .contentSecurityPolicy:
                    "default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-\(nonce)'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
                HTTPField.Name("X-Frame-Options")!: "DENY", HTTPField.Name("Referrer-Policy")!: "no-referrer",
            ],
            body: .init(byteBuffer: ByteBuffer(string: html))
        )
    }

    /// swift-mustache escapes per Character, and a markup character followed by a combining mark (or led by
    /// a prepended one) forms a single Character that escapes nothing. Such clusters keep only their markup
    /// characters, which the template then escapes. Applied to every value a page shows.
    static func sanitize(_ value: Any) -> Any {
        switch value {
        case let s as String: return sanitize(string: s)
        case let a as [String]: return a.map { sanitize(string: $0) }
        case let d as [String: Any]: return d.mapValues { sanitize($0) }
        case let a as [[String: Any]]: return a.map { $0.mapValues { sanitize($0) } }
        case let a as [Any]: return a.map { sanitize($0) }
        default: return value
        }
    }

    static func sanitize(string s: String) -> String {
        let markup: Set<Unicode.Scalar> = ["\"", "'", "<", ">", "&"]
        guard s.unicodeScalars.contains(where: { markup.contains($0) }) else { return s }
        var out = ""
        for ch in s {
            if ch.unicodeScalars.count > 1, ch.unicodeScalars.contains(where: { markup.contains($0) }) {
                for u in ch.unicodeScalars where markup.contains(u) { out.unicodeScalars.append(u) }
            } else {
                out.append(ch)
            }
        }
        return out
    }

    static func redirect(_ to: String, cookie: String? = nil) -> Response {
        var headers: HTTPFields = [.location: to, .cacheControl: "no-store"]
        if let cookie { headers[.setCookie] = cookie }
        return Response(status: .seeOther, headers: headers)
    }

    /// Parses `application/x-www-form-urlencoded`.
    static func form(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let k = decode(String(kv[0]))
            out[k] = kv.count > 1 ? decode(String(kv[1])) : ""
        }
        return out
    }

    static func decode(_ s: String) -> String { Percent.decode(s) }

    static func cookieValue(_ req: Request) -> String? {
        for header in req.headers[values: .cookie] {
            for part in header.split(separator: ";") {
                let kv = part.split(separator: "=", maxSplits: 1)
                if kv.count == 2, kv[0].trimmingSpaces == cookie { return String(kv[1]).trimmingSpacesString }
            }
        }
        return nil
    }

    static func sessionHash(_ id: String) -> String { AuditChain.hash(previous: "brake-web:", event: id) }

    static func ago(_ t: Int, now: Int) -> String { HumanTime.ago(t, now: now) }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<x.count { diff |= x[i] ^ y[i] }
        return diff == 0
    }

    // MARK: routes

    /// The role the admin pages need (the configuration's top role), for the navigation.
    static let adminRole = Mutex("admin")

    public static func add(to router: Router<BasicRequestContext>, plane: ControlPlane) {
        adminRole.withLock { $0 = plane.config.topRole }
        /// A browser's form post from another site (login CSRF, or a form on another origin) carries that site in
        /// `Origin` and `Sec-Fetch-Site`; only this server's own origin may post. Requests without them (not a
        /// browser) are not forms another site could make a browser send.
        @Sendable func sameOrigin(_ req: Request) -> Bool {
            // The browser's own word first; our `Referrer-Policy: no-referrer` makes it send `Origin: null` on
            // form posts, so `Origin` is compared only when it names one.
            if let site = req.headers[HTTPField.Name("Sec-Fetch-Site")!] {
                return site == "same-origin" || site == "none"
            }
            guard let origin = req.headers[.origin], origin != "null" else { return true }
            var allowed: Set<String> = []
            if let host = req.head.authority, !host.isEmpty {
                allowed.insert("http://" + host)
                allowed.insert("https://" + host)
            }
            var own = plane.config.publicURL
            while own.hasSuffix("/") { own.removeLast() }
            if let slash = own.dropFirst(8).firstIndex(of: "/") { own = String(own[..<slash]) }
            if !own.isEmpty { allowed.insert(own) }
            return allowed.contains(origin)
        }
        @Sendable func crossOrigin() -> Response {
            render(
                Page(title: "Sign in", template: "login", context: [:]),
                session: nil,
                error: "Refused: this form was posted from another site. Open this server's own page to sign in.",
                status: .forbidden
            )
        }
        @Sendable func current(_ req: Request) async throws -> WebSession? {
            guard let id = cookieValue(req) else { return nil }
            return try await plane.store.webSession(hash: sessionHash(id), now: plane.now())
        }
        /// A page for a signed-in person; others go to the sign-in page.
        @Sendable func page(_ req: Request, _ body: @Sendable (WebSession) async throws -> Response) async -> Response {
            do {
                guard let s = try await current(req) else { return redirect("/ui/login") }
                return try await body(s)
            } catch {
                return render(
                    Page(title: "Error", template: "login", context: [:]),
                    session: nil,
                    error: "\(error)",
                    status: .internalServerError
                )
            }
        }
        /// A form post: signed in, CSRF token matches; APIErrors (role checks) come back as a message.
        @Sendable func post(
            _ req: Request,
            back: String,
            _ body: @Sendable (WebSession, [String: String]) async throws -> Response
        ) async -> Response {
            var r = req
            let text: String
            do {
                text = String(buffer: try await r.body.collect(upTo: 1 << 16))
            } catch {
                return redirect(back)
            }
            let fields = form(text)
            guard sameOrigin(req) else { return crossOrigin() }
            do {
                guard let s = try await current(req) else { return redirect("/ui/login") }
                guard let token = fields["csrf"], constantTimeEqual(token, s.csrf) else {
                    return render(
                        Page(title: "Refused", template: "pending", context: ["rows": ""], nav: "Pending"),
                        session: s,
                        error:
                            "This form is stale or did not come from this page (CSRF check failed). Reload and try again.",
                        status: .forbidden
                    )
                }
                return try await body(s, fields)
            } catch let e as APIError {
                return redirect(back + (back.contains("?") ? "&" : "?") + "error=" + escapeQuery(e.message))
            } catch {
                return redirect(back + "?error=" + escapeQuery("\(error)"))
            }
        }
        @Sendable func notes(_ req: Request) -> (String?, String?) {
            (
                req.uri.queryParameters["msg"].map { String($0) }.map(decode),
                req.uri.queryParameters["error"].map { String($0) }.map(decode)
            )
        }

        addReports(
            to: router,
            plane: plane,
            page: { req, body in await page(req, body) },
            post: { req, back, body in await post(req, back: back, body) },
            notes: notes
        )
        router.get("/") { _, _ in redirect("/ui") }
        router.get("/ui/login") { req, _ in
            let (_, error) = notes(req)
            return render(Page(title: "Sign in", template: "login", context: [:]), session: nil, error: error)
        }
        router.post("/ui/login") { req, _ in
            guard sameOrigin(req) else { return crossOrigin() }
            var r = req
            let fields = form(String(buffer: (try? await r.body.collect(upTo: 1 << 16)) ?? ByteBuffer()))
            do {
                let token = fields["token"]?.trimmingSpacesString ?? ""
                let user = try await plane.authenticate(bearer: token)
                try plane.requirePerson(user, to: "signing in to the page")
                let id = ControlPlane.randomString(40)
                try await plane.store.createWebSession(
                    hash: sessionHash(id),
                    user: user.name,
                    tokenHash: ControlPlane.hashToken(token),
                    csrf: ControlPlane.randomString(32),
                    expires: plane.now() + sessionSeconds
                )
                _ = try await plane.store.append(
                    AuditDraft(kind: "web.signin", actor: user.name),
                    now: plane.now()
                )
                let secure = plane.config.publicURL.hasPrefix("https://") ? "; Secure" : ""
                return redirect(
                    "/ui",
                    cookie: "\(cookie)=\(id); Path=/; HttpOnly; SameSite=Strict; Max-Age=\(sessionSeconds)\(secure)"
                )
            } catch {
                return render(
                    Page(title: "Sign in", template: "login", context: [:]),
                    session: nil,
                    error: "That token is not valid (unknown or revoked). Ask an admin for a new one.",
                    status: .unauthorized
                )
            }
        }
        router.post("/ui/logout") { req, _ in
            await post(req, back: "/ui") { s, _ in
                if let id = cookieValue(req) { try await plane.store.deleteWebSession(hash: sessionHash(id)) }
                _ = s
                return redirect("/ui/login", cookie: "\(cookie)=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0")
            }
        }

        // Pending approvals, updating live.
        @Sendable func pendingRows() async throws -> String {
            let now = plane.now()
            let list = try await plane.store.approvals(status: .pending, limit: 200).filter {
                $0.effectiveStatus(now: now) == .pending
            }
            let rows: [[String: Any]] = list.map { a in
                var row: [String: Any] = [
                    "id": a.id, "requester": a.requester, "agent": a.agent,
                    "summary": a.summary, "labels": a.detail["labels"]?.strings ?? [],
                    "rules": (a.detail["reasons"]?.arrayValue ?? []).compactMap { $0["rule"]?.stringValue },
                    "needs": "\(a.requiredCount) × \(a.requiredRole)", "waiting": ago(a.created, now: now),
                ]
                // A plan request has no session: nothing is shown rather than an empty label.
                if !a.session.isEmpty { row["session"] = a.session }
                return row
            }
            return library.render(sanitize(["requests": rows] as [String: Any]), withTemplate: "pendingRows") ?? ""
        }
        router.get("/ui") { req, _ in
            await page(req) { s in
                let (msg, error) = notes(req)
                return render(
                    Page(
                        title: "Pending approvals",
                        template: "pending",
                        context: ["rows": try await pendingRows()],
                        nav: "Pending",
                        script: Templates.pendingScript
                    ),
                    session: s,
                    flash: msg,
                    error: error
                )
            }
        }
        router.get("/ui/pending.fragment") { req, _ in
            do {
                guard try await current(req) != nil else { return Response(status: .unauthorized) }
                return Response(
                    status: .ok,
                    headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                    body: .init(byteBuffer: ByteBuffer(string: try await pendingRows()))
                )
            } catch {
                return Response(status: .internalServerError)
            }
        }

        // Request detail and decision.
        router.get("/ui/requests/{id}") { req, ctx in
            await page(req) { s in
                let (msg, error) = notes(req)
                let id = ctx.parameters.get("id") ?? ""
                guard let a = try await plane.store.approval(id: id) else {
                    return render(
                        Page(
                            title: "Not found",
                            template: "pending",
                            context: ["rows": try await pendingRows()],
                            nav: "Pending"
                        ),
                        session: s,
                        error: "There is no request \(id).",
                        status: .notFound
                    )
                }
                let now = plane.now()
                let status = a.effectiveStatus(now: now)
                var c: [String: Any] = [
                    "id": a.id, "status": status.rawValue,
                    "statusClass": status == .approved || status == .used ? "ok" : status == .pending ? "" : "warn",
                    "requester": a.requester, "agent": a.agent, "summary": a.summary,
                    "commands": a.detail["commands"]?.strings ?? [],
                    "reasons": (a.detail["reasons"]?.arrayValue ?? []).map {
                        ["rule": $0["rule"]?.stringValue ?? "", "message": $0["message"]?.stringValue ?? ""]
                    },
                    "labels": a.detail["labels"]?.strings ?? [], "count": a.requiredCount, "role": a.requiredRole,
                    "approvals": a.votes.filter { $0.vote == "approve" }.count, "waiting": ago(a.created, now: now),
                    "expiresIn": a.expires > now ? HumanTime.until(a.expires, now: now) : "expired",
                    "votes": a.votes.map { ["user": $0.user, "role": $0.role, "vote": $0.vote, "reason": $0.reason] },
                    "agentSees": true,
                ]
                c["hasCommands"] = !(a.detail["commands"]?.strings ?? []).isEmpty
                c["hasLabels"] = !(a.detail["labels"]?.strings ?? []).isEmpty
                if !a.session.isEmpty { c["session"] = a.session }
                if !a.repository.isEmpty { c["repository"] = a.repository }
                if !a.environment.isEmpty { c["environment"] = a.environment }
                let pending = status == .pending
                let mine = a.requester == s.user.name
                let rankOK = plane.config.userRank(s.user.role) >= plane.config.rank(a.requiredRole)
                c["canDecide"] = pending && !mine && !a.votes.contains { $0.user == s.user.name }
                c["canApprove"] = rankOK
                c["approveNote"] =
                    "Approving needs role \(a.requiredRole) or higher; you are \(s.user.role). You can deny."
                c["decideNote"] =
                    !pending
                    ? "This request is \(status.rawValue)."
                    : mine ? "You asked for this; another person must decide." : "You have already decided."
                if let plan = a.detail["plan"], case .object = plan {
                    let counts = ["create", "update", "replace", "delete", "forget"].compactMap { k -> [String: Any]? in
                        guard let n = plan["counts"]?[k]?.intValue, n > 0 else { return nil }
                        return ["n": n, "action": k]
                    }
                    let changes: [[String: Any]] = (plan["changes"]?.arrayValue ?? []).prefix(300).map {
                        var row: [String: Any] = [
                            "address": $0["address"]?.stringValue ?? "", "action": $0["action"]?.stringValue ?? "",
                            "evidence": ($0["evidence"]?.strings ?? []).joined(separator: "; "),
                        ]
                        if let loss = $0["data_loss"]?.stringValue, loss != "none", !loss.isEmpty {
                            row["dataLoss"] = loss
                        }
                        return row
                    }
                    var p: [String: Any] = ["counts": counts, "changes": changes]
                    if case .number(let f)? = plan["destroyed_fraction"], f > 0 {
                        p["destroyed"] = "\(Int((f * 100).rounded())) %"
                    }
                    c["plan"] = p
                }
                if !a.session.isEmpty {
                    c["hasRecent"] = true
                    c["recent"] = try await plane.store.sessionEvents(id: a.session, limit: 20).reversed().map {
                        e -> [String: Any] in
                        let v = (try? JSONValue.parse(e.event)) ?? .null
                        return [
                            "seq": e.seq, "ago": ago(v["time"]?.intValue ?? now, now: now),
                            "what": v["action"]?.stringValue ?? v["request"]?.stringValue ?? v["kind"]?.stringValue
                                ?? "",
                            "decision": v["enforced"]?.stringValue ?? v["decision"]?.stringValue ?? v["kind"]?
                                .stringValue ?? "",
                        ]
                    }
                }
                return render(
                    Page(title: "Request \(a.id)", template: "request", context: c, nav: "Pending"),
                    session: s,
                    flash: msg,
                    error: error
                )
            }
        }
        router.post("/ui/requests/{id}/decide") { req, ctx in
            let id = ctx.parameters.get("id") ?? ""
            return await post(req, back: "/ui/requests/\(id)") { s, f in
                let approve = f["decision"] == "approve"
                let a = try await plane.vote(id: id, approve: approve, reason: f["reason"] ?? "", by: s.user)
                let what =
                    approve
                    ? (a.status == .approved ? "Approved" : "Your approval is recorded; more are needed") : "Denied"
                return redirect("/ui/requests/\(id)?msg=" + escapeQuery(what))
            }
        }

        // Stops
        router.get("/ui/stops") { req, _ in
            await page(req) { s in
                let (msg, error) = notes(req)
                let now = plane.now()
                let stops: [[String: Any]] = try await plane.activeStops().map {
                    [
                        "id": $0.id, "describe": $0.describe, "automatic": $0.automatic, "createdBy": $0.createdBy,
                        "reason": $0.reason, "ago": ago($0.created, now: now), "liftRole": $0.liftRole,
                        "canLift": plane.config.userRank(s.user.role) >= plane.config.rank($0.liftRole),
                    ]
                }
                return render(
                    Page(title: "Stop", template: "stops", context: ["stops": stops], nav: "Stops"),
                    session: s,
                    flash: msg,
                    error: error
                )
            }
        }
        router.post("/ui/stops") { req, _ in
            await post(req, back: "/ui/stops") { s, f in
                let stop = try await plane.createStop(
                    scope: try ControlPlane.stopScope(f["scope"]),
                    value: f["value"] ?? "",
                    reason: f["reason"] ?? "",
                    by: s.user
                )
                return redirect("/ui/stops?msg=" + escapeQuery("Stopped \(stop.describe)."))
            }
        }
        router.post("/ui/stops/{id}/lift") { req, ctx in
            let id = ctx.parameters.get("id") ?? ""
            return await post(req, back: "/ui/stops") { s, f in
                let stop = try await plane.liftStop(id: id, reason: f["reason"] ?? "", by: s.user)
                return redirect("/ui/stops?msg=" + escapeQuery("Lifted the stop on \(stop.describe)."))
            }
        }

        // Sessions
        router.get("/ui/sessions") { req, _ in
            await page(req) { s in
                let user = req.uri.queryParameters["user"].map { decode(String($0)) } ?? ""
                let agent = req.uri.queryParameters["agent"].map { decode(String($0)) } ?? ""
                let now = plane.now()
                let list = try await plane.store.sessions(limit: 500).filter {
                    (user.isEmpty || $0.user == user) && (agent.isEmpty || $0.agent == agent)
                }
                let rows: [[String: Any]] = list.map {
                    [
                        "id": $0.id, "user": $0.user, "agent": $0.agent, "repository": $0.repository,
                        "actions": $0.actions, "refused": $0.refused, "ago": ago($0.last, now: now),
                    ]
                }
                return render(
                    Page(
                        title: "Sessions",
                        template: "sessions",
                        context: ["sessions": rows, "fUser": user, "fAgent": agent],
                        nav: "Sessions"
                    ),
                    session: s
                )
            }
        }
        router.get("/ui/sessions/{id}") { req, ctx in
            await page(req) { s in
                let id = ctx.parameters.get("id") ?? ""
                let now = plane.now()
                let info = try await plane.store.session(id: id)
                let recent = try await plane.store.sessionEvents(id: id, limit: 200)
                // What the hooks kept before destructive steps, on the agent's machine: newest first.
                let undo: [[String: Any]] = recent.reversed().compactMap { e in
                    guard let v = try? JSONValue.parse(e.event), v["kind"]?.stringValue == "checkpoint" else {
                        return nil
                    }
                    let kept = v["kept"]?.intValue ?? 0
                    var what = "\(kept) file\(kept == 1 ? "" : "s") kept"
                    let skipped = v["skipped"]?.intValue ?? 0
                    let unresolved = v["unresolved"]?.intValue ?? 0
                    if skipped > 0 { what += ", \(skipped) not kept" }
                    if unresolved > 0 { what += ", \(unresolved) not resolvable" }
                    let git = v["git"]?.strings ?? []
                    if !git.isEmpty { what += "; git: " + git.joined(separator: ", ") }
                    return [
                        "checkpoint": v["checkpoint"]?.stringValue ?? "",
                        "ago": ago(v["time"]?.intValue ?? now, now: now),
                        "host": v["host"]?.stringValue ?? "", "action": v["action"]?.stringValue ?? "",
                        "kept": what, "paths": (v["paths"]?.strings ?? []).joined(separator: ", "),
                    ]
                }
                let events: [[String: Any]] = recent.reversed().map {
                    e in
                    let v = (try? JSONValue.parse(e.event)) ?? .null
                    return [
                        "seq": e.seq, "ago": ago(v["time"]?.intValue ?? now, now: now),
                        "kind": v["kind"]?.stringValue ?? "",
                        "what": v["action"]?.stringValue ?? v["request"]?.stringValue ?? "",
                        "decision": v["enforced"]?.stringValue ?? v["decision"]?.stringValue ?? "",
                    ]
                }
                return render(
                    Page(
                        title: "Session \(id)",
                        template: "session",
                        context: [
                            "id": id, "user": info?.user ?? "", "agent": info?.agent ?? "",
                            "actions": info?.actions ?? 0,
                            "refused": info?.refused ?? 0, "events": events, "undo": undo,
                            "hasUndo": !undo.isEmpty,
                        ],
                        nav: "Sessions"
                    ),
                    session: s
                )
            }
        }

        // Audit
        router.get("/ui/audit") { req, _ in
            await page(req) { s in
                let q = { (k: String) in req.uri.queryParameters[Substring(k)].map { decode(String($0)) } ?? "" }
                let (kind, actor, sess) = (q("kind"), q("actor"), q("session"))
                let report = try await plane.verify()
                let head = report.length
                let now = plane.now()
                let window = try await plane.store.auditRange(from: max(1, head - 5000 + 1), limit: 5000)
                var events: [[String: Any]] = []
                for e in window.reversed() {
                    let v = (try? JSONValue.parse(e.event)) ?? .null
                    if !kind.isEmpty && v["kind"]?.stringValue != kind { continue }
                    if !actor.isEmpty && v["actor"]?.stringValue != actor { continue }
                    if !sess.isEmpty && v["session"]?.stringValue != sess { continue }
                    events.append([
                        "seq": e.seq, "ago": ago(v["time"]?.intValue ?? now, now: now),
                        "kind": v["kind"]?.stringValue ?? "",
                        "actor": v["actor"]?.stringValue ?? "", "text": String(AuditText.describe(v).prefix(400)),
                    ])
                    if events.count >= 200 { break }
                }
                let verification =
                    report.ok
                    ? "Chain intact: \(report.length) events, \(report.checkpointsVerified) signed checkpoints verified."
                    : "The audit chain does NOT verify: it was altered."
                return render(
                    Page(
                        title: "Audit",
                        template: "audit",
                        context: [
                            "ok": report.ok, "verification": verification, "problems": report.problems,
                            "hasProblems": !report.problems.isEmpty,
                            "events": events, "fKind": kind, "fActor": actor, "fSession": sess,
                        ],
                        nav: "Audit"
                    ),
                    session: s
                )
            }
        }

        // Admin
        /// The admin page; a token just created is shown in this response only (never in a URL).
        @Sendable func adminPage(
            _ s: WebSession,
            msg: String?,
            error: String?,
            newToken: (String, String)? = nil
        )
            async throws -> Response
        {
            guard plane.config.userRank(s.user.role) >= plane.config.rank(plane.config.topRole) else {
                return render(
                    Page(
                        title: "Admin",
                        template: "pending",
                        context: ["rows": try await pendingRows()],
                        nav: "Pending"
                    ),
                    session: s,
                    error: "The admin page needs role \(plane.config.topRole); you are \(s.user.role).",
                    status: .forbidden
                )
            }
            let users: [[String: Any]] = try await plane.store.users().map { ["name": $0.name, "role": $0.role] }
            let tokens: [[String: Any]] = try await plane.store.tokens(user: nil).map {
                [
                    "id": $0.id, "user": $0.user, "label": $0.label,
                    "state": $0.revoked == nil ? "active" : "revoked", "active": $0.revoked == nil,
                ]
            }
            let deliveries: [[String: Any]] = plane.notifier.recent.map {
                [
                    "event": $0.event, "url": $0.url, "status": $0.status, "attempts": $0.attempts,
                    "lastError": $0.lastError,
                    "statusClass": $0.status == "delivered" ? "ok" : $0.status == "failed" ? "warn" : "",
                ]
            }
            var c: [String: Any] = [
                "users": users, "tokens": tokens, "roles": plane.config.roles, "deliveries": deliveries,
                "webhookNote": plane.config.webhooks.isEmpty ? "No webhooks configured." : "No deliveries yet.",
            ]
            if let (token, user) = newToken {
                c["newToken"] = token
                c["newTokenUser"] = user
            }
            var r = render(
                Page(title: "Admin", template: "admin", context: c, nav: "Admin"),
                session: s,
                flash: msg,
                error: error
            )
            if newToken != nil { r.headers[.cacheControl] = "no-store" }
            return r
        }
        router.get("/ui/admin") { req, _ in
            await page(req) { s in
                let (msg, error) = notes(req)
                return try await adminPage(s, msg: msg, error: error)
            }
        }
        router.post("/ui/admin/users") { req, _ in
            await post(req, back: "/ui/admin") { s, f in
                let (user, token) = try await plane.addUser(name: f["name"] ?? "", role: f["role"] ?? "", by: s.user)
                return try await adminPage(
                    s,
                    msg: "Added \(user.name) (\(user.role)).",
                    error: nil,
                    newToken: (token, user.name)
                )
            }
        }
        router.post("/ui/admin/users/{name}/role") { req, ctx in
            let name = ctx.parameters.get("name") ?? ""
            return await post(req, back: "/ui/admin") { s, f in
                let u = try await plane.setRole(name: name, role: f["role"] ?? "", by: s.user)
                return redirect("/ui/admin?msg=" + escapeQuery("\(u.name) is now \(u.role)."))
            }
        }
        router.post("/ui/admin/tokens") { req, _ in
            await post(req, back: "/ui/admin") { s, f in
                let (record, token) = try await plane.createToken(for: f["user"], label: f["label"] ?? "", by: s.user)
                return try await adminPage(s, msg: nil, error: nil, newToken: (token, record.user))
            }
        }
        router.post("/ui/admin/tokens/{id}/revoke") { req, ctx in
            let id = ctx.parameters.get("id") ?? ""
            return await post(req, back: "/ui/admin") { s, _ in
                let t = try await plane.revokeToken(id: id, by: s.user)
                return redirect("/ui/admin?msg=" + escapeQuery("Revoked token \(t.id) of \(t.user)."))
            }
        }
    }

    static func escapeQuery(_ s: String) -> String { Percent.encode(s) }
}

extension Substring {
    var trimmingSpaces: String { String(self).trimmingSpacesString }
}

extension String {
    var trimmingSpacesString: String {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\t" || c == "\n" || c == "\r" { s = s.dropFirst() }
        while let c = s.last, c == " " || c == "\t" || c == "\n" || c == "\r" { s = s.dropLast() }
        return String(s)
    }
}
