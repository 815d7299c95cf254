import Crypto

extension JSONValue {
    public var intValue: Int? {
        if case .number(let n) = self, n == n.rounded(), abs(n) < 9e15 { return Int(n) }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// The strings of an array value (other members are skipped).
    public var strings: [String] { arrayValue?.compactMap(\.stringValue) ?? [] }
}

/// The control plane's audit log: `hash = SHA-256(prev_hash ‖ canonical event)`, with signed checkpoints.
///
/// The canonical event is the compact JSON text Brake wrote (members in a fixed order, `seq` first); it is
/// stored verbatim, so verification hashes exactly the bytes that were hashed on append.
public enum AuditChain {
    public static let genesis = String(repeating: "0", count: 64)

    public struct Entry: Sendable, Equatable {
        public var seq: Int
        public var event: String
        public var prevHash: String
        public var hash: String

        public init(seq: Int, event: String, prevHash: String, hash: String) {
            self.seq = seq
            self.event = event
            self.prevHash = prevHash
            self.hash = hash
        }

        /// One line of `brake audit export`.
        public var exportLine: String {
            let ev = (try? JSONValue.parse(event)) ?? .string(event)
            return JSONValue.object([
                ("seq", .number(Double(seq))), ("prev_hash", .string(prevHash)), ("hash", .string(hash)),
                ("event", ev),
            ]).serialized
        }

        public init(exportLine: String) throws(JSONError) {
            let v = try JSONValue.parse(exportLine)
            guard let seq = v["seq"]?.intValue, let prev = v["prev_hash"]?.stringValue,
                let hash = v["hash"]?.stringValue, let ev = v["event"]
            else {
                throw JSONError(message: "an audit line needs seq, prev_hash, hash and event", offset: 0)
            }
            self.init(seq: seq, event: ev.serialized, prevHash: prev, hash: hash)
        }
    }

    public struct Checkpoint: Sendable, Equatable {
        public var treeSize: Int
        public var headHash: String
        public var time: Int
        /// Base64 Ed25519 signature over `AuditChain.checkpointMessage`.
        public var signature: String

        public init(treeSize: Int, headHash: String, time: Int, signature: String) {
            self.treeSize = treeSize
            self.headHash = headHash
            self.time = time
            self.signature = signature
        }

        public var json: JSONValue {
            .object([
                ("tree_size", .number(Double(treeSize))), ("head_hash", .string(headHash)),
                ("time", .number(Double(time))), ("signature", .string(signature)),
            ])
        }

        public init?(json v: JSONValue) {
            guard let n = v["tree_size"]?.intValue, let h = v["head_hash"]?.stringValue,
                let t = v["time"]?.intValue, let s = v["signature"]?.stringValue
            else { return nil }
            self.init(treeSize: n, headHash: h, time: t, signature: s)
        }
    }

    public static func hash(previous: String, event: String) -> String {
        var bytes = Array(previous.utf8)
        bytes.append(contentsOf: event.utf8)
        return hex(SHA256.hash(data: bytes))
    }

    /// The exact bytes a checkpoint signature covers.
    public static func checkpointMessage(treeSize: Int, headHash: String, time: Int) -> String {
        "brake-audit-checkpoint/v1\n\(treeSize)\n\(headHash)\n\(time)\n"
    }

    public static func sign(
        treeSize: Int,
        headHash: String,
        time: Int,
        key: Curve25519.Signing.PrivateKey
    ) -> Checkpoint {
        let message = Array(checkpointMessage(treeSize: treeSize, headHash: headHash, time: time).utf8)
        let signature = (try? key.signature(for: message)).map { Base64.encode(Array($0)) } ?? ""
        return Checkpoint(treeSize: treeSize, headHash: headHash, time: time, signature: signature)
    }

    public struct Report: Sendable, Equatable {
        public var length: Int
        public var head: String
        public var checkpointsVerified: Int
        public var problems: [String]
        public var ok: Bool { problems.isEmpty }

        public var json: JSONValue {
            .object([
                ("ok", .bool(ok)), ("length", .number(Double(length))), ("head_hash", .string(head)),
                ("checkpoints_verified", .number(Double(checkpointsVerified))),
                ("problems", .array(problems.map { .string($0) })),
            ])
        }
    }

