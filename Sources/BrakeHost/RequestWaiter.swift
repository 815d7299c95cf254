import BrakeClient
import BrakeCore

#if canImport(Glibc)
import Glibc
#endif

/// `brake wait ID` (and `brake exec --wait`): blocks until a person decides an approval request, saying every few
/// seconds what it waits for, so an agent that was told "denied, request ID" can wait for the decision and retry by
/// itself. With a server it long-polls `/v1/approvals/ID/wait`; without one it watches the local state.
package enum RequestWaiter {
    package enum Outcome: Equatable {
        case approved(by: String)
        case denied(by: String, reason: String)
        case expired
        case used
        case stillPending
    }

    /// What a request is waiting for, said in one line.
    static func describe(_ v: JSONValue) -> String {
        let summary = String((v["summary"]?.stringValue ?? "").prefix(120))
        let role = v["required"]?["role"]?.stringValue
        let count = v["required"]?["count"]?.intValue ?? 1
        let who = role.map { "\(count) × \($0)" } ?? "a person"
        let given = v["approvals"]?.intValue ?? 0
        return "`\(summary)`, to be approved by \(who)" + (given > 0 ? " (\(given) so far)" : "")
    }

    static func outcome(_ v: JSONValue) -> Outcome? {
        let votes = v["votes"]?.arrayValue ?? []
        switch v["status"]?.stringValue {
        case "approved":
            let by = votes.filter { $0["vote"]?.stringValue == "approve" }.compactMap { $0["user"]?.stringValue }
            return .approved(by: by.joined(separator: ", "))
        case "denied":
            let vote = votes.last { $0["vote"]?.stringValue == "deny" }
            return .denied(by: vote?["user"]?.stringValue ?? "a person", reason: vote?["reason"]?.stringValue ?? "")
        case "expired": return .expired
        case "used": return .used
        default: return nil
        }
    }

    /// Waits up to `timeout` seconds; `progress` gets a line when the wait starts and every `every` seconds.
    package static func wait(
        id: String,
        timeout: Double,
        env: [String: String],
        every: Double = 5,
        progress: (String) -> Void
    ) throws(Failure) -> Outcome {
        let store = LocalStore(env: env)
        let link: ServerLink?
        do { link = try ServerLink.load(env: env, store: store) } catch {
            throw Failure(status: ExitStatus.badInput, message: "\(error)")
        }
        let started = monotonicMS()
        func elapsed() -> Double { (monotonicMS() - started) / 1000 }
        var nextSay = 0.0
        while true {
            // The first look is immediate, so the line saying what is awaited comes first.
            let left = timeout - elapsed()
            let slice = nextSay == 0 ? 0 : max(0, min(every, left))
            let v: JSONValue
            if let link {
                do {
                    let client = try link.client(timeout: 5)
                    v = try client.call(
                        "GET",
                        "/v1/approvals/\(ServerClient.escape(id))/wait?timeout=\(Int(slice.rounded(.up)))",
                        extraTimeout: slice
                    )
                } catch ClientError.status(404, _) {
                    throw Failure(status: ExitStatus.badInput, message: "no request \(id) on \(link.url)")
                } catch {
                    throw Failure(
                        status: ExitStatus.badInput,
                        message: "the control plane cannot be asked about \(id) (\(error)); nothing was decided here"
                    )
                }
            } else {
                // This machine's state: the caller's own, or (a local system install) the guard service's copy,
                // which answers a status look without any secret.
                // (The caller's own state is read without its lock: a wait must not hold up the hooks.)
                var look = LocalOrder(.status)
                look.json = true
                let text =
                    SystemConfig.localOnly(env)
                    ? try LocalControl.answer(look, env: env, secretFromStdin: false)
                    : LocalControl.status(try store.read(), json: true)
                let requests = (try? JSONValue.parse(text))?["requests"]?.arrayValue ?? []
                guard let r = requests.first(where: { $0["id"]?.stringValue == id }) else {
                    throw Failure(status: ExitStatus.badInput, message: "no request \(id); `brake status` lists them")
                }
                v = r
            }
            if let o = outcome(v) { return o }
            if elapsed() >= nextSay {
                progress(
                    "brake: waiting for request \(id): \(describe(v)) — \(Int(elapsed())) s so far, at most \(Int(timeout)) s"
                )
                nextSay = elapsed() + every - 0.1
            }
            if elapsed() >= timeout { return .stillPending }
            if link == nil { usleep(UInt32(min(250_000, max(0, slice) * 1_000_000))) }
        }
    }
}
