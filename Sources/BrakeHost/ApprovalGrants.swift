import BrakeCore

/// What an approved shell command may touch when it runs confined through an agent's shell prefix: the hook that
/// consumed the approval (or put the command to the person in the agent's own prompt) records it here
/// (`grants.json` in the caller's state, one entry per command); the confinement for the next run of exactly that
/// command takes it, once.
package struct ApprovalGrant: Sendable, Equatable {
    package var command: String
    package var places: [String]
    package var program: String?
    package var expires: Int

    var json: JSONValue {
        .object([
            ("command", .string(command)), ("places", .array(places.map(JSONValue.string))),
            ("program", program.map(JSONValue.string) ?? .null), ("expires", .number(Double(expires))),
        ])
    }

    package init(command: String, places: [String], program: String?, expires: Int) {
        self.command = command
        self.places = places
        self.program = program
        self.expires = expires
    }

    init?(_ v: JSONValue) {
        guard let command = v["command"]?.stringValue, case .number(let expires)? = v["expires"],
            case .array(let places)? = v["places"]
        else { return nil }
        self.init(
            command: command,
            places: places.compactMap(\.stringValue),
            program: v["program"]?.stringValue,
            expires: Int(expires)
        )
    }

    /// How long an approved command has to start after its hook answered (an ask waits as long as a request).
    package static let lifetime = 120
}

extension LocalStore {
    var grantsPath: String { home + "/grants.json" }

    func grants() -> [ApprovalGrant] {
        guard let text = try? Loader.readFile(grantsPath), case .array(let items)? = try? JSONValue.parse(text) else {
            return []
        }
        return items.compactMap(ApprovalGrant.init)
    }

    /// Records the access an approved command's run covers (expired entries are dropped).
    package func recordGrant(_ grant: ApprovalGrant) {
        try? withLock { () throws(Failure) in
            let now = LocalStore.now()
            let kept = grants().filter { $0.expires > now && $0.command != grant.command }
            try writeAtomically(grantsPath, JSONValue.array((kept + [grant]).map(\.json)).serialized)
        }
    }

    /// The grant for exactly this command, removed so that it serves one run; nil when there is none.
    package func takeGrant(command: String) -> ApprovalGrant? {
        (try? withLock { () throws(Failure) -> ApprovalGrant? in
            let now = LocalStore.now()
            let all = grants().filter { $0.expires > now }
            guard let i = all.firstIndex(where: { $0.command == command }) else { return nil }
            var rest = all
            let grant = rest.remove(at: i)
            try writeAtomically(grantsPath, JSONValue.array(rest.map(\.json)).serialized)
            return grant
        }) ?? nil
    }
}
