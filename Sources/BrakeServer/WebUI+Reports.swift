import BrakeCore
import Hummingbird

/// The Reports page (figures, charts with their tables, suggestions to accept or reject) and the Sign-offs page.
extension WebUI {
    typealias PageHandler = @Sendable (Request, @Sendable (WebSession) async throws -> Response) async -> Response
    typealias PostHandler =
        @Sendable (Request, String, @Sendable (WebSession, [String: String]) async throws -> Response) async -> Response

    static let periods = [("7d", "Last 7 days"), ("30d", "Last 30 days"), ("90d", "Last 90 days")]

    static func periodOptions(_ chosen: String) -> [[String: Any]] {
        periods.map { ["value": $0.0, "label": $0.1, "selected": $0.0 == chosen] }
    }

    static func addReports(
        to router: Router<BasicRequestContext>,
        plane: ControlPlane,
        page: @escaping PageHandler,
        post: @escaping PostHandler,
        notes: @escaping @Sendable (Request) -> (String?, String?)
    ) {
        @Sendable func q(_ req: Request, _ k: String) -> String {
            req.uri.queryParameters[Substring(k)].map { decode(String($0)) } ?? ""
        }
        router.get("/ui/reports") { req, _ in
            await page(req) { s in
                let (msg, error) = notes(req)
                let since = periods.contains { $0.0 == q(req, "since") } ? q(req, "since") : "30d"
                let team = q(req, "team")
                let repository = q(req, "repository")
                let r = try await plane.oversight(
                    days: try ControlPlane.days(since),
                    team: team.isEmpty ? nil : team,
                    repository: repository.isEmpty ? nil : repository,
                    by: s.user
                )
                return render(
                    Page(
                        title: "Reports",
                        template: "reports",
                        context: reportContext(
                            r,
                            plane: plane,
                            user: s.user,
                            since: since,
                            team: team,
                            repository: repository
                        ),
                        nav: "Reports"
                    ),
                    session: s,
                    flash: msg,
                    error: error
                )
            }
        }
        for verb in ["accept", "reject"] {
            router.post("/ui/reports/suggestions/{id}/\(verb)") { req, ctx in
                let id = ctx.parameters.get("id") ?? ""
                return await post(req, "/ui/reports") { s, _ in
                    let d = try await plane.decideSuggestion(id: id, accept: verb == "accept", by: s.user)
                    let what =
                        d.status == "accepted"
                        ? "Accepted \(d.id): the server's policy now has the exception for \(d.rule) on `\(d.pattern)` in \(d.repository)."
                        : "Rejected \(d.id): it will not be proposed again."
                    return redirect("/ui/reports?msg=" + escapeQuery(what))
                }
            }
        }
        router.get("/ui/signoffs") { req, _ in
            await page(req) { s in
                let (msg, error) = notes(req)
                let since = periods.contains { $0.0 == q(req, "since") } ? q(req, "since") : "30d"
                let repository = q(req, "repository")
                let now = plane.now()
                let facts = try await plane.store.commitFacts(
                    since: now - (try ControlPlane.days(since)) * 86400,
                    repository: repository.isEmpty ? nil : repository
                )
                let rows: [[String: Any]] = facts.prefix(500).map {
                    [
                        "short": String($0.sha.prefix(12)), "author": $0.author, "ago": ago($0.time, now: now),
                        "repository": $0.repository, "provenance": $0.provenance,
                        "evidence": $0.evidence.joined(separator: "; "),
                        "requirements": $0.requirements.isEmpty ? "nothing" : $0.requirements.joined(separator: "; "),
                        "signers": $0.signers.joined(separator: ", "), "missing": $0.missing.joined(separator: "; "),
                        "passed": $0.passed,
                    ]
                }
                return render(
                    Page(
                        title: "Sign-offs",
                        template: "signoffs",
                        context: ["commits": rows, "repository": repository, "periods": periodOptions(since)],
                        nav: "Reports"
                    ),
                    session: s,
                    flash: msg,
                    error: error
                )
            }
        }
        router.post("/ui/signoffs") { req, _ in
            await post(req, "/ui/signoffs") { s, f in
                let repository = (f["repository"] ?? "").trimmingSpacesString
                // A range's sign-offs: one envelope per line, each filed under the commit it names.
                let lines = (f["envelopes"] ?? "").split(whereSeparator: { $0 == "\n" || $0 == "\r" })
                    .map { String($0).trimmingSpacesString }.filter { !$0.isEmpty }
                if lines.isEmpty { throw APIError.badRequest("paste at least one sign-off envelope") }
                try plane.requirePerson(s.user, to: "recording sign-offs")
                _ = try await plane.recordSignoffs(
                    .object([
                        ("repository", .string(repository)), ("source", .string("page")), ("commits", .array([])),
                        ("envelopes", .array(lines.map { .object([("envelope", .string($0))]) })),
                    ]),
                    by: s.user
                )
                return redirect(
                    "/ui/signoffs?repository=" + escapeQuery(repository) + "&msg="
                        + escapeQuery("Recorded \(lines.count) sign-off envelope(s); gates read them from now on.")
                )
            }
        }
    }

