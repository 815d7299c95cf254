import BrakeCore

/// What a head of engineering and a platform team read about oversight over a period: how much was decided,
/// asked and refused, how long people took to approve and what that adds up to, which rules ask most, what
/// observe mode would have asked, the AI-assisted share of commits and their sign-offs — per repository, team,
/// agent and person — and the asks that teach nothing (suggestions).
public struct OversightReport: Sendable {
    public struct Filter: Sendable, Equatable {
        public var since: Int
        public var until: Int
        /// Users of one team (nil: everyone).
        public var team: String?
        public var users: Set<String>?
        /// Repository identity or glob (nil: every repository).
        public var repository: String?

        public init(since: Int, until: Int, team: String? = nil, users: Set<String>? = nil, repository: String? = nil) {
            self.since = since
            self.until = until
            self.team = team
            self.users = users
            self.repository = repository
        }

        func keeps(user: String, repository repo: String) -> Bool {
            if let users, !users.contains(user) { return false }
            if let repository, !Glob.match(repository, repo) { return false }
            return true
        }
    }

    /// Sums for one repository, team, agent or person.
    public struct Tally: Sendable, Equatable {
        public var name = ""
        public var actions = 0
        public var asks = 0
        public var denies = 0
        public var stopped = 0
        public var wouldAsk = 0
        /// Seconds of agent sessions (each day of a session from its first to its last decision, plus a minute).
        public var agentSeconds = 0
        public var latencies: [Int] = []

        mutating func add(_ f: SessionFacts) {
            actions += f.actions
            asks += f.asks
            denies += f.denies
            stopped += f.stopped
            wouldAsk += f.observedAsks
            agentSeconds += f.activeSeconds
        }

        var agentHours: Double { Double(agentSeconds) / 3600 }

        public var json: JSONValue {
            var m: [(String, JSONValue)] = [
                ("name", .string(name)), ("actions", .number(Double(actions))), ("asks", .number(Double(asks))),
                ("denies", .number(Double(denies))), ("stopped", .number(Double(stopped))),
                ("would_ask", .number(Double(wouldAsk))),
                ("agent_hours", OversightReport.round(agentHours)),
                ("asks_per_agent_hour", agentSeconds == 0 ? .null : OversightReport.round(Double(asks) / agentHours)),
            ]
            m.append(("approval_latency", OversightReport.latencyJSON(latencies)))
            return .object(m)
        }
    }

    public var filter: Filter
    public var totals = Tally()
    public var byRepository: [Tally] = []
    public var byTeam: [Tally] = []
    public var byAgent: [Tally] = []
    public var byPerson: [Tally] = []
    /// Rule → (asks, would-have-asked), most asking first.
    public var rules: [(rule: String, asks: Int, wouldAsk: Int)] = []
    public var requests = 0
    public var approved = 0
    public var deniedRequests = 0
    public var expired = 0
    public var stops = 0
    public var breakerTrips = 0
    public var suggestions: [Suggestion] = []
    public var commits: [CommitFact] = []

