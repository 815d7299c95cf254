import Yams

/// A decision, ordered by severity.
public enum Verdict: String, Sendable, Codable, Comparable, CaseIterable {
    case allow, ask, deny

    var rank: Int {
        switch self {
        case .allow: return 0
        case .ask: return 1
        case .deny: return 2
        }
    }

    public static func < (a: Verdict, b: Verdict) -> Bool { a.rank < b.rank }
}

/// Who may approve an `ask`: a minimum role and how many distinct approvers.
public struct Approvers: Sendable, Equatable {
    /// The person at the agent's console: the agent's own prompt where it has one; elsewhere the person whose
    /// agent asked approves its request themselves.
    public static let `operator` = "operator"

    /// The minimum role (`member`, `senior`, `admin` or a custom role).
    public var role: String
    /// How many approvers are needed.
    public var count: Int

    public init(role: String, count: Int) {
        self.role = role
        self.count = count
    }
}

/// The conditions under which a rule applies to one effect.
public struct RuleMatch: Sendable, Equatable {
    /// Effect kinds (globs: `fs.delete`, `system.*`).
    public var effects: [String] = []
    /// Target classes; the rule applies when any target is in one of them.
    public var targets: [TargetClass]?
    /// Path globs (`{home}`, `{project}`, `{tmp}` substituted); any target path may match.
    public var paths: [String]?
    /// Effect attributes; each key must have one of the listed values.
    public var attrs: [String: [String]] = [:]
    /// Only on production (true) or only off production (false).
    public var production: Bool?
    /// Only for this actor.
    public var actor: Actor?
    /// Only for these programs.
    public var programs: [String]?
    /// MCP tool arguments: a path selector (`folder`, `$.filter.from`, `recipients[*]`, `items[0].id`,
    /// `*.id`) → value globs; each selector must find a matching value.
    public var arguments: [String: [String]] = [:]

    public init() {}
}

/// A policy rule.
public struct Rule: Sendable, Equatable {
    public var id: String
    public var decision: Verdict
    /// Why, for the person.
    public var message: String
    /// What to do instead, for the agent.
    public var agentMessage: String
    /// Risk labels (`irreversible`, `data-loss`, `production` …).
    public var labels: [String]
    /// Who may approve when the decision is `ask`.
    public var approvers: Approvers
    /// Whether a lower layer may loosen this rule.
    public var overridable: Bool
    public var match: RuleMatch
    public var unless: [RuleMatch]
    /// Commands the rule must match and must not match.
    public var examplesMatch: [String]
    public var examplesNoMatch: [String]
    /// The layer that defined the rule, and the one that last changed it.
    public var layer: String
}

/// A scoped exception: these rules do not apply to targets under these paths.
public struct PolicyException: Sendable, Equatable {
    public var rules: [String]
    public var paths: [String]
    public var reason: String
    public var layer: String
    /// Command shapes (`CommandPattern`): the exception covers only effects of an invocation of one of them.
    public var commands: [String] = []
    /// Repositories (globs over their identity): every repository the action touches must be one of them.
    public var repositories: [String] = []
    /// Commands the exception is meant to let through, for the people who read it (suggestions list the
    /// approved commands here).
    public var examples: [String] = []
}

/// The effective, merged policy.
public struct Policy: Sendable {
    public var settings: AnalysisSettings
    public var rules: [Rule]
    public var exceptions: [PolicyException]
    /// The layers merged, highest first (`built-in`, then files).
    public var layers: [String]
    /// Refused attempts at the same rule in one session, by different means, before the session is stopped.
    public var rerouteLimit: Int = LocalState.defaultRerouteLimit
    /// Destructive MCP tool calls allowed per session in ten minutes before the session is stopped.
    public var mcpDestructiveLimit: Int = 20
    /// What a tighten-only layer tried to loosen and was not allowed to (shown by `brake explain`).
    public var ignored: [String] = []
    /// Containment (`brake run`): additions to the standard profile and named profiles, by profile name
    /// (`standard` for the top-level `containment:` lists).
    public var containment: [String: ContainmentAdditions] = [:]
    /// Where asks are only recorded (`mode: observe`, for rollout).
    public var observe = ObserveMode()
    /// Whether the layer being merged may loosen (set for the duration of `merge`).
    var mayLoosen = true

