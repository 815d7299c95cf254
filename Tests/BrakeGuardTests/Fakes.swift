import BrakeCore
import BrakeGuard
import Crypto
import Synchronization

/// An in-memory ledger: the state and the records it was given.
final class FakeLedger: Ledger, Sendable {
    let box = Mutex<(LocalState, [AuditRecord])>((LocalState(), []))
    let broken: Bool

    init(_ state: LocalState = LocalState(), broken: Bool = false) {
        box.withLock { $0.0 = state }
        self.broken = broken
    }

    var state: LocalState { box.withLock { $0.0 } }
    var decisions: [String] { box.withLock { $0.1.compactMap { r in r.first { $0.0 == "decision" }?.1.stringValue } } }

    func transact<T>(
        _ body: (inout LocalState, inout [AuditRecord]) throws(GuardFailure) -> T
    ) throws(GuardFailure)
        -> T
    {
        if broken { throw GuardFailure("the state file is damaged") }
        var (state, records) = box.withLock { ($0.0, [AuditRecord]()) }
        let result = try body(&state, &records)
        box.withLock {
            $0.0 = state
            $0.1 += records
        }
        return result
    }

    func append(_ records: [AuditRecord]) throws(GuardFailure) {
        box.withLock { $0.1 += records }
    }
}

/// A control plane that answers as scripted, signing with a key the test pins (or another one).
final class FakeLink: ControlLink, Sendable {
    enum Script: Sendable {
        /// Sign this verdict with the pinned key.
        case answer(Verdict, message: String = "", request: String = "")
        /// Signed by a key that is not the pinned one (a server of the agent's own).
        case forged(Verdict)
        /// A correctly signed answer to an earlier call (another nonce).
        case replayed(Verdict)
        case unreachable
        case error
    }

    let script: Script
    let serverKey = Curve25519.Signing.PrivateKey()
    let stops: [Stop]
    let sent = Mutex<[ActionRequest]>([])
    let spooled = Mutex<[Verdict]>([])

    init(_ script: Script, stops: [Stop] = []) {
        self.script = script
        self.stops = stops
    }

    var pinned: String { Base64.encode(Array(serverKey.publicKey.rawRepresentation)) }

    func judge(_ request: ActionRequest, wait: Double) -> LinkResult {
        sent.withLock { $0.append(request) }
        let nonce = SignedAnswer.newNonce()
        // The real link verifies what comes back; the fake builds the JSON a server would send and runs the same check.
        func answer(_ v: Verdict, key: Curve25519.Signing.PrivateKey, nonceSigned: String) -> JSONValue {
            let signed = SignedAnswer(decision: v, digest: "sha256:x", request: "", nonce: nonceSigned, time: 1)
                .signed(with: key)
            var m = signed.jsonMembers
            m.removeAll { $0.0 == "nonce" }
            m.append(("nonce", .string(nonceSigned)))
            return .object(m)
        }
        let v: JSONValue
        var message = ""
        switch script {
        case .answer(let verdict, let m, let r):
            message = m
            let signed = SignedAnswer(decision: verdict, digest: "sha256:x", request: r, nonce: nonce, time: 1)
                .signed(with: serverKey)
            v = .object(signed.jsonMembers)
        case .forged(let verdict): v = answer(verdict, key: Curve25519.Signing.PrivateKey(), nonceSigned: nonce)
        case .replayed(let verdict): v = answer(verdict, key: serverKey, nonceSigned: SignedAnswer.newNonce())
        case .unreachable: return .unreachable("connection refused")
        case .error: return .failed("HTTP 500")
        }
        switch SignedAnswer.verify(v, nonce: nonce, publicKey: pinned) {
        case .success(let a):
            return .answer(ServerAnswer(signed: a, message: message, pending: a.decision == .ask))
        case .failure(let e):
            return .failed(e.message)
        }
    }

    func lastKnownStops() -> (user: String?, stops: [Stop]) { ("dev", stops) }

    func spool(_ request: ActionRequest, judgement: Judgement, enforced: Verdict) {
        spooled.withLock { $0.append(enforced) }
    }
}

struct FixedClock: GuardClock, Sendable {
    var t = 1_000_000
    func now() -> Int { t }
    func newID() -> String { "req1" }
}
