/// `make deploy` and `npm run reset`: the recipe or script they run comes from a file of the project (the
/// Makefile, package.json), which the host reads at decision time. What it runs is judged like the command itself.
extension Analyzer {
    func runTaskFile(program: String, args: [Field], idx: Int, site: ExecSite) {
        guard site.remote == nil, !site.container, !args.contains(where: \.dynamic) else { return }
        let words = args.map(\.text)
        switch program {
        case "make", "gmake":
            var dir = state.cwd ?? context.cwd
            var file: String?
            var targets: [String] = []
            var i = 0
            while i < words.count {
                let w = words[i]
                if (w == "-C" || w == "--directory") && i + 1 < words.count {
                    dir = Paths.normalize(w.hasPrefix("/") ? words[i + 1] : dir + "/" + words[i + 1])
                    i += 2
                    continue
                }
                if (w == "-f" || w == "--file" || w == "--makefile") && i + 1 < words.count {
                    file = words[i + 1]
                    i += 2
                    continue
                }
                if w.hasPrefix("--directory=") { dir = Paths.normalize(dir + "/" + w.dropFirst(12)) }
                if w.hasPrefix("--file=") { file = String(w.dropFirst(7)) }
                if !w.hasPrefix("-") && !w.contains("=") { targets.append(w) }
                i += 1
            }
            let candidates =
                file.map { [$0.hasPrefix("/") ? $0 : dir + "/" + $0] }
                ?? ["GNUmakefile", "makefile", "Makefile"].map { dir + "/" + $0 }
            guard
                let path = candidates.first(where: { context.scripts[$0] != nil || context.scriptProblems[$0] != nil })
            else {
                for c in candidates where !result.wantedFiles.contains(c) { result.wantedFiles.append(c) }
                return
            }
            if let why = context.scriptProblems[path] {
                addEffect("exec.unread-script", attrs: ["path": .string(path)], invocation: idx, detail: "make: \(why)")
                return
            }
            let recipes = Makefile(context.scripts[path] ?? "", directory: dir).recipes(for: targets)
            if !recipes.isEmpty {
                _ = analyzeFileText(recipes, site: via(site, "make"), origin: "make \(targets.joined(separator: " "))")
            }
        case "npm", "yarn", "pnpm", "bun":
            var name: String?
            if let first = words.first {
                if ["run", "run-script"].contains(first) {
                    name = words.dropFirst().first { !$0.hasPrefix("-") }
                } else if ["test", "start", "stop", "restart"].contains(first) {
                    name = first
                } else if program != "npm" && program != "bun" && !first.hasPrefix("-") {
                    name = first  // `yarn build`, `pnpm lint`: a script when package.json has one
                }
            }
            guard let script = name else { return }
            let path = (state.cwd ?? context.cwd) + "/package.json"
            if context.scriptProblems[path] != nil {
                addEffect(
                    "exec.unread-script",
                    attrs: ["path": .string(path)],
                    invocation: idx,
                    detail: "\(program) run: package.json could not be read"
                )
                return
            }
            guard let text = context.scripts[path] else {
                if !result.wantedFiles.contains(path) { result.wantedFiles.append(path) }
                return
            }
            guard let json = try? JSONValue.parse(text), case .object(let scripts)? = json["scripts"] else { return }
            let table = Dictionary(scripts.map { ($0.0, $0.1.stringValue ?? "") }, uniquingKeysWith: { a, _ in a })
            let chain = ["pre" + script, script, "post" + script].compactMap { table[$0] }.filter { !$0.isEmpty }
            if !chain.isEmpty {
                _ = analyzeFileText(
                    chain.joined(separator: "\n"),
                    site: via(site, program),
                    origin: "\(program) run \(script)"
                )
            }
        case "just":
            // justfile recipes: `name args:` then indented lines (`@` quiets a line).
            let dir = state.cwd ?? context.cwd
            let candidates = ["justfile", "Justfile", ".justfile"].map { dir + "/" + $0 }
            guard let path = candidates.first(where: { context.scripts[$0] != nil }) else {
                if !candidates.contains(where: { context.scriptProblems[$0] != nil }) {
                    for c in candidates where !result.wantedFiles.contains(c) { result.wantedFiles.append(c) }
                }
                return
            }
            let recipe = words.first { !$0.hasPrefix("-") && !$0.contains("=") }
            let lines = Justfile.recipe(context.scripts[path] ?? "", named: recipe)
            if !lines.isEmpty {
                _ = analyzeFileText(lines, site: via(site, "just"), origin: "just \(recipe ?? "")")
            }
        default:
            runProjectTask(program: program, args: args, idx: idx, site: site)
        }
    }
}

/// Enough of a justfile to know what a recipe runs: its body and its dependencies' bodies.
enum Justfile {
    static func recipe(_ text: String, named: String?, depth: Int = 0) -> String {
        var bodies: [String: (deps: [String], lines: [String])] = [:]
        var first: String?
        var current: String?
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if raw.hasPrefix(" ") || raw.hasPrefix("\t") {
                if let c = current, !raw.trimmingSpaces.isEmpty {
                    var line = Substring(raw.trimmingSpaces)
                    while line.first == "@" || line.first == "-" { line = line.dropFirst() }
                    bodies[c]?.lines.append(String(line))
                }
                continue
            }
            current = nil
            let line = raw.trimmingSpaces
            guard !line.isEmpty, !line.hasPrefix("#"), !line.hasPrefix("set "), !line.hasPrefix("export "),
                !line.hasPrefix("alias "), let colon = line.firstIndex(of: ":"), !line.contains(":=")
            else { continue }
            let head = line[..<colon].split(separator: " ")
            guard var name = head.first.map(String.init) else { continue }
            if name.hasPrefix("@") { name.removeFirst() }
            let deps = line[line.index(after: colon)...].split(separator: " ").map(String.init)
            bodies[name] = ([], [])
            bodies[name]?.deps = deps
            if first == nil { first = name }
            current = name
        }
        guard let target = named ?? first else { return "" }
        var out: [String] = []
        var seen: Set<String> = []
        func visit(_ n: String, _ d: Int) {
            guard d < 16, seen.insert(n).inserted, let b = bodies[n] else { return }
            for dep in b.deps { visit(dep, d + 1) }
            out += b.lines
        }
        visit(target, 0)
        return out.joined(separator: "\n")
    }
}

