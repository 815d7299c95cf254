import BrakeCore
import Yams

/// `brake serve --config FILE`: roles, timings, what counts as destructive, circuit breakers, policy.
public struct ServerConfig: Sendable {
    /// Roles from least to most trusted.
    public var roles: [String] = ["junior", "mid", "senior", "admin"]
    /// The organisation policy file served to hooks and used to decide who may approve.
    public var policyFile: String?
    public var approvalTTL = 15 * 60
    /// The longest a long-poll may wait; hooks keep theirs under their agent's hook timeout.
    public var maxWait = 300
    /// Seconds a connection may stay idle (no request in progress) before the server closes it: half-open or
    /// silent connections cannot pile up until the server runs out of descriptors.
    public var idleTimeout = 30
    /// Open connections past which the longest-idle ones are closed (default: the descriptor limit less 256).
    public var maxConnections: Int?
    /// Connections one client (remote address) may hold before its longest-idle ones are closed.
    public var maxConnectionsPerClient: Int?
    public var checkpointInterval = 60
    /// `postgres://USER@HOST:PORT/DB`: the replicas' shared database (default: SQLite in the data directory).
    public var database: String?
    /// A file holding the database password (never the command line).
    public var databasePasswordFile: String?
    /// Connections each replica may open to the database.
    public var databaseMaxConnections = 20
    /// The audit signing key (base64 Ed25519), shared by replicas; default: DIR/audit-signing-key, made on first
    /// start.
    public var signingKeyFile: String?
    /// A file holding the first admin's token (`brk_…`), for deployments where nobody reads a replica's disk:
    /// used once, when the database has no users.
    public var adminTokenFile: String?
    /// The server's own certificate chain and key (PEM): it speaks HTTPS.
    public var tlsCert: String?
    public var tlsKey: String?
    /// Plain HTTP on an address other than loopback (behind a TLS-terminating proxy or mesh): off unless said.
    public var allowPlainHTTP = false
    /// The least role that may lift a person's stop order.
    public var stopLiftRole = "senior"
    /// Effect kinds (globs) and labels that make an action destructive for the circuit breaker.
    public var destructiveEffects = [
        "fs.delete", "fs.truncate", "db.destructive", "db.reset", "cloud.delete", "k8s.delete", "infra.destroy",
        "git.discard", "git.remote-delete", "git.branch-delete", "git.clean", "forge.delete", "net.http-delete",
        "mcp.destructive", "system.trash",
    ]
    public var destructiveLabels = ["data-loss", "irreversible"]
    /// Where people reach the web page (links in notifications); default: the listen address.
    public var publicURL = ""
    public var webhooks: [Webhook] = []
    public var webhookRetries = 5
    /// Teams for reports: team name → user names.
    public var teams: [String: [String]] = [:]
    /// The weekly digest through the webhooks: every this many days (0: never).
    public var digestDays = 7
    /// A suggestion needs this many approvals of one shape, by at least `suggestApprovers` different people.
    public var suggestApprovals = 5
    public var suggestApprovers = 2
    public var breakers: [Breaker] = [
        Breaker(name: "destructive-burst", limit: 20, window: 600, scope: "session", liftRole: "senior")
    ]

    public struct Breaker: Sendable, Equatable {
        public var name: String
        /// Destructive actions allowed in the window; the next one trips the breaker.
        public var limit: Int
        /// Seconds.
        public var window: Int
        /// `session` or `user`.
        public var scope: String
        public var liftRole: String
        /// Count each tool separately (MCP tools, agent tools) instead of all destructive actions together.
        public var perTool: Bool

        public init(name: String, limit: Int, window: Int, scope: String, liftRole: String, perTool: Bool = false) {
            self.name = name
            self.limit = limit
            self.window = window
            self.scope = scope
            self.liftRole = liftRole
            self.perTool = perTool
        }
    }

    public init() {}

