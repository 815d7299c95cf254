import Crypto
import Yams

/// One commit, as the gate sees it.
public struct CommitInfo: Sendable, Equatable {
    public var sha: String
    public var tree: String
    public var authorName: String
    public var authorEmail: String
    public var committerName: String
    public var committerEmail: String
    public var message: String
    public var paths: [String]
    /// True when a git-ai note (`refs/notes/ai`) is attached.
    public var aiNote: Bool
    /// The roster person (first e-mail) whose registered signing key made a good signature on this commit, as
    /// `git verify-commit` checks it against the base roster's keys; nil when unsigned or not so signed.
    public var signedBy: String?
    /// Each added or changed file's new blob id, and how many lines the commit adds to it.
    public var blobs: [String: String] = [:]
    public var addedLines: [String: Int] = [:]

    public init(
        sha: String,
        tree: String,
        authorName: String,
        authorEmail: String,
        committerName: String,
        committerEmail: String,
        message: String,
        paths: [String],
        aiNote: Bool = false
    ) {
        self.sha = sha
        self.tree = tree
        self.authorName = authorName
        self.authorEmail = authorEmail
        self.committerName = committerName
        self.committerEmail = committerEmail
        self.message = message
        self.paths = paths
        self.aiNote = aiNote
    }

    /// `Co-authored-by` identities: (name, e-mail).
    public var coAuthors: [(String, String)] {
        message.split(separator: "\n").compactMap { line in
            let l = line.trimmingSpaces
            guard l.lowercased().hasPrefix("co-authored-by:") else { return nil }
            let rest = l.dropFirst("co-authored-by:".count).trimmingSpaces
            guard let lt = rest.firstIndex(of: "<"), let gt = rest.lastIndex(of: ">"), lt < gt else {
                return (rest, "")
            }
            return (String(rest[..<lt]).trimmingSpaces, String(rest[rest.index(after: lt)..<gt]).lowercased())
        }
    }
}

/// Whether a commit was written with an AI agent, with the evidence.
public enum Provenance {
    public enum Kind: String, Sendable {
        case aiAssisted = "ai-assisted"
        case human
        case unknown
    }

    static let agentEmails = [
        "noreply@anthropic.com", "noreply@openai.com", "cursoragent@cursor.com", "noreply@aider.chat",
        "openhands@all-hands.dev", "copilot@github.com", "198982749+copilot@users.noreply.github.com",
        "noreply@google.com", "gemini-code-assist@google.com", "kiro@amazon.com", "amazon-q@amazon.com",
        "devin-ai-integration[bot]@users.noreply.github.com", "noreply@cognition.ai", "noreply@windsurf.com",
        "noreply@codeium.com", "noreply@sourcegraph.com", "noreply@tabnine.com", "noreply@jules.google.com",
    ]
    static let agentNames = [
        "claude", "codex", "cursor", "copilot", "github copilot", "gemini", "kiro", "amazon q", "devin", "aider",
        "openhands", "windsurf", "cody", "jules", "cline", "roo", "continue", "tabnine", "codeium", "sweep",
    ]
    static let trailers = [
        "generated with", "generated-by:", "assisted-by:", "ai-assisted:", "co-developed-by:", "claude-session:",
        "made-with:", "x-ai-generated:",
    ]

