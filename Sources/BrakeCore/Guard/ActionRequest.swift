/// One action an agent wants to take, as raw facts: what the hook, `brake exec` or `brake mcp` saw and
/// read from the machine, never a verdict. The control plane judges it with its own policy; the same value
/// is judged locally (`Judge.evaluate`), so both sides compute the same digest.
public struct ActionRequest: Sendable, Equatable {
    /// The agent (`claude-code`, `exec`, `mcp:NAME` …).
    public var agent: String
    /// The agent session, or empty.
    public var session: String
    /// The agent's tool name (`Bash`, `Write`, an MCP tool …).
    public var tool: String
    /// The actions of this one call (a patch can hold several).
    public var actions: [Action]
    /// `sha256:…` of the tool input (file content, edit strings), so an approval of a write covers its content.
    public var inputDigest: String?
    /// `sha256:…` of the plan file a `terraform apply PLANFILE` applies, or of what a change set does.
    public var planDigest: String?
    /// MCP annotations learned from `tools/list` for this tool.
    public var toolHints: [String: Bool]
    /// The tool's description from `tools/list` (MCP), or empty. Like the annotations, it can only raise risk.
    public var toolDescription: String = ""
    /// The tool's input-schema properties from `tools/list`, as `name:type`.
    public var toolParameters: [String] = []
    /// Where it runs: directory, home, project, the environment variables the engine reads, resolved targets.
    public var context: Context
    /// The repository of the session and of every directory the action runs in or writes to.
    public var repositories: [String]
    /// The environment the operator declared (`BRAKE_ENVIRONMENT`), or empty.
    public var environment: String
    /// A decision the machine's own policy reached; the server may only tighten with it.
    public var localVerdict: Verdict?
    /// The rules behind `localVerdict`.
    public var localRules: [String]
    /// The machine's own policy says `mode: enforce`: observe mode on the server does not apply to it.
    public var localEnforce = false

    /// Creates a request.
    public init(
        agent: String,
        session: String = "",
        tool: String,
        actions: [Action],
        context: Context,
        inputDigest: String? = nil,
        planDigest: String? = nil,
        toolHints: [String: Bool] = [:],
        repositories: [String] = [],
        environment: String = "",
        localVerdict: Verdict? = nil,
        localRules: [String] = []
    ) {
        self.agent = agent
        self.session = session
        self.tool = tool
        self.actions = actions
        self.context = context
        self.inputDigest = inputDigest
        self.planDigest = planDigest
        self.toolHints = toolHints
        self.repositories = repositories
        self.environment = environment
        self.localVerdict = localVerdict
        self.localRules = localRules
    }

    /// The repository stops are matched against first (the session's own).
    public var repository: String { repositories.first ?? "" }

    /// Environment variables an adapter passes on: where actions land and what the commands read. Values of
    /// secret-looking names are replaced, so credentials never leave the machine.
    public static func environment(
        _ env: [String: String],
        referenced: Set<String>,
        settings: AnalysisSettings
    ) -> [String: String] {
        var out: [String: String] = [:]
        for (n, v) in env
        where alwaysSent.contains(n) || referenced.contains(n) || settings.environmentVariables.contains(n) {
            out[n] = Redact.isSecretName(n) ? "[redacted]" : v
        }
        return out
    }

    /// The variables that always go with an action: where it runs and which production it may reach.
    static let alwaysSent = Set(
        Engine.placeVariables + Analyzer.productionVariables + ["HOME", "USER", "SHELL", "OLDPWD"]
    )

    // MARK: JSON

