import Crypto

/// What an agent produced, as Brake's hooks saw it happen: the content of a file an agent's tool wrote (its git
/// blob id) or a commit an agent's command made. The gate takes these records, not commit messages, as the
/// evidence of what is AI-assisted: a squash, a rebase or a stripped trailer leaves the blob ids as they were.
public struct AgentRecord: Sendable, Equatable {
    public enum Kind: String, Sendable { case file, commit }

    public var kind: Kind
    /// The git blob id of a file's content (file), or of each file the commit added or changed (commit: empty).
    public var blob: String
    /// The commit's sha, tree and parents (commit only).
    public var commit: String
    public var tree: String
    public var parents: [String]
    /// The path, relative to the repository's root (file), or empty.
    public var path: String
    /// The repository's root directory on the machine that recorded it.
    public var repository: String
    public var agent: String
    public var session: String
    public var time: Int
    /// The control plane's Ed25519 signature over `signedMessage` (base64), when the record came from it.
    public var signature: String = ""
    /// Set by the reader once the signature verified against the pinned server key.
    public var verified = false

    public init(
        kind: Kind,
        blob: String = "",
        commit: String = "",
        tree: String = "",
        parents: [String] = [],
        path: String = "",
        repository: String,
        agent: String,
        session: String,
        time: Int
    ) {
        self.kind = kind
        self.blob = blob
        self.commit = commit
        self.tree = tree
        self.parents = parents
        self.path = path
        self.repository = repository
        self.agent = agent
        self.session = session
        self.time = time
    }

    public var json: JSONValue {
        var m: [(String, JSONValue)] = [("kind", .string(kind.rawValue))]
        if !blob.isEmpty { m.append(("blob", .string(blob))) }
        if !commit.isEmpty {
            m += [
                ("commit", .string(commit)), ("tree", .string(tree)), ("parents", .array(parents.map { .string($0) })),
            ]
        }
        if !path.isEmpty { m.append(("path", .string(path))) }
        m += [
            ("repository", .string(repository)), ("agent", .string(agent)), ("session", .string(session)),
            ("time", .number(Double(time))),
        ]
        return .object(m)
    }

    /// The record with its signature, as the control plane hands it out and `brake provenance export` notes it.
    public var signedJSON: JSONValue {
        guard !signature.isEmpty, case .object(let m) = json else { return json }
        return .object(m + [("signature", .string(signature))])
    }

    /// The signed bytes: the record's canonical JSON, under a prefix that keeps these signatures apart from the
    /// key's other uses (answers, audit checkpoints).
    public var signedMessage: [UInt8] { Array(("brake-agent-record/v1\n" + json.serialized).utf8) }

    /// The record signed with the control plane's key.
    public func signed(with key: Curve25519.Signing.PrivateKey) -> AgentRecord {
        var r = self
        r.signature = (try? key.signature(for: signedMessage)).map { Base64.encode(Array($0)) } ?? ""
        return r
    }

    /// The record marked verified when its signature is the pinned server key's (base64 Ed25519 public key).
    public func verifying(publicKey: String) -> AgentRecord {
        var r = self
        guard !signature.isEmpty, let keyBytes = Base64.decode(publicKey),
            let key = try? Curve25519.Signing.PublicKey(rawRepresentation: keyBytes),
            let sig = Base64.decode(signature)
        else { return r }
        r.verified = key.isValidSignature(sig, for: signedMessage)
        return r
    }

    /// Reads a record; nil for anything malformed (a record is evidence to add, never a reason to fail).
    public init?(json v: JSONValue) {
        guard let k = v["kind"]?.stringValue, let kind = Kind(rawValue: k) else { return nil }
        self.kind = kind
        blob = v["blob"]?.stringValue ?? ""
        commit = v["commit"]?.stringValue ?? ""
        tree = v["tree"]?.stringValue ?? ""
        parents = v["parents"]?.arrayValue?.compactMap(\.stringValue) ?? []
        path = v["path"]?.stringValue ?? ""
        repository = v["repository"]?.stringValue ?? ""
        agent = v["agent"]?.stringValue ?? ""
        session = v["session"]?.stringValue ?? ""
        time = v["time"]?.intValue ?? 0
        signature = v["signature"]?.stringValue ?? ""
        let hex = { (s: String) in s.count == 40 && s.allSatisfy(\.isHexDigit) }
        guard kind == .file ? hex(blob) : hex(commit) else { return nil }
    }

    /// One line of evidence for the gate.
    public var evidence: String {
        let who = "\(agent.isEmpty ? "an agent" : agent)\(session.isEmpty ? "" : " session \(session)")"
        let signed = verified ? " (signed by the control plane)" : ""
        switch kind {
        case .file: return "recorded: \(who) wrote \(path.isEmpty ? "this content" : path)\(signed)"
        case .commit: return "recorded: \(who) made this commit\(signed)"
        }
    }
}

/// Git's object ids, computed as git does.
public enum GitObject {
    /// The blob id of a file's content: SHA-1 of `blob <size>\0` and the bytes.
    public static func blobID(_ bytes: [UInt8]) -> String {
        var h = Insecure.SHA1()
        h.update(data: Array("blob \(bytes.count)\u{0}".utf8))
        h.update(data: bytes)
        return h.finalize().map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}

/// The records the gate judges with, indexed by blob and by commit.
public struct AgentWork: Sendable {
    public var byBlob: [String: AgentRecord] = [:]
    public var byCommit: [String: AgentRecord] = [:]

    public init(_ records: [AgentRecord] = []) {
        for r in records {
            switch r.kind {
            case .file: if byBlob[r.blob] == nil { byBlob[r.blob] = r }
            case .commit: if byCommit[r.commit] == nil { byCommit[r.commit] = r }
            }
        }
    }

    public var isEmpty: Bool { byBlob.isEmpty && byCommit.isEmpty }

    /// Records in JSON lines (a log file, a git note); lines that are not records are skipped.
    public static func records(jsonLines text: String) -> [AgentRecord] {
        text.split(separator: "\n").compactMap { line in
            (try? JSONValue.parse(String(line))).flatMap { AgentRecord(json: $0) }
        }
    }

    /// What the records say about a commit: the evidence, and how many of its added lines an agent wrote (nil when
    /// the records say nothing about it).
    public func match(_ c: CommitInfo) -> (evidence: [String], agentLines: Int)? {
        if let r = byCommit[c.sha] { return ([r.evidence], c.addedLines.values.reduce(0, +)) }
        var evidence: [String] = []
        var lines = 0
        for (path, blob) in c.blobs.sorted(by: { $0.key < $1.key }) {
            guard let r = byBlob[blob] else { continue }
            var e = r.evidence
            if r.path != path { e += " (now \(path))" }
            evidence.append(e)
            lines += c.addedLines[path] ?? 0
        }
        return evidence.isEmpty ? nil : (evidence, lines)
    }
}