    /// The built-in policy: the rule packs compiled into the binary.
    public static let standard = Policy(
        settings: .standard,
        rules: BuiltinPolicy.rules,
        exceptions: [],
        layers: ["built-in"]
    )
}

/// A policy that cannot be used: what is wrong and where.
public struct PolicyError: Error, Sendable, Equatable, CustomStringConvertible {
    public var source: String
    public var line: Int?
    public var column: Int?
    public var message: String

    public init(source: String, line: Int? = nil, column: Int? = nil, message: String) {
        self.source = source
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String {
        var loc = source
        if let line { loc += ":\(line)" }
        if let column { loc += ":\(column)" }
        return "\(loc): \(message)"
    }
}

// MARK: - Strict YAML reading

struct YAMLReader {
    let source: String

    func error(_ node: Node?, _ message: String) -> PolicyError {
        PolicyError(source: source, line: node?.mark?.line, column: node?.mark?.column, message: message)
    }

    /// The entries of a mapping; `allowed` nil accepts any key (names chosen by the author, such as profiles).
    func mapping(_ node: Node, _ what: String, allowed: Set<String>?) throws(PolicyError) -> [(String, Node, Node)] {
        guard case .mapping(let m) = node else { throw error(node, "\(what) must be a mapping") }
        var out: [(String, Node, Node)] = []
        var seen: Set<String> = []
        for (k, v) in m {
            guard let key = k.string else { throw error(k, "\(what): keys must be strings") }
            if let allowed, !allowed.contains(key) {
                throw error(
                    k,
                    "unknown key '\(key)' in \(what); expected one of: \(allowed.sorted().joined(separator: ", "))"
                )
            }
            guard seen.insert(key).inserted else { throw error(k, "duplicate key '\(key)' in \(what)") }
            out.append((key, k, v))
        }
        return out
    }

    func string(_ node: Node, _ what: String) throws(PolicyError) -> String {
        guard case .scalar(let s) = node else { throw error(node, "\(what) must be a string") }
        return s.string
    }

    func bool(_ node: Node, _ what: String) throws(PolicyError) -> Bool {
        guard case .scalar(let s) = node else { throw error(node, "\(what) must be true or false") }
        switch s.string.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error(node, "\(what) must be true or false, not '\(s.string)'")
        }
    }

    func int(_ node: Node, _ what: String, max: Int = 100) throws(PolicyError) -> Int {
        guard case .scalar(let s) = node, let v = Int(s.string), v >= 1, v <= max else {
            throw error(node, "\(what) must be a whole number from 1 to \(max)")
        }
        return v
    }

    func strings(_ node: Node, _ what: String) throws(PolicyError) -> [String] {
        switch node {
        case .scalar(let s): return [s.string]
        case .sequence(let seq):
            var out: [String] = []
            for n in seq { out.append(try string(n, "each item of \(what)")) }
            return out
        default: throw error(node, "\(what) must be a string or a list of strings")
        }
    }

    func verdict(_ node: Node) throws(PolicyError) -> Verdict {
        let s = try string(node, "decision")
        guard let v = Verdict(rawValue: s) else { throw error(node, "decision must be allow, ask or deny, not '\(s)'") }
        return v
    }
}

extension Policy {
    /// Merges one layer (YAML text) into this policy. Lower layers tighten freely and loosen only what is
    /// overridable — and only when `mayLoosen`: a layer the agent's account can write (the repository's
    /// `.brake/policy.yaml`, files in its home) only tightens, whatever it says; what it tried to loosen is
    /// ignored and listed in `ignored`.
    public mutating func merge(yaml: String, source: String, mayLoosen: Bool = true) throws(PolicyError) {
        self.mayLoosen = mayLoosen
        defer { self.mayLoosen = true }
        // Several documents (`---`) are merged in order as one layer: the control plane serves its policy file
        // followed by the suggestions an admin accepted.
        var documents: [Node] = []
        do {
            // The sequence keeps a parse error to itself and just ends: it must be asked, or a broken file would
            // read as an empty one.
            var sequence = try Yams.compose_all(yaml: yaml, .basic)
            while let node = sequence.next() { documents.append(node) }
            if let error = sequence.error { throw error }
        } catch {
            throw PolicyError(source: source, message: "not valid YAML: \(error)")
        }
        for root in documents { try mergeDocument(root, source: source) }
        layers.append(source)
    }

