import BrakeClient
import BrakeCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How this machine reaches the control plane: `BRAKE_SERVER` + `BRAKE_TOKEN`, or `brake login`'s file.
struct ServerLink {
    let url: String
    let token: String
    let store: LocalStore
    /// The server's checkpoint key pinned at login (base64), if any.
    let pinnedKey: String?

    static func credentialsPath(_ store: LocalStore) -> String { store.home + "/server.json" }

    /// Nil when no server is configured (Brake then works on local state alone).
    static func load(env: [String: String], store: LocalStore) throws -> ServerLink? {
        if let url = env["BRAKE_SERVER"], !url.isEmpty {
            guard let token = env["BRAKE_TOKEN"], !token.isEmpty else {
                throw Failure(
                    status: ExitStatus.usage,
                    message: "BRAKE_SERVER is set but BRAKE_TOKEN is not; set both, or run `brake login`"
                )
            }
            let pinned = (try? ServerLink.saved(store))?.pinnedKey
            return ServerLink(url: url, token: token, store: store, pinnedKey: pinned)
        }
        return try saved(store)
    }

    static func saved(_ store: LocalStore) throws -> ServerLink? {
        let path = credentialsPath(store)
        guard Loader.exists(path) else { return nil }
        let text = try Loader.readFile(path)
        guard let v = try? JSONValue.parse(text), let url = v["server"]?.stringValue,
            let token = v["token"]?.stringValue
        else {
            throw Failure(status: ExitStatus.badInput, message: "\(path) is damaged; run `brake login` again")
        }
        return ServerLink(url: url, token: token, store: store, pinnedKey: v["public_key"]?.stringValue)
    }

    func client(timeout: Double = 5) throws -> ServerClient {
        do { return try ServerClient(url: url, token: token, timeout: timeout) } catch {
            throw Failure(status: ExitStatus.usage, message: "\(error)")
        }
    }

    /// A required link for the people-facing commands.
    static func required(_ what: String) throws -> (ServerLink, ServerClient) {
        let env = Loader.environment()
        guard let link = try load(env: env, store: LocalStore(env: env)) else {
            throw Failure(
                status: ExitStatus.usage,
                message:
                    "\(what) needs the Brake server: run `brake login --server URL --token TOKEN` or set BRAKE_SERVER and BRAKE_TOKEN"
            )
        }
        return (link, try link.client())
    }
}

/// The repository an action happens in, as stop orders name it: the origin remote without scheme, user
/// and `.git` (github.com/org/repo), or the project's path when it has no remote.
enum RepositoryName {
    static func of(projectRoot: String?) -> String? {
        guard let root = projectRoot else { return nil }
        guard let config = try? Loader.readFile(root + "/.git/config") else { return root }
        var inOrigin = false
        for raw in config.split(separator: "\n") {
            let line = raw.trimmingCharacters
            if line.hasPrefix("[") {
                inOrigin = line == "[remote \"origin\"]"
            } else if inOrigin, line.hasPrefix("url") {
                guard let eq = line.firstIndex(of: "=") else { continue }
                return normalize(String(line[line.index(after: eq)...]).trimmingCharacters)
            }
        }
        return root
    }

    static func normalize(_ url: String) -> String {
        var s = Substring(url)
        if let r = s.firstRange(of: "://") { s = s[r.upperBound...] }
        if let at = s.firstIndex(of: "@"), !s[..<at].contains("/") { s = s[s.index(after: at)...] }
        var out = String(s)
        if !url.contains("://"), let colon = out.firstIndex(of: ":") {
            out.replaceSubrange(colon...colon, with: "/")
        }
        if out.hasSuffix(".git") { out.removeLast(4) }
        while out.hasSuffix("/") { out.removeLast() }
        return out
    }
}

extension Substring {
    var trimmingCharacters: String {
        var s = self
        while let c = s.first, c == " " || c == "\t" || c == "\r" { s = s.dropFirst() }
        while let c = s.last, c == " " || c == "\t" || c == "\r" { s = s.dropLast() }
        return String(s)
    }
}

extension String {
    var trimmingCharacters: String { Substring(self).trimmingCharacters }
}

/// What hooks, `brake exec` and `brake mcp` do with the control plane on every call: report the decision
/// (a stop in scope or the circuit breaker turns it into deny), and for an ask open a request and wait for
/// it. Unreachable server: asks become denies, the last known stops stay in force, allowed actions run.
struct ServerGate {
    let link: ServerLink
    /// Seconds to wait for a decision on an ask (long poll).
    let wait: Double

    struct Call {
        var agent: String
        var session: String
        var tool: String
        var action: String
        var verdict: Verdict
        var rules: [String]
        var labels: [String]
        var effects: [String]
        var digest: String
        var repository: String
        var environment: String
        var approvers: Approvers?
        var detail: JSONValue
        /// Why the action was asked or denied, for people.
        var reason: String
        /// Milliseconds the caller has spent so far (reported for the hook-latency metric).
        var elapsedMS: Double? = nil
    }

