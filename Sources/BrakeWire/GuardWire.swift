#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The guard service's local socket: how `brake-hook` hands one hook call to `brake daemon` and gets the answer
/// back. Length-prefixed frames, no parsing beyond that, so the client stays a few hundred lines with no
/// dependencies and starts as fast as a process can.
///
/// A call is `BRK1`, then four fields, each a little-endian UInt32 length and its bytes: the hook's arguments
/// (NUL-separated, after `hook`), the working directory, the environment (NUL-separated `NAME=value`), and the
/// agent's payload (stdin). An answer is `BRK1`, the exit status (Int32) and two fields: stdout and stderr.
public enum GuardWire {
    public static let magic: [UInt8] = Array("BRK1".utf8)
    /// No field may be larger (an agent's payload is at most a few MiB; this bounds a hostile one).
    public static let maxField = 64 << 20

    public struct Call: Sendable, Equatable {
        public var args: [String]
        public var cwd: String
        public var env: [String]
        public var payload: [UInt8]

        public init(args: [String], cwd: String, env: [String], payload: [UInt8]) {
            self.args = args
            self.cwd = cwd
            self.env = env
            self.payload = payload
        }
    }

    public struct Answer: Sendable, Equatable {
        public var status: Int32
        public var stdout: [UInt8]
        public var stderr: [UInt8]

        public init(status: Int32, stdout: [UInt8], stderr: [UInt8]) {
            self.status = status
            self.stdout = stdout
            self.stderr = stderr
        }
    }

    public enum WireError: Error, Equatable, CustomStringConvertible {
        case closed
        case malformed(String)
        case io(String)

        public var description: String {
            switch self {
            case .closed: return "the connection closed early"
            case .malformed(let m): return "malformed frame: \(m)"
            case .io(let m): return m
            }
        }
    }

    // MARK: encoding

    public static func encode(_ call: Call) -> [UInt8] {
        encode(args: call.args, cwd: call.cwd, env: joined(call.env), payload: call.payload)
    }

    /// A call whose environment is already NUL-separated bytes (as the client reads it from `environ`).
    public static func encode(args: [String], cwd: String, env: [UInt8], payload: [UInt8]) -> [UInt8] {
        encode(joinedArgs: joined(args), cwd: cwd, env: env, payload: payload)
    }

    /// A call whose arguments are already NUL-separated bytes (as the client reads them from `argv`).
    public static func encode(joinedArgs: [UInt8], cwd: String, env: [UInt8], payload: [UInt8]) -> [UInt8] {
        var out = magic
        out.reserveCapacity(32 + env.count + payload.count + cwd.utf8.count + joinedArgs.count)
        field(&out, joinedArgs)
        field(&out, Array(cwd.utf8))
        field(&out, env)
        field(&out, payload)
        return out
    }

    public static func encode(_ answer: Answer) -> [UInt8] {
        var out = magic
        withUnsafeBytes(of: answer.status.littleEndian) { out.append(contentsOf: $0) }
        field(&out, answer.stdout)
        field(&out, answer.stderr)
        return out
    }

    static func joined(_ parts: [String]) -> [UInt8] {
        var out: [UInt8] = []
        for (i, p) in parts.enumerated() {
            if i > 0 { out.append(0) }
            out.append(contentsOf: p.utf8)
        }
        return out
    }

    static func split(_ bytes: [UInt8]) -> [String] {
        if bytes.isEmpty { return [] }
        return bytes.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
    }

    static func field(_ out: inout [UInt8], _ bytes: [UInt8]) {
        withUnsafeBytes(of: UInt32(bytes.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: bytes)
    }

    // MARK: decoding from a source of exact reads

    public static func decodeCall(_ read: (Int) throws(WireError) -> [UInt8]) throws(WireError) -> Call {
        try expectMagic(read)
        let args = split(try readField(read))
        guard args.count <= 64 else { throw .malformed("too many arguments") }
        let cwd = String(decoding: try readField(read), as: UTF8.self)
        let env = split(try readField(read))
        let payload = try readField(read)
        return Call(args: args, cwd: cwd, env: env, payload: payload)
    }

    public static func decodeAnswer(_ read: (Int) throws(WireError) -> [UInt8]) throws(WireError) -> Answer {
        try expectMagic(read)
        let s = try read(4)
        let status = Int32(littleEndian: s.withUnsafeBytes { $0.loadUnaligned(as: Int32.self) })
        return Answer(status: status, stdout: try readField(read), stderr: try readField(read))
    }

    static func expectMagic(_ read: (Int) throws(WireError) -> [UInt8]) throws(WireError) {
        guard try read(4) == magic else { throw .malformed("not a Brake guard frame") }
    }

    static func readField(_ read: (Int) throws(WireError) -> [UInt8]) throws(WireError) -> [UInt8] {
        let n = Int(UInt32(littleEndian: try read(4).withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }))
        guard n <= maxField else { throw .malformed("a field of \(n) bytes is over the limit") }
        return n == 0 ? [] : try read(n)
    }

    // MARK: file descriptors

    /// Exactly `n` bytes from `fd`, or an error (a short read is `.closed`).
    public static func readExactly(_ fd: Int32, _ n: Int) throws(WireError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: n)
        var got = 0
        while got < n {
            let r = out.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + got, n - got) }
            if r == 0 { throw .closed }
            if r < 0 {
                if errno == EINTR { continue }
                throw .io("read: \(String(cString: strerror(errno)))")
            }
            got += r
        }
        return out
    }

    public static func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws(WireError) {
        var sent = 0
        while sent < bytes.count {
            let r = bytes.withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL))
            }
            if r < 0 {
                if errno == EINTR { continue }
                throw .io("write: \(String(cString: strerror(errno)))")
            }
            sent += r
        }
    }

    // MARK: where the socket is

    /// The socket a hook uses: the system install's (`$BRAKE_SYSTEM_ROOT/run/brake/guard.sock`, in a directory
    /// only root can write) when the machine has one (`etc/brake/server.json` or `approver.json`), else the user's own (`$BRAKE_HOME/guard.sock`).
    public static func socketPath(env: [String: String]) -> String {
        socketPath { env[$0] }
    }

    /// The same, for a caller that looks variables up one by one (the hook client reads its own environment
    /// without building a dictionary).
    public static func socketPath(_ variable: (String) -> String?) -> String {
        var root = variable("BRAKE_SYSTEM_ROOT") ?? ""
        while root.hasSuffix("/") { root.removeLast() }
        if access(root + "/etc/brake/server.json", F_OK) == 0 || access(root + "/etc/brake/approver.json", F_OK) == 0 {
            return systemSocket(root: root)
        }
        if let h = variable("BRAKE_HOME"), !h.isEmpty { return h + "/guard.sock" }
        return (variable("HOME") ?? "/") + "/.brake/guard.sock"
    }

    public static func systemSocket(root: String) -> String { root + "/run/brake/guard.sock" }

    /// A connected Unix socket, or nil (no service listening there).
    public static func connect(_ path: String) -> Int32? {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else { return nil }
        withUnsafeMutableBytes(of: &addr.sun_path) { p in
            for (i, b) in bytes.enumerated() { p[i] = b }
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        let ok = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        if ok != 0 {
            close(fd)
            return nil
        }
        return fd
    }
}
