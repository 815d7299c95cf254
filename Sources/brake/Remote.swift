import ArgumentParser
import BrakeClient
import BrakeCore
import BrakeHost
import BrakeServer
import Crypto
import Dispatch

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - brake serve

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the control plane: approvals, stops, circuit breaker and the signed audit log (SQLite).",
        discussion:
            "On first start it creates user 'admin' and writes its token to DIR/admin-token (mode 0600). SIGTERM or SIGINT shut it down gracefully."
    )
    @Option(name: .long, help: ArgumentHelp("Data directory (default ~/.brake/server).", valueName: "DIR"))
    var dataDir: String?
    @Option(name: .long, help: ArgumentHelp("Address to listen on.", valueName: "HOST:PORT"))
    var listen: String = "127.0.0.1:8377"
    @Option(name: .long, help: ArgumentHelp("Server configuration (YAML).", valueName: "FILE"))
    var config: String?
    @Flag(name: .long, help: "Print the API's OpenAPI document and exit.") var openapi = false
    @Flag(name: .long, help: "Print a systemd unit that runs the server as its own `brake` user, and exit.")
    var unit = false
    @Option(
        name: .long,
        help: ArgumentHelp(
            "PostgreSQL the replicas share (default: SQLite in the data directory; also `database:` or BRAKE_DATABASE_URL). No password here: see --database-password-file.",
            valueName: "postgres://USER@HOST:PORT/DB"
        )
    )
    var database: String?
    @Option(
        name: .long,
        help: ArgumentHelp("File holding the database password (or BRAKE_DATABASE_PASSWORD).", valueName: "FILE")
    )
    var databasePasswordFile: String?
    @Option(name: .long, help: ArgumentHelp("Serve HTTPS with this certificate chain (PEM).", valueName: "FILE"))
    var tlsCert: String?
    @Option(name: .long, help: ArgumentHelp("The certificate's private key (PEM, unencrypted).", valueName: "FILE"))
    var tlsKey: String?
    @Flag(
        name: .long,
        help: "Allow plain HTTP on an address other than loopback (a TLS proxy or mesh in front encrypts it)."
    )
    var allowPlainHttp = false
    @Flag(name: .long, help: "Print a new audit signing key (base64 Ed25519) for `signing_key_file:`, and exit.")
    var newSigningKey = false
    @Flag(name: .long, help: "Print a new token for `admin_token_file:` (the first admin's), and exit.")
    var newAdminToken = false
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Copy an embedded server's database (DIR/brake.sqlite, stopped) into the empty PostgreSQL given by --database — users, tokens, requests, stops, the audit log and its checkpoints, verified on both sides — and exit.",
            valueName: "FILE"
        )
    )
    var importSqlite: String?

    static func parseListen(_ s: String) throws -> (String, Int) {
        var host = "127.0.0.1"
        var portText = s
        if let colon = s.lastIndex(of: ":") {
            let h = String(s[..<colon])
            if !h.isEmpty { host = h.hasPrefix("[") ? String(h.dropFirst().dropLast()) : h }
            portText = String(s[s.index(after: colon)...])
        }
        guard let port = Int(portText), port >= 0, port < 65536 else {
            throw ValidationError("--listen takes HOST:PORT (for example 127.0.0.1:8377), not '\(s)'")
        }
        return (host, port)
    }

    func run() throws {
        if openapi {
            FileHandleOut.stdout(OpenAPI.document)
            return
        }
        if newSigningKey {
            FileHandleOut.stdout(BrakeServerMain.newSigningKey() + "\n")
            return
        }
        if newAdminToken {
            FileHandleOut.stdout(ControlPlane.newToken().token + "\n")
            return
        }
        let (host, port) = try Self.parseListen(listen)
        if unit {
            let command = try Install.stableCommand(explicit: nil, env: Loader.environment())
            FileHandleOut.stdout(
                Self.unit(command: command, listen: "\(host):\(port)", dataDir: dataDir, config: config)
            )
            return
        }
        let env = Loader.environment()
        let dir = dataDir ?? ((env["HOME"] ?? "/") + "/.brake/server")
        // Every connection is a descriptor: take the whole hard limit (idle ones are closed after the idle timeout).
        var limit = rlimit()
        if getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            _ = setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        }
        var server = BrakeServerMain(dataDir: dir, host: host, port: port, configFile: config)
        server.database = database
        server.databasePasswordFile = databasePasswordFile
        server.tlsCert = tlsCert
        server.tlsKey = tlsKey
        server.allowPlainHTTP = allowPlainHttp
        let configured = server
        if let importSqlite {
            switch blockingResult({ try await configured.importSQLite(importSqlite) }) {
            case .success(let said): FileHandleOut.stdout(said + "\n")
            case .failure(let failure):
                FileHandleOut.stderr("brake serve: \((failure as? APIError)?.message ?? "\(failure)")\n")
                Glibc.exit(ExitStatus.badInput)
            }
            return
        }
        let failure = blockingRun { try await configured.run() }
        if let failure {
            let m = (failure as? APIError)?.message ?? "\(failure)"
            FileHandleOut.stderr("brake serve: \(m)\n")
            Glibc.exit(ExitStatus.badInput)
        }
    }
}