    /// Parses the YAML configuration; errors name the key and say what is expected.
    public init(yaml text: String, source: String, env: [String: String] = [:]) throws(APIError) {
        func fail(_ m: String) -> APIError { APIError(status: 0, message: "\(source): \(m)") }
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch { throw fail("not valid YAML: \(error)") }
        guard let root = node else { return }
        guard let map = root.mapping else { throw fail("the configuration must be a mapping of keys") }
        func int(_ v: Node, _ key: String, min: Int = 1) throws(APIError) -> Int {
            guard let s = v.scalar?.string, let i = Int(s), i >= min else {
                throw fail("'\(key)' must be a whole number of at least \(min)")
            }
            return i
        }
        func string(_ v: Node, _ key: String) throws(APIError) -> String {
            guard let s = v.scalar?.string, !s.isEmpty else { throw fail("'\(key)' must be a non-empty string") }
            return s
        }
        func strings(_ v: Node, _ key: String) throws(APIError) -> [String] {
            guard let seq = v.sequence else { throw fail("'\(key)' must be a list of strings") }
            var out: [String] = []
            for item in seq { out.append(try string(item, key)) }
            return out
        }
        for (k, v) in map {
            let key = k.scalar?.string ?? ""
            switch key {
            case "roles":
                roles = try strings(v, key)
                if roles.count < 2 || Set(roles).count != roles.count {
                    throw fail("'roles' must list at least two distinct roles, least trusted first")
                }
            case "policy": policyFile = try string(v, key)
            case "approval_ttl_minutes": approvalTTL = try int(v, key) * 60
            case "max_wait_seconds": maxWait = try int(v, key)
            case "idle_timeout_seconds":
                idleTimeout = try int(v, key)
                if idleTimeout < 1 { throw fail("'idle_timeout_seconds' must be at least 1") }
            case "max_connections":
                let n = try int(v, key)
                if n < 16 { throw fail("'max_connections' must be at least 16") }
                maxConnections = n
            case "max_connections_per_client":
                let n = try int(v, key)
                if n < 16 { throw fail("'max_connections_per_client' must be at least 16") }
                maxConnectionsPerClient = n
            case "checkpoint_interval_seconds": checkpointInterval = try int(v, key)
            case "database": database = try string(v, key)
            case "database_password_file": databasePasswordFile = try string(v, key)
            case "database_max_connections": databaseMaxConnections = try int(v, key, min: 2)
            case "signing_key_file": signingKeyFile = try string(v, key)
            case "admin_token_file": adminTokenFile = try string(v, key)
            case "tls_cert": tlsCert = try string(v, key)
            case "tls_key": tlsKey = try string(v, key)
            case "allow_plain_http":
                guard let flag = v.scalar?.string, ["true", "false"].contains(flag) else {
                    throw fail("'allow_plain_http' must be true or false")
                }
                allowPlainHTTP = flag == "true"
            case "stop_lift_role": stopLiftRole = try string(v, key)
            case "destructive":
                guard let m = v.mapping else { throw fail("'destructive' must be a mapping with effects and labels") }
                for (dk, dv) in m {
                    switch dk.scalar?.string ?? "" {
                    case "effects": destructiveEffects = try strings(dv, "destructive.effects")
                    case "labels": destructiveLabels = try strings(dv, "destructive.labels")
                    default:
                        throw fail("unknown key 'destructive.\(dk.scalar?.string ?? "")'; expected effects, labels")
                    }
                }
            case "public_url": publicURL = try string(v, key)
            case "teams":
                guard let tm = v.mapping else { throw fail("'teams' must map team names to lists of user names") }
                for (tk, tv) in tm {
                    teams[tk.scalar?.string ?? ""] = try strings(tv, "teams.\(tk.scalar?.string ?? "")")
                }
            case "digest_days": digestDays = try int(v, key, min: 0)
            case "suggestions":
                guard let sm = v.mapping else { throw fail("'suggestions' must be a mapping (approvals, approvers)") }
                for (sk, sv) in sm {
                    switch sk.scalar?.string ?? "" {
                    case "approvals": suggestApprovals = try int(sv, "suggestions.approvals", min: 2)
                    case "approvers": suggestApprovers = try int(sv, "suggestions.approvers", min: 1)
                    default:
                        throw fail(
                            "unknown key 'suggestions.\(sk.scalar?.string ?? "")'; expected approvals, approvers"
                        )
                    }
                }
            case "webhook_retries": webhookRetries = try int(v, key, min: 0)
            case "webhooks":
                guard let seq = v.sequence else { throw fail("'webhooks' must be a list") }
                for item in seq {
                    guard let m = item.mapping else { throw fail("each webhook must be a mapping with url") }
                    var w = Webhook(url: "", secret: "", events: [])
                    for (wk, wv) in m {
                        let wkey = wk.scalar?.string ?? ""
                        switch wkey {
                        case "url": w.url = try string(wv, "webhooks.url")
                        case "secret": w.secret = try string(wv, "webhooks.secret")
                        case "secret_env":
                            let name = try string(wv, "webhooks.secret_env")
                            guard let value = env[name], !value.isEmpty else {
                                throw fail("webhooks.secret_env names \(name), which is not set")
                            }
                            w.secret = value
                        case "events":
                            w.events = try strings(wv, "webhooks.events")
                            for e in w.events where !Webhook.allEvents.contains(e) {
                                throw fail(
                                    "unknown webhook event '\(e)'; events are: \(Webhook.allEvents.joined(separator: ", "))"
                                )
                            }
                        default:
                            throw fail("unknown key 'webhooks.\(wkey)'; expected url, secret, secret_env, events")
                        }
                    }
                    guard w.url.hasPrefix("http://") || w.url.hasPrefix("https://") else {
                        throw fail("each webhook needs 'url': an http:// or https:// address")
                    }
                    guard !w.secret.isEmpty else {
                        throw fail("webhook \(w.url) needs 'secret' or 'secret_env' (receivers check the signature)")
                    }
                    webhooks.append(w)
                }
            case "breakers":
                guard let seq = v.sequence else { throw fail("'breakers' must be a list") }
                breakers = []
                for item in seq {
                    guard let m = item.mapping else { throw fail("each breaker must be a mapping") }
                    var b = Breaker(name: "", limit: 20, window: 600, scope: "session", liftRole: stopLiftRole)
                    for (bk, bv) in m {
                        let bkey = bk.scalar?.string ?? ""
                        switch bkey {
                        case "name": b.name = try string(bv, "breakers.name")
                        case "limit": b.limit = try int(bv, "breakers.limit", min: 0)
                        case "window_minutes": b.window = try int(bv, "breakers.window_minutes") * 60
                        case "window_seconds": b.window = try int(bv, "breakers.window_seconds")
                        case "scope":
                            b.scope = try string(bv, "breakers.scope")
                            if !["session", "user"].contains(b.scope) {
                                throw fail("'breakers.scope' must be session or user")
                            }
                        case "lift_role": b.liftRole = try string(bv, "breakers.lift_role")
                        case "per_tool":
                            guard let flag = bv.scalar?.string, ["true", "false"].contains(flag) else {
                                throw fail("'breakers.per_tool' must be true or false")
                            }
                            b.perTool = flag == "true"
                        default:
                            throw fail(
                                "unknown key 'breakers.\(bkey)'; expected name, limit, window_minutes, window_seconds, scope, lift_role, per_tool"
                            )
                        }
                    }
                    if b.name.isEmpty { b.name = "breaker-\(breakers.count + 1)" }
                    breakers.append(b)
                }
            default:
                throw fail(
                    "unknown key '\(key)'; expected roles, policy, approval_ttl_minutes, max_wait_seconds, idle_timeout_seconds, max_connections, max_connections_per_client, checkpoint_interval_seconds, stop_lift_role, destructive, breakers, webhooks, webhook_retries, public_url, teams, digest_days, suggestions, database, database_password_file, database_max_connections, signing_key_file, admin_token_file, tls_cert, tls_key, allow_plain_http"
                )
            }
        }
        for r in [stopLiftRole] + breakers.map(\.liftRole) where !roles.contains(r) {
            throw fail("role '\(r)' is not one of the configured roles (\(roles.joined(separator: ", ")))")
        }
    }

    /// The rank of a role (higher is more trusted). Policy names such as `member` map onto the ladder;
    /// an unknown role ranks above everything, so it fails closed (only the top role may approve).
    public func rank(_ role: String) -> Int {
        if let i = roles.firstIndex(of: role) { return i }
        let aliases = [
            "member": ["mid", "member"], "developer": ["mid"], "lead": ["senior"], "owner": ["admin"],
        ]
        for a in aliases[role] ?? [] { if let i = roles.firstIndex(of: a) { return i } }
        return roles.count - 1
    }

    /// The rank of a person's own role: a role the configuration no longer lists ranks below everything,
    /// so renaming the ladder never promotes anyone.
    public func userRank(_ role: String) -> Int { roles.firstIndex(of: role) ?? -1 }

    public var topRole: String { roles[roles.count - 1] }

    func isDestructive(effects: [String], labels: [String]) -> Bool {
        if labels.contains(where: { destructiveLabels.contains($0) }) { return true }
        return effects.contains { e in destructiveEffects.contains { $0 == e || Glob.match($0, e) } }
    }
}
