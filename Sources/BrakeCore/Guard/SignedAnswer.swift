import Crypto

/// The control plane's answer to a judged action, signed with its Ed25519 key over the hook's fresh nonce,
/// the digest and the verdict. A hook acts only on an answer that verifies against the key pinned at login:
/// a server of the agent's own, a replayed answer or an edited one can only cause a denial.
public struct SignedAnswer: Sendable, Equatable {
    /// The verdict the hook enforces.
    public var decision: Verdict
    /// The digest the server computed from the raw action.
    public var digest: String
    /// The approval request this answer concerns, or empty.
    public var request: String
    /// The hook's nonce, echoed.
    public var nonce: String
    /// Server time (seconds).
    public var time: Int
    /// Base64 Ed25519 signature over `message`.
    public var signature: String

    /// Creates an answer (unsigned until `signed(with:)`).
    public init(decision: Verdict, digest: String, request: String, nonce: String, time: Int, signature: String = "") {
        self.decision = decision
        self.digest = digest
        self.request = request
        self.nonce = nonce
        self.time = time
        self.signature = signature
    }

    /// The signed bytes; the prefix keeps these signatures apart from audit checkpoints made with the same key.
    public var message: [UInt8] {
        Array("brake-answer/v1\n\(nonce)\n\(digest)\n\(decision.rawValue)\n\(request)\n\(time)".utf8)
    }

    /// The answer signed with the server's key.
    public func signed(with key: Curve25519.Signing.PrivateKey) -> SignedAnswer {
        var a = self
        a.signature = (try? key.signature(for: message)).map { Base64.encode(Array($0)) } ?? ""
        return a
    }

    /// Members to merge into the answer's JSON.
    public var jsonMembers: [(String, JSONValue)] {
        [
            ("decision", .string(decision.rawValue)), ("digest", .string(digest)), ("request_id", .string(request)),
            ("nonce", .string(nonce)), ("time", .number(Double(time))), ("signature", .string(signature)),
        ]
    }

    /// Reads and verifies an answer: it must carry our nonce and a valid signature by `publicKey` (base64).
    public static func verify(
        _ v: JSONValue,
        nonce: String,
        publicKey: String
    ) -> Result<SignedAnswer, SignedAnswerError> {
        guard let keyBytes = Base64.decode(publicKey),
            let key = try? Curve25519.Signing.PublicKey(rawRepresentation: keyBytes)
        else { return .failure(SignedAnswerError("the pinned server key is not a valid Ed25519 public key")) }
        guard let d = v["decision"]?.stringValue, let decision = Verdict(rawValue: d),
            let digest = v["digest"]?.stringValue, let echoed = v["nonce"]?.stringValue,
            let time = v["time"]?.intValue, let signature = v["signature"]?.stringValue
        else { return .failure(SignedAnswerError("the server's answer is not signed")) }
        guard echoed == nonce else {
            return .failure(SignedAnswerError("the server's answer is for another call (nonce mismatch: a replay?)"))
        }
        let a = SignedAnswer(
            decision: decision,
            digest: digest,
            request: v["request_id"]?.stringValue ?? "",
            nonce: nonce,
            time: time,
            signature: signature
        )
        guard let sig = Base64.decode(signature), key.isValidSignature(sig, for: a.message) else {
            return .failure(SignedAnswerError("the server's answer is not signed by the pinned server key"))
        }
        return .success(a)
    }

    /// A fresh random nonce (128 bits, base64).
    public static func newNonce() -> String {
        var g = SystemRandomNumberGenerator()
        return Base64.encode((0..<16).map { _ in UInt8.random(in: 0...255, using: &g) })
    }
}

/// Why an answer was not accepted.
public struct SignedAnswerError: Error, Sendable, CustomStringConvertible {
    /// What was wrong.
    public var message: String
    init(_ message: String) { self.message = message }
    /// The message.
    public var description: String { message }
}