    /// Builds the report from the store's facts; `teams` maps team → users (a person may be in several).
    public static func build(
        filter: Filter,
        sessions: [SessionFacts],
        ruleAsks: [RuleAsks],
        requests: [RequestFact],
        stops: [Stop],
        commits: [CommitFact],
        suggestions: [Suggestion],
        teams: [String: [String]]
    ) -> OversightReport {
        var r = OversightReport(filter: filter)
        var repos: [String: Tally] = [:]
        var teamTally: [String: Tally] = [:]
        var agents: [String: Tally] = [:]
        var people: [String: Tally] = [:]
        var teamsOf: [String: [String]] = [:]
        for (team, users) in teams { for u in users { teamsOf[u, default: []].append(team) } }
        for f in sessions where f.first <= filter.until && filter.keeps(user: f.user, repository: f.repository) {
            r.totals.add(f)
            repos[f.repository, default: Tally()].add(f)
            agents[f.agent, default: Tally()].add(f)
            people[f.user, default: Tally()].add(f)
            for t in teamsOf[f.user] ?? [] { teamTally[t, default: Tally()].add(f) }
        }
        var ruleTotals: [String: (Int, Int)] = [:]
        for a in ruleAsks where filter.keeps(user: a.user, repository: a.repository) {
            let old = ruleTotals[a.rule] ?? (0, 0)
            ruleTotals[a.rule] = (old.0 + a.asks, old.1 + a.observed)
        }
        r.rules = ruleTotals.map { ($0.key, $0.value.0, $0.value.1) }
            .sorted { ($0.asks + $0.wouldAsk, $1.rule) > ($1.asks + $1.wouldAsk, $0.rule) }
        for a in requests
        where a.created >= filter.since && a.created <= filter.until
            && filter.keeps(user: a.requester, repository: a.repository)
        {
            r.requests += 1
            switch a.status {
            case .approved, .used: r.approved += 1
            case .denied: r.deniedRequests += 1
            case .expired: r.expired += 1
            default: break
            }
            guard let decided = a.decided, a.status != .pending, a.status != .expired else { continue }
            let latency = max(0, decided - a.created)
            r.totals.latencies.append(latency)
            repos[a.repository, default: Tally()].latencies.append(latency)
            agents[a.agent, default: Tally()].latencies.append(latency)
            people[a.requester, default: Tally()].latencies.append(latency)
            for t in teamsOf[a.requester] ?? [] { teamTally[t, default: Tally()].latencies.append(latency) }
        }
        for s in stops where s.created >= filter.since && s.created <= filter.until {
            if filter.users != nil || filter.repository != nil {
                // A stop counts for a filtered report when it names what the filter keeps.
                let keeps =
                    (s.scope == .user && filter.users?.contains(s.value) ?? true && filter.repository == nil)
                    || (s.scope == .repository && filter.users == nil
                        && filter.repository.map { Glob.match($0, s.value) } ?? true)
                if !keeps { continue }
            }
            r.stops += 1
            if s.automatic { r.breakerTrips += 1 }
        }
        func sorted(_ d: [String: Tally]) -> [Tally] {
            d.map {
                var t = $0.value
                t.name = $0.key
                return t
            }.sorted { ($0.actions, $1.name) > ($1.actions, $0.name) }
        }
        r.byRepository = sorted(repos)
        r.byTeam = sorted(teamTally)
        r.byAgent = sorted(agents)
        r.byPerson = sorted(people)
        r.suggestions = suggestions.filter { s in
            filter.repository.map { f in s.repositories.contains { Glob.match(f, $0) } } ?? true
        }
        r.commits = commits.filter { c in
            c.time >= filter.since && c.time <= filter.until
                && (filter.repository.map { Glob.match($0, c.repository) } ?? true)
        }
        return r
    }

    // MARK: figures

