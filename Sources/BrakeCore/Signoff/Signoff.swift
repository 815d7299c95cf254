import Crypto

/// Sign-offs: in-toto Statements over a commit and its tree, signed with Ed25519 in DSSE envelopes.
public enum Signoff {
    public static let payloadType = "application/vnd.in-toto+json"
    public static let predicateType = "https://brake.dev/attestations/signoff/v1"

    // MARK: Keys

    /// A new private key (raw 32 bytes) and its public key as `ed25519:BASE64`.
    public static func generateKey() -> (privateKey: [UInt8], publicKey: String) {
        let k = Curve25519.Signing.PrivateKey()
        return (Array(k.rawRepresentation), "ed25519:" + Base64.encode(Array(k.publicKey.rawRepresentation)))
    }

    public static func publicKey(of privateKey: [UInt8]) -> [UInt8]? {
        (try? Curve25519.Signing.PrivateKey(rawRepresentation: privateKey)).map {
            Array($0.publicKey.rawRepresentation)
        }
    }

    public static func parsePublicKey(_ s: String) -> [UInt8]? {
        guard s.hasPrefix("ed25519:"), let b = Base64.decode(String(s.dropFirst(8))), b.count == 32 else { return nil }
        return b
    }

    public static func keyID(_ publicKey: [UInt8]) -> String {
        String(Engine.hexDigest(bytes: publicKey).dropFirst(7).prefix(16))
    }

    // MARK: Statements and envelopes

    public struct Statement: Sendable, Equatable {
        public var commit: String
        public var tree: String
        public var signer: String
        public var level: String
        public var repository: String
        public var range: String
        public var time: Int
        public var expires: Int
        public var comment: String

        public init(
            commit: String,
            tree: String,
            signer: String,
            level: String,
            repository: String,
            range: String,
            time: Int,
            expires: Int,
            comment: String
        ) {
            self.commit = commit
            self.tree = tree
            self.signer = signer
            self.level = level
            self.repository = repository
            self.range = range
            self.time = time
            self.expires = expires
            self.comment = comment
        }
    }

    static func statementJSON(_ s: Statement) -> String {
        JSONValue.object([
            ("_type", .string("https://in-toto.io/Statement/v1")),
            (
                "subject",
                .array([
                    .object([("name", .string("git:commit")), ("digest", .object([("gitCommit", .string(s.commit))]))]),
                    .object([("name", .string("git:tree")), ("digest", .object([("gitTree", .string(s.tree))]))]),
                ])
            ),
            ("predicateType", .string(predicateType)),
            (
                "predicate",
                .object([
                    ("signer", .string(s.signer)), ("level", .string(s.level)), ("repository", .string(s.repository)),
                    ("range", .string(s.range)), ("time", .number(Double(s.time))),
                    ("expires", .number(Double(s.expires))),
                    ("comment", .string(s.comment)),
                ])
            ),
        ]).serialized
    }

    /// The commit an envelope's statement names, read without checking its signature (for filing it; whoever relies
    /// on it verifies it against a roster with `verify`).
    public static func claimedCommit(_ envelope: String) -> String? {
        guard let v = try? JSONValue.parse(envelope), v["payloadType"]?.stringValue == payloadType,
            let p64 = v["payload"]?.stringValue, let payload = Base64.decode(p64),
            let statement = try? JSONValue.parse(String(decoding: payload, as: UTF8.self))
        else { return nil }
        for sub in statement["subject"]?.arrayValue ?? [] {
            if let c = sub["digest"]?["gitCommit"]?.stringValue, c.count == 40, c.allSatisfy(\.isHexDigit) {
                return c.lowercased()
            }
        }
        return nil
    }

    /// DSSE pre-authentication encoding.
    static func pae(_ type: String, _ body: [UInt8]) -> [UInt8] {
        Array("DSSEv1 \(type.utf8.count) \(type) \(body.count) ".utf8) + body
    }