    mutating func mergeDocument(_ root: Node, source: String) throws(PolicyError) {
        let r = YAMLReader(source: source)
        for (key, k, v) in try r.mapping(
            root,
            "the policy",
            allowed: ["version", "mode", "settings", "rules", "overrides", "exceptions", "containment"]
        ) {
            switch key {
            case "version":
                let s = try r.string(v, "version")
                guard s == "1" else {
                    throw r.error(v, "unsupported policy version '\(s)'; this Brake reads version 1")
                }
            case "mode":
                try mergeMode(v, r, layer: source)
            case "settings":
                try mergeSettings(v, r, layer: source)
            case "rules":
                guard case .sequence(let seq) = v else { throw r.error(v, "rules must be a list") }
                for n in seq {
                    let rule = try parseRule(n, r, layer: source)
                    if rules.contains(where: { $0.id == rule.id }) {
                        throw r.error(
                            n,
                            "rule '\(rule.id)' is already defined by a higher layer; change it under 'overrides'"
                        )
                    }
                    rules.append(rule)
                }
            case "overrides":
                guard case .sequence(let seq) = v else { throw r.error(v, "overrides must be a list") }
                for n in seq { try applyOverride(n, r, layer: source) }
            case "exceptions":
                guard case .sequence(let seq) = v else { throw r.error(v, "exceptions must be a list") }
                for n in seq { try addException(n, r, layer: source) }
            case "containment":
                try mergeContainment(v, r, layer: source)
            default:
                throw r.error(k, "unknown key '\(key)'")
            }
        }
    }

    /// `containment: {write, deny_read, read_only, connect, profiles: {NAME: {…}}}`. Paths are absolute, `~/…`
    /// (the home directory) or relative to the project; `connect` lists the TCP ports a confined command may
    /// connect to (absent: the network is not limited). More unreadable or read-only paths tighten
    /// (any layer); more writable ones loosen (only a layer that may loosen; others are listed as ignored).
    mutating func mergeContainment(_ node: Node, _ r: YAMLReader, layer: String) throws(PolicyError) {
        func lists(_ n: Node, _ what: String, profile: String) throws(PolicyError) {
            var add = containment[profile] ?? ContainmentAdditions()
            for (key, _, v) in try r.mapping(
                n,
                what,
                allowed: ["write", "deny_read", "read_only", "connect", "profiles"]
            ) {
                switch key {
                case "profiles":
                    guard profile == "standard" else {
                        throw r.error(v, "profiles are named at the top of containment")
                    }
                    for (name, _, pv) in try r.mapping(v, "\(what).profiles", allowed: nil) {
                        try lists(pv, "\(what).profiles.\(name)", profile: name)
                    }
                case "write":
                    let list = try r.strings(v, "\(what).write")
                    if mayLoosen {
                        add.write += list
                    } else if !list.isEmpty {
                        ignored.append("\(layer): \(what).write (this layer may only tighten)")
                    }
                case "deny_read": add.denyRead += try r.strings(v, "\(what).deny_read")
                case "connect":
                    // Every layer's list must allow a port: a later layer can only narrow the network.
                    var ports: [Int] = []
                    for item in try r.strings(v, "\(what).connect") {
                        guard let port = Int(item), (1...65535).contains(port) else {
                            throw r.error(v, "\(what).connect lists TCP ports (1–65535), not '\(item)'")
                        }
                        ports.append(port)
                    }
                    add.connect = add.connect.map { old in old.filter(ports.contains) } ?? ports
                default: add.readOnly += try r.strings(v, "\(what).read_only")
                }
            }
            containment[profile] = add
        }
        try lists(node, "containment", profile: "standard")
    }

