import BrakeCore
import NIOSSL
import PostgresNIO

/// Where the control plane's state lives when it is not the embedded SQLite file:
/// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=MODE&sslrootcert=FILE]`.
///
/// `sslmode` follows libpq's names: `disable`, `prefer`, `require` (encrypted, server not verified), `verify-ca`
/// and `verify-full` (encrypted, certificate checked against `sslrootcert` or the system's roots; verify-full also
/// checks the host name). The default is `prefer` on loopback and `verify-full` anywhere else: a database
/// across the network is never spoken to in clear or unverified unless the URL says so.
public struct DatabaseURL: Sendable, Equatable {
    public var user: String
    public var password: String?
    public var host: String
    public var port: Int
    public var database: String
    public var sslMode: String
    public var sslRootCert: String?

    static let modes = ["disable", "prefer", "require", "verify-ca", "verify-full"]

    public init(_ text: String) throws(APIError) {
        func bad(_ why: String) -> APIError {
            APIError(
                status: 0,
                message:
                    "the database URL is not usable: \(why); write postgres://USER@HOST:PORT/DATABASE (the password in a file given with --database-password-file, or in BRAKE_DATABASE_PASSWORD)"
            )
        }
        var rest: Substring
        if text.hasPrefix("postgres://") {
            rest = text.dropFirst(11)
        } else if text.hasPrefix("postgresql://") {
            rest = text.dropFirst(13)
        } else {
            throw bad("it does not start with postgres://")
        }
        var query: Substring = ""
        if let q = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: q)...]
            rest = rest[..<q]
        }
        guard let at = rest.lastIndex(of: "@") else { throw bad("it names no user (USER@HOST)") }
        let credentials = rest[..<at]
        rest = rest[rest.index(after: at)...]
        if let colon = credentials.firstIndex(of: ":") {
            user = Self.decode(credentials[..<colon])
            password = Self.decode(credentials[credentials.index(after: colon)...])
        } else {
            user = Self.decode(credentials)
            password = nil
        }
        guard !user.isEmpty else { throw bad("the user is empty") }
        guard let slash = rest.firstIndex(of: "/") else { throw bad("it names no database (…/DATABASE)") }
        database = Self.decode(rest[rest.index(after: slash)...])
        guard !database.isEmpty else { throw bad("the database name is empty") }
        var hostPort = rest[..<slash]
        port = 5432
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else { throw bad("an IPv6 host lacks its ']'") }
            let after = hostPort[hostPort.index(after: close)...]
            host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
            if after.hasPrefix(":") {
                guard let p = Int(after.dropFirst()), p > 0, p < 65536 else { throw bad("the port is not a number") }
                port = p
            }
        } else {
            if let colon = hostPort.lastIndex(of: ":") {
                guard let p = Int(hostPort[hostPort.index(after: colon)...]), p > 0, p < 65536 else {
                    throw bad("the port is not a number from 1 to 65535")
                }
                port = p
                hostPort = hostPort[..<colon]
            }
            host = String(hostPort)
        }
        guard !host.isEmpty else { throw bad("the host is empty") }
        sslMode = ""
        sslRootCert = nil
        for pair in query.split(separator: "&") where !pair.isEmpty {
            let kv = pair.split(separator: "=", maxSplits: 1)
            let key = String(kv[0])
            let value = kv.count > 1 ? Self.decode(kv[1]) : ""
            switch key {
            case "sslmode":
                guard Self.modes.contains(value) else {
                    throw bad("sslmode '\(value)' is not one of \(Self.modes.joined(separator: ", "))")
                }
                sslMode = value
            case "sslrootcert": sslRootCert = value
            default: throw bad("the parameter '\(key)' is not known (sslmode and sslrootcert are)")
            }
        }
        if sslMode.isEmpty { sslMode = isLoopback ? "prefer" : "verify-full" }
    }

    public var isLoopback: Bool { Loopback.contains(host) }

    /// The URL without its password, for messages and logs.
    public var display: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return "postgres://\(user)@\(h):\(port)/\(database)?sslmode=\(sslMode)"
    }

    /// The connection's TLS as `sslmode` says.
    func tls() throws -> PostgresClient.Configuration.TLS {
        var c = TLSConfiguration.makeClientConfiguration()
        if let sslRootCert {
            c.trustRoots = .file(sslRootCert)
        }
        switch sslMode {
        case "disable": return .disable
        case "prefer":
            c.certificateVerification = .none
            return .prefer(c)
        case "require":
            c.certificateVerification = .none
            return .require(c)
        case "verify-ca":
            c.certificateVerification = .noHostnameVerification
            return .require(c)
        default:
            c.certificateVerification = .fullVerification
            return .require(c)
        }
    }

    /// Percent-decoding of one URL component.
    static func decode(_ s: Substring) -> String {
        var bytes: [UInt8] = []
        var i = s.utf8.startIndex
        let u = s.utf8
        while i < u.endIndex {
            let c = u[i]
            if c == UInt8(ascii: "%"), let a = u.index(i, offsetBy: 1, limitedBy: u.endIndex), a < u.endIndex,
                let b = u.index(i, offsetBy: 2, limitedBy: u.endIndex), b < u.endIndex,
                let hi = hex(u[a]), let lo = hex(u[b])
            {
                bytes.append(hi << 4 | lo)
                i = u.index(after: b)
            } else {
                bytes.append(c)
                i = u.index(after: i)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func hex(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
