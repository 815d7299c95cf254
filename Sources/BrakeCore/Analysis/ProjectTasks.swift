import Yams

/// More project files that say what a command runs, read from disk at decision time like Makefiles: go-task's
/// Taskfile, the scripts of `pyproject.toml` (PDM, Hatch, Rye, Poe the Poet), tox environments, nox sessions and
/// the git hooks a git command runs. Each is judged like the command itself; a file that could not be read is
/// asked about; a file that is not there runs nothing.
extension Analyzer {
    /// The text of a project file, or nil after asking the host for it (or when it does not exist).
    func projectFile(_ path: String, idx: Int, what: String) -> String? {
        if let why = context.scriptProblems[path] {
            addEffect("exec.unread-script", attrs: ["path": .string(path)], invocation: idx, detail: "\(what): \(why)")
            return nil
        }
        guard let text = context.scripts[path] else {
            if !result.wantedFiles.contains(path) { result.wantedFiles.append(path) }
            return nil
        }
        return text
    }

    func runProjectTask(program: String, args: [Field], idx: Int, site: ExecSite) {
        let words = args.map(\.text)
        let dir = state.cwd ?? context.cwd
        switch program {
        case "task", "go-task":
            let candidates = ["Taskfile.yml", "Taskfile.yaml", "taskfile.yml", "taskfile.yaml"].map { dir + "/" + $0 }
            guard
                let path = candidates.first(where: { context.scripts[$0] != nil || context.scriptProblems[$0] != nil })
            else {
                for c in candidates where !result.wantedFiles.contains(c) { result.wantedFiles.append(c) }
                return
            }
            guard let text = projectFile(path, idx: idx, what: "task") else { return }
            var names = words.filter { !$0.hasPrefix("-") && !$0.contains("=") }
            if names.isEmpty { names = ["default"] }
            let lines = Taskfile.commands(text, tasks: names)
            if !lines.isEmpty {
                _ = analyzeFileText(lines, site: via(site, "task"), origin: "task \(names.joined(separator: " "))")
            }
        case "tox":
            guard let text = projectFile(dir + "/tox.ini", idx: idx, what: "tox") else { return }
            var envs: [String] = []
            for (i, w) in words.enumerated() where (w == "-e" || w == "--env") && i + 1 < words.count {
                envs += words[i + 1].split(separator: ",").map(String.init)
            }
            let lines = Tox.commands(text, envs: envs)
            if !lines.isEmpty { _ = analyzeFileText(lines, site: via(site, "tox"), origin: "tox") }
        case "nox":
            guard let text = projectFile(dir + "/noxfile.py", idx: idx, what: "nox") else { return }
            let lines = Nox.commands(text)
            if !lines.isEmpty { _ = analyzeFileText(lines, site: via(site, "nox"), origin: "nox") }
            scanInterpreter(program: "python", args: [Field("-c"), Field(text)], idx: idx, site: site, stdin: nil)
        case "poe":
            guard let name = words.first(where: { !$0.hasPrefix("-") }),
                let text = projectFile(dir + "/pyproject.toml", idx: idx, what: "poe")
            else { return }
            if let cmd = PyProject.script(text, tables: ["tool.poe.tasks"], name: name) {
                _ = analyzeFileText(cmd, site: via(site, "poe"), origin: "poe \(name)")
            }
        case "git":
            let (sub, at) = gitSubcommand(args)
            guard let sub else { return }
            runGitHooks(sub: sub, words: args[(at + 1)...].map(\.text), idx: idx, site: site)
        default:
            return
        }
    }

    /// A `pyproject.toml` script run by `pdm run NAME`, `hatch run NAME`, `rye run NAME`: its command text, or nil
    /// when NAME is not a script there (then it is a program, run as such).
    func pyprojectScript(tool: String, name: String, idx: Int) -> String? {
        let tables: [String]
        switch tool {
        case "pdm": tables = ["tool.pdm.scripts"]
        case "hatch": tables = ["tool.hatch.envs.default.scripts"]
        case "rye": tables = ["tool.rye.scripts"]
        default: return nil
        }
        let path = (state.cwd ?? context.cwd) + "/pyproject.toml"
        guard let text = projectFile(path, idx: idx, what: "\(tool) run") else { return nil }
        return PyProject.script(text, tables: tables, name: name)
    }