extension Serve {
    /// The control plane as its own system user: the agents' accounts can neither read its data nor signal it
    /// (`kill`, `kill -STOP` need the same user or root).
    static func unit(command: String, listen: String, dataDir: String?, config: String?) -> String {
        let dir = dataDir ?? "/var/lib/brake-server"
        let configArgument = config.map { " --config \(Hooks.shellQuote($0))" } ?? ""
        return """
            # /etc/systemd/system/brake-server.service — Brake's control plane as its own user (`brake serve --unit`)
            # First: useradd --system --home-dir \(dir) --shell /usr/sbin/nologin brake
            [Unit]
            Description=Brake control plane: approvals, stops, the signed audit log
            After=network-online.target
            Wants=network-online.target

            [Service]
            User=brake
            Group=brake
            StateDirectory=\(dir.hasPrefix("/var/lib/") ? String(dir.dropFirst(9)) : "brake-server")
            StateDirectoryMode=0700
            UMask=0077
            ExecStart=\(Hooks.shellQuote(command)) serve --data-dir \(Hooks.shellQuote(dir)) --listen \(listen)\(configArgument)
            Restart=always
            RestartSec=1
            LimitNOFILE=65536
            NoNewPrivileges=yes
            ProtectSystem=strict
            ProtectHome=yes
            PrivateTmp=yes
            PrivateDevices=yes
            ProtectKernelTunables=yes
            ProtectKernelModules=yes
            ProtectControlGroups=yes
            RestrictSUIDSGID=yes
            LockPersonality=yes

            [Install]
            WantedBy=multi-user.target

            """
    }
}

/// Where a task leaves its result for the thread that waits on it (written before the semaphore is signalled).
private final class ResultBox<T: Sendable>: @unchecked Sendable { var result: Result<T, any Error>? }

/// Runs async work from a synchronous command and waits for it.
func blockingRun(_ body: @escaping @Sendable () async throws -> Void) -> (any Error)? {
    if case .failure(let error) = blockingResult(body) { return error }
    return nil
}

/// Runs `body` on the concurrency pool and waits for its value (a command's `run()` is synchronous).
func blockingResult<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) -> Result<T, any Error> {
    let box = ResultBox<T>()
    let done = DispatchSemaphore(value: 0)
    Task {
        do { box.result = .success(try await body()) } catch { box.result = .failure(error) }
        done.signal()
    }
    done.wait()
    return box.result!
}

// MARK: - people's commands

enum Remote {
    static func call(
        _ client: ServerClient,
        _ method: String,
        _ path: String,
        _ body: JSONValue? = nil
    ) throws -> JSONValue {
        do { return try client.call(method, path, body) } catch {
            throw Failure(status: ExitStatus.badInput, message: "\(error)")
        }
    }

    static func age(_ t: Int) -> String {
        let d = max(0, Int(time(nil)) - t)
        if d < 120 { return "\(d)s" }
        if d < 7200 { return "\(d / 60)m" }
        return "\(d / 3600)h"
    }

    static func print(_ v: JSONValue, json: Bool, text: () -> String) {
        FileHandleOut.stdout(json ? v.serialized + "\n" : text())
    }

    static func approvalText(_ a: JSONValue) -> String {
        let id = a["id"]?.stringValue ?? "?"
        let req = a["required"]
        var out = "\(id)  \(a["status"]?.stringValue ?? "?")  \(a["summary"]?.stringValue ?? "")\n"
        out +=
            "  asked by \(a["requester"]?.stringValue ?? "?") via \(a["agent"]?.stringValue ?? "?"), session \(a["session"]?.stringValue ?? "-"), \(age(a["created"]?.intValue ?? 0)) ago\n"
        if let repo = a["repository"]?.stringValue, !repo.isEmpty { out += "  repository \(repo)\n" }
        out +=
            "  needs \(req?["count"]?.intValue ?? 1) × \(req?["role"]?.stringValue ?? "?"); approvals so far: \(a["approvals"]?.intValue ?? 0)\n"
        for c in a["detail"]?["commands"]?.strings ?? [] { out += "  command: \(c)\n" }
        for r in a["detail"]?["reasons"]?.arrayValue ?? [] {
            out += "  rule \(r["rule"]?.stringValue ?? ""): \(r["message"]?.stringValue ?? "")\n"
        }
        for v in a["votes"]?.arrayValue ?? [] {
            out +=
                "  \(v["vote"]?.stringValue ?? "") by \(v["user"]?.stringValue ?? "") (\(v["role"]?.stringValue ?? ""))\(v["reason"]?.stringValue.map { $0.isEmpty ? "" : ": \($0)" } ?? "")\n"
        }
        return out
    }

