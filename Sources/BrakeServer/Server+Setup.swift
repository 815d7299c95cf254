import BrakeCore
import Crypto
import NIOSSL

#if canImport(Glibc)
import Glibc
#endif

/// What `brake serve` opens before it listens: the store (SQLite in the data directory, or the PostgreSQL the
/// replicas share), the audit signing key and the server's TLS.
extension BrakeServerMain {
    /// The store the configuration names, and how to name it in messages (never with a password). An SQLite file
    /// is claimed for this process first (`SQLiteServeLock`, held while the returned claim lives).
    func openStore(_ config: ServerConfig) async throws -> (any ControlStore, String, SQLiteServeLock?) {
        let env = Self.environment()
        let fromCommandLine = database != nil
        guard let text = config.database ?? env["BRAKE_DATABASE_URL"].flatMap({ $0.isEmpty ? nil : $0 }) else {
            let path = dataDir + "/brake.sqlite"
            let claim = try SQLiteServeLock(database: path)
            do { return (try SQLiteStore(path: path), path, claim) } catch {
                throw APIError(
                    status: 0,
                    message:
                        "cannot open the database \(path) (\(error)); check that the directory and the file are writable by this user and that the disk is not full"
                )
            }
        }
        var url = try DatabaseURL(text)
        if fromCommandLine && url.password != nil {
            // Other users see a process's arguments (ps, /proc): a password there is a password shared.
            throw APIError(
                status: 0,
                message:
                    "--database must not carry a password (anyone on this host can read a command line); put it in a file given with --database-password-file, or in BRAKE_DATABASE_PASSWORD"
            )
        }
        if let file = config.databasePasswordFile {
            url.password = try FileIO.read(file).trimmingWhitespace()
        } else if let p = env["BRAKE_DATABASE_PASSWORD"], !p.isEmpty {
            url.password = p
        }
        do {
            let store = try await PostgresStore(
                url,
                password: url.password,
                maxConnections: config.databaseMaxConnections
            )
            return (store, url.display, nil)
        } catch let e as APIError {
            throw e
        } catch {
            throw APIError(
                status: 0,
                message:
                    "cannot use the database \(url.display): \(String(reflecting: error).prefix(600)); check that the server is up, the user, password and database exist, and that sslmode fits the server"
            )
        }
    }

    /// A new audit signing key, base64.
    public static func newSigningKey() -> String {
        Base64.encode(Array(Curve25519.Signing.PrivateKey().rawRepresentation))
    }

    /// A signing key given by file (a Secret every replica mounts): read, never created.
    static func readKey(_ path: String) throws(APIError) -> Curve25519.Signing.PrivateKey {
        let text = try FileIO.read(path).trimmingWhitespace()
        guard let raw = Base64.decode(text), let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw) else {
            throw APIError(
                status: 0,
                message:
                    "\(path) is not a base64 Ed25519 key; make one with `brake serve --new-signing-key > FILE` (every replica must use the same)"
            )
        }
        return key
    }

    /// The server's TLS from `tls_cert`/`tls_key`; nil for plain HTTP, which is refused on an address other than
    /// loopback unless `allow_plain_http` says a proxy in front does TLS.
    static func serverTLS(_ config: ServerConfig, host: String) throws(APIError) -> TLSConfiguration? {
        switch (config.tlsCert, config.tlsKey) {
        case (nil, nil):
            if !Loopback.contains(host) && !config.allowPlainHTTP {
                throw APIError(
                    status: 0,
                    message:
                        "refusing plain HTTP on \(host): tokens and approvals would cross the network in clear. Give --tls-cert FILE --tls-key FILE (PEM), or --allow-plain-http when a TLS proxy or mesh in front of this port encrypts it"
                )
            }
            return nil
        case (let cert?, let key?):
            do {
                let chain = try NIOSSLCertificate.fromPEMFile(cert).map { NIOSSLCertificateSource.certificate($0) }
                guard !chain.isEmpty else {
                    throw APIError(status: 0, message: "\(cert) holds no PEM certificate")
                }
                let privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
                var c = TLSConfiguration.makeServerConfiguration(
                    certificateChain: chain,
                    privateKey: .privateKey(privateKey)
                )
                c.minimumTLSVersion = .tlsv12
                return c
            } catch let e as APIError {
                throw e
            } catch {
                throw APIError(
                    status: 0,
                    message:
                        "cannot use the TLS certificate \(cert) and key \(key) (\(error)); both must be readable PEM files, the key unencrypted"
                )
            }
        default:
            throw APIError(status: 0, message: "TLS needs both --tls-cert and --tls-key (PEM files)")
        }
    }
}