    /// The hooks a git command runs (`.git/hooks/…`, or `core.hooksPath`), unless told not to.
    func runGitHooks(sub: String, words: [String], idx: Int, site: ExecSite) {
        let hooks: [String]
        switch sub {
        case "commit": hooks = ["pre-commit", "prepare-commit-msg", "commit-msg", "post-commit"]
        case "merge", "pull": hooks = ["pre-merge-commit", "post-merge"]
        case "push": hooks = ["pre-push"]
        case "checkout", "switch": hooks = ["post-checkout"]
        case "rebase": hooks = ["pre-rebase", "post-rewrite"]
        case "am": hooks = ["applypatch-msg", "pre-applypatch", "post-applypatch"]
        default: return
        }
        if words.contains("--no-verify") || sub == "commit" && words.contains("-n") { return }
        let root = context.project
        var hooksDir = root + "/.git/hooks"
        // `core.hooksPath` (husky, lefthook and shared hook directories set it).
        if let config = context.scripts[root + "/.git/config"] {
            for raw in config.split(separator: "\n") {
                let line = raw.trimmingSpaces.lowercased()
                guard line.hasPrefix("hookspath") else { continue }
                let parts = raw.split(separator: "=", maxSplits: 1)
                guard parts.count == 2 else { continue }
                let value = String(parts[1]).trimmingSpaces
                hooksDir = value.hasPrefix("/") ? value : root + "/" + value
            }
        } else if context.scriptProblems[root + "/.git/config"] == nil {
            if !result.wantedFiles.contains(root + "/.git/config") { result.wantedFiles.append(root + "/.git/config") }
        }
        for hook in hooks {
            _ = runFileFromDisk(
                Paths.normalize(hooksDir + "/" + hook),
                positional: [],
                site: via(site, "git " + sub),
                invocation: idx,
                origin: "git hook \(hook)"
            )
        }
    }
}

/// go-task's Taskfile: each task's `cmds` (strings, `cmd:` entries) and its `deps` and `task:` calls, in order.
enum Taskfile {
    static func commands(_ text: String, tasks names: [String]) -> String {
        guard let node = try? Yams.compose(yaml: text), let tasks = node["tasks"]?.mapping else { return "" }
        var out: [String] = []
        var seen: Set<String> = []
        func visit(_ name: String, _ depth: Int) {
            guard depth < 16, seen.insert(name).inserted, let task = tasks[Node(name)] else { return }
            if let s = task.string {
                out.append(s)  // `build: go build ./...`: the short form
                return
            }
            for d in task["deps"]?.sequence ?? [] {
                if let n = d.string ?? d["task"]?.string { visit(n, depth + 1) }
            }
            for c in task["cmds"]?.sequence ?? [] {
                if let s = c.string {
                    out.append(s)
                } else if let s = c["cmd"]?.string {
                    out.append(s)
                } else if let n = c["task"]?.string {
                    visit(n, depth + 1)
                }
            }
            if let s = task["cmd"]?.string { out.append(s) }
        }
        for n in names { visit(n, 0) }
        return out.joined(separator: "\n")
    }
}

/// Enough TOML for the script tables of `pyproject.toml`: `name = "cmd"`, `name = ["a", "b"]` (a sequence),
/// `name = {cmd = "…"}` / `{shell = "…"}` / `{composite = [...]}`, and `[table.name]` with `cmd`/`shell` keys.
enum PyProject {
    static func script(_ text: String, tables: [String], name: String) -> String? {
        var section = ""
        var sub: [String: String] = [:]
        for raw in text.split(separator: "\n") {
            let line = raw.trimmingSpaces
            if line.hasPrefix("[") {
                section = String(line.dropFirst().prefix { $0 != "]" }).trimmingSpaces
                continue
            }
            guard let eq = line.firstIndex(of: "=") else { continue }
            let key = unquote(String(line[..<eq]).trimmingSpaces)
            let value = String(line[line.index(after: eq)...]).trimmingSpaces
            for t in tables {
                if section == t && key == name { return render(value) }
                if section == t + "." + name && ["cmd", "shell", "call", "composite", "sequence"].contains(key) {
                    sub[key] = value
                }
            }
        }
        for k in ["shell", "cmd", "composite", "sequence"] { if let v = sub[k] { return render(v) } }
        return nil
    }

