import BrakeCore

/// An audit event in a sentence, for the page: who did what to what, and why. Whatever a kind holds beyond what is
/// named is listed as `key: value`, never as raw JSON.
enum AuditText {
    static func describe(_ v: JSONValue) -> String {
        let kind = v["kind"]?.stringValue ?? ""
        let actor = v["actor"]?.stringValue ?? "someone"
        func s(_ key: String) -> String { v[key]?.stringValue ?? "" }
        func list(_ key: String) -> String {
            (v[key]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ", ")
        }
        let reason = s("reason").isEmpty ? "" : " — \(s("reason"))"
        switch kind {
        case "decision":
            let decision = s("enforced").isEmpty ? s("decision") : s("enforced")
            let rules = list("rules")
            let via = s("agent").isEmpty ? "" : " via \(s("agent"))"
            return "\(actor)\(via): \(decision) `\(s("action"))`" + (rules.isEmpty ? "" : " (\(rules))")
                + (v["spooled"] == .bool(true) ? ", reported after the server was unreachable" : "")
        case "approval.requested":
            let role = v["required"]?["role"]?.stringValue ?? "a person"
            let count = v["required"]?["count"]?.intValue ?? 1
            return "\(actor) asked for \(s("request")): `\(s("summary"))`, for \(count) × \(role) to approve"
        case "approval.approved", "approval.denied":
            let verb = kind == "approval.approved" ? "approved" : "denied"
            return "\(actor) (\(s("role"))) \(verb) \(s("request"))\(reason)"
        case "checkpoint":
            let kept = v["kept"]?.intValue ?? 0
            return
                "\(actor)'s hook on \(s("host")) kept \(kept) file\(kept == 1 ? "" : "s") before `\(s("action"))` (\(s("checkpoint")))"
        case "approval.used": return "\(actor) used the approval of \(s("request"))"
        case "approval.expired": return "\(s("request")) expired unanswered"
        case "stop.created", "stop.lifted":
            let stop = v["stop"] ?? v
            let what = [stop["scope"]?.stringValue, stop["value"]?.stringValue].compactMap { $0 }.filter {
                !$0.isEmpty
            }.joined(separator: " ")
            let why = stop["reason"]?.stringValue ?? ""
            return kind == "stop.created"
                ? "\(actor) stopped \(what.isEmpty ? "everything" : what)\(why.isEmpty ? "" : " — \(why)")"
                : "\(actor) lifted the stop on \(what.isEmpty ? "everything" : what)\(reason)"
        case "user.created": return "\(actor) added \(s("user")) as \(s("role"))"
        case "user.role": return "\(actor) made \(s("user")) \(s("role"))"
        case "token.created", "token.revoked":
            return "\(actor) \(kind == "token.created" ? "created" : "revoked") token \(s("id")) of \(s("user"))"
        case "web.signin": return "\(actor) signed in on the page"
        default:
            guard case .object(let members) = v else { return kind }
            let skip: Set<String> = ["kind", "actor", "time", "seq", "hash", "prev", "prev_hash"]
            let parts = members.filter { !skip.contains($0.0) }.map { key, value -> String in
                switch value {
                case .string(let t): return "\(key): \(t)"
                case .number, .bool: return "\(key): \(value.serialized)"
                case .array(let a): return "\(key): \(a.compactMap(\.stringValue).joined(separator: ", "))"
                default: return "\(key): …"
                }
            }
            return "\(actor) — \(kind)" + (parts.isEmpty ? "" : ": " + parts.joined(separator: "; "))
        }
    }
}