    static func decide(id: String, approve: Bool, reason: String?, json: Bool) throws {
        let (link, client) = try ServerLink.required("deciding a request", person: true)
        let me = try call(client, "GET", "/v1/me")
        let a = try call(
            client,
            "POST",
            "/v1/approvals/\(ServerClient.escape(id))/\(approve ? "approve" : "deny")",
            .object([("reason", .string(reason ?? ""))])
        )
        print(a, json: json) {
            let status = a["status"]?.stringValue ?? "?"
            let n = a["approvals"]?.intValue ?? 0
            let need = a["required"]?["count"]?.intValue ?? 1
            let who =
                "as \(me["name"]?.stringValue ?? "?") (\(me["role"]?.stringValue ?? "?"), token from \(link.tokenSource))"
            if status == "pending" {
                return "recorded your approval of \(id) \(who): \(n) of \(need); still pending\n"
            }
            return "\(status) \(id) \(who): \(a["summary"]?.stringValue ?? "")\n"
        }
    }
}

struct FormatOption: ParsableArguments {
    @Option(name: .long, help: "text or json") var format: String = "text"
    var json: Bool { format == "json" }
    func validate() throws {
        if !["text", "json"].contains(format) { throw ValidationError("--format is text or json, not '\(format)'") }
    }
}

struct Login: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract:
            "Connect this machine's hooks to a Brake server with an agent token (saved in $BRAKE_HOME/server.json).",
        discussion: """
            Hooks need an agent-scoped token (`brake tokens create --agent`): it can report, ask and use the \
            approval of its own exact action, never decide, lift or manage. A person's token is refused unless \
            --person says this machine runs no agent. The server's signing key is pinned at login: every answer \
            a hook acts on must be signed with it, and `brake audit verify` checks checkpoints against it.
            """
    )
    @Option(name: .long, help: ArgumentHelp("The server's URL.", valueName: "URL")) var server: String
    @Option(
        name: .long,
        help: ArgumentHelp("The token (default: $BRAKE_TOKEN; '-' reads stdin).", valueName: "TOKEN")
    )
    var token: String?
    @Option(name: .long, help: ArgumentHelp("Read the token from this file.", valueName: "FILE")) var tokenFile: String?
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Pin this server key (base64, from the server's banner or /v1/audit/public-key) instead of trusting the first answer.",
            valueName: "KEY"
        )
    )
    var serverKey: String?
    @Flag(name: .long, help: "Save a person's token: only for a machine on which no agent runs.") var person = false
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Accept only server certificates this CA issued (PEM); default: the system's roots. With --system a root-owned copy is kept.",
            valueName: "FILE"
        )
    )
    var caFile: String?
    @Flag(
        name: .long,
        help: "Allow plain http:// to a host other than loopback (a TLS proxy on this machine or a mesh encrypts it)."
    )
    var allowPlainHttp = false
    @Flag(
        name: .long,
        help:
            "As root: write the system install ($BRAKE_SYSTEM_ROOT/etc/brake: server, pinned key, agent token) that hooks use instead of anything the agent's account can write."
    )
    var system = false

    func validate() throws {
        if token != nil && tokenFile != nil { throw ValidationError("give --token or --token-file, not both") }
        if system && person {
            throw ValidationError("--system takes an agent token; --person is for a person's own machine")
        }
    }

    func run() throws {
        let env = Loader.environment()
        let store = LocalStore(env: env)
        do {
            var t = token ?? env["BRAKE_TOKEN"] ?? ""
            if let tokenFile { t = try Loader.readFile(tokenFile) }
            if t == "-" { t = HookRunner.readStdin() }
            t = t.trimmingCharacters.split(separator: "\n").first.map(String.init) ?? ""
            guard !t.isEmpty else { throw ValidationError("give --token-file FILE, --token TOKEN or set BRAKE_TOKEN") }
            let client: ServerClient
            do {
                client = try ServerClient(url: server, token: t, caFile: caFile, allowPlain: allowPlainHttp)
            } catch {
                throw Failure(status: ExitStatus.usage, message: "\(error)")
            }
            let me = try Remote.call(client, "GET", "/v1/me")
            let scope = me["scope"]?.stringValue ?? "person"
            let name = me["name"]?.stringValue ?? "?"
            if scope != "agent" && !person {
                throw Failure(
                    status: ExitStatus.usage,
                    message:
                        "this is \(name)'s own token (a person's, role \(me["role"]?.stringValue ?? "?")); the agents on this machine would act with it. Create an agent token for the hooks (`brake tokens create --agent`, with your own BRAKE_TOKEN) and log in with that, or pass --person on a machine no agent uses"
                )
            }
            let key = try Remote.call(client, "GET", "/v1/audit/public-key")
            guard let served = key["public_key"]?.stringValue, !served.isEmpty else {
                throw Failure(status: ExitStatus.badInput, message: "the server did not give its signing key")
            }
            if let serverKey, serverKey.trimmingCharacters != served {
                throw Failure(
                    status: ExitStatus.badInput,
                    message:
                        "the server at \(server) signs with another key than --server-key (\(served)); is this the right server?"
                )
            }
            if system {
                try writeSystem(env: env, token: t, key: served, user: name)
                return
            }
            var fields: [(String, JSONValue)] = [
                ("server", .string(server)), ("token", .string(t)), ("user", .string(name)),
                ("scope", .string(scope)), ("public_key", .string(served)),
            ]
            if let caFile {
                fields.append(
                    ("ca_file", .string(caFile.hasPrefix("/") ? caFile : Loader.currentDirectory() + "/" + caFile))
                )
            }
            if allowPlainHttp { fields.append(("allow_plain_http", .bool(true))) }
            let record = JSONValue.object(fields)
            try store.ensureHome()
            try store.writeAtomically(ServerLink.credentialsPath(store), record.serialized + "\n")
            chmod(ServerLink.credentialsPath(store), 0o600)
            FileHandleOut.stdout(
                "logged in to \(server) as \(name) (\(scope == "agent" ? "agent token" : me["role"]?.stringValue ?? "?")); hooks on this machine now use it; server key \(served.prefix(12))… pinned\n"
            )
        } catch {
            Loader.fail(error)
        }
    }
}

