import BrakeCore
import Crypto
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Small file helpers without Foundation.
public enum FileIO {
    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    public static func read(_ path: String) throws(APIError) -> String {
        guard let f = fopen(path, "rb") else {
            throw APIError(status: 0, message: "cannot read \(path): \(String(cString: strerror(errno)))")
        }
        defer { fclose(f) }
        var bytes: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&buf, 1, buf.count, f)
            if n <= 0 { break }
            bytes.append(contentsOf: buf[0..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Writes atomically (temporary file, fsync, rename) with the given mode.
    public static func write(_ path: String, _ text: String, mode: mode_t = 0o600) throws(APIError) {
        let tmp = path + ".tmp.\(getpid())"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else {
            throw APIError(status: 0, message: "cannot write \(path): \(String(cString: strerror(errno)))")
        }
        let bytes = Array(text.utf8)
        let ok = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) == $0.count }
        fchmod(fd, mode)
        fsync(fd)
        close(fd)
        guard ok, rename(tmp, path) == 0 else {
            unlink(tmp)
            throw APIError(status: 0, message: "cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }

    public static func mkdirs(_ path: String) throws(APIError) {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, 0o700) != 0 && errno != EEXIST {
                throw APIError(status: 0, message: "cannot create \(current): \(String(cString: strerror(errno)))")
            }
        }
    }
}

/// `brake serve`: opens (or creates) the data directory and runs the API until SIGTERM or SIGINT.
public struct BrakeServerMain: Sendable {
    public var dataDir: String
    public var host: String
    public var port: Int
    public var configFile: String?
    /// Command-line settings that override the configuration file's.
    public var database: String?
    public var databasePasswordFile: String?
    public var tlsCert: String?
    public var tlsKey: String?
    public var allowPlainHTTP = false

    public init(dataDir: String, host: String, port: Int, configFile: String?) {
        self.dataDir = dataDir
        self.host = host
        self.port = port
        self.configFile = configFile
    }

    public static func unixTime() -> Int { Int(time(nil)) }

    /// The server's Ed25519 key, created on first start. It lives beside the database, not in it, so
    /// rows edited in the database cannot be re-signed.
    public static func loadKey(dataDir: String) throws(APIError) -> Curve25519.Signing.PrivateKey {
        let path = dataDir + "/audit-signing-key"
        if FileIO.exists(path) {
            let text = try FileIO.read(path).trimmingWhitespace()
            guard let raw = Base64.decode(text), let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw)
            else {
                throw APIError(status: 0, message: "\(path) is not a base64 Ed25519 key; restore it from backup")
            }
            return key
        }
        let key = Curve25519.Signing.PrivateKey()
        try FileIO.write(path, Base64.encode(Array(key.rawRepresentation)) + "\n")
        return key
    }

    public static func loadConfig(_ file: String?) throws(APIError) -> ServerConfig {
        guard let file else { return ServerConfig() }
        return try ServerConfig(yaml: try FileIO.read(file), source: file, env: environment())
    }

    static func environment() -> [String: String] {
        var env: [String: String] = [:]
        var p = environ
        while let entry = p.pointee {
            let s = String(cString: entry)
            if let eq = s.firstIndex(of: "=") { env[String(s[..<eq])] = String(s[s.index(after: eq)...]) }
            p += 1
        }
        return env
    }

    public static func loadPolicy(_ config: ServerConfig) throws(APIError) -> (Policy, String) {
        guard let file = config.policyFile else { return (Policy.standard, "") }
        let text = try FileIO.read(file)
        var p = Policy.standard
        do { try p.merge(yaml: text, source: file) } catch {
            throw APIError(status: 0, message: "policy error: \(error)")
        }
        return (p, text)
    }