    /// The command text of a TOML value: a string, a list of strings (one per line), or an inline table's
    /// `cmd`/`shell`/`composite`.
    static func render(_ value: String) -> String {
        var v = value
        if v.hasPrefix("{") {
            for k in ["shell", "cmd", "composite", "sequence"] {
                if let r = v.firstRange(of: k + " = ") ?? v.firstRange(of: k + "=") {
                    v = String(v[r.upperBound...])
                    break
                }
            }
        }
        return strings(v).joined(separator: "\n")
    }

    /// The string literals of a TOML value, in order.
    static func strings(_ v: String) -> [String] {
        var out: [String] = []
        var cur = ""
        var quote: Character?
        for ch in v {
            if let q = quote {
                if ch == q {
                    out.append(cur)
                    cur = ""
                    quote = nil
                } else {
                    cur.append(ch)
                }
            } else if ch == "\"" || ch == "'" {
                quote = ch
            } else if ch == "}" && !out.isEmpty {
                break
            }
        }
        return out
    }

    static func unquote(_ s: String) -> String {
        if s.count >= 2, let f = s.first, f == "\"" || f == "'", s.last == f { return String(s.dropFirst().dropLast()) }
        return s
    }
}

/// tox.ini: the `commands` (and `commands_pre`, `commands_post`) of the chosen environments, with `[testenv]`'s
/// as the base; continuation lines are indented.
enum Tox {
    static func commands(_ text: String, envs: [String]) -> String {
        var sections: [String: [String: [String]]] = [:]
        var section = ""
        var key: String?
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.trimmingSpaces
            if line.hasPrefix("[") {
                section = String(line.dropFirst().prefix { $0 != "]" })
                key = nil
                continue
            }
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if raw.first == " " || raw.first == "\t", let k = key {
                sections[section, default: [:]][k, default: []].append(line)
                continue
            }
            guard let eq = line.firstIndex(of: "=") else { continue }
            let k = String(line[..<eq]).trimmingSpaces
            key = k
            let v = String(line[line.index(after: eq)...]).trimmingSpaces
            sections[section, default: [:]][k] = v.isEmpty ? [] : [v]
        }
        // Without -e, tox runs `[tox] envlist` (each env's own section, else the base `[testenv]`).
        let listed = (sections["tox"]?["envlist"] ?? []).flatMap { $0.split(separator: ",") }.map {
            String($0).trimmingSpaces
        }
        let chosen = (envs.isEmpty ? listed : envs).filter { !$0.isEmpty }.map { "testenv:" + $0 }
        var out: [String] = []
        for env in chosen.isEmpty ? ["testenv"] : chosen {
            let own = sections[env] ?? [:]
            let base = sections["testenv"] ?? [:]
            for k in ["commands_pre", "commands", "commands_post"] {
                out += (own[k] ?? base[k] ?? []).map { $0.hasPrefix("-") ? String($0.dropFirst()) : $0 }
            }
        }
        return out.joined(separator: "\n")
    }
}

/// noxfile.py: the literal arguments of `session.run(...)` calls, as command lines.
enum Nox {
    static func commands(_ text: String) -> String {
        var out: [String] = []
        var rest = Substring(text)
        while let r = rest.firstRange(of: "session.run(") ?? rest.firstRange(of: "session.run_always(") {
            let after = rest[r.upperBound...]
            let call = after.prefix { $0 != ")" }
            let words = PyProject.strings(String(call))
            if !words.isEmpty {
                out.append(words.map { $0.contains(" ") ? "'" + $0 + "'" : $0 }.joined(separator: " "))
            }
            rest = after.dropFirst(call.count)
        }
        return out.joined(separator: "\n")
    }
}
