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

/// What the kernel refused a confined command, reported to the guard service for the caller's audit log; without
/// a service, the explanation on stderr is all there is.
func reportRefusal(_ refusal: Containment.Refusal) {
    var env: [String: String] = [:]
    for name in ["BRAKE_SYSTEM_ROOT", "BRAKE_HOME", "HOME"] { env[name] = getenv(name).map { String(cString: $0) } }
    guard let fd = GuardWire.connect(GuardWire.socketPath(env: env)) else { return }
    defer { close(fd) }
    let frame = GuardWire.encode(
        args: ["contained", refusal.access, refusal.path, refusal.command],
        cwd: currentDirectory(),
        env: [],
        payload: []
    )
    if (try? GuardWire.writeAll(fd, frame)) != nil {
        _ = try? GuardWire.decodeAnswer { (n: Int) throws(GuardWire.WireError) in try GuardWire.readExactly(fd, n) }
    }
}

func currentDirectory() -> String {
    var cwd = [CChar](repeating: 0, count: 4096)
    return getcwd(&cwd, cwd.count) != nil ? String(cString: cwd) : "/"
}

/// The environment as it is, without decoding it: NUL-separated entries straight from `environ`.
func environmentBytes() -> [UInt8] {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(8192)
    var entry = environ
    while let e = entry.pointee {
        if !bytes.isEmpty { bytes.append(0) }
        bytes.append(contentsOf: UnsafeRawBufferPointer(start: e, count: strlen(e)))
        entry += 1
    }
    return bytes
}

/// The full `brake` beside this binary.
func sibling(_ name: String) -> String {
    var buf = [CChar](repeating: 0, count: 4096)
    let n = readlink("/proc/self/exe", &buf, buf.count - 1)
    guard n > 0 else { fail("the hook cannot find its own binary") }
    let me = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return String(me[..<(me.lastIndex(of: "/") ?? me.startIndex)]) + "/" + name
}

func execute(_ argv: [String]) -> Never {
    var cargs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
    execv(argv[0], &cargs)
    fail("\(argv[0]) cannot be run (\(String(cString: strerror(errno))))")
}

// The hot path (a hook call handed to the guard service) reads argv and the environment as C strings: building
// `[String]` and `[String: String]` at startup costs the runtime's first generic-metadata and conformance
// lookups, a measurable share of a process that lives about a millisecond.
let argc = Int(CommandLine.argc)
func argument(_ i: Int) -> String? {
    guard i < argc, let p = CommandLine.unsafeArgv[i] else { return nil }
    return String(cString: p)
}
let first = argument(1)
/// Every argument after the program's name (the slow paths).
func allArguments() -> [String] { (1..<max(argc, 1)).compactMap(argument) }
// `brake-hook contain … -- COMMAND`: the confined form an allowed command is rewritten to (and `brake run`).
if first == "contain" {
    Containment.main(Array(allArguments().dropFirst()), report: reportRefusal)
}
// `brake-hook shell [--profile NAME] COMMAND`: an agent's shell prefix (Claude Code's CLAUDE_CODE_SHELL_PREFIX).
// Every shell command the agent runs arrives as one string and runs confined by the policy's profile, which the
// guard service computes for the caller's directory; without a service, `brake run` computes it. Never unconfined.
if first == "shell" {
    var rest = Array(allArguments().dropFirst())
    var profile = "standard"
    if rest.count == 3, rest[0] == "--profile" {
        profile = rest[1]
        rest.removeFirst(2)
    }
    guard rest.count == 1 else {
        let m =
            "Brake's containment: usage: brake-hook shell [--profile NAME] COMMAND (one string, as an agent's shell prefix passes it)\n"
        _ = m.withCString { write(2, $0, strlen($0)) }
        exit(64)
    }
    // The agent's own shell when it is one the agent's command was written for, else bash.
    let named = getenv("SHELL").map { String(cString: $0) } ?? ""
    let base = named.split(separator: "/").last.map(String.init) ?? ""
    let shell = ["bash", "zsh"].contains(base) && access(named, X_OK) == 0 ? named : "/bin/bash"
    let command = [shell, "-c", rest[0]]
    // Honest degradation: without Landlock nothing can be confined; the command runs as it would without the
    // prefix (the hook's analysis still judged it), and says so.
    if Landlock.abi() < 1 {
        let m = "Brake: this kernel has no Landlock, so this command runs unconfined (Brake's hook still judges it)\n"
        _ = m.withCString { write(2, $0, strlen($0)) }
        execute(command)
    }
    var env: [String: String] = [:]
    for name in ["BRAKE_SYSTEM_ROOT", "BRAKE_HOME", "HOME"] { env[name] = getenv(name).map { String(cString: $0) } }
    guard let fd = GuardWire.connect(GuardWire.socketPath(env: env)) else {
        execute([sibling("brake"), "run", "--profile", profile, "--"] + command)
    }
    let frame = GuardWire.encode(
        args: ["containment", profile],
        cwd: currentDirectory(),
        env: environmentBytes(),
        payload: Array(rest[0].utf8)  // what the wrapper runs: an approved command's grant is matched against it
    )
    let answer: GuardWire.Answer
    do {
        try GuardWire.writeAll(fd, frame)
        answer = try GuardWire.decodeAnswer { (n: Int) throws(GuardWire.WireError) in try GuardWire.readExactly(fd, n) }
    } catch {
        let m = "Brake's containment: the guard service did not answer (\(error)); the command was not run\n"
        _ = m.withCString { write(2, $0, strlen($0)) }
        exit(70)
    }
    close(fd)
    guard answer.status == 0 else {
        let why = String(decoding: answer.stderr, as: UTF8.self)
        let m = "Brake's containment: \(why); the command was not run\n"
        _ = m.withCString { write(2, $0, strlen($0)) }
        exit(70)
    }
    let spec = answer.stdout.split(separator: 0, omittingEmptySubsequences: false).map {
        String(decoding: $0, as: UTF8.self)
    }
    Containment.main((answer.stdout.isEmpty ? [] : spec) + ["--"] + command, report: reportRefusal)
}
if first == "--help" || first == "-h" {
    let usage =
        "usage: brake-hook AGENT [--policy FILE] [--wait SECONDS]\n  reads the agent's hook call on stdin and answers in the agent's own protocol, through the guard service (`brake daemon`) when it runs, else in-process like `brake hook AGENT`\n"
    _ = usage.withCString { write(1, $0, strlen($0)) }
    exit(0)
}

func variable(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }

guard let fd = GuardWire.connect(GuardWire.socketPath(variable)) else {
    // No guard service: the full binary beside this one judges in-process (stdin is still unread).
    execute([sibling("brake"), "hook"] + allArguments())
}

/// The arguments after the program's name, NUL-separated, straight from `argv`.
func argumentBytes() -> [UInt8] {
    var bytes: [UInt8] = []
    for i in 1..<max(argc, 1) {
        guard let p = CommandLine.unsafeArgv[i] else { continue }
        if i > 1 { bytes.append(0) }
        bytes.append(contentsOf: UnsafeRawBufferPointer(start: p, count: strlen(p)))
    }
    return bytes
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
do {
    try GuardWire.writeAll(
        fd,
        GuardWire.encode(
            joinedArgs: argumentBytes(),
            cwd: currentDirectory(),
            env: environmentBytes(),
            payload: payload
        )
    )
    let answer = try GuardWire.decodeAnswer { (n: Int) throws(GuardWire.WireError) in try GuardWire.readExactly(fd, n) }
    _ = answer.stdout.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
    _ = answer.stderr.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    exit(answer.status)
} catch {
    fail("the guard service did not answer (\(error))")
}
