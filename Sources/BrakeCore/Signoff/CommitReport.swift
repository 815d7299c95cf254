/// The commits of a repository over a period, as the oversight report counts them: how many are AI-assisted by
/// Brake's record and by what their messages declare, the share of added lines agents wrote, sign-off coverage,
/// and change failure by provenance (a commit later reverted, or fixed by a commit that names it). A commit whose
/// message says nothing of AI while the record shows an agent wrote it is listed by name.
public struct CommitReport: Sendable {
    public struct Row: Sendable, Equatable {
        public var sha: String
        public var time: Int
        public var author: String
        /// What the message, trailers and notes say (no record consulted).
        public var declared: Provenance.Kind
        /// Brake's record shows an agent made the commit or wrote content it adds.
        public var recorded: Bool
        public var addedLines: Int
        public var agentLines: Int
        public var needsSignoff: Bool
        public var signedOff: Bool
        /// Reverted, or fixed by a later commit that names it.
        public var failed: Bool
        public var evidence: [String]

        public var aiAssisted: Bool { recorded || declared == .aiAssisted }

        public init(
            sha: String,
            time: Int,
            author: String,
            declared: Provenance.Kind,
            recorded: Bool,
            addedLines: Int,
            agentLines: Int,
            needsSignoff: Bool,
            signedOff: Bool,
            failed: Bool,
            evidence: [String]
        ) {
            self.sha = sha
            self.time = time
            self.author = author
            self.declared = declared
            self.recorded = recorded
            self.addedLines = addedLines
            self.agentLines = agentLines
            self.needsSignoff = needsSignoff
            self.signedOff = signedOff
            self.failed = failed
            self.evidence = evidence
        }
    }

    public var rows: [Row]

    public init(rows: [Row]) { self.rows = rows }

    /// The rows from the gate's evaluation of each commit (`results`, made with the record) and the commits' times;
    /// `declared` classifies a commit from its message alone, `later` are the messages of every commit after the
    /// period's first (those that revert or fix others).
    public static func build(
        results: [Signoff.CommitResult],
        times: [String: Int],
        declared: (CommitInfo) -> Provenance.Kind,
        recorded: (CommitInfo) -> (evidence: [String], agentLines: Int)?,
        later: [String]
    ) -> CommitReport {
        let failed = failedCommits(messages: later)
        let rows = results.map { r -> Row in
            let c = r.commit
            let rec = recorded(c)
            return Row(
                sha: c.sha,
                time: times[c.sha] ?? 0,
                author: c.authorEmail,
                declared: declared(c),
                recorded: rec != nil,
                addedLines: c.addedLines.values.reduce(0, +),
                agentLines: rec?.agentLines ?? 0,
                needsSignoff: !r.requirements.isEmpty,
                signedOff: !r.requirements.isEmpty && r.passed,
                failed: failed.contains { c.sha.hasPrefix($0) },
                evidence: r.evidence
            )
        }
        return CommitReport(rows: rows)
    }

    /// The commit ids (full or abbreviated, at least 7 hex digits) that these messages revert or say they fix.
    public static func failedCommits(messages: [String]) -> Set<String> {
        var out: Set<String> = []
        for m in messages {
            for raw in m.split(separator: "\n") {
                let line = raw.trimmingSpaces.lowercased()
                var rest: Substring?
                if line.hasPrefix("this reverts commit ") {
                    rest = line.dropFirst("this reverts commit ".count)
                } else {
                    for word in ["fixes", "fixed", "fix"] where line.hasPrefix(word) {
                        let after = line.dropFirst(word.count)
                        guard let first = after.first, first == ":" || first == " " else { continue }
                        rest = after.drop { $0 == ":" || $0 == " " }
                        break
                    }
                }
                guard var r = rest else { continue }
                if r.hasPrefix("commit ") { r = r.dropFirst(7) }
                let id = r.prefix { $0.isHexDigit }
                if id.count >= 7 && id.count <= 40 { out.insert(String(id)) }
            }
        }
        return out
    }

    public var aiAssisted: [Row] { rows.filter(\.aiAssisted) }
    /// Commits whose message does not declare AI use while Brake's record shows an agent wrote them.
    public var undeclared: [Row] { rows.filter { $0.recorded && $0.declared != .aiAssisted } }