    /// Builds the control plane over a store (also used by the tests).
    public static func plane(
        store: any ControlStore,
        config: ServerConfig,
        key: Curve25519.Signing.PrivateKey,
        clock: @escaping @Sendable () -> Int = { unixTime() },
        webhookBackoff: Duration = .milliseconds(500),
        webhookTimeout: Duration = .seconds(10)
    ) throws(APIError) -> ControlPlane {
        let (policy, text) = try loadPolicy(config)
        return ControlPlane(
            store: store,
            config: config,
            policy: policy,
            policyText: text,
            key: key,
            clock: clock,
            webhookBackoff: webhookBackoff,
            webhookTimeout: webhookTimeout
        )
    }

    public func run() async throws {
        try FileIO.mkdirs(dataDir)
        chmod(dataDir, 0o700)
        // The database, its journal and the key live here: an unwritable directory is said plainly, before SQLite
        // says it in its own words.
        guard access(dataDir, W_OK | X_OK) == 0 else {
            throw APIError(
                status: 0,
                message:
                    "the data directory \(dataDir) is not writable by this user (uid \(getuid())): give it to the server's user (`chown -R USER \(dataDir)`) or choose another with --data-dir DIR"
            )
        }
        var config = try Self.loadConfig(configFile)
        if let database { config.database = database }
        if let databasePasswordFile { config.databasePasswordFile = databasePasswordFile }
        if let tlsCert { config.tlsCert = tlsCert }
        if let tlsKey { config.tlsKey = tlsKey }
        if allowPlainHTTP { config.allowPlainHTTP = true }
        let tls = try Self.serverTLS(config, host: host)
        let scheme = tls == nil ? "http" : "https"
        if config.publicURL.isEmpty { config.publicURL = "\(scheme)://\(host):\(port)" }
        let key: Curve25519.Signing.PrivateKey
        if let file = config.signingKeyFile {
            key = try Self.readKey(file)
        } else {
            key = try Self.loadKey(dataDir: dataDir)
        }
        let (store, storeName, claim) = try await openStore(config)
        defer { withExtendedLifetime(claim) {} }
        let plane = try Self.plane(store: store, config: config, key: key)
        // The suggestions admins accepted are part of the policy from the start.
        for problem in try await plane.loadAcceptedSuggestions() {
            say("brake serve: WARNING: an accepted suggestion no longer fits the policy and is left out: \(problem)")
        }
        var logger = Logger(label: "brake-serve")
        logger.logLevel = .notice
        let url = "\(scheme)://\(host):\(port)"
        // The first user is created once the port is bound: a server that cannot listen leaves nothing behind.
        let dataDir = self.dataDir
        let topRole = config.topRole
        let adminTokenFile = config.adminTokenFile
        @Sendable func bootstrap() async {
            do {
                if let adminTokenFile {
                    // The operator chose the first admin's token (a replica's disk is nobody's to read).
                    let token = try FileIO.read(adminTokenFile).trimmingWhitespace()
                    if try await plane.bootstrap(token: token) != nil {
                        say(
                            "brake serve: first start; created user 'admin' (role \(topRole)) with the token in \(adminTokenFile)"
                        )
                    }
                    return
                }
                guard let token = try await plane.bootstrap() else { return }
                try FileIO.write(dataDir + "/admin-token", token + "\n")
                say(
                    """
                    brake serve: first start; created user 'admin' (role \(topRole)).
                      admin token: \(dataDir)/admin-token (mode 0600; shown nowhere else)
                    """
                )
            } catch {
                say("brake serve: ERROR: the first user could not be created (\(error)); restart to try again")
            }
        }
        // The state tables must be what the chain says: a user or token written into the database directly is
        // reported at once (and by every `brake audit verify`).
        let ghosts = StateCheck.problems(
            entries: try await plane.allEntries(),
            users: try await store.users(),
            tokens: try await store.tokens(user: nil)
        )
        for g in ghosts { say("brake serve: WARNING: \(g)") }
        let banner = """
            brake serve: listening on \(url), data in \(storeName)
              server key (pin it):   \(plane.publicKeyBase64)
              people act with their own token, in their own terminal:
                export BRAKE_SERVER=\(url) BRAKE_TOKEN="$(cat \(adminTokenFile ?? dataDir + "/admin-token"))"
                brake users add alice --role senior
              the agents' hooks get an agent token (it never decides, lifts or manages):
                brake tokens create --agent --label hooks --format json    # → {"token": …}
                brake login --server \(url) --token-file FILE --server-key \(plane.publicKeyBase64)
                (or, as root, `brake login --system …` so the agent's account cannot change it)
              approver's page:       \(url)/ui (sign in with a person's token)
            """
        let router = Routes.router(plane: plane, openAPI: OpenAPI.document)
        let limit = config.maxConnections ?? ConnectionShedder.processLimit()
        // By default one host may hold half the connections: the rest stay for everyone else.
        let shedder = ConnectionShedder(limit: limit, perClient: config.maxConnectionsPerClient ?? limit / 2)
        // Idle connections are closed and headers are bounded: connections that never finish a request cannot hold
        // the server's descriptors (a hook's call must always find a way in).
        let http1 = HTTPServerBuilder.http1(
            configuration: .init(
                additionalChannelHandlers: [ConnectionShedderHandler(shedder)],
                idleTimeout: .seconds(Int64(config.idleTimeout)),
                httpDecoderConfiguration: .init(
                    maxHeaderFieldSize: 16 * 1024,
                    maxHeaderListSize: 64 * 1024,
                    maxHeaderFieldCount: 100
                )
            )
        )
        let app = Application(
            router: router,
            server: try tls.map { try HTTPServerBuilder.tls(http1, tlsConfiguration: $0) } ?? http1,
            configuration: .init(address: .hostname(host, port: port), serverName: "brake"),
            services: [Housekeeping(plane: plane, interval: config.checkpointInterval, logger: logger)],
            onServerRunning: { _ in
                await bootstrap()
                say(banner)
            },
            logger: logger
        )
        do {
            try await app.runService()
            say("brake serve: stopped; the audit log's last checkpoint is signed (\(storeName))")
        } catch let e as IOError where e.errnoCode == EADDRINUSE {
            throw APIError(
                status: 0,
                message:
                    "cannot listen on \(host):\(port): the address is in use (another brake serve?); choose another with --listen HOST:PORT"
            )
        } catch let e as IOError where e.errnoCode == EACCES {
            throw APIError(
                status: 0,
                message:
                    "cannot listen on \(host):\(port): permission denied; use a port above 1023 or run with the right privileges"
            )
        }
    }
}