    /// A signed DSSE envelope (one line of JSON) for the statement.
    public static func sign(_ s: Statement, privateKey: [UInt8]) throws -> String {
        let key = try Curve25519.Signing.PrivateKey(rawRepresentation: privateKey)
        let payload = Array(statementJSON(s).utf8)
        let sig = try key.signature(for: pae(payloadType, payload))
        return JSONValue.object([
            ("payloadType", .string(payloadType)), ("payload", .string(Base64.encode(payload))),
            (
                "signatures",
                .array([
                    .object([
                        ("keyid", .string(keyID(Array(key.publicKey.rawRepresentation)))),
                        ("sig", .string(Base64.encode(Array(sig)))),
                    ])
                ])
            ),
        ]).serialized
    }

    /// The outcome of checking one envelope.
    public enum Check: Sendable, Equatable {
        case valid(Statement, signerKey: [UInt8])
        case invalid(String)
    }

    /// Verifies an envelope against every key in the roster; the keyid is only a hint.
    public static func verify(_ envelope: String, roster: Roster) -> Check {
        guard let v = try? JSONValue.parse(envelope), v["payloadType"]?.stringValue == payloadType,
            let p64 = v["payload"]?.stringValue, let payload = Base64.decode(p64),
            case .array(let sigs)? = v["signatures"]
        else { return .invalid("not a DSSE envelope with an in-toto payload") }
        var verifiedKey: [UInt8]?
        var anySignature = false
        for s in sigs {
            guard let s64 = s["sig"]?.stringValue, let sig = Base64.decode(s64) else { continue }
            anySignature = true
            for person in roster.people {
                for key in person.keys {
                    guard let pk = try? Curve25519.Signing.PublicKey(rawRepresentation: key) else { continue }
                    if pk.isValidSignature(sig, for: pae(payloadType, payload)) { verifiedKey = key }
                }
            }
        }
        guard anySignature else { return .invalid("the envelope has no signature") }
        guard let key = verifiedKey else {
            return .invalid("bad signature or unknown key: no key in the roster verifies it")
        }
        guard let st = try? JSONValue.parse(String(decoding: payload, as: UTF8.self)),
            st["_type"]?.stringValue == "https://in-toto.io/Statement/v1",
            st["predicateType"]?.stringValue == predicateType,
            case .array(let subjects)? = st["subject"], let pred = st["predicate"]
        else { return .invalid("the signed payload is not a Brake sign-off statement") }
        var commit = ""
        var tree = ""
        for sub in subjects {
            if let c = sub["digest"]?["gitCommit"]?.stringValue { commit = c }
            if let t = sub["digest"]?["gitTree"]?.stringValue { tree = t }
        }
        func int(_ k: String) -> Int { if case .number(let n)? = pred[k] { return Int(n) } else { return 0 } }
        let statement = Statement(
            commit: commit,
            tree: tree,
            signer: pred["signer"]?.stringValue ?? "",
            level: pred["level"]?.stringValue ?? "",
            repository: pred["repository"]?.stringValue ?? "",
            range: pred["range"]?.stringValue ?? "",
            time: int("time"),
            expires: int("expires"),
            comment: pred["comment"]?.stringValue ?? ""
        )
        return .valid(statement, signerKey: key)
    }

    // MARK: The gate

    public struct Requirement: Sendable, Equatable {
        public var role: String
        public var count: Int
        /// Aliases of people one of whom must sign (path owners); empty when any eligible person will do.
        public var owners: [String]
        public var why: String
    }

    public struct CommitResult: Sendable {
        public var commit: CommitInfo
        public var provenance: Provenance.Kind
        public var evidence: [String]
        public var requirements: [Requirement]
        /// Whose change it counts as.
        public var authorship: Authorship
        /// The share of the lines it adds that Brake recorded an agent writing (nil: no line counts known).
        public var agentShare: Double?
        public var signers: [String]
        public var problems: [String]
        public var missing: [String]
        public var passed: Bool
    }

    /// The share of a commit's added lines that the records say an agent wrote.
    static func share(_ c: CommitInfo, work: AgentWork) -> Double? {
        let total = c.addedLines.values.reduce(0, +)
        guard total > 0 else { return nil }
        return Double(work.match(c)?.agentLines ?? 0) / Double(total)
    }

    /// Whose change a commit counts as, and why: git's author is whatever the committer typed, so the declared
    /// author's level counts only for a commit signed with a key the base roster lists for that person.
    public struct Authorship: Sendable, Equatable {
        /// The author e-mail git records.
        public var declared: String
        /// The level counted; nil for someone not in the roster.
        public var level: String?
        /// True when the commit's signature proves the declared author.
        public var authenticated: Bool
        public var why: String
    }