    struct Result {
        var verdict: Verdict
        /// Replaces the local message when not empty.
        var message: String
        var note: String
        /// The request still waiting for a person (exec exits 75 for it).
        var pending: String? = nil
    }

    /// The configured gate, or nil (no server). `waitOverride` is `--wait`; then `BRAKE_ASK_WAIT`; else 20 s.
    static func load(env: [String: String], store: LocalStore, waitOverride: Double?) -> ServerGate?? {
        do {
            guard let link = try ServerLink.load(env: env, store: store) else { return .some(nil) }
            var wait = 20.0
            if let w = env["BRAKE_ASK_WAIT"], let d = Double(w), d >= 0 { wait = d }
            if let w = waitOverride { wait = w }
            return ServerGate(link: link, wait: min(wait, 600))
        } catch {
            return nil  // misconfigured: the caller fails closed
        }
    }

    var cachePath: String { link.store.home + "/server-cache.json" }
    var policyPath: String { link.store.home + "/server-policy.yaml" }

    func cached() -> (user: String?, stops: [ServerStop], etag: String?) {
        guard let text = try? Loader.readFile(cachePath), let v = try? JSONValue.parse(text) else {
            return (nil, [], nil)
        }
        return (
            v["user"]?.stringValue, (v["stops"]?.arrayValue ?? []).compactMap(ServerStop.init(json:)),
            v["policy_etag"]?.stringValue
        )
    }