    /// Verifies a whole chain (from seq 1) and its checkpoints. Reports edits, deletions, insertions,
    /// reordering, and truncation or rewriting before a signed checkpoint.
    public static func verify(
        _ entries: [Entry],
        checkpoints: [Checkpoint],
        publicKey: Curve25519.Signing.PublicKey?
    ) -> Report {
        var problems: [String] = []
        var previous = genesis
        var expected = 1
        // The head recomputed from the events alone: a checkpoint must match it, so rewriting history and
        // "fixing" every stored hash after it is still caught.
        var hashes: [String] = []
        hashes.reserveCapacity(entries.count)
        var running = genesis
        for e in entries {
            if problems.count >= 20 {
                problems.append("(further problems not listed)")
                break
            }
            if e.seq != expected {
                problems.append(
                    "event \(e.seq) found where \(expected) was expected: events were deleted, inserted or reordered"
                )
                expected = e.seq
            }
            if let v = try? JSONValue.parse(e.event), v["seq"]?.intValue != e.seq {
                problems.append("event \(e.seq): its content names another position: it was moved")
            }
            if e.prevHash != previous {
                problems.append("event \(e.seq): prev_hash does not match the event before it: the chain is broken")
            }
            if hash(previous: e.prevHash, event: e.event) != e.hash {
                problems.append("event \(e.seq): content does not match its hash: the event was edited")
            }
            previous = e.hash
            running = hash(previous: running, event: e.event)
            hashes.append(running)
            expected += 1
        }
        var verified = 0
        for c in checkpoints {
            guard let key = publicKey else {
                problems.append("checkpoint at \(c.treeSize): no public key to check it with")
                break
            }
            let message = Array(checkpointMessage(treeSize: c.treeSize, headHash: c.headHash, time: c.time).utf8)
            guard let sig = Base64.decode(c.signature), key.isValidSignature(sig, for: message) else {
                problems.append("checkpoint at \(c.treeSize): signature is not valid for the server's key")
                continue
            }
            if c.treeSize > entries.count {
                problems.append(
                    "checkpoint signed at \(c.treeSize) events but the log has \(entries.count): events were removed (truncation)"
                )
            } else if c.treeSize > hashes.count {
                continue  // verification stopped early; the problems are already listed
            } else if c.treeSize > 0, entries[c.treeSize - 1].hash != c.headHash || hashes[c.treeSize - 1] != c.headHash
            {
                problems.append(
                    "checkpoint at \(c.treeSize): the log's hash there differs from the signed head: history before it was rewritten"
                )
            } else {
                verified += 1
            }
        }
        return Report(length: entries.count, head: previous, checkpointsVerified: verified, problems: problems)
    }

    /// Lower-case hex of bytes (a digest).
    public static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in digest {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Where an action happens, for matching stop orders.
public struct ActionScope: Sendable, Equatable {
    public var user: String?
    public var agent: String?
    public var session: String?
    public var repository: String?
    public var environment: String?

    public init(
        user: String? = nil,
        agent: String? = nil,
        session: String? = nil,
        repository: String? = nil,
        environment: String? = nil
    ) {
        self.user = user
        self.agent = agent
        self.session = session
        self.repository = repository
        self.environment = environment
    }
}

/// A stop order: while it is in force, every action in its scope is denied. The same type on this machine
/// (`brake stop --local`, the rerouting watch, the local breaker) and on the control plane.
public struct Stop: Sendable, Equatable {
    public var id: String
    /// Who or what it covers.
    public var scope: StopScope
    /// The environment, repository, user, agent or session (empty for `all`).
    public var value: String
    public var reason: String
    public var createdBy: String
    public var created: Int
    /// The least role that may lift it.
    public var liftRole: String
    /// Set by the circuit breaker rather than a person.
    public var automatic: Bool
    public var liftedBy: String?
    public var lifted: Int?

    public init(
        id: String,
        scope: StopScope,
        value: String,
        reason: String,
        createdBy: String,
        created: Int,
        liftRole: String,
        automatic: Bool,
        liftedBy: String? = nil,
        lifted: Int? = nil
    ) {
        self.id = id
        self.scope = scope
        self.value = value
        self.reason = reason
        self.createdBy = createdBy
        self.created = created
        self.liftRole = liftRole
        self.automatic = automatic
        self.liftedBy = liftedBy
        self.lifted = lifted
    }

    /// A stop made on this machine alone.
    public static func local(scope: StopScope, value: String, reason: String, created: Int) -> Stop {
        Stop(
            id: "local",
            scope: scope,
            value: value,
            reason: reason,
            createdBy: "local",
            created: created,
            liftRole: "",
            automatic: false
        )
    }

    public func covers(_ s: ActionScope) -> Bool {
        switch scope {
        case .all: return true
        case .environment: return s.environment == value
        case .repository: return s.repository == value
        case .user: return s.user == value
        case .agent: return s.agent == value
        case .session: return s.session == value
        }
    }

    /// Whether it covers an agent's action in a session (the scopes this machine knows about).
    public func covers(agent: String, session: String?) -> Bool {
        switch scope {
        case .all: return true
        case .agent: return value == agent
        case .session: return session != nil && value == session
        case .environment, .repository, .user: return false
        }
    }

    public var describe: String { scope == .all ? "everything" : "\(scope) \(value)" }

    public var json: JSONValue {
        var m: [(String, JSONValue)] = [
            ("id", .string(id)), ("scope", .string(scope.rawValue)), ("value", .string(value)),
            ("reason", .string(reason)),
            ("created_by", .string(createdBy)), ("created", .number(Double(created))),
            ("lift_role", .string(liftRole)), ("automatic", .bool(automatic)),
        ]
        if let liftedBy { m.append(("lifted_by", .string(liftedBy))) }
        if let lifted { m.append(("lifted", .number(Double(lifted)))) }
        return .object(m)
    }

    /// Reads a stop; a scope this version does not know is read as `all` (it fails closed), and a stop
    /// written by an older local state file (no id) is a local one.
    public init?(json v: JSONValue) {
        guard let scope = v["scope"]?.stringValue else { return nil }
        self.init(
            id: v["id"]?.stringValue ?? "local",
            scope: StopScope(rawValue: scope) ?? .all,
            value: v["value"]?.stringValue ?? "",
            reason: v["reason"]?.stringValue ?? "",
            createdBy: v["created_by"]?.stringValue ?? "",
            created: v["created"]?.intValue ?? 0,
            liftRole: v["lift_role"]?.stringValue ?? "admin",
            automatic: v["automatic"]?.boolValue ?? false,
            liftedBy: v["lifted_by"]?.stringValue,
            lifted: v["lifted"]?.intValue
        )
    }
}