    static func rate(_ part: Int, _ whole: Int) -> JSONValue {
        whole == 0 ? .null : .number((Double(part) / Double(whole) * 1000).rounded() / 1000)
    }

    public var json: JSONValue {
        let added = rows.map(\.addedLines).reduce(0, +)
        let agent = rows.map(\.agentLines).reduce(0, +)
        let needing = rows.filter(\.needsSignoff)
        let signed = needing.filter(\.signedOff).count
        let declaredAI = rows.filter { $0.declared == .aiAssisted }.count
        let recordedAI = rows.filter(\.recorded).count
        func n(_ v: Int) -> JSONValue { .number(Double(v)) }
        func failure(_ set: [Row]) -> JSONValue {
            let f = set.filter(\.failed).count
            return .object([("commits", n(set.count)), ("failed", n(f)), ("rate", Self.rate(f, set.count))])
        }
        var undeclaredList: [JSONValue] = []
        for r in undeclared {
            let evidence: [JSONValue] = r.evidence.filter { $0.hasPrefix("recorded:") }.map { .string($0) }
            undeclaredList.append(
                .object([
                    ("sha", .string(r.sha)), ("author", .string(r.author)), ("declared", .string(r.declared.rawValue)),
                    ("evidence", .array(evidence)),
                ])
            )
        }
        let members: [(String, JSONValue)] = [
            ("total", n(rows.count)),
            ("ai_assisted", n(aiAssisted.count)),
            ("ai_assisted_declared", n(declaredAI)),
            ("ai_assisted_recorded", n(recordedAI)),
            ("ai_assisted_share", Self.rate(aiAssisted.count, rows.count)),
            ("lines", .object([("added", n(added)), ("agent", n(agent))])),
            ("agent_line_share", Self.rate(agent, added)),
            ("needing_signoff", n(needing.count)),
            ("signed_off", n(signed)),
            ("signoff_coverage", Self.rate(signed, needing.count)),
            (
                "change_failure",
                .object([("ai_assisted", failure(aiAssisted)), ("human", failure(rows.filter { !$0.aiAssisted }))])
            ),
            ("undeclared_ai", .array(undeclaredList)),
        ]
        return .object(members)
    }

    /// One line per commit.
    public var csv: String {
        var out =
            "sha,time,author,declared,recorded,ai_assisted,added_lines,agent_lines,needs_signoff,signed_off,failed\n"
        for r in rows {
            let author =
                r.author.contains(",") || r.author.contains("\"")
                ? "\"" + r.author.replacingAll("\"", with: "\"\"") + "\"" : r.author
            out +=
                "\(r.sha),\(r.time),\(author),\(r.declared.rawValue),\(r.recorded),\(r.aiAssisted),\(r.addedLines),\(r.agentLines),\(r.needsSignoff),\(r.signedOff),\(r.failed)\n"
        }
        return out
    }

    public var text: String {
        func pct(_ v: JSONValue?) -> String {
            guard case .number(let n)? = v else { return "—" }
            return "\(Int((n * 100).rounded())) %"
        }
        let j = json
        let failure = j["change_failure"]
        func fail(_ key: String) -> String {
            let f = failure?[key]
            return "\(f?["failed"]?.intValue ?? 0) of \(f?["commits"]?.intValue ?? 0) (\(pct(f?["rate"])))"
        }
        var out = """
            commits: \(rows.count)
              AI-assisted: \(aiAssisted.count) (\(pct(j["ai_assisted_share"]))) — declared \(j["ai_assisted_declared"]?.intValue ?? 0), recorded by Brake \(j["ai_assisted_recorded"]?.intValue ?? 0)
              lines added: \(j["lines"]?["added"]?.intValue ?? 0), by agents \(j["lines"]?["agent"]?.intValue ?? 0) (\(pct(j["agent_line_share"])))
              sign-off: \(j["signed_off"]?.intValue ?? 0) of \(j["needing_signoff"]?.intValue ?? 0) that need one (\(pct(j["signoff_coverage"])))
              change failure (reverted or fixed later): AI-assisted \(fail("ai_assisted")), human \(fail("human"))

            """
        if !undeclared.isEmpty {
            out += "  written by agents per Brake's record, though the message does not say so:\n"
            for r in undeclared {
                out += "    \(r.sha.prefix(12)) \(r.author): \(r.evidence.first { $0.hasPrefix("recorded:") } ?? "")\n"
            }
        }
        return out
    }
}
