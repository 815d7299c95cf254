import Yams

/// The people of a team file for `brake users import`: CSV with a header naming `name`, `role` and optionally
/// `email` (any order, quoted fields allowed), or YAML (a list of `{name, role, email}`). Every row is checked
/// before anything is used; an error names the line.
public enum TeamFile {
    public struct Person: Sendable, Equatable {
        public var name: String
        public var role: String
        public var email: String
        public var line: Int

        public init(name: String, role: String, email: String, line: Int) {
            self.name = name
            self.role = role
            self.email = email
            self.line = line
        }
    }

    public static func parse(_ text: String, yaml: Bool, source: String) throws(PolicyError) -> [Person] {
        let people = yaml ? try fromYAML(text, source: source) : try fromCSV(text, source: source)
        var seen: [String: Int] = [:]
        for p in people {
            if let first = seen[p.name] {
                throw PolicyError(
                    source: source,
                    message: "line \(p.line): \(p.name) is listed already on line \(first)"
                )
            }
            seen[p.name] = p.line
        }
        if people.isEmpty { throw PolicyError(source: source, message: "no people in the file") }
        return people
    }

    static func fromYAML(_ text: String, source: String) throws(PolicyError) -> [Person] {
        let node: Node?
        do { node = try Yams.compose(yaml: text, .basic) } catch {
            throw PolicyError(source: source, message: "not valid YAML: \(error)")
        }
        guard case .sequence(let seq)? = node else {
            throw PolicyError(
                source: source,
                message: "expected a list of people: - {name: alice, role: senior, email: …}"
            )
        }
        let r = YAMLReader(source: source)
        var out: [Person] = []
        for item in seq {
            var p = Person(name: "", role: "", email: "", line: (item.mark?.line ?? 0))
            for (key, _, v) in try r.mapping(item, "a person", allowed: ["name", "role", "email"]) {
                switch key {
                case "name": p.name = try r.string(v, "name")
                case "role": p.role = try r.string(v, "role")
                default: p.email = try r.string(v, "email")
                }
            }
            guard !p.name.isEmpty, !p.role.isEmpty else { throw r.error(item, "a person needs name and role") }
            out.append(p)
        }
        return out
    }

    static func fromCSV(_ text: String, source: String) throws(PolicyError) -> [Person] {
        var lines: [(Int, [String])] = []
        // "\r\n" is one Character in Swift: split on every kind of line end.
        for (i, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = String(raw)
            if line.trimmingSpaces.isEmpty || line.hasPrefix("#") { continue }
            lines.append((i + 1, try fields(line, line: i + 1, source: source)))
        }
        guard let (_, header) = lines.first else { return [] }
        let names = header.map { $0.trimmingSpaces.lowercased() }
        guard let ni = names.firstIndex(of: "name"), let ri = names.firstIndex(of: "role") else {
            throw PolicyError(
                source: source,
                message: "line \(lines[0].0): the first line must name the columns, e.g. name,role,email"
            )
        }
        let ei = names.firstIndex(of: "email") ?? names.firstIndex(of: "e-mail")
        var out: [Person] = []
        for (n, f) in lines.dropFirst() {
            guard f.count == names.count else {
                throw PolicyError(
                    source: source,
                    message: "line \(n): \(f.count) fields, the header has \(names.count)"
                )
            }
            let p = Person(
                name: f[ni].trimmingSpaces,
                role: f[ri].trimmingSpaces,
                email: ei.map { f[$0].trimmingSpaces } ?? "",
                line: n
            )
            guard !p.name.isEmpty, !p.role.isEmpty else {
                throw PolicyError(source: source, message: "line \(n): name and role must not be empty")
            }
            out.append(p)
        }
        return out
    }

    /// One CSV line's fields (RFC 4180 quoting; a quoted field holds commas and doubled quotes).
    static func fields(_ line: String, line n: Int, source: String) throws(PolicyError) -> [String] {
        var out: [String] = []
        var cur = ""
        var quoted = false
        var chars = Array(line)[...]
        while let c = chars.popFirst() {
            if quoted {
                if c == "\"" {
                    if chars.first == "\"" {
                        cur.append("\"")
                        chars = chars.dropFirst()
                    } else {
                        quoted = false
                    }
                } else {
                    cur.append(c)
                }
            } else if c == "\"" && cur.trimmingSpaces.isEmpty {
                cur = ""
                quoted = true
            } else if c == "," {
                out.append(cur)
                cur = ""
            } else {
                cur.append(c)
            }
        }
        if quoted { throw PolicyError(source: source, message: "line \(n): a quoted field is not closed") }
        out.append(cur)
        return out
    }
}
