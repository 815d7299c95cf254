import BrakeContain
import BrakeWire

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// `brake-hook AGENT [--policy FILE] [--wait SECONDS]`: the hook as agents run it on every action. It hands the
// call to the machine's guard service (`brake daemon`, warm, with state the agent cannot write) over its local
// socket and relays the answer; with no service listening it runs `brake hook` itself, which judges in-process.
// Either way the answer is Brake's; once the call has been handed over, any failure is a deny (exit 2).

func fail(_ why: String) -> Never {
    let m = "Brake: \(why), so this action is blocked. Run `brake doctor` to check the installation.\n"
    _ = m.withCString { write(2, $0, strlen($0)) }
    exit(2)
}

let args = Array(CommandLine.arguments.dropFirst())
// `brake-hook contain … -- COMMAND`: the confined form an allowed command is rewritten to (and `brake run`).
if args.first == "contain" {
    Containment.main(Array(args.dropFirst())) { refusal in
        // Reported to the guard service for the audit log; without one, the explanation on stderr is all there is.
        var env: [String: String] = [:]
        for name in ["BRAKE_SYSTEM_ROOT", "BRAKE_HOME", "HOME"] { env[name] = getenv(name).map { String(cString: $0) } }
        guard let fd = GuardWire.connect(GuardWire.socketPath(env: env)) else { return }
        defer { close(fd) }
        var cwd = [CChar](repeating: 0, count: 4096)
        let here = getcwd(&cwd, cwd.count) != nil ? String(cString: cwd) : "/"
        let frame = GuardWire.encode(
            args: ["contained", refusal.access, refusal.path, refusal.command],
            cwd: here,
            env: [],
            payload: []
        )
        if (try? GuardWire.writeAll(fd, frame)) != nil {
            _ = try? GuardWire.decodeAnswer { (n: Int) throws(GuardWire.WireError) in try GuardWire.readExactly(fd, n) }
        }
    }
}
if args.first == "--help" || args.first == "-h" {
    let usage =
        "usage: brake-hook AGENT [--policy FILE] [--wait SECONDS]\n  reads the agent's hook call on stdin and answers in the agent's own protocol, through the guard service (`brake daemon`) when it runs, else in-process like `brake hook AGENT`\n"
    _ = usage.withCString { write(1, $0, strlen($0)) }
    exit(0)
}

func variable(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }

var env: [String: String] = [:]
for name in ["BRAKE_SYSTEM_ROOT", "BRAKE_HOME", "HOME"] { env[name] = variable(name) }

guard let fd = GuardWire.connect(GuardWire.socketPath(env: env)) else {
    // No guard service: the full binary beside this one judges in-process (stdin is still unread).
    var buf = [CChar](repeating: 0, count: 4096)
    let n = readlink("/proc/self/exe", &buf, buf.count - 1)
    guard n > 0 else { fail("the hook cannot find its own binary") }
    let me = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    let brake = String(me[..<(me.lastIndex(of: "/") ?? me.startIndex)]) + "/brake"
    let argv = [brake, "hook"] + args
    var cargs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
    execv(brake, &cargs)
    fail("no guard service is listening and \(brake) cannot be run (\(String(cString: strerror(errno))))")
}

var payload: [UInt8] = []
var chunk = [UInt8](repeating: 0, count: 65536)
while true {
    let n = read(0, &chunk, chunk.count)
    if n < 0 && errno == EINTR { continue }
    if n <= 0 { break }
    payload.append(contentsOf: chunk[0..<n])
    if payload.count > GuardWire.maxField { fail("the hook call is larger than 64 MiB") }
}
var cwdBuf = [CChar](repeating: 0, count: 4096)
let cwd = getcwd(&cwdBuf, cwdBuf.count) != nil ? String(cString: cwdBuf) : "/"
// The environment as it is, without decoding it: NUL-separated entries straight from `environ`.
var envBytes: [UInt8] = []
envBytes.reserveCapacity(8192)
var entry = environ
while let e = entry.pointee {
    if !envBytes.isEmpty { envBytes.append(0) }
    envBytes.append(contentsOf: UnsafeRawBufferPointer(start: e, count: strlen(e)))
    entry += 1
}

do {
    try GuardWire.writeAll(fd, GuardWire.encode(args: args, cwd: cwd, env: envBytes, payload: payload))
    let answer = try GuardWire.decodeAnswer { (n: Int) throws(GuardWire.WireError) in try GuardWire.readExactly(fd, n) }
    _ = answer.stdout.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
    _ = answer.stderr.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    exit(answer.status)
} catch {
    fail("the guard service did not answer (\(error))")
}
