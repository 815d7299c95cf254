import BrakeCore
import Hummingbird

/// The oversight API: reports, suggestions, sign-off reports and the digest.
struct OversightController {
    let plane: ControlPlane

    func add(to router: Router<BasicRequestContext>) {
        let plane = self.plane
        @Sendable func auth(_ req: Request) async throws -> User {
            try await plane.authenticate(bearer: Routes.bearer(req))
        }
        router.get("/v1/reports") { req, _ in
            do {
                let u = try await auth(req)
                let format = Routes.query(req, "format") ?? "json"
                guard ["json", "csv", "text"].contains(format) else {
                    throw APIError.badRequest("'format' must be json, csv or text")
                }
                let report = try await plane.oversight(
                    days: try ControlPlane.days(Routes.query(req, "since")),
                    team: Routes.query(req, "team"),
                    repository: Routes.query(req, "repository"),
                    by: u
                )
                switch format {
                case "csv":
                    return Response(
                        status: .ok,
                        headers: [.contentType: "text/csv; charset=utf-8", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(string: report.csv))
                    )
                case "text":
                    return Response(
                        status: .ok,
                        headers: [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(string: report.text))
                    )
                default:
                    return Routes.json(.ok, report.json.serialized)
                }
            } catch {
                return Routes.error(error)
            }
        }
        router.post("/v1/reports/digest") { req, _ in
            await Routes.api {
                let u = try await auth(req)
                try plane.require(u, atLeast: plane.config.topRole, to: "sending the digest")
                let days = try ControlPlane.days(Routes.query(req, "since") ?? "\(max(1, plane.config.digestDays))d")
                let text = try await plane.sendDigest(days: days, by: u.name)
                return Routes.Reply(body: .object([("text", .string(text))]))
            }
        }
        router.get("/v1/suggestions") { req, _ in
            await Routes.api {
                let u = try await auth(req)
                let r = try await plane.oversight(
                    days: try ControlPlane.days(Routes.query(req, "since") ?? "90d"),
                    repository: Routes.query(req, "repository"),
                    by: u
                )
                return Routes.Reply(body: .object([("suggestions", .array(r.suggestions.map(\.json)))]))
            }
        }
        for verb in ["accept", "reject"] {
            router.post("/v1/suggestions/{id}/\(verb)") { req, ctx in
                await Routes.api {
                    let u = try await auth(req)
                    let d = try await plane.decideSuggestion(
                        id: try Routes.param(ctx, "id"),
                        accept: verb == "accept",
                        by: u
                    )
                    return Routes.Reply(
                        body: .object([
                            ("id", .string(d.id)), ("status", .string(d.status)), ("yaml", .string(d.yaml)),
                            ("policy_etag", .string(plane.policyETag)),
                        ])
                    )
                }
            }
        }
        router.post("/v1/signoffs") { req, _ in
            await Routes.api {
                let u = try await auth(req)
                let n = try await plane.recordSignoffs(try await Routes.body(req, limit: 8 << 20), by: u)
                return Routes.Reply(status: .created, body: .object([("recorded", .number(Double(n)))]))
            }
        }
        router.post("/v1/signoffs/lookup") { req, _ in
            await Routes.api {
                _ = try await auth(req)
                let found = try await plane.lookupSignoffs(try await Routes.body(req, limit: 4 << 20))
                return Routes.Reply(
                    body: .object([
                        (
                            "envelopes",
                            .object(
                                found.sorted { $0.key < $1.key }.map { ($0.key, .array($0.value.map { .string($0) })) }
                            )
                        )
                    ])
                )
            }
        }
        router.get("/v1/signoffs") { req, _ in
            await Routes.api {
                let u = try await auth(req)
                try plane.requirePerson(u, to: "reading sign-off reports")
                let days = try ControlPlane.days(Routes.query(req, "since") ?? "30d")
                let facts = try await plane.store.commitFacts(
                    since: plane.now() - days * 86400,
                    repository: Routes.query(req, "repository")
                )
                return Routes.Reply(body: .object([("commits", .array(facts.map(\.json)))]))
            }
        }
    }
}