extension Login {
    /// `/etc/brake/server.json` and `/etc/brake/agent-token`, owned by root: readable by the agent's account,
    /// never writable by it.
    func writeSystem(env: [String: String], token: String, key: String, user: String) throws {
        guard geteuid() == 0 else {
            throw Failure(
                status: ExitStatus.usage,
                message:
                    "--system writes configuration the agent's account must not be able to change: run it as root (sudo)"
            )
        }
        let dir = SystemConfig.directory(env)
        var path = ""
        for part in dir.split(separator: "/") {
            path += "/" + part
            if !Loader.exists(path) && mkdir(path, 0o755) != 0 {
                throw Failure(status: ExitStatus.badInput, message: "cannot create \(path)")
            }
        }
        let store = LocalStore(env: ["BRAKE_HOME": dir])
        let tokenFile = dir + "/agent-token"
        try store.writeAtomically(tokenFile, token + "\n")
        chmod(tokenFile, 0o644)
        var fields: [(String, JSONValue)] = [
            ("server", .string(server)), ("public_key", .string(key)), ("token_file", .string(tokenFile)),
            ("user", .string(user)),
        ]
        if let caFile {
            // A root-owned copy: the agent's account cannot swap the CA the hooks trust.
            let copy = dir + "/server-ca.pem"
            try store.writeAtomically(copy, try Loader.readFile(caFile))
            chmod(copy, 0o644)
            fields.append(("ca_file", .string(copy)))
        }
        if allowPlainHttp { fields.append(("allow_plain_http", .bool(true))) }
        let record = JSONValue.object(fields)
        try store.writeAtomically(SystemConfig.path(env), record.serialized + "\n")
        chmod(SystemConfig.path(env), 0o644)
        chmod(dir, 0o755)
        FileHandleOut.stdout(
            "system install: hooks on this machine use \(server) as \(user) (agent token), server key \(key.prefix(12))… pinned in \(SystemConfig.path(env))\n"
        )
    }
}

/// `brake whoami`: which server, which identity, and where the token came from.
struct WhoAmI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "whoami",
        abstract: "Show whom Brake acts as on the server, and where the token comes from."
    )
    @OptionGroup var output: FormatOption

    func run() throws {
        do {
            let (link, client) = try ServerLink.required("whoami")
            let me = try Remote.call(client, "GET", "/v1/me")
            let v = JSONValue.object([
                ("server", .string(link.url)), ("user", me["name"] ?? .null), ("role", me["role"] ?? .null),
                ("scope", me["scope"] ?? .null), ("token_from", .string(link.tokenSource)),
                ("server_key_pinned", .bool(link.pinnedKey != nil)),
            ])
            Remote.print(v, json: output.json) {
                "\(me["name"]?.stringValue ?? "?") (\(me["role"]?.stringValue ?? "?"), \(me["scope"]?.stringValue ?? "?") token from \(link.tokenSource)) at \(link.url)\(link.pinnedKey == nil ? "; no server key pinned: hooks refuse every action until `brake login` pins it" : "")\n"
            }
        } catch {
            Loader.fail(error)
        }
    }
}

struct Logout: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logout",
        abstract: "Forget the saved server and token (hooks go back to local state)."
    )
    func run() throws {
        let store = LocalStore(env: Loader.environment())
        unlink(ServerLink.credentialsPath(store))
        unlink(store.home + "/server-cache.json")
        unlink(store.home + "/server-policy.yaml")
        FileHandleOut.stdout("logged out\n")
    }
}