    /// The nearest-rank percentile (the smallest value with at least p of the values at or below it).
    public static func percentile(_ values: [Int], _ p: Double) -> Int? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let rank = Int((p * Double(sorted.count)).rounded(.up))
        return sorted[min(sorted.count, max(1, rank)) - 1]
    }

    static func round(_ x: Double) -> JSONValue { .number((x * 100).rounded() / 100) }

    static func latencyJSON(_ values: [Int]) -> JSONValue {
        .object([
            ("count", .number(Double(values.count))),
            ("p50_seconds", percentile(values, 0.5).map { .number(Double($0)) } ?? .null),
            ("p90_seconds", percentile(values, 0.9).map { .number(Double($0)) } ?? .null),
            ("hours", round(Double(values.reduce(0, +)) / 3600)),
        ])
    }

    public var aiAssisted: [CommitFact] { commits.filter(\.aiAssisted) }
    public var needing: [CommitFact] { commits.filter(\.needsSignoff) }
    public var signedOff: [CommitFact] { commits.filter { $0.needsSignoff && $0.passed } }
    /// Seconds from commit to its first sign-off, for the commits signed off.
    public var signoffWaits: [Int] { commits.compactMap { c in c.signedAt.map { max(0, $0 - c.time) } } }

    static func share(_ part: Int, _ whole: Int) -> JSONValue {
        whole == 0 ? .null : .number((Double(part) / Double(whole) * 1000).rounded() / 1000)
    }

    public var commitsJSON: JSONValue {
        let added = commits.reduce(0) { $0 + $1.addedLines }
        let agent = commits.reduce(0) { $0 + $1.agentLines }
        return .object([
            ("total", .number(Double(commits.count))), ("ai_assisted", .number(Double(aiAssisted.count))),
            ("ai_assisted_share", Self.share(aiAssisted.count, commits.count)),
            ("lines", .object([("added", .number(Double(added))), ("agent", .number(Double(agent)))])),
            ("agent_line_share", Self.share(agent, added)),
            ("needing_signoff", .number(Double(needing.count))), ("signed_off", .number(Double(signedOff.count))),
            ("signoff_coverage", Self.share(signedOff.count, needing.count)),
            ("signoff_wait", Self.latencyJSON(signoffWaits)),
            ("source", .string("sign-off reports from brake gate and brake signoff")),
        ])
    }

    public var json: JSONValue {
        let wouldAsk = totals.wouldAsk
        return .object([
            ("since", .number(Double(filter.since))), ("until", .number(Double(filter.until))),
            ("period_days", .number(Double((filter.until - filter.since + 43199) / 86400))),
            ("team", filter.team.map { .string($0) } ?? .null),
            ("repository", filter.repository.map { .string($0) } ?? .null),
            ("actions", .number(Double(totals.actions))), ("asks", .number(Double(totals.asks))),
            ("denies", .number(Double(totals.denies))), ("stopped_actions", .number(Double(totals.stopped))),
            ("stops", .number(Double(stops))), ("breaker_trips", .number(Double(breakerTrips))),
            (
                "requests",
                .object([
                    ("total", .number(Double(requests))), ("approved", .number(Double(approved))),
                    ("denied", .number(Double(deniedRequests))), ("expired", .number(Double(expired))),
                ])
            ),
            ("approval_latency", Self.latencyJSON(totals.latencies)),
            ("agent_hours", Self.round(totals.agentHours)),
            (
                "asks_per_agent_hour",
                totals.agentSeconds == 0 ? .null : Self.round(Double(totals.asks) / totals.agentHours)
            ),
            ("observe", .object([("would_ask", .number(Double(wouldAsk)))])),
            (
                "rules",
                .array(
                    rules.prefix(20).map {
                        .object([
                            ("rule", .string($0.rule)), ("asks", .number(Double($0.asks))),
                            ("would_ask", .number(Double($0.wouldAsk))),
                        ])
                    }
                )
            ),
            ("by_repository", .array(byRepository.map(\.json))), ("by_team", .array(byTeam.map(\.json))),
            ("by_agent", .array(byAgent.map(\.json))), ("by_person", .array(byPerson.map(\.json))),
            ("suggestions", .array(suggestions.map(\.json))),
            ("commits", commitsJSON),
        ])
    }

    // MARK: text and CSV

    static func duration(_ s: Int?) -> String {
        guard let s else { return "—" }
        if s < 120 { return "\(s) s" }
        if s < 7200 { return "\(s / 60) min" }
        return String(format1: Double(s) / 3600) + " h"
    }

    public var text: String {
        let lat = totals.latencies
        var out = """
            actions decided: \(totals.actions) — asks \(totals.asks), denies \(totals.denies), refused by a stop \(totals.stopped)
            observe mode: would have asked \(totals.wouldAsk)
            stops: \(stops) (circuit breaker: \(breakerTrips))
            requests: \(requests) — approved \(approved), denied \(deniedRequests), expired \(expired)
            approval latency: p50 \(Self.duration(Self.percentile(lat, 0.5))), p90 \(Self.duration(Self.percentile(lat, 0.9))); \(String(format1: Double(lat.reduce(0, +)) / 3600)) hours waiting on people
            agent hours: \(String(format1: totals.agentHours)); asks per agent-hour: \(totals.agentSeconds == 0 ? "—" : String(format1: Double(totals.asks) / totals.agentHours))

            """
        if !rules.isEmpty {
            out += "rules that ask most:\n"
            for r in rules.prefix(10) {
                out += "  \(r.rule): \(r.asks) asks\(r.wouldAsk > 0 ? ", \(r.wouldAsk) in observe mode" : "")\n"
            }
        }
        for (title, list) in [
            ("repository", byRepository), ("team", byTeam), ("agent", byAgent), ("person", byPerson),
        ] where !list.isEmpty {
            out += "by \(title):\n"
            for t in list.prefix(20) {
                out +=
                    "  \(t.name.isEmpty ? "(none)" : t.name): \(t.actions) actions, \(t.asks) asks, \(t.denies) denies, \(t.wouldAsk) would ask; p50 approval \(Self.duration(Self.percentile(t.latencies, 0.5)))\n"
            }
        }
        out +=
            "commits (sign-off reports): \(commits.count), AI-assisted \(aiAssisted.count), signed off \(signedOff.count) of \(needing.count) that need it; wait for sign-off p50 \(Self.duration(Self.percentile(signoffWaits, 0.5)))\n"
        if suggestions.isEmpty {
            out += "suggestions: none\n"
        } else {
            out += "suggestions (asks approved every time; accept or reject on the Reports page):\n"
            for s in suggestions {
                out +=
                    "  \(s.id): \(s.rule) for `\(s.pattern)` in \(s.repository) — approved \(s.approvals)× by \(s.approvers.joined(separator: ", "))\n"
            }
        }
        return out
    }

    /// One line per repository, team, agent and person.
    public var csv: String {
        var out =
            "group,name,actions,asks,denies,stopped,would_ask,agent_hours,asks_per_agent_hour,approval_p50_seconds,approval_p90_seconds\n"
        func field(_ raw: String) -> String {
            // A spreadsheet would run a cell that starts like a formula: names come from reports, so they are text.
            let s = raw.first.map { "=+-@\t\r".contains($0) } == true ? "'" + raw : raw
            return s.contains(",") || s.contains("\"") || s.contains("\n")
                ? "\"" + s.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"") + "\"" : s
        }
        for (group, list) in [
            ("total", [totals]), ("repository", byRepository), ("team", byTeam), ("agent", byAgent),
            ("person", byPerson),
        ] {
            for t in list {
                let perHour = t.agentSeconds == 0 ? "" : String(format2: Double(t.asks) / t.agentHours)
                out +=
                    "\(group),\(field(group == "total" ? "" : t.name)),\(t.actions),\(t.asks),\(t.denies),\(t.stopped),\(t.wouldAsk),\(String(format2: t.agentHours)),\(perHour),\(Self.percentile(t.latencies, 0.5).map(String.init) ?? ""),\(Self.percentile(t.latencies, 0.9).map(String.init) ?? "")\n"
            }
        }
        return out
    }
}

extension String {
    /// One decimal, without Foundation.
    init(format1 x: Double) {
        let tenths = Int((x * 10).rounded())
        self = "\(tenths / 10).\(abs(tenths % 10))"
    }

    /// Two decimals, without Foundation.
    init(format2 x: Double) {
        let h = Int((x * 100).rounded())
        let frac = abs(h % 100)
        self = "\(h / 100).\(frac < 10 ? "0" : "")\(frac)"
    }
}