/// Signs audit checkpoints at the configured interval (and once more on shutdown) and expires requests.
///
/// Every replica asks each second whether the cluster's checkpoint is due (a cheap read under one lock when it is
/// not), so the cluster signs within about a second of the interval passing whichever replica's turn it is, and
/// never twice within one interval.
struct Housekeeping: Service {
    let plane: ControlPlane
    let interval: Int
    let logger: Logger

    func run() async throws {
        var (chores, asked) = (ContinuousClock.now, ContinuousClock.now)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(250))
            let now = ContinuousClock.now
            do {
                if now - chores >= .seconds(interval) {
                    chores = now
                    _ = try await plane.expireRequests()
                    try await plane.digestIfDue()
                }
                if now - asked >= .seconds(1) {
                    asked = now
                    try await plane.checkpoint(every: interval)
                }
            } catch {
                logger.error("housekeeping failed: \(error)")
            }
        }
        // A cancelled start (the address was taken) has nothing new to sign.
        if Task.isCancelled { return }
        do { try await plane.checkpoint() } catch { logger.error("final checkpoint failed: \(error)") }
    }
}

/// Writes a line to standard output unbuffered (the server's banner must reach a pipe at once).
func say(_ s: String) {
    let bytes = Array((s + "\n").utf8)
    var off = 0
    while off < bytes.count {
        let n = bytes[off...].withUnsafeBytes { Glibc.write(1, $0.baseAddress, $0.count) }
        if n <= 0 { break }
        off += n
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\n" || c == "\t" || c == "\r" { s = s.dropFirst() }
        while let c = s.last, c == " " || c == "\n" || c == "\t" || c == "\r" { s = s.dropLast() }
        return String(s)
    }
}
