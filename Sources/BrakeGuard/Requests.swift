import BrakeCore

/// The entry points' translations into one `ActionRequest`: adapters translate, they hold no policy.
public enum Requests {
    /// An agent hook call (`brake hook AGENT`); `input` is the tool input, for the content digest.
    public static func hook(
        _ call: HookCall,
        context: Context,
        input: String?,
        settings: AnalysisSettings
    )
        -> ActionRequest
    {
        make(
            agent: call.agent.rawValue,
            session: call.session ?? "",
            tool: call.tool,
            actions: call.actions,
            context: context,
            inputDigest: input.map { Engine.hexDigest($0) },
            settings: settings
        )
    }

    /// A command run through `brake exec -- ARGV…`.
    public static func exec(
        _ argv: [String],
        session: String,
        context: Context,
        settings: AnalysisSettings
    )
        -> ActionRequest
    {
        make(
            agent: "exec",
            session: session,
            tool: "exec",
            actions: [.shell(command: argv.map(Hooks.shellQuote).joined(separator: " "))],
            context: context,
            inputDigest: nil,
            settings: settings
        )
    }

    /// An MCP `tools/call` through `brake mcp`.
    public static func mcp(
        server: String,
        tool: String,
        arguments: String,
        hints: [String: Bool],
        description: String = "",
        parameters: [String] = [],
        session: String,
        context: Context,
        settings: AnalysisSettings
    ) -> ActionRequest {
        var r = make(
            agent: "mcp:" + server,
            session: session,
            tool: tool,
            actions: [.mcp(server: server, tool: tool, arguments: arguments)],
            context: context,
            inputDigest: nil,
            settings: settings
        )
        r.toolHints = hints
        r.toolDescription = description
        r.toolParameters = parameters
        return r
    }

    static func make(
        agent: String,
        session: String,
        tool: String,
        actions: [Action],
        context: Context,
        inputDigest: String?,
        settings: AnalysisSettings
    ) -> ActionRequest {
        // The whole environment stays here for this machine's judgement; the guard flow sends the server only
        // what the engine reads (`ActionRequest.environment`).
        ActionRequest(
            agent: agent,
            session: session,
            tool: tool,
            actions: actions,
            context: context,
            inputDigest: inputDigest,
            environment: context.env["BRAKE_ENVIRONMENT"] ?? ""
        )
    }
}