    mutating func mergeSettings(_ node: Node, _ r: YAMLReader, layer: String) throws(PolicyError) {
        for (key, _, v) in try r.mapping(
            node,
            "settings",
            allowed: [
                "production", "build_directories", "temp_paths", "cache_paths", "sensitive_paths", "protected_branches",
                "reroute_limit", "mcp_destructive_limit", "mcp_trusted_servers", "checkpoints",
            ]
        ) {
            switch key {
            case "production":
                for (pk, _, pv) in try r.mapping(
                    v,
                    "settings.production",
                    allowed: [
                        "words", "patterns", "environment_variables", "aws_accounts", "gcp_projects",
                        "azure_subscriptions", "kube_contexts", "branches",
                    ]
                ) {
                    let list = try r.strings(pv, "settings.production.\(pk)")
                    switch pk {
                    case "words": settings.productionWords += list.map { $0.lowercased() }
                    case "patterns": settings.productionGlobs += list
                    case "aws_accounts": settings.productionAWSAccounts += list
                    case "gcp_projects": settings.productionGCPProjects += list
                    case "azure_subscriptions": settings.productionAzureSubscriptions += list.map { $0.lowercased() }
                    case "kube_contexts": settings.productionKubeContexts += list
                    case "branches": settings.productionBranches += list
                    default: settings.environmentVariables += list
                    }
                }
            case "mcp_trusted_servers":
                let list = try r.strings(v, "settings.mcp_trusted_servers")
                // Trusting a server's annotations loosens: a layer the agent can write may not do it.
                if mayLoosen {
                    settings.mcpTrustedServers += list
                } else if !list.isEmpty {
                    ignored.append("\(layer): settings.mcp_trusted_servers (this layer may only tighten)")
                }
            case "checkpoints":
                try mergeCheckpoints(v, r, layer: layer)
            case "mcp_destructive_limit":
                mcpDestructiveLimit = min(mcpDestructiveLimit, try r.int(v, "settings.mcp_destructive_limit"))
            case "reroute_limit":
                let n = try r.int(v, "settings.reroute_limit")
                // A lower layer may only tighten: a smaller limit stops sooner.
                rerouteLimit = min(rerouteLimit, n)
            case "build_directories": settings.buildDirectories.formUnion(try r.strings(v, key))
            case "temp_paths": settings.tempPaths += try r.strings(v, key)
            case "cache_paths": settings.cachePaths += try r.strings(v, key)
            case "sensitive_paths": settings.sensitivePaths += try r.strings(v, key)
            default: settings.protectedBranches += try r.strings(v, key)
            }
        }
    }

    /// `settings.checkpoints: {enabled, max_file_mb, step_budget_mb, budget_mb, max_age_days}`. Switching them off
    /// or shrinking what they keep loosens (the agent's undo goes): only a layer that may loosen; any layer may keep
    /// more.
    mutating func mergeCheckpoints(_ node: Node, _ r: YAMLReader, layer: String) throws(PolicyError) {
        var c = settings.checkpoints
        for (key, _, v) in try r.mapping(
            node,
            "settings.checkpoints",
            allowed: ["enabled", "max_file_mb", "step_budget_mb", "budget_mb", "max_age_days"]
        ) {
            if key == "enabled" {
                let on = try r.bool(v, "settings.checkpoints.enabled")
                if on || mayLoosen {
                    c.enabled = on
                } else {
                    ignored.append("\(layer): settings.checkpoints.enabled (this layer may only tighten)")
                }
                continue
            }
            let n = try r.int(v, "settings.checkpoints.\(key) (MB, or days)", max: 1 << 20)
            let mb = Int64(n) << 20
            func set(_ old: Int64, _ new: Int64) -> Int64 {
                if new >= old || mayLoosen { return new }
                ignored.append("\(layer): settings.checkpoints.\(key) (this layer may only tighten)")
                return old
            }
            switch key {
            case "max_file_mb": c.maxFileBytes = set(c.maxFileBytes, mb)
            case "step_budget_mb": c.stepBudgetBytes = set(c.stepBudgetBytes, mb)
            case "budget_mb": c.budgetBytes = set(c.budgetBytes, mb)
            default: c.maxAgeDays = Int(set(Int64(c.maxAgeDays), Int64(n)))
            }
        }
        settings.checkpoints = c
    }