struct Approvals: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approvals",
        abstract: "Approval requests on the server.",
        subcommands: [List.self, Show.self, ApproveOne.self, DenyOne.self]
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List requests (pending by default)."
        )
        @Option(name: .long, help: "pending, approved, denied, expired, used or all") var status: String = "pending"
        @OptionGroup var output: FormatOption
        func run() throws {
            do {
                let (_, client) = try ServerLink.required("listing approvals")
                let v = try Remote.call(client, "GET", "/v1/approvals?status=\(ServerClient.escape(status))")
                Remote.print(v, json: output.json) {
                    let list = v["approvals"]?.arrayValue ?? []
                    if list.isEmpty { return "no \(status == "all" ? "" : status + " ")requests\n" }
                    return list.map { a in
                        let req = a["required"]
                        return
                            "\(a["id"]?.stringValue ?? "")  \(a["status"]?.stringValue ?? "")  \(Remote.age(a["created"]?.intValue ?? 0))  \(a["requester"]?.stringValue ?? "")  \(a["agent"]?.stringValue ?? "")  \(a["approvals"]?.intValue ?? 0)/\(req?["count"]?.intValue ?? 1) \(req?["role"]?.stringValue ?? "")  \(a["summary"]?.stringValue ?? "")\n"
                    }.joined()
                }
            } catch {
                Loader.fail(error)
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one request in full.")
        @Argument(help: "The request id.") var id: String
        @OptionGroup var output: FormatOption
        func run() throws {
            do {
                let (_, client) = try ServerLink.required("showing a request")
                let a = try Remote.call(client, "GET", "/v1/approvals/\(ServerClient.escape(id))")
                Remote.print(a, json: output.json) { Remote.approvalText(a) }
            } catch {
                Loader.fail(error)
            }
        }
    }

    struct ApproveOne: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "approve", abstract: "Approve a request.")
        @Argument(help: "The request id.") var id: String
        @Option(name: .long, help: "Why (recorded in the audit log).") var reason: String?
        @OptionGroup var output: FormatOption
        func run() throws {
            do { try Remote.decide(id: id, approve: true, reason: reason, json: output.json) } catch {
                Loader.fail(error)
            }
        }
    }

    struct DenyOne: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "deny",
            abstract: "Deny a request (one deny ends it)."
        )
        @Argument(help: "The request id.") var id: String
        @Option(name: .long, help: "Why (shown to the agent and recorded).") var reason: String?
        @OptionGroup var output: FormatOption
        func run() throws {
            do { try Remote.decide(id: id, approve: false, reason: reason, json: output.json) } catch {
                Loader.fail(error)
            }
        }
    }
}

struct Sessions: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sessions",
        abstract: "Agent sessions the server has seen, or one session's recent actions."
    )
    @Argument(help: "A session id to show its recent actions.") var id: String?
    @Option(name: .long, help: "How many.") var limit: Int = 50
    @OptionGroup var output: FormatOption

    func run() throws {
        do {
            let (_, client) = try ServerLink.required("listing sessions")
            if let id {
                let v = try Remote.call(client, "GET", "/v1/sessions/\(ServerClient.escape(id))?limit=\(limit)")
                Remote.print(v, json: output.json) {
                    let s = v["session"]
                    var out =
                        "session \(id): \(s?["user"]?.stringValue ?? "") via \(s?["agent"]?.stringValue ?? ""), \(s?["actions"]?.intValue ?? 0) actions, \(s?["refused"]?.intValue ?? 0) refused\n"
                    for a in v["actions"]?.arrayValue ?? [] {
                        let d = a["enforced"]?.stringValue ?? a["decision"]?.stringValue ?? a["kind"]?.stringValue ?? ""
                        out +=
                            "  #\(a["seq"]?.intValue ?? 0)  \(Remote.age(a["time"]?.intValue ?? 0)) ago  \(d.padding(8))  \(a["action"]?.stringValue ?? a["request"]?.stringValue ?? "")\n"
                    }
                    return out
                }
                return
            }
            let v = try Remote.call(client, "GET", "/v1/sessions?limit=\(limit)")
            Remote.print(v, json: output.json) {
                let list = v["sessions"]?.arrayValue ?? []
                if list.isEmpty { return "no sessions yet\n" }
                return list.map {
                    "\($0["id"]?.stringValue ?? "")  \($0["user"]?.stringValue ?? "")  \($0["agent"]?.stringValue ?? "")  \($0["actions"]?.intValue ?? 0) actions  \($0["refused"]?.intValue ?? 0) refused  last \(Remote.age($0["last_seen"]?.intValue ?? 0)) ago\n"
                }.joined()
            }
        } catch {
            Loader.fail(error)
        }
    }
}