    /// The wire form (`POST /v1/judge`).
    public var json: JSONValue {
        var ctx: [(String, JSONValue)] = [
            ("cwd", .string(context.cwd)), ("home", .string(context.home)),
            ("project_root", context.projectRoot.map { .string($0) } ?? .null),
            ("env", .object(context.env.keys.sorted().map { ($0, .string(context.env[$0]!)) })),
            ("user", context.user.map { .string($0) } ?? .null),
        ]
        for (name, value) in context.targets
        where !name.hasPrefix("link:") && !name.hasPrefix("script:") && !name.hasPrefix("aws_account:") {
            ctx.append((name, .string(value)))
        }
        if !context.awsAccounts.isEmpty {
            ctx.append(
                (
                    "aws_accounts",
                    .object(context.awsAccounts.keys.sorted().map { ($0, .string(context.awsAccounts[$0]!)) })
                )
            )
        }
        if !context.links.isEmpty {
            ctx.append(
                (
                    "links",
                    .object(context.links.keys.sorted().map { ($0, .array(context.links[$0]!.map { .string($0) })) })
                )
            )
        }
        if !context.scripts.isEmpty {
            ctx.append(("scripts", .object(context.scripts.keys.sorted().map { ($0, .string(context.scripts[$0]!)) })))
        }
        if !context.scriptProblems.isEmpty {
            ctx.append(
                (
                    "script_problems",
                    .object(context.scriptProblems.keys.sorted().map { ($0, .string(context.scriptProblems[$0]!)) })
                )
            )
        }
        var m: [(String, JSONValue)] = [
            ("agent", .string(agent)), ("session", .string(session)), ("tool", .string(tool)),
            ("actions", .array(actions.map(\.canonical))), ("context", .object(ctx)),
            ("repositories", .array(repositories.map { .string($0) })), ("environment", .string(environment)),
        ]
        if let inputDigest { m.append(("input_digest", .string(inputDigest))) }
        if let planDigest { m.append(("plan_digest", .string(planDigest))) }
        if !toolHints.isEmpty {
            m.append(("tool_hints", .object(toolHints.keys.sorted().map { ($0, .bool(toolHints[$0]!)) })))
        }
        if !toolDescription.isEmpty { m.append(("tool_description", .string(toolDescription))) }
        if !toolParameters.isEmpty { m.append(("tool_parameters", .array(toolParameters.map { .string($0) }))) }
        if let localVerdict {
            m.append(
                (
                    "local",
                    .object([
                        ("decision", .string(localVerdict.rawValue)),
                        ("rules", .array(localRules.map { .string($0) })), ("enforce", .bool(localEnforce)),
                    ])
                )
            )
        }
        return .object(m)
    }