    func parseMatch(_ node: Node, _ r: YAMLReader, what: String) throws(PolicyError) -> RuleMatch {
        var m = RuleMatch()
        for (key, _, v) in try r.mapping(
            node,
            what,
            allowed: ["effect", "targets", "paths", "attrs", "arguments", "production", "actor", "programs"]
        ) {
            switch key {
            case "effect": m.effects = try r.strings(v, "\(what).effect")
            case "targets":
                var classes: [TargetClass] = []
                for s in try r.strings(v, "\(what).targets") {
                    guard let c = TargetClass(rawValue: s) else {
                        throw r.error(
                            v,
                            "unknown target class '\(s)'; expected one of: \(TargetClass.allCases.map(\.rawValue).joined(separator: ", "))"
                        )
                    }
                    classes.append(c)
                }
                m.targets = classes
            case "paths": m.paths = try r.strings(v, "\(what).paths")
            case "attrs":
                guard case .mapping(let am) = v else { throw r.error(v, "\(what).attrs must be a mapping") }
                for (ak, av) in am {
                    guard let name = ak.string else { throw r.error(ak, "attribute names must be strings") }
                    m.attrs[name] = try r.strings(av, "\(what).attrs.\(name)")
                }
            case "arguments":
                guard case .mapping(let am) = v else {
                    throw r.error(v, "\(what).arguments must map path selectors to values, e.g. {folder: [Inbox]}")
                }
                for (ak, av) in am {
                    guard let sel = ak.string, ArgumentPath.valid(sel) else {
                        throw r.error(
                            ak,
                            "\(what).arguments: '\(ak.string ?? "")' is not a path selector; use names, [N] or [*], joined with dots (recipients[*], filter.from)"
                        )
                    }
                    m.arguments[sel] = try r.strings(av, "\(what).arguments.\(sel)")
                }
            case "production": m.production = try r.bool(v, "\(what).production")
            case "actor":
                let s = try r.string(v, "\(what).actor")
                guard let a = Actor(rawValue: s) else { throw r.error(v, "actor must be agent or human, not '\(s)'") }
                m.actor = a
            default: m.programs = try r.strings(v, "\(what).programs")
            }
        }
        if m.effects.isEmpty { throw r.error(node, "\(what) needs an 'effect'") }
        return m
    }

    func parseApprovers(_ node: Node, _ r: YAMLReader) throws(PolicyError) -> Approvers {
        var a = Approvers(role: "member", count: 1)
        for (key, _, v) in try r.mapping(node, "approvers", allowed: ["role", "count"]) {
            if key == "role" {
                a.role = try r.string(v, "approvers.role")
            } else {
                a.count = try r.int(v, "approvers.count")
            }
        }
        return a
    }

