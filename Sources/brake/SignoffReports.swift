import BrakeClient
import BrakeCore
import BrakeHost

/// Sign-offs and gate results reach the control plane when one is configured: what each commit is (provenance
/// with evidence), what it needs, who signed and whether it passes — for the reports and the page — and the
/// sign-off envelopes themselves, which any gate then reads besides the git notes (and checks against its own
/// roster's keys, as it does the notes').
enum SignoffReports {
    /// The repository's identity as hooks report it (`github.com/acme/shop`, from the origin URL), else its
    /// directory.
    static func identity(root: String) -> String {
        RepositoryName.of(projectRoot: root) ?? root
    }

    /// Commit → committer time for the commits of a revision (a commit or a range).
    static func times(_ spec: String) -> [String: Int] {
        var out: [String: Int] = [:]
        let args = spec.contains("..") ? ["log", "--format=%H %ct", spec] : ["log", "-1", "--format=%H %ct", spec]
        for line in (Git.run(args) ?? "").split(separator: "\n") {
            let f = line.split(separator: " ")
            if f.count == 2 { out[String(f[0])] = Int(f[1]) }
        }
        return out
    }

    static func json(_ x: Signoff.CommitResult, time: Int) -> JSONValue {
        let added = x.commit.addedLines.values.reduce(0, +)
        return .object([
            ("commit", .string(x.commit.sha)), ("time", .number(Double(time))),
            ("author", .string(x.commit.authorEmail)), ("provenance", .string(x.provenance.rawValue)),
            ("evidence", .array(x.evidence.map { .string($0) })),
            (
                "requirements",
                .array(
                    x.requirements.map {
                        .string(
                            "\($0.count) × \($0.role)\($0.owners.isEmpty ? "" : " incl. an owner (\($0.owners.joined(separator: ", ")))"): \($0.why)"
                        )
                    }
                )
            ),
            ("signers", .array(x.signers.map { .string($0) })), ("missing", .array(x.missing.map { .string($0) })),
            ("passed", .bool(x.passed)), ("added_lines", .number(Double(added))),
            ("agent_lines", .number(Double(x.agentShare.map { Int(($0 * Double(added)).rounded()) } ?? 0))),
        ])
    }

    /// Sends gate results (and envelopes) to the control plane; a failure is reported on standard error and
    /// changes nothing else (the gate's verdict is the sign-offs', not the report's).
    @discardableResult
    static func send(
        _ link: ServerLink,
        repository: String,
        results: [Signoff.CommitResult],
        envelopes: [(String, String)],
        source: String,
        times: [String: Int]
    ) -> Bool {
        var i = 0
        repeat {
            let chunk = results[min(i, results.count)..<min(results.count, i + 5000)]
            let body = JSONValue.object([
                ("repository", .string(repository)), ("source", .string(source)),
                ("commits", .array(chunk.map { json($0, time: times[$0.commit.sha] ?? 0) })),
                (
                    "envelopes",
                    .array(
                        i == 0
                            ? envelopes.map { .object([("commit", .string($0.0)), ("envelope", .string($0.1))]) } : []
                    )
                ),
            ])
            do { _ = try link.client(timeout: 10).call("POST", "/v1/signoffs", body) } catch {
                FileHandleOut.stderr(
                    "brake: the control plane did not take the sign-off report (\(error)); its reports miss these commits\n"
                )
                return false
            }
            i += 5000
        } while i < results.count
        return true
    }

    /// The sign-off envelopes the control plane holds for these commits. Unreachable: an error (the gate does
    /// not judge on half the record).
    static func envelopes(_ link: ServerLink, commits: [String]) throws -> [String: [String]] {
        var out: [String: [String]] = [:]
        var i = 0
        while i < commits.count {
            let chunk = commits[i..<min(commits.count, i + 20000)]
            let answer: JSONValue
            do {
                answer = try link.client().call(
                    "POST",
                    "/v1/signoffs/lookup",
                    .object([("commits", .array(chunk.map { .string($0) }))])
                )
            } catch {
                throw Failure(
                    status: ExitStatus.badInput,
                    message:
                        "the control plane's sign-offs cannot be read (\(error)); retry when \(link.url) is reachable, or unset BRAKE_SERVER to judge with the git notes only"
                )
            }
            if case .object(let m)? = answer["envelopes"] {
                for (sha, list) in m { out[sha, default: []] += list.strings ?? [] }
            }
            i += 20000
        }
        return out
    }
}
