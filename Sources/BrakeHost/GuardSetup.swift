import BrakeClient
import BrakeCore
import BrakeGuard

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What every entry point shares to build its guard flow: the local ledger, the control link, the clock.
package enum GuardSetup {
    /// The flow for this process, with the repositories of the places an action touches read from disk.
    /// `control` is the link loaded earlier (`ServerControl.load`), when the caller opened it ahead of time.
    package static func flow(
        policy: Policy,
        store: LocalStore,
        env: [String: String],
        wait: Double?,
        control preloaded: ServerControl?? = nil,
        files: AgentFiles = .own
    ) -> GuardFlow<LocalStore> {
        let control = preloaded ?? ServerControl.load(env: env, store: store)
        var problem: String?
        if control == nil {
            problem =
                "the server settings are incomplete (BRAKE_SERVER without BRAKE_TOKEN, or a damaged \(store.home)/server.json)"
        }
        return GuardFlow(
            policy: policy,
            ledger: store,
            link: control ?? nil,
            linkProblem: problem,
            clock: SystemClock(),
            wait: ServerControl.wait(env: env, override: wait),
            repositoriesOf: { places in
                files.read {
                    var out: [String] = []
                    var roots: Set<String> = []  // the project and the places an action touches: mostly one root
                    for p in places {
                        var dir = p
                        while !dir.isEmpty, dir != "/", !Loader.isDirectory(dir) { dir = Paths.dirname(dir) }
                        let root = Loader.projectRoot(from: dir)
                        guard roots.insert(root ?? "").inserted else { continue }
                        for r in RepositoryName.all(projectRoot: root) where !out.contains(r) { out.append(r) }
                    }
                    return out
                }
            },
            linksOf: { places in files.read { Links.resolve(places) } },
            planDigestOf: { path in
                files.read {
                    guard Loader.exists(path), let bytes = try? Loader.bytes(path) else { return nil }
                    return Engine.hexDigest(bytes: bytes)
                }
            },
            scriptsOf: { context, wanted in ScriptFiles.add(wanted, to: &context, files: files) },
            checkpoint: { request, judgement in
                let kept = CheckpointStore(home: store.home, settings: policy.settings.checkpoints)
                    .capture(
                        judgement.checkpoint,
                        request: request,
                        summary: judgement.summary,
                        files: files,
                        env: env,
                        build: policy.settings.buildDirectories
                    )
                guard let kept else { return }
                try? store.append([kept.auditRecord(digest: judgement.digest)])
                if let link = control ?? nil { link.sendCheckpoint(kept) }
            },
            settle: { session in CheckpointStore(home: store.home).settle(session: session, files: files, env: env) }
        )
    }

    /// Why this process may not judge with its own local state: on a local system install the state is the
    /// guard service's (root), and what sits in the agent's home could have been written by the agent.
    package static func inProcessProblem(env: [String: String], what: String) -> String? {
        guard SystemConfig.localOnly(env), geteuid() != 0 else { return nil }
        return
            "this machine has a local system install, whose state only the guard service keeps, and \(what) cannot use it from this account; start the service as root (`brake daemon`) and hook the agent with `brake-hook`"
    }

    /// The context of an action on this machine, with its targets resolved from files.
    package static func context(cwd: String, env: [String: String], actor: Actor = .agent) -> Context {
        var context = Context(
            cwd: cwd,
            home: env["HOME"] ?? "/",
            projectRoot: Loader.projectRoot(from: cwd),
            env: env,
            actor: actor,
            user: env["USER"]
        )
        context.env["PWD"] = nil
        Targets.resolve(&context, env: env)
        return context
    }

}

/// Symbolic links on the way to the places an action touches, resolved on the file system now.
package enum Links {
    /// For each place whose directory or itself leads elsewhere: the real path of its directory joined with its
    /// name (what unlink, rename and create touch) and, when it exists, its own real path (what open follows).
    package static func resolve(_ places: [String]) -> [String: [String]] {
        var out: [String: [String]] = [:]
        for p in places where p.hasPrefix("/") && p != "/" {
            var aliases: [String] = []
            let dir = Paths.dirname(p)
            let name = String(p[p.index(after: p.lastIndex(of: "/")!)...])
            // The nearest existing ancestor, resolved, with the rest of the path appended.
            var existing = dir
            var tail: [String] = [name]
            while existing != "/" && !Loader.exists(existing) {
                tail.insert(String(existing[existing.index(after: existing.lastIndex(of: "/")!)...]), at: 0)
                existing = Paths.dirname(existing)
            }
            let realDir = Loader.realPath(existing)
            let viaParent = (realDir == "/" ? "" : realDir) + "/" + tail.joined(separator: "/")
            if viaParent != p { aliases.append(viaParent) }
            if Loader.exists(p) {
                let full = Loader.realPath(p)
                if full != p && !aliases.contains(full) { aliases.append(full) }
            }
            if !aliases.isEmpty { out[p] = aliases }
        }
        return out
    }
}

package struct SystemClock: GuardClock {
    package init() {}
    package func now() -> Int { Int(time(nil)) }
    package func newID() -> String { LocalStore.newID() }
}

/// The repository an action happens in, as stop orders name it: the origin remote without scheme, user
/// and `.git` (github.com/org/repo), or the project's path when it has no remote.
package enum RepositoryName {
    package static func of(projectRoot: String?) -> String? { all(projectRoot: projectRoot).first }

    /// Every name the origin remote goes by, the first being its `url` (the name above), then any `pushurl` — a
    /// push goes where the pushurl says, so an action is judged as touching each (a rule or observe mode scoped
    /// to one repository cannot be had by naming another as the url). One read of the configuration: this is on
    /// the hook's path.
    package static func all(projectRoot: String?) -> [String] {
        guard let root = projectRoot else { return [] }
        guard let config = try? Loader.readFile(root + "/.git/config") else { return [root] }
        var urls: [String] = []
        var pushurls: [String] = []
        var inOrigin = false
        for raw in config.split(separator: "\n") {
            let line = raw.trimmingCharacters
            if line.hasPrefix("[") {
                inOrigin = line == "[remote \"origin\"]"
            } else if inOrigin, let eq = line.firstIndex(of: "=") {
                let key = line[..<eq].trimmingCharacters
                let name = normalize(String(line[line.index(after: eq)...]).trimmingCharacters)
                if key == "url", !urls.contains(name) { urls.append(name) }
                if key == "pushurl", !pushurls.contains(name) { pushurls.append(name) }
            }
        }
        var out = urls.isEmpty ? [root] : urls
        for p in pushurls where !out.contains(p) { out.append(p) }
        return out
    }

    package static func normalize(_ url: String) -> String {
        var s = Substring(url)
        if let r = s.firstRange(of: "://") { s = s[r.upperBound...] }
        if let at = s.firstIndex(of: "@"), !s[..<at].contains("/") { s = s[s.index(after: at)...] }
        var out = String(s)
        if !url.contains("://"), let colon = out.firstIndex(of: ":") {
            out.replaceSubrange(colon...colon, with: "/")
        }
        if out.hasSuffix(".git") { out.removeLast(4) }
        while out.hasSuffix("/") { out.removeLast() }
        return out
    }
}

extension Substring {
    package var trimmingCharacters: String {
        var s = self
        while let c = s.first, c == " " || c == "\t" || c == "\r" { s = s.dropFirst() }
        while let c = s.last, c == " " || c == "\t" || c == "\r" { s = s.dropLast() }
        return String(s)
    }
}

extension String {
    package var trimmingCharacters: String { Substring(self).trimmingCharacters }
}
