import BrakeCore
import Crypto

/// The state tables must be what the audit chain says: every user, role and token was created, changed or
/// revoked by an event in the chain. A row written into the database directly — a ghost admin, a role bumped by
/// SQL, a revoked token brought back — is reported, because it bypassed every check and left no trace.
public enum StateCheck {
    /// The problems found, each saying what and how it differs from the chain.
    public static func problems(entries: [AuditChain.Entry], users: [User], tokens: [TokenRecord]) -> [String] {
        var roles: [String: String] = [:]
        var created: [String: String] = [:]  // token id → user
        var revoked: Set<String> = []
        for e in entries {
            guard let v = try? JSONValue.parse(e.event), let kind = v["kind"]?.stringValue else { continue }
            switch kind {
            case "user.created":
                if let u = v["user"]?.stringValue {
                    roles[u] = v["role"]?.stringValue ?? ""
                    if let t = v["token"]?.stringValue { created[t] = u }
                }
            case "user.role":
                if let u = v["user"]?.stringValue, let r = v["role"]?.stringValue { roles[u] = r }
            case "user.removed":
                if let u = v["user"]?.stringValue { roles[u] = User.removed }
                for t in v["tokens"]?.arrayValue ?? [] { if let id = t.stringValue { revoked.insert(id) } }
            case "token.created":
                if let t = v["token"]?["id"]?.stringValue ?? v["id"]?.stringValue ?? v["token"]?.stringValue {
                    created[t] = v["user"]?.stringValue ?? v["token"]?["user"]?.stringValue ?? ""
                }
            case "token.revoked":
                if let t = v["token"]?.stringValue ?? v["id"]?.stringValue { revoked.insert(t) }
            default:
                break
            }
        }
        var out: [String] = []
        for u in users {
            guard let role = roles[u.name] else {
                out.append(
                    "user \(u.name) (\(u.role)) is not in the audit chain: it was written into the database directly"
                )
                continue
            }
            if role != u.role {
                out.append("user \(u.name) is \(u.role) in the database, but the audit chain says \(role)")
            }
        }
        for t in tokens {
            guard created[t.id] != nil else {
                out.append(
                    "token \(t.id) of \(t.user) is not in the audit chain: it was written into the database directly"
                )
                continue
            }
            if revoked.contains(t.id) && t.revoked == nil {
                out.append("token \(t.id) of \(t.user) was revoked in the audit chain but is active in the database")
            }
        }
        return out
    }
}

extension ControlPlane {
    /// The chain and its checkpoints, and the state tables against the chain.
    public func verifyAll() async throws -> AuditChain.Report {
        var r = try await verify()
        let entries = try await allEntries()
        r.problems += StateCheck.problems(
            entries: entries,
            users: try await store.users(),
            tokens: try await store.tokens(user: nil)
        )
        return r
    }

    func allEntries() async throws -> [AuditChain.Entry] { try await store.allAuditEntries() }
}
