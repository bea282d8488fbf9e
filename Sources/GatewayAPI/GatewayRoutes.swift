import Hummingbird

/// The OpenAI-compatible API under `/v1`. Its errors are JSON in OpenAI's shape, never HTML pages.
public struct GatewayRoutes: Sendable {
    public static let pathPrefix = "/v1/"

    public init() {}

    public func addRoutes<Context: RequestContext>(to router: Router<Context>) {
        let v1 = router.group("v1").add(middleware: OpenAIErrorMiddleware())
        // Chat completions and models arrive with the gateway; until then every /v1 path is unknown.
        for method in [HTTPRequest.Method.get, .post, .put, .patch, .delete] {
            v1.on("**", method: method) { request, _ -> Response in
                throw OpenAIError.unknownEndpoint(request.method, request.uri.path)
            }
        }
    }
}