    /// Reads the wire form strictly: a missing or mistyped field is an error that names it.
    public init(json v: JSONValue) throws(ActionRequestError) {
        func string(_ key: String, in o: JSONValue = v, required: Bool = true) throws(ActionRequestError) -> String {
            switch o[key] {
            case .string(let s)?: return s
            case nil, .null?:
                if required { throw ActionRequestError("'\(key)' is required (a string)") }
                return ""
            default: throw ActionRequestError("'\(key)' must be a string")
            }
        }
        func optional(_ key: String, in o: JSONValue) throws(ActionRequestError) -> String? {
            switch o[key] {
            case .string(let s)?: return s
            case nil, .null?: return nil
            default: throw ActionRequestError("'\(key)' must be a string or null")
            }
        }
        guard case .object = v else { throw ActionRequestError("the body must be a JSON object") }
        agent = try string("agent")
        session = try string("session", required: false)
        tool = try string("tool")
        guard case .array(let items)? = v["actions"], !items.isEmpty, items.count <= 64 else {
            throw ActionRequestError("'actions' must be a list of 1 to 64 actions")
        }
        var acts: [Action] = []
        for item in items { acts.append(try Action(json: item)) }
        actions = acts
        guard let c = v["context"], case .object = c else {
            throw ActionRequestError("'context' is required (an object with cwd and home)")
        }
        let cwd = try string("cwd", in: c)
        let home = try string("home", in: c)
        guard cwd.hasPrefix("/"), home.hasPrefix("/") else {
            throw ActionRequestError("'context.cwd' and 'context.home' must be absolute paths")
        }
        var env: [String: String] = [:]
        switch c["env"] {
        case .object(let members)?:
            for (k, value) in members {
                guard case .string(let s) = value else {
                    throw ActionRequestError("'context.env.\(k)' must be a string")
                }
                env[k] = s
            }
        case nil, .null?: break
        default: throw ActionRequestError("'context.env' must be an object of strings")
        }
        var ctx = Context(
            cwd: cwd,
            home: home,
            projectRoot: try optional("project_root", in: c),
            env: env,
            actor: .agent,
            user: try optional("user", in: c)
        )
        ctx.kubeContext = try optional("kube_context", in: c)
        ctx.terraformWorkspace = try optional("terraform_workspace", in: c)
        ctx.awsProfile = try optional("aws_profile", in: c)
        ctx.gcloudProject = try optional("gcloud_project", in: c)
        ctx.gitBranch = try optional("git_branch", in: c)
        ctx.azureSubscription = try optional("azure_subscription", in: c)
        ctx.azureSubscriptionName = try optional("azure_subscription_name", in: c)
        switch c["aws_accounts"] {
        case .object(let members)?:
            guard members.count <= 256 else {
                throw ActionRequestError("'context.aws_accounts' holds at most 256 profiles")
            }
            for (profile, account) in members {
                guard let a = account.stringValue else {
                    throw ActionRequestError("'context.aws_accounts' maps profile names to account ids (strings)")
                }
                ctx.awsAccounts[profile] = a
            }
        case nil, .null?: break
        default: throw ActionRequestError("'context.aws_accounts' must be an object of strings")
        }
        if case .object(let members)? = c["links"] {
            guard members.count <= 64 else { throw ActionRequestError("'context.links' holds at most 64 paths") }
            for (path, aliases) in members {
                guard path.hasPrefix("/"), let list = aliases.arrayValue, list.count <= 8,
                    list.allSatisfy({ $0.stringValue?.hasPrefix("/") == true })
                else {
                    throw ActionRequestError("'context.links' maps absolute paths to lists of absolute paths")
                }
                ctx.links[path] = list.compactMap(\.stringValue)
            }
        }
        // Files the action runs, as the machine read them (bounded like the machine reads them).
        for (key, limit) in [("scripts", ScriptLimits.bytes), ("script_problems", 512)] {
            guard case .object(let members)? = c[key] else { continue }
            guard members.count <= ScriptLimits.files else {
                throw ActionRequestError("'context.\(key)' holds at most \(ScriptLimits.files) files")
            }
            for (path, value) in members {
                guard path.hasPrefix("/"), let text = value.stringValue, text.utf8.count <= limit else {
                    throw ActionRequestError("'context.\(key)' maps absolute paths to texts of at most \(limit) bytes")
                }
                if key == "scripts" { ctx.scripts[path] = text } else { ctx.scriptProblems[path] = text }
            }
        }
        context = ctx
        context.agent = agent
        context.session = session.isEmpty ? nil : session
        switch v["repositories"] {
        case .array(let rs)?:
            repositories = try rs.map { (r: JSONValue) throws(ActionRequestError) -> String in
                guard case .string(let s) = r else { throw ActionRequestError("'repositories' must be strings") }
                return s
            }
        case nil, .null?: repositories = []
        default: throw ActionRequestError("'repositories' must be a list of strings")
        }
        environment = try string("environment", required: false)
        inputDigest = try optional("input_digest", in: v)
        planDigest = try optional("plan_digest", in: v)
        var hints: [String: Bool] = [:]
        if case .object(let members)? = v["tool_hints"] {
            for (k, value) in members {
                guard case .bool(let b) = value else {
                    throw ActionRequestError("'tool_hints.\(k)' must be true or false")
                }
                hints[k] = b
            }
        }
        toolHints = hints
        toolDescription = try optional("tool_description", in: v) ?? ""
        switch v["tool_parameters"] {
        case .array(let items)?:
            var list: [String] = []
            for item in items {
                guard case .string(let s) = item else {
                    throw ActionRequestError("'tool_parameters' must be a list of strings")
                }
                list.append(s)
            }
            toolParameters = list
        case nil, .null?: toolParameters = []
        default: throw ActionRequestError("'tool_parameters' must be a list of strings")
        }
        localVerdict = nil
        localRules = []
        if let local = v["local"], local != .null {
            guard let d = local["decision"]?.stringValue, let verdict = Verdict(rawValue: d) else {
                throw ActionRequestError("'local.decision' must be allow, ask or deny")
            }
            localVerdict = verdict
            localRules = local["rules"]?.strings ?? []
            localEnforce = local["enforce"]?.boolValue ?? false
        }
    }
}

/// A request body that cannot be read: says which field and what it must be.
public struct ActionRequestError: Error, Sendable, CustomStringConvertible {
    /// What was wrong.
    public var message: String
    init(_ message: String) { self.message = message }
    /// The message.
    public var description: String { message }
}

extension Action {
    /// Reads the canonical form back (`{"kind": "shell", "command": …}`).
    public init(json v: JSONValue) throws(ActionRequestError) {
        func field(_ key: String) throws(ActionRequestError) -> String {
            guard let s = v[key]?.stringValue else {
                throw ActionRequestError(
                    "an action of kind '\(v["kind"]?.stringValue ?? "?")' needs '\(key)' (a string)"
                )
            }
            return s
        }
        switch v["kind"]?.stringValue {
        case "shell": self = .shell(command: try field("command"))
        case "write": self = .write(path: try field("path"))
        case "edit": self = .edit(path: try field("path"))
        case "delete": self = .delete(path: try field("path"))
        case "read": self = .read(path: try field("path"))
        case "mcp": self = .mcp(server: try field("server"), tool: try field("tool"), arguments: try field("arguments"))
        case "other": self = .other(tool: try field("tool"))
        default:
            throw ActionRequestError(
                "each action needs 'kind': shell, write, edit, delete, read, mcp or other"
            )
        }
    }
}

/// How much of the files an action runs the machine reads and sends along.
public enum ScriptLimits {
    public static let files = 16
    public static let bytes = 256 * 1024
}