struct Users: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users",
        abstract: "People on the server and their roles.",
        subcommands: [Add.self, Import.self, List.self, SetRole.self, Remove.self]
    )

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "remove",
            abstract: "Remove a person: their tokens stop working at once; their name stays in the audit log."
        )
        @Argument(help: "The user's name.") var name: String
        @OptionGroup var output: FormatOption
        func run() throws {
            do {
                let (_, client) = try ServerLink.required("removing users")
                let v = try Remote.call(client, "DELETE", "/v1/users/\(ServerClient.escape(name))")
                let n = v["revoked_tokens"]?.arrayValue?.count ?? 0
                Remote.print(v, json: output.json) { "removed \(name); \(n) token(s) revoked\n" }
            } catch {
                Loader.fail(error)
            }
        }
    }

    /// `brake users import FILE`: a team at once, from CSV (`name,role,email` with that header) or YAML (a list of
    /// `{name, role, email}`). Every row is checked before anyone is added; each new user's first token is printed
    /// once. Users that exist already are reported and skipped, so an import can be re-run after fixing a row.
    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Add a team from a CSV (name,role,email) or YAML file; prints each new user's first token once."
        )
        @Argument(help: ArgumentHelp("The file (.csv, or .yaml/.yml); - for CSV on standard input.", valueName: "FILE"))
        var file: String
        @OptionGroup var output: FormatOption
        func run() throws {
            do {
                let text = file == "-" ? HookRunner.readStdin() : try Loader.readFile(file)
                let rows = try TeamFile.parse(
                    text,
                    yaml: file.hasSuffix(".yaml") || file.hasSuffix(".yml"),
                    source: file
                )
                let (_, client) = try ServerLink.required("adding users")
                let roles = Set(
                    (try Remote.call(client, "GET", "/v1/users")["roles"]?.arrayValue ?? []).compactMap(\.stringValue)
                )
                for r in rows where !roles.contains(r.role) {
                    throw Failure(
                        status: ExitStatus.badInput,
                        message:
                            "\(file) line \(r.line): role '\(r.role)' is not on the server's ladder (\(roles.sorted().joined(separator: ", "))); nobody was added"
                    )
                }
                var added: [JSONValue] = []
                var skipped: [JSONValue] = []
                for r in rows {
                    do {
                        let v = try client.call(
                            "POST",
                            "/v1/users",
                            .object([("name", .string(r.name)), ("role", .string(r.role)), ("email", .string(r.email))])
                        )
                        added.append(
                            .object([
                                ("user", .string(r.name)), ("role", .string(r.role)), ("email", .string(r.email)),
                                ("token", v["token"] ?? .null),
                            ])
                        )
                    } catch ClientError.status(409, let message) {
                        skipped.append(.object([("user", .string(r.name)), ("why", .string(message))]))
                    }
                }
                let out = JSONValue.object([("added", .array(added)), ("skipped", .array(skipped))])
                Remote.print(out, json: output.json) {
                    var text =
                        "added \(added.count), skipped \(skipped.count) (tokens are shown once: hand each to its person)\n"
                    for a in added {
                        text +=
                            "  \(a["user"]?.stringValue ?? "")  \(a["role"]?.stringValue ?? "")  \(a["token"]?.stringValue ?? "")\n"
                    }
                    for s in skipped {
                        text += "  skipped \(s["user"]?.stringValue ?? ""): \(s["why"]?.stringValue ?? "")\n"
                    }
                    return text
                }
            } catch {
                Loader.fail(error)
            }
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add",
            abstract: "Add a person; prints their first token (shown once)."
        )
        @Argument(help: "The user's name.") var name: String
        @Option(name: .long, help: "Their role (default ladder: junior, mid, senior, admin).") var role: String
        @OptionGroup var output: FormatOption
        func run() throws {
            do {
                let (_, client) = try ServerLink.required("adding users")
                let v = try Remote.call(
                    client,
                    "POST",
                    "/v1/users",
                    .object([("name", .string(name)), ("role", .string(role))])
                )
                let token = v["token"]?.stringValue ?? ""
                let out = JSONValue.object([
                    ("user", .string(name)), ("role", v["user"]?["role"] ?? .string(role)), ("token", .string(token)),
                ])
                Remote.print(out, json: output.json) {
                    "added \(name) (\(role))\ntoken (shown once): \(token)\n"
                }
            } catch {
                Loader.fail(error)
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List users.")
        @OptionGroup var output: FormatOption
        func run() throws {
            do {
                let (_, client) = try ServerLink.required("listing users")
                let v = try Remote.call(client, "GET", "/v1/users")
                Remote.print(v, json: output.json) {
                    (v["users"]?.arrayValue ?? []).map {
                        "\(($0["name"]?.stringValue ?? "").padding(20))  \($0["role"]?.stringValue ?? "")\n"
                    }.joined()
                }
            } catch {
                Loader.fail(error)
            }
        }
    }

    struct SetRole: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set-role", abstract: "Change a user's role.")
        @Argument(help: "The user.") var name: String
        @Argument(help: "The new role.") var role: String
        @OptionGroup var output: FormatOption
        func run() throws {
            do {
                let (_, client) = try ServerLink.required("changing roles")
                let v = try Remote.call(
                    client,
                    "PUT",
                    "/v1/users/\(ServerClient.escape(name))/role",
                    .object([("role", .string(role))])
                )
                Remote.print(v, json: output.json) { "\(name) is now \(v["role"]?.stringValue ?? role)\n" }
            } catch {
                Loader.fail(error)
            }
        }
    }
}

