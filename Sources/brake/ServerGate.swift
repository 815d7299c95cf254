import BrakeClient
import BrakeCore
import BrakeGuard

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How this machine reaches the control plane. The server and its pinned key come from `brake login`
/// (`$BRAKE_HOME/server.json`) or `BRAKE_SERVER` / `BRAKE_SERVER_KEY`; the token from `BRAKE_TOKEN` when it is
/// set (it always wins), else the saved one.
struct ServerLink {
    let url: String
    let token: String
    let store: LocalStore
    /// The server's signing key pinned at login (base64), if any.
    let pinnedKey: String?
    /// `agent` (a hook's token), `person`, or nil when not known (a token from the environment).
    let scope: String?
    /// Where the token came from, for saying whom a command acts as.
    let tokenSource: String

    static func credentialsPath(_ store: LocalStore) -> String { store.home + "/server.json" }

    /// Nil when no server is configured (Brake then works on local state alone). With a system install
    /// (`/etc/brake/server.json`, written by root with `brake login --system`) the server, its key and the
    /// hooks' token come from there only: nothing the agent's account can write redirects the hooks.
    static func load(env: [String: String], store: LocalStore, forPerson: Bool = false) throws -> ServerLink? {
        if let system = try SystemConfig.load(env: env) {
            let envToken = env["BRAKE_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
            if forPerson, let envToken {
                return ServerLink(
                    url: system.server,
                    token: envToken,
                    store: store,
                    pinnedKey: system.publicKey,
                    scope: nil,
                    tokenSource: "BRAKE_TOKEN"
                )
            }
            return ServerLink(
                url: system.server,
                token: try system.token(),
                store: store,
                pinnedKey: system.publicKey,
                scope: "agent",
                tokenSource: system.tokenFile
            )
        }
        let saved = try saved(store)
        let envToken = env["BRAKE_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        let pinned = env["BRAKE_SERVER_KEY"].flatMap { $0.isEmpty ? nil : $0 } ?? saved?.pinnedKey
        if let url = env["BRAKE_SERVER"], !url.isEmpty {
            guard let token = envToken else {
                throw Failure(
                    status: ExitStatus.usage,
                    message: "BRAKE_SERVER is set but BRAKE_TOKEN is not; set both, or run `brake login`"
                )
            }
            return ServerLink(
                url: url,
                token: token,
                store: store,
                pinnedKey: pinned,
                scope: nil,
                tokenSource: "BRAKE_TOKEN"
            )
        }
        guard let saved else { return nil }
        if let envToken {
            return ServerLink(
                url: saved.url,
                token: envToken,
                store: store,
                pinnedKey: pinned,
                scope: nil,
                tokenSource: "BRAKE_TOKEN"
            )
        }
        return saved
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
        return ServerLink(
            url: url,
            token: token,
            store: store,
            pinnedKey: v["public_key"]?.stringValue,
            scope: v["scope"]?.stringValue,
            tokenSource: path
        )
    }

    func client(timeout: Double = 5) throws -> ServerClient {
        do { return try ServerClient(url: url, token: token, timeout: timeout) } catch {
            throw Failure(status: ExitStatus.usage, message: "\(error)")
        }
    }

    /// A required link for the people-facing commands. People act with their own token (`BRAKE_TOKEN` in their
    /// own terminal, or a machine logged in with `--person`), never with the hooks' agent token.
    static func required(_ what: String, person: Bool = false) throws -> (ServerLink, ServerClient) {
        let env = Loader.environment()
        guard let link = try load(env: env, store: LocalStore(env: env), forPerson: true) else {
            throw Failure(
                status: ExitStatus.usage,
                message:
                    "\(what) needs the Brake server: run `brake login --server URL --token-file FILE` or set BRAKE_SERVER and BRAKE_TOKEN"
            )
        }
        if person, link.scope == "agent" {
            throw Failure(
                status: ExitStatus.usage,
                message:
                    "\(what) needs a person's token, and this machine holds only the hooks' agent token. Set BRAKE_TOKEN to your own token in your own terminal (or use the approver's page)."
            )
        }
        return (link, try link.client())
    }
}

/// The system install's trusted configuration: `$BRAKE_SYSTEM_ROOT/etc/brake/server.json` (root-owned,
/// not writable by the agent's account) with the server URL, its pinned key and the agent token's file.
struct SystemConfig {
    let server: String
    let publicKey: String
    let tokenFile: String

    static func root(_ env: [String: String]) -> String {
        var r = env["BRAKE_SYSTEM_ROOT"] ?? ""
        while r.hasSuffix("/") { r.removeLast() }
        return r
    }

    static func directory(_ env: [String: String]) -> String { root(env) + "/etc/brake" }
    static func path(_ env: [String: String]) -> String { directory(env) + "/server.json" }

    /// Nil without a system install; an error when it exists but cannot be read (hooks then refuse).
    static func load(env: [String: String]) throws -> SystemConfig? {
        let path = path(env)
        guard Loader.exists(path) else { return nil }
        let text = try Loader.readFile(path)
        guard let v = try? JSONValue.parse(text), let server = v["server"]?.stringValue,
            let key = v["public_key"]?.stringValue, let tokenFile = v["token_file"]?.stringValue
        else {
            throw Failure(
                status: ExitStatus.badInput,
                message: "\(path) is damaged; an administrator must run `brake login --system` again"
            )
        }
        return SystemConfig(server: server, publicKey: key, tokenFile: tokenFile)
    }

    func token() throws -> String {
        let t = try Loader.readFile(tokenFile).trimmingCharacters
        guard t.hasPrefix("brk_") else {
            throw Failure(status: ExitStatus.badInput, message: "\(tokenFile) holds no Brake token")
        }
        return t.split(separator: "\n").first.map(String.init) ?? t
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

/// The control plane as every entry point reaches it: sends the raw action to `POST /v1/judge`, verifies the
/// signed answer against the key pinned at login, keeps the last known stops for when the server cannot be
/// reached, and spools decisions made meanwhile for the server's audit log.
final class ServerControl: ControlLink, @unchecked Sendable {
    // @unchecked: used from one thread per process (a hook call, an exec, the MCP proxy's judging lock).
    let link: ServerLink
    /// When the caller started (for the hook-latency metric).
    let started: Double

    init(link: ServerLink, started: Double = monotonicMS()) {
        self.link = link
        self.started = started
    }

    /// The configured control link: `.some(nil)` without a server; nil when one is configured but unusable.
    static func load(env: [String: String], store: LocalStore) -> ServerControl?? {
        do {
            guard let link = try ServerLink.load(env: env, store: store) else { return .some(nil) }
            return ServerControl(link: link)
        } catch {
            return nil
        }
    }

    /// Seconds to wait for a person: `--wait`, else `BRAKE_ASK_WAIT`, else 20 (at most 600).
    static func wait(env: [String: String], override: Double?) -> Double {
        var wait = 20.0
        if let w = env["BRAKE_ASK_WAIT"], let d = Double(w), d >= 0 { wait = d }
        if let w = override { wait = w }
        return min(wait, 600)
    }

    var cachePath: String { link.store.home + "/server-cache.json" }
    var policyPath: String { link.store.home + "/server-policy.yaml" }

    func lastKnownStops() -> (user: String?, stops: [Stop]) {
        let c = cached()
        return (c.user, c.stops)
    }

    func cached() -> (user: String?, stops: [Stop], etag: String?) {
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
    func refreshPolicy(_ client: ServerClient) {
        guard let r = try? client.text("/v1/policy"), r.status == 200 else { return }
        if r.body.isEmpty {
            unlink(policyPath)
        } else {
            try? link.store.writeAtomically(policyPath, r.body)
        }
    }

    func judge(_ request: ActionRequest, wait: Double) -> LinkResult {
        guard let pinned = link.pinnedKey, !pinned.isEmpty else {
            return .failed(
                "no server key is pinned on this machine, so no answer can be trusted; run `brake login` (or `brake login --system`) to pin it"
            )
        }
        let client: ServerClient
        do { client = try link.client(timeout: 3) } catch { return .unreachable("\(error)") }
        let nonce = SignedAnswer.newNonce()
        guard case .object(var body) = request.json else { return .failed("internal error") }
        body += [
            ("nonce", .string(nonce)), ("wait", .number(wait)),
            ("elapsed_ms", .number(((monotonicMS() - started) * 100).rounded() / 100)),
        ]
        let answer: JSONValue
        do {
            answer = try client.call("POST", "/v1/judge", .object(body), extraTimeout: wait)
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
        // The common call changes nothing: one read of the cache, no parse, no write.
        let previous = try? Loader.readFile(cachePath)
        let etag = answer["policy_etag"]?.stringValue
        if remember(
            user: answer["user"]?.stringValue,
            stops: answer["stops"] ?? .array([]),
            etag: etag,
            previous: previous
        ),
            let etag, etag != previous.flatMap({ try? JSONValue.parse($0) })?["policy_etag"]?.stringValue
        {
            refreshPolicy(client)
        }
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

    // MARK: the audit spool

    var spoolPath: String { link.store.home + "/server-spool.jsonl" }

    /// Keeps a decision made while the server was unreachable, to be sent with the next successful call.
    func spool(_ request: ActionRequest, judgement j: Judgement, enforced: Verdict) {
        var members: [(String, JSONValue)] = [
            ("agent", .string(request.agent)), ("session", .string(request.session)), ("tool", .string(request.tool)),
            ("action", .string(j.summary)), ("decision", .string(j.verdict.rawValue)),
            ("rules", .array(j.rules.map { .string($0) })), ("labels", .array(j.labels.map { .string($0) })),
            ("effects", .array(j.effects.map { .string($0) })), ("digest", .string(j.digest)),
            ("repository", .string(request.repository)), ("environment", .string(request.environment)),
            ("time", .number(Double(time(nil)))),
        ]
        if enforced != j.verdict { members.append(("enforced", .string(enforced.rawValue))) }
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
}

/// What every entry point shares to build its guard flow: the local ledger, the control link, the clock.
enum GuardSetup {
    /// The flow for this process, with the repositories of the places an action touches read from disk.
    static func flow(policy: Policy, store: LocalStore, env: [String: String], wait: Double?) -> GuardFlow<LocalStore> {
        let control = ServerControl.load(env: env, store: store)
        var problem: String?
        if control == nil {
            problem =
                "the server settings are incomplete (BRAKE_SERVER without BRAKE_TOKEN, or a damaged \(store.home)/server.json)"
        }
        return GuardFlow(
            policy: policy,
            ledger: store,
            link: control ?? nil,
            linkProblem: problem,
            clock: SystemClock(),
            wait: ServerControl.wait(env: env, override: wait),
            repositoriesOf: { places in
                var out: [String] = []
                for p in places {
                    var dir = p
                    while !dir.isEmpty, dir != "/", !Loader.isDirectory(dir) { dir = Paths.dirname(dir) }
                    if let r = RepositoryName.of(projectRoot: Loader.projectRoot(from: dir)), !out.contains(r) {
                        out.append(r)
                    }
                }
                return out
            },
            linksOf: { places in Links.resolve(places) },
            planDigestOf: { path in
                guard Loader.exists(path), let bytes = try? PlanFiles.bytes(path) else { return nil }
                return Engine.hexDigest(bytes: bytes)
            }
        )
    }

    /// The context of an action on this machine, with its targets resolved from files.
    static func context(cwd: String, env: [String: String], actor: Actor = .agent) -> Context {
        var context = Context(
            cwd: cwd,
            home: env["HOME"] ?? "/",
            projectRoot: Loader.projectRoot(from: cwd),
            env: env,
            actor: actor,
            user: env["USER"]
        )
        context.env["PWD"] = nil
        Targets.resolve(&context, env: env)
        return context
    }

}

/// Symbolic links on the way to the places an action touches, resolved on the file system now.
enum Links {
    /// For each place whose directory or itself leads elsewhere: the real path of its directory joined with its
    /// name (what unlink, rename and create touch) and, when it exists, its own real path (what open follows).
    static func resolve(_ places: [String]) -> [String: [String]] {
        var out: [String: [String]] = [:]
        for p in places where p.hasPrefix("/") && p != "/" {
            var aliases: [String] = []
            let dir = Paths.dirname(p)
            let name = String(p[p.index(after: p.lastIndex(of: "/")!)...])
            // The nearest existing ancestor, resolved, with the rest of the path appended.
            var existing = dir
            var tail: [String] = [name]
            while existing != "/" && !Loader.exists(existing) {
                tail.insert(String(existing[existing.index(after: existing.lastIndex(of: "/")!)...]), at: 0)
                existing = Paths.dirname(existing)
            }
            let realDir = Install.realPath(existing)
            let viaParent = (realDir == "/" ? "" : realDir) + "/" + tail.joined(separator: "/")
            if viaParent != p { aliases.append(viaParent) }
            if Loader.exists(p) {
                let full = Install.realPath(p)
                if full != p && !aliases.contains(full) { aliases.append(full) }
            }
            if !aliases.isEmpty { out[p] = aliases }
        }
        return out
    }
}

struct SystemClock: GuardClock {
    func now() -> Int { Int(time(nil)) }
    func newID() -> String { LocalStore.newID() }
}

/// Milliseconds on a monotonic clock (for the elapsed time hooks report).
func monotonicMS() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) * 1000 + Double(ts.tv_nsec) / 1e6
}