    static func duration(_ s: Int?) -> String { OversightReport.duration(s) }

    static func tallyRows(_ list: [OversightReport.Tally]) -> [[String: Any]] {
        list.prefix(50).map { t in
            [
                "name": t.name.isEmpty ? "(none)" : t.name, "actions": t.actions, "asks": t.asks, "denies": t.denies,
                "wouldAsk": t.wouldAsk,
                "perHour": t.agentSeconds == 0 ? "—" : String(format2: Double(t.asks) * 3600 / Double(t.agentSeconds)),
                "p50": duration(OversightReport.percentile(t.latencies, 0.5)),
                "p90": duration(OversightReport.percentile(t.latencies, 0.9)),
            ]
        }
    }

    static func reportContext(
        _ r: OversightReport,
        plane: ControlPlane,
        user: User,
        since: String,
        team: String,
        repository: String
    ) -> [String: Any] {
        let lat = r.totals.latencies
        let canDecide = plane.config.userRank(user.role) >= plane.config.rank(plane.config.topRole)
        var query = "since=\(since)"
        if !team.isEmpty { query += "&team=" + escapeQuery(team) }
        if !repository.isEmpty { query += "&repository=" + escapeQuery(repository) }
        let share = r.commits.isEmpty ? "—" : "\(r.aiAssisted.count * 100 / r.commits.count) %"
        var groups: [[String: Any]] = []
        for (key, title, list) in [
            ("team", "Team", r.byTeam), ("agent", "Agent", r.byAgent), ("person", "Person", r.byPerson),
        ] where !list.isEmpty {
            groups.append(["key": key, "title": title, "rows": tallyRows(list)])
        }
        return [
            "periods": periodOptions(since),
            "teams": plane.config.teams.keys.sorted().map { ["name": $0, "selected": $0 == team] },
            "repository": repository, "query": query,
            "actions": r.totals.actions, "asks": r.totals.asks, "denies": r.totals.denies,
            "stopped": r.totals.stopped, "wouldAsk": r.totals.wouldAsk, "stops": r.stops,
            "breakerTrips": r.breakerTrips,
            "p50": duration(OversightReport.percentile(lat, 0.5)),
            "p90": duration(OversightReport.percentile(lat, 0.9)),
            "hours": String(format1: Double(lat.reduce(0, +)) / 3600),
            "agentHours": String(format1: Double(r.totals.agentSeconds) / 3600),
            "asksPerHour": r.totals.agentSeconds == 0
                ? "—" : String(format2: Double(r.totals.asks) * 3600 / Double(r.totals.agentSeconds)),
            "commits": r.commits.count, "aiCommits": r.aiAssisted.count, "aiShare": share,
            "signedOff": r.signedOff.count, "needing": r.needing.count,
            "waitP50": duration(OversightReport.percentile(r.signoffWaits, 0.5)),
            "repoChart": Charts.bars(
                id: "chart-repo",
                title: "Asks, denies and would-be asks by repository",
                series: ["asks", "denies", "would ask"],
                rows: r.byRepository.map { .init(label: $0.name, values: [$0.asks, $0.denies, $0.wouldAsk]) }
            ),
            "byRepository": tallyRows(r.byRepository),
            "rulesChart": Charts.bars(
                id: "chart-rules",
                title: "Rules that ask most",
                series: ["asks", "would ask"],
                rows: r.rules.map { .init(label: $0.rule, values: [$0.asks, $0.wouldAsk]) }
            ),
            "rules": r.rules.prefix(20).map { ["rule": $0.rule, "asks": $0.asks, "wouldAsk": $0.wouldAsk] },
            "groups": groups,
            "suggestions": r.suggestions.map {
                [
                    "id": $0.id, "rule": $0.rule, "pattern": $0.pattern, "repository": $0.repository,
                    "approvals": $0.approvals, "approvers": $0.approvers.joined(separator: ", "), "yaml": $0.yaml,
                    "canDecide": canDecide,
                ] as [String: Any]
            },
        ]
    }
}
