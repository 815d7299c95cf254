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
package struct ServerLink {
    package let url: String
    package let token: String
    package let store: LocalStore
    /// The server's signing key pinned at login (base64), if any.
    package let pinnedKey: String?
    /// `agent` (a hook's token), `person`, or nil when not known (a token from the environment).
    package let scope: String?
    /// Where the token came from, for saying whom a command acts as.
    package let tokenSource: String
    /// A CA file the server's certificate must chain to (https://); nil: the system's roots.
    package var caFile: String? = nil
    /// Plain http:// to a host other than loopback (a TLS proxy or mesh encrypts it).
    package var allowPlain = false

    package static func credentialsPath(_ store: LocalStore) -> String { store.home + "/server.json" }

    /// Nil when no server is configured (Brake then works on local state alone). With a system install
    /// (`/etc/brake/server.json`, written by root with `brake login --system`) the server, its key and the
    /// hooks' token come from there only: nothing the agent's account can write redirects the hooks.
    package static func load(env: [String: String], store: LocalStore, forPerson: Bool = false) throws -> ServerLink? {
        if let system = try SystemConfig.load(env: env) {
            let envToken = env["BRAKE_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
            if forPerson, let envToken {
                var link = ServerLink(
                    url: system.server,
                    token: envToken,
                    store: store,
                    pinnedKey: system.publicKey,
                    scope: nil,
                    tokenSource: "BRAKE_TOKEN"
                )
                (link.caFile, link.allowPlain) = (system.caFile, system.allowPlain)
                return link
            }
            var link = ServerLink(
                url: system.server,
                token: try system.token(),
                store: store,
                pinnedKey: system.publicKey,
                scope: "agent",
                tokenSource: system.tokenFile
            )
            (link.caFile, link.allowPlain) = (system.caFile, system.allowPlain)
            return link
        }
        // A local system install has no server, whatever the agent's home or environment says.
        if SystemConfig.localOnly(env) { return nil }
        let saved = try saved(store)
        let envToken = env["BRAKE_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        let pinned = env["BRAKE_SERVER_KEY"].flatMap { $0.isEmpty ? nil : $0 } ?? saved?.pinnedKey
        let caFile = env["BRAKE_CA_FILE"].flatMap { $0.isEmpty ? nil : $0 } ?? saved?.caFile
        let allowPlain = env["BRAKE_ALLOW_PLAIN_HTTP"].map { $0 == "1" || $0 == "true" } ?? saved?.allowPlain ?? false
        if let url = env["BRAKE_SERVER"], !url.isEmpty {
            guard let token = envToken else {
                throw Failure(
                    status: ExitStatus.usage,
                    message: "BRAKE_SERVER is set but BRAKE_TOKEN is not; set both, or run `brake login`"
                )
            }
            var link = ServerLink(
                url: url,
                token: token,
                store: store,
                pinnedKey: pinned,
                scope: nil,
                tokenSource: "BRAKE_TOKEN"
            )
            (link.caFile, link.allowPlain) = (caFile, allowPlain)
            return link
        }
        guard var saved else { return nil }
        (saved.caFile, saved.allowPlain) = (caFile, allowPlain)
        if let envToken {
            var link = ServerLink(
                url: saved.url,
                token: envToken,
                store: store,
                pinnedKey: pinned,
                scope: nil,
                tokenSource: "BRAKE_TOKEN"
            )
            (link.caFile, link.allowPlain) = (caFile, allowPlain)
            return link
        }
        return saved
    }

    package static func saved(_ store: LocalStore) throws -> ServerLink? {
        let path = credentialsPath(store)
        guard Loader.exists(path) else { return nil }
        let text = try Loader.readFile(path)
        guard let v = try? JSONValue.parse(text), let url = v["server"]?.stringValue,
            let token = v["token"]?.stringValue
        else {
            throw Failure(status: ExitStatus.badInput, message: "\(path) is damaged; run `brake login` again")
        }
        var link = ServerLink(
            url: url,
            token: token,
            store: store,
            pinnedKey: v["public_key"]?.stringValue,
            scope: v["scope"]?.stringValue,
            tokenSource: path
        )
        link.caFile = v["ca_file"]?.stringValue
        link.allowPlain = v["allow_plain_http"]?.boolValue ?? false
        return link
    }

    package func client(timeout: Double = 5) throws -> ServerClient {
        do {
            return try ServerClient(url: url, token: token, timeout: timeout, caFile: caFile, allowPlain: allowPlain)
        } catch {
            throw Failure(status: ExitStatus.usage, message: "\(error)")
        }
    }

    /// A required link for the people-facing commands. People act with their own token (`BRAKE_TOKEN` in their
    /// own terminal, or a machine logged in with `--person`), never with the hooks' agent token.
    package static func required(_ what: String, person: Bool = false) throws -> (ServerLink, ServerClient) {
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
package struct SystemConfig {
    package let server: String
    package let publicKey: String
    package let tokenFile: String
    /// The CA the server's certificate must chain to (a root-owned copy), and plain HTTP allowed.
    package var caFile: String? = nil
    package var allowPlain = false

    package static func root(_ env: [String: String]) -> String {
        var r = env["BRAKE_SYSTEM_ROOT"] ?? ""
        while r.hasSuffix("/") { r.removeLast() }
        return r
    }

    package static func directory(_ env: [String: String]) -> String { root(env) + "/etc/brake" }
    package static func path(_ env: [String: String]) -> String { directory(env) + "/server.json" }

    /// Whether the machine has a system install: with a server (`server.json`, `brake login --system`) or local
    /// only (`approver.json`, `brake secret set`). Either way hooks ignore Brake settings in the agent's home.
    package static func installed(_ env: [String: String]) -> Bool {
        Loader.exists(path(env)) || Loader.exists(ApproverSecret.path(env))
    }

    /// A local system install: no server, local state kept by the guard service (root), approvals and resumes
    /// need the approver secret.
    package static func localOnly(_ env: [String: String]) -> Bool {
        !Loader.exists(path(env)) && Loader.exists(ApproverSecret.path(env))
    }

    /// Nil without a system install; an error when it exists but cannot be read (hooks then refuse).
    package static func load(env: [String: String]) throws -> SystemConfig? {
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
        var c = SystemConfig(server: server, publicKey: key, tokenFile: tokenFile)
        c.caFile = v["ca_file"]?.stringValue
        c.allowPlain = v["allow_plain_http"]?.boolValue ?? false
        return c
    }

    package func token() throws -> String {
        let t = try Loader.readFile(tokenFile).trimmingCharacters
        guard t.hasPrefix("brk_") else {
            throw Failure(status: ExitStatus.badInput, message: "\(tokenFile) holds no Brake token")
        }
        return t.split(separator: "\n").first.map(String.init) ?? t
    }
}
