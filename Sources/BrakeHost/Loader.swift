import BrakeCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The options that locate the policy and the context, as plain values.
package struct LoadOptions {
    package var policy: String?
    package var cwd: String?
    package var actor: String = "agent"

    package init(policy: String? = nil, cwd: String? = nil, actor: String = "agent") {
        self.policy = policy
        self.cwd = cwd
        self.actor = actor
    }
}

package enum Loader {
    /// A whole file as bytes.
    package static func bytes(_ path: String) throws(Failure) -> [UInt8] {
        guard let f = fopen(path, "rb") else {
            throw Failure(
                status: ExitStatus.badInput,
                message: "cannot read \(path): \(Loader.string(strerror(errno)))"
            )
        }
        defer { fclose(f) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = fread(&buf, 1, buf.count, f)
            if n > 0 { out.append(contentsOf: buf[0..<n]) }
            if n < buf.count { break }
        }
        if ferror(f) != 0 { throw Failure(status: ExitStatus.badInput, message: "cannot read \(path)") }
        return out
    }

    /// The path with every symbolic link resolved (the path itself when it cannot be).
    package static func realPath(_ path: String) -> String {
        guard let r = realpath(path, nil) else { return path }
        defer { free(r) }
        return String(cString: r)
    }

    package static func readFile(_ path: String) throws(Failure) -> String {
        String(decoding: try bytes(path), as: UTF8.self)
    }

    /// A NUL-terminated C string as a String (invalid UTF-8 is repaired, never trusted).
    package static func string(_ p: UnsafePointer<CChar>) -> String {
        String(decoding: UnsafeRawBufferPointer(start: p, count: strlen(p)), as: UTF8.self)
    }

    package static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    package static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// The names in a directory (without `.` and `..`), sorted; empty when it cannot be read.
    package static func listDirectory(_ path: String) -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { Loader.string($0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    package static func currentDirectory() -> String {
        var buf = [CChar](repeating: 0, count: 4096)
        guard getcwd(&buf, buf.count) != nil else { return "/" }
        return buf.withUnsafeBufferPointer { Loader.string($0.baseAddress!) }
    }

    package static func environment() -> [String: String] {
        var env: [String: String] = [:]
        var p = environ
        while let entry = p.pointee {
            let s = Loader.string(entry)
            if let eq = s.firstIndex(of: "=") { env[String(s[..<eq])] = String(s[s.index(after: eq)...]) }
            p += 1
        }
        return env
    }

    /// The repository root: the nearest directory upwards that holds `.git`.
    package static func projectRoot(from dir: String) -> String? {
        var d = dir
        while true {
            if exists(d + "/.git") { return d }
            if d == "/" || d.isEmpty { return nil }
            let parent = d.split(separator: "/").dropLast().joined(separator: "/")
            d = "/" + parent
        }
    }

    package static func context(_ opts: LoadOptions, env: [String: String]) throws(Failure) -> Context {
        let base = currentDirectory()
        var cwd = opts.cwd ?? base
        if !cwd.hasPrefix("/") { cwd = base + "/" + cwd }
        guard let actor = Actor(rawValue: opts.actor) else {
            throw Failure(status: ExitStatus.usage, message: "--actor must be agent or human, not '\(opts.actor)'")
        }
        let home = env["HOME"] ?? "/"
        return Context(
            cwd: cwd,
            home: home,
            projectRoot: projectRoot(from: cwd),
            env: env,
            actor: actor,
            user: env["USER"],
            kubeContext: nil,
            terraformWorkspace: env["TF_WORKSPACE"]
        )
    }

    /// Built-in < organisation file < repository file.
    package static func policy(
        _ opts: LoadOptions,
        env: [String: String],
        projectRoot: String?
    ) throws(Failure) -> Policy {
        var layers: [(String, String)] = []
        let system = SystemConfig.directory(env)
        if opts.policy == nil, SystemConfig.installed(env) {
            // A system install: the organisation layer is root's; nothing in the agent's home counts.
            if exists(system + "/policy.yaml") {
                layers.append((system + "/policy.yaml", try readFile(system + "/policy.yaml")))
            }
        } else if let p = opts.policy {
            layers.append((p, try readFile(p)))
        } else if let p = env["BRAKE_POLICY"], !p.isEmpty {
            layers.append((p, try readFile(p)))
        } else if case let cached = LocalStore(env: env).home + "/server-policy.yaml", exists(cached) {
            // The organisation policy served by the control plane (refreshed when its ETag changes).
            layers.append((cached, try readFile(cached)))
        }
        if opts.policy == nil, !SystemConfig.installed(env), env["BRAKE_POLICY"].map({ $0.isEmpty }) ?? true,
            let home = env["HOME"], exists(home + "/.brake/policy.yaml")
        {
            layers.append((home + "/.brake/policy.yaml", try readFile(home + "/.brake/policy.yaml")))
        }
        if let root = projectRoot, exists(root + "/.brake/policy.yaml") {
            layers.append((root + "/.brake/policy.yaml", try readFile(root + "/.brake/policy.yaml")))
        }
        if layers.isEmpty { return Policy.standard }
        var policy = Policy.standard
        do {
            // Only the organisation's layer — given by the operator (--policy, $BRAKE_POLICY) or root's system
            // install — may loosen; what the agent's account can write (the repository's file, ~/.brake) tightens.
            for (source, text) in layers {
                let trusted = source == opts.policy || source == env["BRAKE_POLICY"] || source.hasPrefix(system + "/")
                try policy.merge(yaml: text, source: source, mayLoosen: trusted)
            }
        } catch {
            throw Failure(status: ExitStatus.badInput, message: "policy error: \(error)")
        }
        let failures = Engine.checkExamples(policy, onlyLayers: Set(layers.map(\.0)))
        if !failures.isEmpty {
            throw Failure(
                status: ExitStatus.badInput,
                message: "policy examples failed:\n" + failures.joined(separator: "\n")
            )
        }
        return policy
    }

    package static func fail(_ e: any Error) -> Never {
        let f = (e as? Failure) ?? Failure(status: ExitStatus.badInput, message: "\(e)")
        FileHandleOut.stderr("brake: " + f.message + "\n")
        Glibc.exit(f.status)
    }
}