    func parseRule(_ node: Node, _ r: YAMLReader, layer: String) throws(PolicyError) -> Rule {
        var id: String?
        var decision: Verdict?
        var rule = Rule(
            id: "",
            decision: .ask,
            message: "",
            agentMessage: "",
            labels: [],
            approvers: Approvers(role: "member", count: 1),
            overridable: true,
            match: RuleMatch(),
            unless: [],
            examplesMatch: [],
            examplesNoMatch: [],
            layer: layer
        )
        var matchNode: Node?
        for (key, _, v) in try r.mapping(
            node,
            "a rule",
            allowed: [
                "id", "decision", "message", "agent_message", "labels", "approvers", "overridable", "match", "unless",
                "examples",
            ]
        ) {
            switch key {
            case "id": id = try r.string(v, "id")
            case "decision": decision = try r.verdict(v)
            case "message": rule.message = try r.string(v, "message")
            case "agent_message": rule.agentMessage = try r.string(v, "agent_message")
            case "labels": rule.labels = try r.strings(v, "labels")
            case "approvers": rule.approvers = try parseApprovers(v, r)
            case "overridable": rule.overridable = try r.bool(v, "overridable")
            case "match":
                matchNode = v
                rule.match = try parseMatch(v, r, what: "match")
            case "unless":
                guard case .sequence(let seq) = v else { throw r.error(v, "unless must be a list of match conditions") }
                for n in seq { rule.unless.append(try parseMatch(n, r, what: "unless")) }
            default:
                for (ek, _, ev) in try r.mapping(v, "examples", allowed: ["match", "no_match"]) {
                    if ek == "match" {
                        rule.examplesMatch = try r.strings(ev, "examples.match")
                    } else {
                        rule.examplesNoMatch = try r.strings(ev, "examples.no_match")
                    }
                }
            }
        }
        guard let id, !id.isEmpty else { throw r.error(node, "a rule needs an 'id'") }
        guard let decision else { throw r.error(node, "rule '\(id)' needs a 'decision' (allow, ask or deny)") }
        guard matchNode != nil else { throw r.error(node, "rule '\(id)' needs a 'match'") }
        if rule.message.isEmpty { throw r.error(node, "rule '\(id)' needs a 'message' for the person") }
        if rule.agentMessage.isEmpty { rule.agentMessage = rule.message }
        rule.id = id
        rule.decision = decision
        return rule
    }

    mutating func applyOverride(_ node: Node, _ r: YAMLReader, layer: String) throws(PolicyError) {
        var pattern: String?
        var decision: Verdict?
        var approvers: Approvers?
        var overridable: Bool?
        var message: String?
        var agentMessage: String?
        for (key, _, v) in try r.mapping(
            node,
            "an override",
            allowed: ["rule", "decision", "approvers", "overridable", "message", "agent_message"]
        ) {
            switch key {
            case "rule": pattern = try r.string(v, "rule")
            case "decision": decision = try r.verdict(v)
            case "approvers": approvers = try parseApprovers(v, r)
            case "overridable": overridable = try r.bool(v, "overridable")
            case "message": message = try r.string(v, "message")
            default: agentMessage = try r.string(v, "agent_message")
            }
        }
        guard let pattern else { throw r.error(node, "an override needs a 'rule' (a rule id or glob)") }
        let indices = rules.indices.filter { Glob.match(pattern, rules[$0].id) }
        if indices.isEmpty {
            throw r.error(node, "override: no rule matches '\(pattern)'; see `brake policy show` for the rule ids")
        }
        for i in indices {
            var rule = rules[i]
            let loosens =
                (decision.map { $0 < rule.decision } ?? false)
                || (approvers.map {
                    $0.count < rule.approvers.count
                        || ($0.role != rule.approvers.role
                            && Policy.roleRank($0.role) < Policy.roleRank(rule.approvers.role))
                } ?? false)
                || (overridable == true && !rule.overridable)
            if loosens && !rule.overridable {
                throw r.error(
                    node,
                    "rule '\(rule.id)' is not overridable (locked by \(rule.layer)); a lower layer may tighten it but not loosen it"
                )
            }
            if loosens && !mayLoosen {
                ignored.append("\(layer): an override that loosens \(rule.id) (this layer may only tighten)")
                continue
            }
            if let decision { rule.decision = decision }
            if let approvers { rule.approvers = approvers }
            if let overridable { rule.overridable = overridable }
            if let message { rule.message = message }
            if let agentMessage { rule.agentMessage = agentMessage }
            rule.layer = layer
            rules[i] = rule
        }
    }

    static func roleRank(_ role: String) -> Int {
        switch role {
        case "member", "developer": return 1
        case "senior", "lead": return 2
        case "admin", "owner": return 3
        default: return 2
        }
    }