    /// Saves what the server said (user, stops, policy ETag) unless it is what `previous` already holds;
    /// returns whether it changed.
    func remember(user: String?, stops: JSONValue, etag: String?, previous: String?) -> Bool {
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
    func refreshPolicy(_ client: ServerClient, etag: String) {
        guard let r = try? client.text("/v1/policy"), r.status == 200 else { return }
        if r.body.isEmpty {
            unlink(policyPath)
        } else {
            try? link.store.writeAtomically(policyPath, r.body)
        }
    }

    func run(_ c: Call) -> Result {
        let client: ServerClient
        do { client = try link.client(timeout: 3) } catch { return offline(c, "\(error)") }
        let report = reportJSON(c)
        let answer: JSONValue
        do { answer = try client.call("POST", "/v1/decisions", report) } catch {
            return failed(c, error)
        }
        flushSpool(client)
        // The common call changes nothing: one read of the cache, no parse, no write.
        let previous = try? Loader.readFile(cachePath)
        let etag = answer["policy_etag"]?.stringValue
        let user = answer["user"]?.stringValue
        if remember(user: user, stops: answer["stops"] ?? .array([]), etag: etag, previous: previous),
            let etag, etag != previous.flatMap({ try? JSONValue.parse($0) })?["policy_etag"]?.stringValue
        {
            refreshPolicy(client, etag: etag)
        }
        if answer["decision"]?.stringValue == "deny" && c.verdict != .deny {
            let m = answer["message"]?.stringValue ?? "a stop is in force"
            return Result(
                verdict: .deny,
                message: "Brake: \(m). Do not try other ways; wait for your human.",
                note: "stopped by the server"
            )
        }
        guard c.verdict == .ask else { return Result(verdict: c.verdict, message: "", note: "") }
        var ask: [(String, JSONValue)] = [
            ("digest", .string(c.digest)), ("summary", .string(c.action)), ("agent", .string(c.agent)),
            ("session", .string(c.session)), ("repository", .string(c.repository)),
            ("environment", .string(c.environment)), ("rules", .array(c.rules.map { .string($0) })),
            ("detail", c.detail),
        ]
        if let a = c.approvers {
            ask.append(("approvers", .object([("role", .string(a.role)), ("count", .number(Double(a.count)))])))
        }
        do {
            var request = try client.call("POST", "/v1/approvals", .object(ask))
            guard let id = request["id"]?.stringValue else {
                return failed(c, ClientError.malformed("no request id in the answer"))
            }
            if request["status"]?.stringValue == "used" {
                return Result(verdict: .allow, message: "", note: "approved (request \(id))")
            }
            if wait > 0, request["status"]?.stringValue == "pending" {
                request = try client.call(
                    "GET",
                    "/v1/approvals/\(id)/wait?timeout=\(Int(wait))",
                    extraTimeout: wait
                )
            }
            switch request["status"]?.stringValue {
            case "approved":
                _ = try client.call("POST", "/v1/approvals/\(id)/consume")
                return Result(verdict: .allow, message: "", note: "approved (request \(id))")
            case "denied":
                let vote = request["votes"]?.arrayValue?.last { $0["vote"]?.stringValue == "deny" }
                let who = vote?["user"]?.stringValue ?? "a person"
                let why = vote?["reason"]?.stringValue ?? ""
                return Result(
                    verdict: .deny,
                    message:
                        "Brake: request \(id) for this action was denied by \(who)\(why.isEmpty ? "" : ": \(why)"). Do not retry it or try other ways to do the same thing.",
                    note: "denied (request \(id))"
                )
            default:
                let role = request["required"]?["role"]?.stringValue ?? "senior"
                let count = request["required"]?["count"]?.intValue ?? 1
                let minutes = max(1, ((request["expires"]?.intValue ?? 0) - Int(time(nil))) / 60)
                return Result(
                    verdict: .deny,
                    message:
                        "Brake: \(c.reason) This needs approval by \(count) × \(role) — request \(id). Stop and ask your human to approve it (`brake approvals approve \(id)`); the identical retry will pass once it is approved. The request expires in \(minutes) minutes.",
                    note: "request \(id)",
                    pending: id
                )
            }
        } catch {
            return failed(c, error)
        }
    }

    /// A call failed. Only a server that cannot be reached falls back to the last known state; a server that
    /// answers with an error (a revoked token, a refusal, a failure of its own) or nonsense blocks the action:
    /// an error answer must never turn into an allow.
    func failed(_ c: Call, _ error: any Error) -> Result {
        if case ClientError.unreachable = error { return offline(c, "\(error)") }
        return Result(
            verdict: .deny,
            message:
                "Brake: the control plane refused or failed (\(error)), so this action is blocked. If your token was revoked, ask for a new one (`brake login`).",
            note: "server error"
        )
    }

    func reportJSON(_ c: Call) -> JSONValue {
        .object([
            ("agent", .string(c.agent)), ("session", .string(c.session)), ("tool", .string(c.tool)),
            ("action", .string(c.action)), ("decision", .string(c.verdict.rawValue)),
            ("rules", .array(c.rules.map { .string($0) })), ("labels", .array(c.labels.map { .string($0) })),
            ("effects", .array(c.effects.map { .string($0) })), ("digest", .string(c.digest)),
            ("repository", .string(c.repository)), ("environment", .string(c.environment)),
            ("elapsed_ms", c.elapsedMS.map { .number(($0 * 100).rounded() / 100) } ?? .null),
        ])
    }

    // MARK: the audit spool

    var spoolPath: String { link.store.home + "/server-spool.jsonl" }

    /// Keeps a decision made while the server was unreachable, to be sent with the next successful call.
    func spool(_ c: Call, enforced: Verdict) {
        guard case .object(var members) = reportJSON(c) else { return }
        members.append(("time", .number(Double(time(nil)))))
        if enforced != c.verdict { members.append(("enforced", .string(enforced.rawValue))) }
        try? link.store.ensureHome()
        var st = stat()
        if stat(spoolPath, &st) == 0 && st.st_size > 16 << 20 { return }  // bounded; the local audit log has it all
        appendToSpool(JSONValue.object(members).serialized + "\n")
    }

    /// One append (one write call), so concurrent hooks do not interleave lines.
    func appendToSpool(_ text: String) {
        let fd = open(spoolPath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }

    /// Sends spooled decisions (one process takes the file by renaming it); puts them back if that fails.
    func flushSpool(_ client: ServerClient) {
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

    /// The server cannot be reached: last known stops hold, asks become denies, allows still run; the
    /// decision is spooled for the server's audit log.
    func offline(_ c: Call, _ why: String) -> Result {
        let result = offlineDecision(c, why)
        spool(c, enforced: result.verdict)
        return result
    }

    func offlineDecision(_ c: Call, _ why: String) -> Result {
        let cache = cached()
        let scope = ActionScope(
            user: cache.user,
            agent: c.agent,
            session: c.session.isEmpty ? nil : c.session,
            repository: c.repository.isEmpty ? nil : c.repository,
            environment: c.environment.isEmpty ? nil : c.environment
        )
        if let stop = cache.stops.first(where: { $0.covers(scope) }) {
            return Result(
                verdict: .deny,
                message:
                    "Brake: a stop is in force (\(stop.describe)): \(stop.reason.isEmpty ? "no reason given" : stop.reason). Do not try other ways; wait for your human.",
                note: "stopped (last known; server unreachable)"
            )
        }
        if c.verdict == .ask {
            return Result(
                verdict: .deny,
                message:
                    "Brake: \(c.reason) It needs a person's approval, but \(why), so it is refused. Retry once the server is back.",
                note: "server unreachable"
            )
        }
        return Result(verdict: c.verdict, message: "", note: c.verdict == .allow ? "server unreachable" : "")
    }
}

/// Milliseconds on a monotonic clock (for the elapsed time hooks report).
func monotonicMS() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) * 1000 + Double(ts.tv_nsec) / 1e6
}