/// Enough of a Makefile to know what a target runs: rules, their prerequisites and recipes, simple variables.
struct Makefile {
    var rules: [String: (prerequisites: [String], recipe: [String])] = [:]
    var order: [String] = []
    var variables: [String: String] = [:]

    init(_ text: String, directory: String) {
        variables = ["MAKE": "make", "RM": "rm -f", "CURDIR": directory, "SHELL": "/bin/sh", "MAKEFLAGS": ""]
        var lines: [String] = []
        var pending = ""
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if raw.hasSuffix("\\") {
                pending += raw.dropLast() + " "
                continue
            }
            lines.append(pending + raw)
            pending = ""
        }
        var current: [String] = []
        for line in lines.prefix(20_000) {
            if line.hasPrefix("\t") {
                for t in current { rules[t]?.recipe.append(String(line.dropFirst())) }
                continue
            }
            let trimmed = line.drop { $0 == " " }
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            if let r = trimmed.firstRange(of: "="),
                !trimmed[..<r.lowerBound].contains(":")
                    || trimmed[..<r.lowerBound].hasSuffix(":") || trimmed[..<r.lowerBound].hasSuffix("?")
                    || trimmed[..<r.lowerBound].hasSuffix("+")
            {
                var name = String(trimmed[..<r.lowerBound])
                let append = name.hasSuffix("+")
                while let c = name.last, ":?+ ".contains(c) { name.removeLast() }
                let value = String(trimmed[r.upperBound...]).trimmingSpaces
                variables[name] = append ? (variables[name].map { $0 + " " } ?? "") + value : value
                current = []
                continue
            }
            if let colon = trimmed.firstIndex(of: ":") {
                let targets = trimmed[..<colon].split(separator: " ").map(String.init)
                var rest = trimmed[trimmed.index(after: colon)...]
                if rest.hasPrefix(":") { rest = rest.dropFirst() }
                var inline: String?
                if let semi = rest.firstIndex(of: ";") {
                    inline = String(rest[rest.index(after: semi)...])
                    rest = rest[..<semi]
                }
                let prerequisites = rest.split(separator: " ").map(String.init)
                current = targets
                for t in targets {
                    if rules[t] == nil {
                        rules[t] = ([], [])
                        order.append(t)
                    }
                    rules[t]!.prerequisites += prerequisites
                    if let inline { rules[t]!.recipe.append(inline) }
                }
            }
        }
    }

    /// The shell lines `make TARGETS` runs (prerequisites first), with make's variables expanded.
    func recipes(for targets: [String]) -> String {
        let goals = targets.isEmpty ? Array(order.first { !$0.hasPrefix(".") }.map { [$0] } ?? []) : targets
        var out: [String] = []
        var done: Set<String> = []
        func visit(_ t: String, depth: Int) {
            guard depth < 16, done.insert(t).inserted, let rule = rules[t] else { return }
            let prerequisites = rule.prerequisites.flatMap {
                expand($0, target: t, prerequisites: []).split(separator: " ").map(String.init)
            }
            for p in prerequisites { visit(p, depth: depth + 1) }
            for line in rule.recipe {
                var l = Substring(line)
                while let c = l.first, c == "@" || c == "-" || c == "+" || c == " " { l = l.dropFirst() }
                out.append(expand(String(l), target: t, prerequisites: prerequisites))
            }
        }
        for g in goals { visit(g, depth: 0) }
        return out.joined(separator: "\n")
    }

    func expand(_ line: String, target: String, prerequisites: [String], depth: Int = 0) -> String {
        var out = ""
        var chars = Substring(line)
        while let c = chars.first {
            chars = chars.dropFirst()
            guard c == "$", let n = chars.first else {
                out.append(c)
                continue
            }
            chars = chars.dropFirst()
            switch n {
            case "$": out.append("$")
            case "@": out += target
            case "<": out += prerequisites.first ?? ""
            case "^": out += prerequisites.joined(separator: " ")
            case "(", "{":
                let close: Character = n == "(" ? ")" : "}"
                guard let end = chars.firstIndex(of: close) else {
                    out += "$\(n)"
                    continue
                }
                let name = String(chars[..<end])
                chars = chars[chars.index(after: end)...]
                if let v = variables[name], depth < 8 {
                    out += expand(v, target: target, prerequisites: prerequisites, depth: depth + 1)
                } else {
                    // A make function or an unknown variable: a value only known when make runs.
                    out += "${MAKE_\(name.filter { $0.isLetter || $0.isNumber || $0 == "_" }.prefix(20))}"
                }
            default:
                out += variables[String(n)] ?? "${MAKE_\(n)}"
            }
        }
        return out
    }
}