    public static func authorship(_ c: CommitInfo, roster: Roster, pusher: String?) -> Authorship {
        let declared = roster.person(email: c.authorEmail)
        guard let d = declared else {
            return Authorship(
                declared: c.authorEmail,
                level: nil,
                authenticated: false,
                why: "\(c.authorEmail) is not in the roster"
            )
        }
        if let signer = c.signedBy, d.emails.contains(signer.lowercased()) {
            return Authorship(
                declared: c.authorEmail,
                level: d.level,
                authenticated: true,
                why: "signed with a key the roster lists for \(d.name)"
            )
        }
        // Not proven: the lowest of the declared author, the pusher and the roster's level for unverified authors.
        var counted: (level: String?, who: String) = (d.level, "the declared author \(d.name) (\(d.level))")
        func lower(_ level: String?, _ who: String) {
            if Roster.rank(level ?? "") < Roster.rank(counted.level ?? "") { counted = (level, who) }
        }
        if let pusher {
            if let p = roster.person(alias: pusher) {
                lower(p.level, "the pusher \(p.name) (\(p.level))")
            } else {
                lower(nil, "the pusher \(pusher), who is not in the roster")
            }
        }
        let q = roster.requirements.unverifiedAuthor
        lower(q, "unverified_author (\(q))")
        let how =
            c.signedBy.map { "signed with \($0)'s key, not \(d.name)'s" }
            ?? "not signed with a key the roster lists for \(d.name)"
        return Authorship(
            declared: c.authorEmail,
            level: counted.level,
            authenticated: false,
            why: "claims \(d.name) but is \(how), so it counts as \(counted.who)"
        )
    }

    /// What a commit needs.
    public static func requirements(
        for c: CommitInfo,
        kind: Provenance.Kind,
        roster: Roster,
        pusher: String? = nil
    ) -> [Requirement] {
        let q = roster.requirements
        let counted = authorship(c, roster: roster, pusher: pusher)
        let authorRank = counted.level.map(Roster.rank) ?? -1
        let byWhom =
            counted.level.map { "a \($0)" + (counted.authenticated ? "" : " (author not verified)") }
            ?? "someone not in the roster"
        var out: [Requirement] = []
        let effective: Provenance.Kind = kind == .unknown ? (q.unknownAs == "human" ? .human : .aiAssisted) : kind
        if effective == .aiAssisted && authorRank < Roster.rank(q.aiBelow) {
            out.append(
                Requirement(
                    role: q.aiRole,
                    count: q.aiCount,
                    owners: [],
                    why: "AI-assisted change by \(byWhom)"
                )
            )
        }
        if effective == .human && q.humanBelow != "none" && authorRank < Roster.rank(q.humanBelow) {
            out.append(
                Requirement(
                    role: q.humanRole,
                    count: 1,
                    owners: [],
                    why: "change by \(byWhom)"
                )
            )
        }
        let guarded = c.paths.filter { path in roster.guarded.contains { Roster.pathMatches($0, path) } }
        if !guarded.isEmpty {
            out.append(
                Requirement(
                    role: q.highRiskRole,
                    count: q.highRiskCount,
                    owners: [],
                    why:
                        "changes the roster (\(guarded.joined(separator: ", "))): who may sign off is decided by the base's roster"
                )
            )
        }
        for rule in roster.rules(for: c.paths) where rule.risk == "high" && (effective == .aiAssisted || !out.isEmpty) {
            out.append(
                Requirement(
                    role: q.highRiskRole,
                    count: q.highRiskCount,
                    owners: q.highRiskOwner ? rule.owners : [],
                    why: "touches high-risk path \(rule.pattern)"
                )
            )
        }
        return out
    }