    /// Classifies a commit; `patterns` are extra case-insensitive substrings of the message that mark AI use, and
    /// `work` what Brake's hooks recorded agents producing (a commit they made, content they wrote): the record
    /// counts whatever the message says.
    public static func classify(
        _ c: CommitInfo,
        patterns: [String] = [],
        botsAreHuman: Bool = false,
        work: AgentWork = AgentWork()
    ) -> (Kind, [String]) {
        var evidence: [String] = work.match(c)?.evidence ?? []
        for (name, email) in c.coAuthors {
            let n = name.lowercased()
            if agentEmails.contains(email) || agentNames.contains(where: { n == $0 || n.hasPrefix($0 + " ") }) {
                evidence.append("Co-authored-by: \(name) <\(email)>")
            }
        }
        let lower = c.message.lowercased()
        for line in lower.split(separator: "\n") {
            let l = line.trimmingSpaces.replacingAll("🤖", with: "").trimmingSpaces
            for t in trailers where l.hasPrefix(t) {
                if t == "generated with" && !agentNames.contains(where: { l.contains($0) }) && !l.contains("ai") {
                    continue
                }
                evidence.append(String(line.trimmingSpaces))
            }
            if l.hasPrefix("aider: ") { evidence.append("message starts with 'aider:'") }
        }
        if c.authorName.hasSuffix("(aider)") || c.committerName.hasSuffix("(aider)") {
            evidence.append("author or committer name ends in (aider)")
        }
        if agentEmails.contains(c.authorEmail.lowercased())
            || c.authorEmail.lowercased().contains("[bot]")
                && agentNames.contains(where: { c.authorEmail.lowercased().contains($0) })
        {
            evidence.append("authored by an agent account \(c.authorEmail)")
        }
        if c.aiNote { evidence.append("git-ai note in refs/notes/ai") }
        for p in patterns where !p.isEmpty && lower.contains(p.lowercased()) {
            evidence.append("configured marker '\(p)'")
        }
        if !evidence.isEmpty { return (.aiAssisted, evidence) }
        if c.authorEmail.lowercased().contains("[bot]") || c.authorName.lowercased().hasSuffix("[bot]") {
            return (botsAreHuman ? .human : .unknown, ["bot author \(c.authorName) <\(c.authorEmail)>"])
        }
        return (.human, [])
    }
}

// MARK: - Roster

/// People, their levels and keys, and path rules.
public struct Roster: Sendable {
    public struct Person: Sendable, Equatable {
        public var name: String
        public var emails: [String]
        public var aliases: [String]
        public var level: String
        public var teams: [String]
        /// Raw 32-byte Ed25519 public keys.
        public var keys: [[UInt8]]
        /// SSH public keys (`TYPE BASE64`) this person signs commits with.
        public var signingKeys: [String] = []
        /// Armored OpenPGP public keys this person signs commits with.
        public var pgpKeys: [String] = []
    }

    public struct PathRule: Sendable, Equatable {
        public var pattern: String
        public var owners: [String]
        public var risk: String
    }

    /// What sign-offs a change needs.
    public struct Requirements: Sendable, Equatable {
        /// Authors below this level need `aiApprovers` for AI-assisted changes.
        public var aiBelow = "senior"
        public var aiRole = "senior"
        public var aiCount = 1
        /// High-risk paths need this many approvers of this role, one of them an owner of the path.
        public var highRiskRole = "senior"
        public var highRiskCount = 2
        public var highRiskOwner = true
        /// How unknown provenance is treated: `ai-assisted` or `human`.
        public var unknownAs = "ai-assisted"
        /// Human changes by authors below this level need one approver of `humanRole` (`none`: no requirement).
        public var humanBelow = "none"
        public var humanRole = "senior"
        /// A sign-off carries over to a commit with an identical tree (a rebase without changes).
        public var carryOverIdenticalTree = false
        /// Extra message substrings that mark AI use.
        public var markers: [String] = []
        /// How long a sign-off stays valid, in seconds.
        public var maxAge = 30 * 86400
        /// The level an author's claim counts for when the commit is not signed with a key the roster lists for
        /// them (git's author is whatever the committer typed): the lowest by default.
        public var unverifiedAuthor = "junior"
    }

    public var people: [Person] = []
    public var paths: [PathRule] = []
    public var requirements = Requirements()
    /// Paths whose change always needs the high-risk sign-offs, whoever made it and however: the roster itself
    /// (set by the gate, not read from the file).
    public var guarded: [String] = []
    /// The control plane's public key (base64 Ed25519): agent records in git notes signed with it are marked as
    /// the control plane's own (a CI runner without the server checks them against the base branch's roster).
    public var controlPlaneKey: String?

    public static let levels = ["junior", "mid", "senior", "staff", "principal", "admin"]

    /// An empty roster (nobody, the default requirements).
    public init() {}

    public static func rank(_ level: String) -> Int { levels.firstIndex(of: level.lowercased()) ?? -1 }

    public func person(email: String) -> Person? {
        let e = email.lowercased()
        return people.first { $0.emails.contains(e) }
    }

