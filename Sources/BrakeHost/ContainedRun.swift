import BrakeCore

#if canImport(Glibc)
import Glibc
#endif

/// `brake run`: a command confined by the standard containment profile. The confinement itself is applied by the
/// small `brake-hook contain` beside this binary (single-threaded, so it may enter a user namespace), which then
/// becomes the command.
package enum ContainedRun {
    /// The profile `name` for a command started in `cwd`: the standard one with the policy's additions, and extra
    /// writable places granted on the command line. Nil for a profile the policy does not name.
    package static func profile(
        _ name: String,
        policy: Policy,
        cwd: String,
        env: [String: String],
        extraWrite: [String]
    ) -> ContainmentProfile? {
        let home = env["HOME"] ?? "/"
        guard
            var p = ContainmentProfile.from(
                policy: policy,
                name: name,
                home: home,
                project: Loader.projectRoot(from: cwd) ?? (cwd == home ? nil : cwd),
                tmpdir: env["TMPDIR"]
            )
        else { return nil }
        p.write += extraWrite.map { $0.hasPrefix("/") ? $0 : cwd + "/" + $0 }
        guard let names = entries(of: home + "/.ssh") else { return p }
        return p.sshKeysOnly(home: home, entries: names)
    }

    /// The names in a directory; nil when it cannot be listed (then `~/.ssh` stays denied whole).
    static func entries(of dir: String) -> [String]? {
        guard let d = opendir(dir) else { return nil }
        defer { closedir(d) }
        var out: [String] = []
        while let e = readdir(d) {
            let name = withUnsafePointer(to: e.pointee.d_name) { p in
                p.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { out.append(name) }
        }
        return out
    }

    /// The sibling `brake-hook`, which applies the confinement.
    package static func helper() -> String? {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        guard n > 0 else { return nil }
        let me = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let hook = String(me[..<(me.lastIndex(of: "/") ?? me.startIndex)]) + "/brake-hook"
        return access(hook, X_OK) == 0 ? hook : nil
    }

    /// Replaces this process with the confined command; returns only with the reason it could not.
    package static func exec(_ command: [String], profile: ContainmentProfile) -> String {
        guard let hook = helper() else {
            return "brake-hook is not installed beside brake, so the command cannot be confined (it was not run)"
        }
        let argv = [hook, "contain"] + profile.arguments + ["--"] + command
        var cargs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        execv(hook, &cargs)
        return "\(hook) cannot be run (\(String(cString: strerror(errno)))); the command was not run"
    }
}