    /// Evaluates one commit against its sign-off envelopes (and, when carry-over is on, those of tree-identical commits).
    public static func evaluate(
        _ c: CommitInfo,
        envelopes: [String],
        carried: [String],
        roster: Roster,
        pusher: String?,
        now: Int,
        work: AgentWork = AgentWork()
    ) -> CommitResult {
        let (kind, evidence) = Provenance.classify(c, patterns: roster.requirements.markers, work: work)
        let reqs = requirements(for: c, kind: kind, roster: roster, pusher: pusher)
        var problems: [String] = []
        var signers: [Roster.Person] = []
        // People involved in the change never count toward it.
        var involved = Set([c.authorEmail.lowercased(), c.committerEmail.lowercased()] + c.coAuthors.map(\.1))
        if let pusher, let p = roster.person(alias: pusher) {
            involved.formUnion(p.emails)
        } else if let pusher {
            involved.insert(pusher.lowercased())
        }
        func consider(_ env: String, carriedOver: Bool) {
            switch verify(env, roster: roster) {
            case .invalid(let why):
                problems.append(why)
            case .valid(let st, let key):
                guard let person = roster.person(key: key) else {
                    problems.append("unknown key")
                    return
                }
                if carriedOver {
                    guard roster.requirements.carryOverIdenticalTree, st.tree == c.tree else { return }
                } else if st.commit != c.sha || st.tree != c.tree {
                    problems.append(
                        "a sign-off by \(person.name) names another commit (\(st.commit.prefix(12))) — a new commit needs a new sign-off"
                    )
                    return
                }
                if st.expires <= now || now - st.time > roster.requirements.maxAge {
                    problems.append("the sign-off by \(person.name) expired")
                    return
                }
                if !involved.isDisjoint(with: person.emails) {
                    problems.append("\(person.name) signed off their own change, which does not count")
                    return
                }
                if !signers.contains(person) { signers.append(person) }
            }
        }
        for e in envelopes { consider(e, carriedOver: false) }
        for e in carried { consider(e, carriedOver: true) }
        var missing: [String] = []
        for r in reqs {
            let eligible = signers.filter { Roster.rank($0.level) >= Roster.rank(r.role) }
            if eligible.count < r.count {
                missing.append(
                    "\(r.count - eligible.count) more sign-off\(r.count - eligible.count == 1 ? "" : "s") by a \(r.role) or above (\(r.why))"
                )
            }
            if !r.owners.isEmpty
                && !eligible.contains(where: { p in
                    r.owners.contains { o in
                        p.aliases.contains(o.lowercased()) || p.emails.contains(o.lowercased()) || p.name == o
                    }
                })
            {
                missing.append("a sign-off by an owner (\(r.owners.joined(separator: ", "))) of the high-risk path")
            }
        }
        return CommitResult(
            commit: c,
            provenance: kind,
            evidence: evidence,
            requirements: reqs,
            authorship: authorship(c, roster: roster, pusher: pusher),
            agentShare: Self.share(c, work: work),
            signers: signers.map(\.name),
            problems: missing.isEmpty ? [] : problems,
            missing: missing,
            passed: missing.isEmpty
        )
    }
}

/// Base64 without Foundation.
public enum Base64 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    public static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i + 2 < bytes.count {
            let n = Int(bytes[i]) << 16 | Int(bytes[i + 1]) << 8 | Int(bytes[i + 2])
            out += [alphabet[n >> 18 & 63], alphabet[n >> 12 & 63], alphabet[n >> 6 & 63], alphabet[n & 63]]
            i += 3
        }
        let rest = bytes.count - i
        if rest == 1 {
            let n = Int(bytes[i]) << 16
            out += [alphabet[n >> 18 & 63], alphabet[n >> 12 & 63], 61, 61]
        } else if rest == 2 {
            let n = Int(bytes[i]) << 16 | Int(bytes[i + 1]) << 8
            out += [alphabet[n >> 18 & 63], alphabet[n >> 12 & 63], alphabet[n >> 6 & 63], 61]
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes standard or URL-safe base64; padding and line breaks are ignored.
    public static func decode(_ s: String) -> [UInt8]? {
        var lookup = [Int](repeating: -1, count: 256)
        for (i, c) in alphabet.enumerated() { lookup[Int(c)] = i }
        lookup[Int(UInt8(ascii: "-"))] = 62
        lookup[Int(UInt8(ascii: "_"))] = 63
        var out: [UInt8] = []
        var acc = 0
        var bits = 0
        for c in s.utf8 {
            if c == 61 || c == 10 || c == 13 || c == 32 { continue }
            let v = lookup[Int(c)]
            if v < 0 { return nil }
            acc = (acc << 6) | v
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8((acc >> bits) & 0xFF))
            }
        }
        return out
    }
}
