import BrakeClient
import BrakeCore
import BrakeGuard

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The control plane as every entry point reaches it: sends the raw action to `POST /v1/judge`, verifies the
/// signed answer against the key pinned at login, keeps the last known stops for when the server cannot be
/// reached, and spools decisions made meanwhile for the server's audit log.
package final class ServerControl: ControlLink, @unchecked Sendable {
    // @unchecked: used from one thread per process (a hook call, an exec, the MCP proxy's judging lock).
    package let link: ServerLink
    /// When the caller started (for the hook-latency metric).
    package let started: Double

    /// The connection for the next judgement, opened early (`open()`).
    var opening: HTTPClient.Opening?
    /// Kept connections to the server, for a long-running caller (the guard service).
    package var pool: HTTPClient.Pool?

    package init(link: ServerLink, started: Double = monotonicMS()) {
        self.link = link
        self.started = started
    }

    /// The configured control link: `.some(nil)` without a server; nil when one is configured but unusable.
    package static func load(env: [String: String], store: LocalStore) -> ServerControl?? {
        do {
            guard let link = try ServerLink.load(env: env, store: store) else { return .some(nil) }
            return ServerControl(link: link)
        } catch {
            return nil
        }
    }

    /// Starts connecting to the server now, so the handshake overlaps the caller's own work.
    package func open() {
        opening = try? link.client(timeout: 3).http.open()
    }

    /// Seconds to wait for a person: `--wait`, else `BRAKE_ASK_WAIT`, else 0 — the answer comes at once with the
    /// request id, and the agent runs `brake wait ID` instead of stalling in its hook (at most 600).
    package static func wait(env: [String: String], override: Double?) -> Double {
        var wait = 0.0
        if let w = env["BRAKE_ASK_WAIT"], let d = Double(w), d >= 0 { wait = d }
        if let w = override { wait = w }
        return min(wait, 600)
    }

    package var cachePath: String { link.store.home + "/server-cache.json" }
    package var policyPath: String { link.store.home + "/server-policy.yaml" }

    package func lastKnownStops() -> (user: String?, stops: [Stop]) {
        let c = cached()
        return (c.user, c.stops)
    }

    package func cached() -> (user: String?, stops: [Stop], etag: String?) {
        guard let text = try? Loader.readFile(cachePath), let v = try? JSONValue.parse(text) else {
            return (nil, [], nil)
        }
        return (
            v["user"]?.stringValue, (v["stops"]?.arrayValue ?? []).compactMap(Stop.init(json:)),
            v["policy_etag"]?.stringValue
        )
    }

    /// Saves what the server said (user, stops, policy ETag) unless it is what `previous` already holds;
    /// returns whether it changed.
    package func remember(user: String?, stops: JSONValue, etag: String?, previous: String?) -> Bool {
        let v = JSONValue.object([
            ("user", user.map { .string($0) } ?? .null), ("stops", stops),
            ("policy_etag", etag.map { .string($0) } ?? .null),
        ])
        let text = v.serialized + "\n"
        if previous == text { return false }
        try? link.store.ensureHome()
        try? link.store.writeAtomically(cachePath, text)
        return true
    }

    /// Fetches the organisation policy when its ETag changed; it applies from the next call.
    package func refreshPolicy(_ client: ServerClient) {
        guard let r = try? client.text("/v1/policy"), r.status == 200 else { return }
        if r.body.isEmpty {
            unlink(policyPath)
        } else {
            try? link.store.writeAtomically(policyPath, r.body)
        }
    }

    package func judge(_ request: ActionRequest, wait: Double) -> LinkResult {
        guard let pinned = link.pinnedKey, !pinned.isEmpty else {
            return .failed(
                "no server key is pinned on this machine, so no answer can be trusted; run `brake login` (or `brake login --system`) to pin it"
            )
        }
        var client: ServerClient
        // Settings that cannot be used (a URL, plain HTTP to another host, a CA file) refuse: working offline
        // would drop the server's stops and rules without anyone noticing.
        do { client = try link.client(timeout: 3) } catch { return .failed("\(error)") }
        client.pool = pool
        let nonce = SignedAnswer.newNonce()
        guard case .object(var body) = request.json else { return .failed("internal error") }
        body += [
            ("nonce", .string(nonce)), ("wait", .number(wait)),
            ("elapsed_ms", .number(((monotonicMS() - started) * 100).rounded() / 100)),
        ]
        let answer: JSONValue
        do {
            defer { opening = nil }
            answer = try client.call("POST", "/v1/judge", .object(body), extraTimeout: wait, opening: opening)
        } catch let e as ClientError {
            if case .unreachable = e { return .unreachable("\(e)") }
            return .failed("\(e)")
        } catch {
            return .failed("\(error)")
        }
        let verified: SignedAnswer
        switch SignedAnswer.verify(answer, nonce: nonce, publicKey: pinned) {
        case .success(let a): verified = a
        case .failure(let e): return .failed(e.message)
        }
        flushSpool(client)
        // What the server said about stops and its policy is kept for the next call (and for when the server
        // cannot be reached); in the guard service that happens after the answer has gone out.
        let user = answer["user"]?.stringValue
        let stops = answer["stops"] ?? .array([])
        let etag = answer["policy_etag"]?.stringValue
        let pool = self.pool
        let keep: @Sendable () -> Void = { [self] in
            // The common call changes nothing: one read of the cache, no parse, no write.
            let previous = try? Loader.readFile(cachePath)
            if remember(user: user, stops: stops, etag: etag, previous: previous), let etag,
                etag != previous.flatMap({ try? JSONValue.parse($0) })?["policy_etag"]?.stringValue,
                var client = try? link.client(timeout: 3)
            {
                client.pool = pool
                refreshPolicy(client)
            }
        }
        if let later = link.store.afterAnswer { later.add(keep) } else { keep() }
        let required = answer["request"]?["required"].flatMap { r -> Approvers? in
            guard let role = r["role"]?.stringValue else { return nil }
            return Approvers(role: role, count: r["count"]?.intValue ?? 1)
        }
        return .answer(
            ServerAnswer(
                signed: verified,
                message: answer["message"]?.stringValue ?? "",
                required: required,
                expires: answer["request"]?["expires"]?.intValue,
                pending: verified.decision == .ask
            )
        )
    }

    /// The session this machine stopped, stopped on the control plane too (after the answer, in the guard
    /// service); the local stop holds whatever happens here.
    package func reportStop(session: String, reason: String) {
        let pool = self.pool
        let link = self.link
        let send: @Sendable () -> Void = {
            guard var client = try? link.client(timeout: 3) else { return }
            client.pool = pool
            _ = try? client.call(
                "POST",
                "/v1/stops",
                .object([("scope", .string("session")), ("value", .string(session)), ("reason", .string(reason))])
            )
        }
        if let later = link.store.afterAnswer { later.add(send) } else { send() }
    }

    /// Sends what agents produced to the control plane (after the answer, in the guard service); the local record
    /// keeps them whatever happens here.
    package func sendAgentRecords(_ records: [AgentRecord]) {
        guard !records.isEmpty else { return }
        let pool = self.pool
        let link = self.link
        let send: @Sendable () -> Void = {
            guard var client = try? link.client(timeout: 3) else { return }
            client.pool = pool
            _ = try? client.call("POST", "/v1/provenance", .object([("records", .array(records.map(\.json)))]))
        }
        if let later = link.store.afterAnswer { later.add(send) } else { send() }
    }

    /// Tells the control plane what a checkpoint kept (after the answer), so the session's page shows what can be
    /// undone on this machine. The content stays here.
    package func sendCheckpoint(_ c: Checkpoint) {
        let pool = self.pool
        let link = self.link
        let summary = c.summary
        let send: @Sendable () -> Void = {
            guard var client = try? link.client(timeout: 3) else { return }
            client.pool = pool
            _ = try? client.call("POST", "/v1/checkpoints", .object([("checkpoints", .array([summary]))]))
        }
        if let later = link.store.afterAnswer { later.add(send) } else { send() }
    }

    // MARK: the audit spool

    package var spoolPath: String { link.store.home + "/server-spool.jsonl" }

    /// Keeps a decision made while the server was unreachable, to be sent with the next successful call.
    package func spool(_ request: ActionRequest, judgement j: Judgement, enforced: Verdict) {
        var members: [(String, JSONValue)] = [
            ("agent", .string(request.agent)), ("session", .string(request.session)), ("tool", .string(request.tool)),
            ("action", .string(j.summary)), ("decision", .string(j.verdict.rawValue)),
            ("rules", .array(j.rules.map { .string($0) })), ("labels", .array(j.labels.map { .string($0) })),
            ("effects", .array(j.effects.map { .string($0) })), ("digest", .string(j.digest)),
            ("repository", .string(request.repository)), ("environment", .string(request.environment)),
            ("time", .number(Double(time(nil)))),
        ]
        if enforced != j.verdict { members.append(("enforced", .string(enforced.rawValue))) }
        if let observed = j.observed { members.append(("observed", .string(observed.rawValue))) }
        try? link.store.ensureHome()
        var st = stat()
        if stat(spoolPath, &st) == 0 && st.st_size > 16 << 20 { return }  // bounded; the local audit log has it all
        appendToSpool(JSONValue.object(members).serialized + "\n")
    }

    /// One append (one write call), so concurrent hooks do not interleave lines.
    package func appendToSpool(_ text: String) {
        let fd = Glibc.open(spoolPath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }

    /// Sends spooled decisions (one process takes the file by renaming it); puts them back if that fails.
    package func flushSpool(_ client: ServerClient) {
        guard Loader.exists(spoolPath) else { return }
        let taken = spoolPath + ".sending.\(getpid())"
        guard rename(spoolPath, taken) == 0, let text = try? Loader.readFile(taken) else { return }
        let reports = text.split(separator: "\n").compactMap { try? JSONValue.parse(String($0)) }
        var sent = 0
        while sent < reports.count {
            let chunk = Array(reports[sent..<min(reports.count, sent + 500)])
            do {
                _ = try client.call("POST", "/v1/decisions/spool", .object([("reports", .array(chunk))]))
            } catch ClientError.status(400, _) {
                // Malformed here can never succeed; the local audit log keeps these decisions.
            } catch {
                break
            }
            sent += chunk.count
        }
        if sent < reports.count { appendToSpool(reports[sent...].map { $0.serialized + "\n" }.joined()) }
        unlink(taken)
    }
}

/// Milliseconds on a monotonic clock (for the elapsed time hooks report).
package func monotonicMS() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) * 1000 + Double(ts.tv_nsec) / 1e6
}