    public func person(alias: String) -> Person? {
        let a = alias.lowercased()
        return people.first { $0.aliases.contains(a) || $0.emails.contains(a) || $0.name.lowercased() == a }
    }

    public func person(key: [UInt8]) -> Person? { people.first { $0.keys.contains(key) } }

    /// An SSH public key line reduced to `TYPE BASE64` (the comment dropped); nil when it is not one.
    public static func sshKey(_ line: String) -> String? {
        let parts = line.split(separator: " ", omittingEmptySubsequences: true)
        let types = [
            "ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
            "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com",
        ]
        guard parts.count >= 2, types.contains(String(parts[0])), let blob = Base64.decode(String(parts[1])),
            blob.count >= 19
        else { return nil }
        return "\(parts[0]) \(parts[1])"
    }

    /// git's `gpg.ssh.allowedSignersFile` for the roster's signing keys: one line per key, its principal the
    /// person's first e-mail (git then names that principal for a good signature).
    public var allowedSigners: String {
        people.flatMap { p in p.signingKeys.map { "\(p.emails[0]) namespaces=\"git\" \($0)\n" } }.joined()
    }

    /// The path rule with the highest risk that matches any of the paths.
    public func rules(for paths: [String]) -> [PathRule] {
        self.paths.filter { rule in paths.contains { Roster.pathMatches(rule.pattern, $0) } }
    }

    static func pathMatches(_ pattern: String, _ path: String) -> Bool {
        var p = pattern
        if p.hasPrefix("/") { p.removeFirst() }
        if p.hasSuffix("/") { p += "**" }
        if Glob.match(p, path) { return true }
        if !p.contains("/") { return Glob.match(p, Paths.basename(path)) }
        return false
    }