struct Tokens: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokens",
        abstract: "API tokens (stored on the server only as hashes).",
        subcommands: [Create.self, Revoke.self, List.self]
    )

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a token (shown once).")
        @Option(name: .long, help: "For another user (top role only).") var user: String?
        @Option(name: .long, help: "What it is for (a machine, a CI job).") var label: String = ""
        @Flag(
            name: .long,
            help: "A token for an agent's hooks: it reports, asks and uses approvals, but never decides or lifts."
        ) var agent = false
        @OptionGroup var output: FormatOption
        func run() throws {
            do {
                let (_, client) = try ServerLink.required("creating tokens")
                var body: [(String, JSONValue)] = [
                    ("label", .string(label)), ("scope", .string(agent ? "agent" : "person")),
                ]
                if let user { body.append(("user", .string(user))) }
                let v = try Remote.call(client, "POST", "/v1/tokens", .object(body))
                Remote.print(v, json: output.json) {
                    "token \(v["record"]?["id"]?.stringValue ?? "") for \(v["record"]?["user"]?.stringValue ?? "") (shown once): \(v["token"]?.stringValue ?? "")\n"
                }
            } catch {
                Loader.fail(error)
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke a token by its id.")
        @Argument(help: "The token id (`brake tokens list`).") var id: String
        @OptionGroup var output: FormatOption
        func run() throws {
            do {
                let (_, client) = try ServerLink.required("revoking tokens")
                let v = try Remote.call(client, "DELETE", "/v1/tokens/\(ServerClient.escape(id))")
                Remote.print(v, json: output.json) { "revoked token \(id) of \(v["user"]?.stringValue ?? "")\n" }
            } catch {
                Loader.fail(error)
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List your tokens.")
        @Flag(name: .long, help: "Everyone's tokens (top role).") var all = false
        @OptionGroup var output: FormatOption
        func run() throws {
            do {
                let (_, client) = try ServerLink.required("listing tokens")
                let v = try Remote.call(client, "GET", "/v1/tokens\(all ? "?all=true" : "")")
                Remote.print(v, json: output.json) {
                    (v["tokens"]?.arrayValue ?? []).map {
                        "\($0["id"]?.stringValue ?? "")  \(($0["user"]?.stringValue ?? "").padding(16))  \(($0["label"]?.stringValue ?? "").padding(16))  \(($0["scope"]?.stringValue ?? "person").padding(7))  \($0["revoked"] == nil ? "active" : "revoked")\n"
                    }.joined()
                }
            } catch {
                Loader.fail(error)
            }
        }
    }
}

// MARK: - audit export and verification against the server

enum ServerAudit {
    /// Every event and checkpoint, read page by page.
    static func download(_ client: ServerClient) throws -> ([AuditChain.Entry], [AuditChain.Checkpoint], String) {
        // Checkpoints first, so one signed during the download is never mistaken for truncation.
        let cps = try Remote.call(client, "GET", "/v1/audit/checkpoints")
        let checkpoints = (cps["checkpoints"]?.arrayValue ?? []).compactMap(AuditChain.Checkpoint.init(json:))
        var entries: [AuditChain.Entry] = []
        var from = 1
        while true {
            let page = try Remote.call(client, "GET", "/v1/audit?from=\(from)&limit=10000")
            let events = page["events"]?.arrayValue ?? []
            for e in events {
                guard let entry = try? AuditChain.Entry(exportLine: e.serialized) else {
                    throw Failure(status: ExitStatus.badInput, message: "the server sent a malformed audit event")
                }
                entries.append(entry)
            }
            guard let last = entries.last, events.count == 10000 else { break }
            from = last.seq + 1
        }
        return (entries, checkpoints, cps["public_key"]?.stringValue ?? "")
    }

    /// The newest checkpoint this machine has verified: whoever can write the server's database could delete
    /// later events together with their checkpoints, so the next verification also holds the log to this one.
    static func pinPath(_ store: LocalStore) -> String { store.home + "/audit-pin.json" }

    static func checkPin(_ entries: [AuditChain.Entry], store: LocalStore) -> String? {
        guard let text = try? Loader.readFile(pinPath(store)), let v = try? JSONValue.parse(text),
            let size = v["tree_size"]?.intValue, let head = v["head_hash"]?.stringValue
        else { return nil }
        if entries.count < size {
            return
                "the log has \(entries.count) events but this machine verified a signed checkpoint at \(size): events and checkpoints were removed"
        }
        var running = AuditChain.genesis
        for e in entries.prefix(size) { running = AuditChain.hash(previous: running, event: e.event) }
        if running != head {
            return
                "the first \(size) events no longer hash to the checkpoint this machine verified: history was rewritten"
        }
        return nil
    }

    static func savePin(_ checkpoints: [AuditChain.Checkpoint], report: AuditChain.Report, store: LocalStore) {
        guard report.ok,
            let last = checkpoints.filter({ $0.treeSize <= report.length }).max(by: { $0.treeSize < $1.treeSize })
        else { return }
        try? store.ensureHome()
        try? store.writeAtomically(
            pinPath(store),
            JSONValue.object([("tree_size", .number(Double(last.treeSize))), ("head_hash", .string(last.headHash))])
                .serialized + "\n"
        )
    }

    /// A server's database checked against a pinned key: the chain, its checkpoints (their absence is a
    /// problem), and the state tables against the chain.
    static func verifyStore(
        _ store: SQLiteStore,
        publicKey: Curve25519.Signing.PublicKey
    ) async throws
        -> AuditChain.Report
    {
        let checkpoints = try await store.checkpoints()
        let entries = try await store.allAuditEntries()
        var r = AuditChain.verify(entries, checkpoints: checkpoints, publicKey: publicKey)
        if !entries.isEmpty && checkpoints.isEmpty {
            r.problems.append(
                "no signed checkpoints: the log cannot be checked against the key (deleted with the key?)"
            )
        }
        r.problems += StateCheck.problems(
            entries: entries,
            users: try await store.users(),
            tokens: try await store.tokens(user: nil)
        )
        return r
    }

    static func key(_ base64: String) -> Curve25519.Signing.PublicKey? {
        Base64.decode(base64).flatMap { try? Curve25519.Signing.PublicKey(rawRepresentation: $0) }
    }

    static func exportText(
        _ entries: [AuditChain.Entry],
        _ cps: [AuditChain.Checkpoint],
        key: String,
        server: String
    )
        -> String
    {
        var out =
            JSONValue.object([
                ("brake_audit_export", .number(1)), ("server", .string(server)), ("public_key", .string(key)),
            ]).serialized + "\n"
        for e in entries { out += e.exportLine + "\n" }
        for c in cps { out += JSONValue.object([("checkpoint", c.json)]).serialized + "\n" }
        return out
    }

    /// Parses an export; nil when the text is not one (a local audit log).
    static func parseExport(_ text: String) throws -> ([AuditChain.Entry], [AuditChain.Checkpoint], String)? {
        let lines = text.split(separator: "\n")
        guard let first = lines.first, let head = try? JSONValue.parse(String(first)), head["brake_audit_export"] != nil
        else { return nil }
        var entries: [AuditChain.Entry] = []
        var cps: [AuditChain.Checkpoint] = []
        for (i, l) in lines.dropFirst().enumerated() {
            guard let v = try? JSONValue.parse(String(l)) else {
                throw Failure(status: 1, message: "line \(i + 2): not JSON (the export was edited or cut)")
            }
            if let c = v["checkpoint"] {
                guard let cp = AuditChain.Checkpoint(json: c) else {
                    throw Failure(status: 1, message: "line \(i + 2): malformed checkpoint")
                }
                cps.append(cp)
            } else {
                do { entries.append(try AuditChain.Entry(exportLine: String(l))) } catch {
                    throw Failure(status: 1, message: "line \(i + 2): \(error)")
                }
            }
        }
        return (entries, cps, head["public_key"]?.stringValue ?? "")
    }

    /// Prints the report; exits 1 when anything is wrong.
    static func report(_ r: AuditChain.Report, json: Bool, source: String, keyNote: String?) {
        if json {
            FileHandleOut.stdout(r.json.serialized + "\n")
        } else if r.ok {
            FileHandleOut.stdout(
                "ok: \(source): \(r.length) events, chain intact, \(r.checkpointsVerified) signed checkpoint\(r.checkpointsVerified == 1 ? "" : "s") verified\n"
            )
        } else {
            FileHandleOut.stderr("brake: \(source): the audit log was tampered with:\n")
            for p in r.problems { FileHandleOut.stderr("  - \(p)\n") }
        }
        if let keyNote { FileHandleOut.stderr("brake: \(keyNote)\n") }
        if !r.ok { Glibc.exit(1) }
    }

    /// The key to trust: the one pinned at login wins; a different key offered by the server is a finding.
    static func trustedKey(offered: String, pinned: String?) -> (String, String?, Bool) {
        if let pinned, !pinned.isEmpty, pinned != offered {
            return (pinned, "the server's signing key differs from the one pinned at `brake login`", true)
        }
        return (offered, nil, false)
    }
}
