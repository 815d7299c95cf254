import Testing

@testable import BrakeCore

@Suite("MCP tool-call rules: servers, tools, annotations, argument selectors")
struct ToolArgumentTests {
    let ctx = Context(cwd: "/home/dev/project", home: "/home/dev")

    func policy(_ yaml: String) throws -> Policy {
        var p = Policy.standard
        try p.merge(yaml: yaml, source: "org.yaml")
        return p
    }

    func decide(_ p: Policy, _ server: String, _ tool: String, _ args: String, hints: [String: Bool] = [:]) -> Verdict {
        Engine.decide(
            action: .mcp(server: server, tool: tool, arguments: args),
            context: ctx,
            policy: p,
            toolHints: hints
        )
        .verdict
    }

    @Test("selectors: names, dots, indexes, [*], * and $.")
    func selectors() {
        let leaves = ArgumentPath.leaves(
            try! JSONValue.parse(#"{"to":["a@x.com","b@evil.com"],"filter":{"from":"boss"},"n":3,"dry":false}"#)
        )
        #expect(leaves.map(\.0) == ["to[0]", "to[1]", "filter.from", "n", "dry"])
        #expect(leaves.map(\.1) == ["a@x.com", "b@evil.com", "boss", "3", "false"])
        #expect(ArgumentPath.matches("to[*]", "to[1]"))
        #expect(ArgumentPath.matches("to[1]", "to[1]") && !ArgumentPath.matches("to[0]", "to[1]"))
        #expect(ArgumentPath.matches("$.filter.from", "filter.from"))
        #expect(ArgumentPath.matches("*.from", "filter.from"))
        #expect(!ArgumentPath.matches("filter", "filter.from"))
        for bad in ["", "a..b", "a[", "a[x]", ".a"] { #expect(!ArgumentPath.valid(bad), "\(bad)") }
    }

    @Test("a rule can ask when an argument matches, and leave the rest alone")
    func argumentRule() throws {
        let p = try policy(
            """
            rules:
              - id: chat.outside-channel
                decision: ask
                message: Posts where customers read.
                match:
                  effect: mcp.call
                  attrs: {server: [chat], tool: ["post_*"]}
                  arguments: {"channels[*]": ["*"]}
                unless:
                  - effect: mcp.call
                    arguments: {"channels[*]": ["team-*"]}
              - id: tickets.no-prod-close
                decision: deny
                message: Closing production incidents is for people.
                match:
                  effect: mcp.call
                  attrs: {server: [tickets]}
                  arguments: {"$.labels[*]": [production], "state": [closed]}
            """
        )
        #expect(decide(p, "chat", "post_message", #"{"channels":["customers"]}"#) == .ask)
        #expect(decide(p, "chat", "post_message", #"{"channels":["team-infra"]}"#) == .allow)
        #expect(decide(p, "chat", "list_messages", #"{"channels":["customers"]}"#) == .allow)
        #expect(decide(p, "tickets", "update", #"{"labels":["db","production"],"state":"closed"}"#) == .deny)
        #expect(decide(p, "tickets", "update", #"{"labels":["db"],"state":"closed"}"#) == .allow)
        #expect(decide(p, "tickets", "update", #"{"labels":["production"],"state":"open"}"#) == .allow)
    }

    @Test("annotations are attributes rules can name")
    func annotations() throws {
        let p = try policy(
            """
            rules:
              - id: no-open-world-writes
                decision: ask
                message: Writes to the outside world.
                match: {effect: mcp.call, attrs: {open_world: ["true"], read_only: ["false"], idempotent: ["false"]}}
            """
        )
        #expect(decide(p, "web", "post_comment", "{}", hints: ["openWorldHint": true]) == .ask)
        #expect(decide(p, "web", "fetch", "{}", hints: ["openWorldHint": true, "readOnlyHint": true]) == .allow)
        #expect(decide(p, "local", "touch", "{}", hints: ["openWorldHint": false]) == .allow)
        #expect(decide(p, "web", "put", "{}", hints: ["openWorldHint": true, "idempotentHint": true]) == .allow)
    }

    @Test("a bad selector is a policy error that says how to write one")
    func badSelector() {
        var p = Policy.standard
        #expect(throws: PolicyError.self) {
            try p.merge(
                yaml:
                    "rules:\n  - id: x\n    decision: ask\n    message: m\n    match: {effect: mcp.call, arguments: {'a[': [x]}}\n",
                source: "org.yaml"
            )
        }
    }
}
