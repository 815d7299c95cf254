import BrakeClient
import BrakeCore

/// `BrakeBenchmarks server-rtt URL TOKEN [N]`: the control-plane round trips a hook pays, each on a fresh
/// connection as a hook process makes it (connect, request, response, close).
enum ServerRTT {
    static func measure(_ n: Int, _ body: () throws -> Void) rethrows -> [Double] {
        var samples: [Double] = []
        samples.reserveCapacity(n)
        for _ in 0..<n {
            let start = ContinuousClock.now
            try body()
            let d = ContinuousClock.now - start
            samples.append(Double(d.components.seconds) * 1e3 + Double(d.components.attoseconds) / 1e15)
        }
        return samples.sorted()
    }

    static func line(_ name: String, _ s: [Double]) {
        func p(_ q: Double) -> Double { s[min(s.count - 1, Int(Double(s.count) * q))] }
        print(
            "  \(name): p50 \(fmt(p(0.5))) ms   p90 \(fmt(p(0.9))) ms   p99 \(fmt(p(0.99))) ms   (\(s.count) calls)"
        )
    }

    static func fmt(_ x: Double) -> String {
        let r = (x * 100).rounded() / 100
        return "\(r)"
    }

    static func run(url: String, token: String, count: Int) throws {
        let client = try ServerClient(url: url, token: token)
        let report = JSONValue.object([
            ("decision", .string("allow")), ("agent", .string("claude-code")), ("session", .string("rtt")),
            ("tool", .string("Bash")), ("action", .string("git status")), ("effects", .array([.string("fs.read")])),
            ("digest", .string("sha256:rtt")),
        ])
        for _ in 0..<50 { _ = try client.call("GET", "/v1/stops/check?agent=claude-code&session=rtt") }
        print("control-plane round trips from a fresh connection each (loopback)")
        line(
            "stop check  GET /v1/stops/check",
            try measure(count) {
                _ = try client.call("GET", "/v1/stops/check?agent=claude-code&session=rtt")
            }
        )
        line(
            "decision    POST /v1/decisions ",
            try measure(count) { _ = try client.call("POST", "/v1/decisions", report) }
        )
        // What a hook really sends now: the raw action; the server judges it and signs the answer.
        let context = Context(cwd: "/home/dev/project", home: "/home/dev", projectRoot: "/home/dev/project")
        let request = ActionRequest(
            agent: "claude-code",
            session: "rtt",
            tool: "Bash",
            actions: [.shell(command: "git status")],
            context: context
        )
        guard case .object(let members) = request.json else { return }
        let key = try client.call("GET", "/v1/audit/public-key")["public_key"]?.stringValue ?? ""
        var verified = 0
        let judged = try measure(count) {
            let nonce = SignedAnswer.newNonce()
            let answer = try client.call("POST", "/v1/judge", .object(members + [("nonce", .string(nonce))]))
            if case .success = SignedAnswer.verify(answer, nonce: nonce, publicKey: key) { verified += 1 }
        }
        line("judge       POST /v1/judge + verify", judged)
        if verified != count { print("  ERROR: \(count - verified) answers did not verify") }
    }
}
