import Hummingbird

/// A page under `/ui` that does not exist answers with a page that says so and links back, not an empty 404.
struct NotFoundPage<Context: RequestContext>: RouterMiddleware {
    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound && request.uri.path.hasPrefix("/ui") {
            return WebUI.render(
                WebUI.Page(
                    title: "Not found",
                    template: "notFound",
                    context: ["path": String(request.uri.path.prefix(200))]
                ),
                session: nil,
                status: .notFound
            )
        }
    }
}