    mutating func addException(_ node: Node, _ r: YAMLReader, layer: String) throws(PolicyError) {
        var e = PolicyException(rules: [], paths: [], reason: "", layer: layer)
        for (key, _, v) in try r.mapping(
            node,
            "an exception",
            allowed: ["rules", "paths", "commands", "repositories", "examples", "reason"]
        ) {
            switch key {
            case "rules": e.rules = try r.strings(v, "rules")
            case "paths": e.paths = try r.strings(v, "paths")
            case "commands": e.commands = try r.strings(v, "commands")
            case "repositories": e.repositories = try r.strings(v, "repositories")
            case "examples": e.examples = try r.strings(v, "examples")
            default: e.reason = try r.string(v, "reason")
            }
        }
        if e.rules.isEmpty || (e.paths.isEmpty && e.commands.isEmpty) {
            throw r.error(node, "an exception needs 'rules' and 'paths' or 'commands' so that it stays scoped")
        }
        if let bare = e.commands.first(where: { CommandPattern.split($0).allSatisfy { $0 == "*" } }) {
            throw r.error(node, "exception: the command pattern '\(bare)' matches any command; name the program")
        }
        if e.reason.isEmpty { throw r.error(node, "an exception needs a 'reason'") }
        for pattern in e.rules {
            let hit = rules.filter { Glob.match(pattern, $0.id) }
            if hit.isEmpty { throw r.error(node, "exception: no rule matches '\(pattern)'") }
            if let locked = hit.first(where: { !$0.overridable }) {
                throw r.error(node, "exception: rule '\(locked.id)' is not overridable (locked by \(locked.layer))")
            }
        }
        if !mayLoosen {
            ignored.append("\(layer): an exception to \(e.rules.joined(separator: ", ")) (this layer may only tighten)")
            return
        }
        exceptions.append(e)
    }
}

/// Path selectors into a tool call's JSON arguments.
public enum ArgumentPath {
    /// Every leaf of a JSON value as (path, text): `to[0]`, `filter.from`, `dry_run` → "true".
    public static func leaves(_ v: JSONValue, prefix: String = "") -> [(String, String)] {
        switch v {
        case .object(let members):
            return members.flatMap { leaves($0.1, prefix: prefix.isEmpty ? $0.0 : prefix + "." + $0.0) }
        case .array(let items):
            return items.enumerated().flatMap { leaves($0.1, prefix: prefix + "[\($0.0)]") }
        case .string(let s): return [(prefix, s)]
        case .number: return [(prefix, v.serialized)]
        case .bool(let b): return [(prefix, b ? "true" : "false")]
        case .null: return [(prefix, "null")]
        }
    }

    /// The selector's segments: names (`*` for any), `[N]`, `[*]`; a leading `$.` is allowed.
    static func segments(_ selector: String) -> [String]? {
        var s = Substring(selector)
        if s.hasPrefix("$.") { s = s.dropFirst(2) } else if s == "$" { return [] }
        var out: [String] = []
        var name = ""
        var i = s.startIndex
        while i < s.endIndex {
            let c = s[i]
            if c == "." {
                if name.isEmpty && (out.last.map { !$0.hasPrefix("[") } ?? true) { return nil }
                if !name.isEmpty { out.append(name) }
                name = ""
            } else if c == "[" {
                if !name.isEmpty { out.append(name) }
                name = ""
                guard let close = s[i...].firstIndex(of: "]") else { return nil }
                let inner = s[s.index(after: i)..<close]
                guard inner == "*" || (!inner.isEmpty && inner.allSatisfy(\.isNumber)) else { return nil }
                out.append("[" + inner + "]")
                i = close
            } else {
                name.append(c)
            }
            i = s.index(after: i)
        }
        if !name.isEmpty { out.append(name) }
        return out.isEmpty ? nil : out
    }

    public static func valid(_ selector: String) -> Bool { segments(selector) != nil }

    /// Whether a leaf path (as `leaves` writes it) is selected.
    public static func matches(_ selector: String, _ path: String) -> Bool {
        guard let want = segments(selector), let have = segments(path), want.count == have.count else { return false }
        for (w, h) in zip(want, have) {
            if w == "*" || w == "[*]" && h.hasPrefix("[") { continue }
            if w != h { return false }
        }
        return true
    }
}