    /// Parses `team.yaml` strictly; errors name the file, line and column.
    public static func parse(yaml: String, source: String) throws(PolicyError) -> Roster {
        let node: Node?
        do { node = try Yams.compose(yaml: yaml, .basic) } catch {
            throw PolicyError(source: source, message: "not valid YAML: \(error)")
        }
        var roster = Roster()
        guard let root = node else { return roster }
        let r = YAMLReader(source: source)
        for (key, _, v) in try r.mapping(
            root,
            "the roster",
            allowed: ["version", "people", "paths", "requirements", "control_plane_key"]
        ) {
            switch key {
            case "control_plane_key":
                let k = try r.string(v, "control_plane_key")
                guard let bytes = Base64.decode(k), bytes.count == 32 else {
                    throw r.error(
                        v,
                        "control_plane_key must be the server's Ed25519 public key in base64 (`brake login` pins it; GET /v1/audit/public-key shows it)"
                    )
                }
                roster.controlPlaneKey = k
            case "version":
                guard try r.string(v, "version") == "1" else {
                    throw r.error(v, "unsupported roster version; this Brake reads version 1")
                }
            case "people":
                guard case .sequence(let seq) = v else { throw r.error(v, "people must be a list") }
                for p in seq {
                    var person = Person(name: "", emails: [], aliases: [], level: "", teams: [], keys: [])
                    for (pk, _, pv) in try r.mapping(
                        p,
                        "a person",
                        allowed: ["name", "emails", "aliases", "level", "teams", "keys", "signing_keys"]
                    ) {
                        switch pk {
                        case "name": person.name = try r.string(pv, "name")
                        case "emails": person.emails = try r.strings(pv, "emails").map { $0.lowercased() }
                        case "aliases": person.aliases = try r.strings(pv, "aliases").map { $0.lowercased() }
                        case "level":
                            person.level = try r.string(pv, "level").lowercased()
                            guard rank(person.level) >= 0 else {
                                throw r.error(pv, "level must be one of \(levels.joined(separator: ", "))")
                            }
                        case "teams": person.teams = try r.strings(pv, "teams")
                        case "signing_keys":
                            for k in try r.strings(pv, "signing_keys") {
                                if k.hasPrefix("-----BEGIN PGP PUBLIC KEY BLOCK-----") {
                                    guard k.contains("-----END PGP PUBLIC KEY BLOCK-----") else {
                                        throw r.error(pv, "an OpenPGP signing key must be a whole armored block")
                                    }
                                    person.pgpKeys.append(k)
                                    continue
                                }
                                guard let key = Roster.sshKey(k) else {
                                    throw r.error(
                                        pv,
                                        "a signing key must be an SSH public key line (ssh-ed25519 AAAA…, as in ~/.ssh/id_ed25519.pub; `brake keys ssh` prints it) or an armored OpenPGP public key (gpg --armor --export)"
                                    )
                                }
                                person.signingKeys.append(key)
                            }
                        default:
                            for k in try r.strings(pv, "keys") {
                                guard let key = Signoff.parsePublicKey(k) else {
                                    throw r.error(
                                        pv,
                                        "a key must look like ed25519:BASE64 (32 bytes), from `brake keys generate`"
                                    )
                                }
                                person.keys.append(key)
                            }
                        }
                    }
                    if person.name.isEmpty || person.emails.isEmpty || person.level.isEmpty {
                        throw r.error(p, "a person needs name, emails and level")
                    }
                    roster.people.append(person)
                }
            case "paths":
                guard case .sequence(let seq) = v else { throw r.error(v, "paths must be a list") }
                for p in seq {
                    var rule = PathRule(pattern: "", owners: [], risk: "normal")
                    for (pk, _, pv) in try r.mapping(p, "a path rule", allowed: ["pattern", "owners", "risk"]) {
                        switch pk {
                        case "pattern": rule.pattern = try r.string(pv, "pattern")
                        case "owners": rule.owners = try r.strings(pv, "owners")
                        default:
                            rule.risk = try r.string(pv, "risk")
                            guard ["low", "normal", "high"].contains(rule.risk) else {
                                throw r.error(pv, "risk must be low, normal or high")
                            }
                        }
                    }
                    if rule.pattern.isEmpty { throw r.error(p, "a path rule needs a pattern") }
                    roster.paths.append(rule)
                }
            default:
                var q = Requirements()
                for (qk, _, qv) in try r.mapping(
                    v,
                    "requirements",
                    allowed: [
                        "ai_assisted_below", "ai_assisted_role", "ai_assisted_count", "high_risk_role",
                        "high_risk_count", "high_risk_owner", "unknown_provenance", "human_below", "human_role",
                        "carry_over_identical_tree", "markers", "max_age_days", "unverified_author",
                    ]
                ) {
                    switch qk {
                    case "ai_assisted_below": q.aiBelow = try r.string(qv, qk)
                    case "ai_assisted_role": q.aiRole = try r.string(qv, qk)
                    case "ai_assisted_count": q.aiCount = try r.int(qv, qk)
                    case "high_risk_role": q.highRiskRole = try r.string(qv, qk)
                    case "high_risk_count": q.highRiskCount = try r.int(qv, qk)
                    case "high_risk_owner": q.highRiskOwner = try r.bool(qv, qk)
                    case "unknown_provenance":
                        q.unknownAs = try r.string(qv, qk)
                        guard ["ai-assisted", "human"].contains(q.unknownAs) else {
                            throw r.error(qv, "unknown_provenance must be ai-assisted or human")
                        }
                    case "human_below": q.humanBelow = try r.string(qv, qk)
                    case "human_role": q.humanRole = try r.string(qv, qk)
                    case "carry_over_identical_tree": q.carryOverIdenticalTree = try r.bool(qv, qk)
                    case "markers": q.markers = try r.strings(qv, qk)
                    case "unverified_author": q.unverifiedAuthor = try r.string(qv, qk).lowercased()
                    default: q.maxAge = try r.int(qv, qk) * 86400
                    }
                }
                for (name, level) in [
                    ("ai_assisted_below", q.aiBelow), ("ai_assisted_role", q.aiRole),
                    ("high_risk_role", q.highRiskRole), ("human_role", q.humanRole),
                    ("unverified_author", q.unverifiedAuthor),
                ] where rank(level) < 0 {
                    throw PolicyError(
                        source: source,
                        message: "requirements.\(name) must be one of \(levels.joined(separator: ", "))"
                    )
                }
                roster.requirements = q
            }
        }
        return roster
    }
}
