import Foundation
import GatewayCore
import HTTPTypes
import Hummingbird

/// A request context that knows the client's address (behind a trusted proxy, not the peer's).
public protocol ClientAddressRequestContext: RequestContext {
    var clientIP: String? { get }
}

/// The OpenAI-compatible API under `/v1`. Its errors are JSON in OpenAI's shape, never HTML pages.
public struct GatewayRoutes: Sendable {
    public static let pathPrefix = "/v1/"
    /// Attaches a request to one of the company's conversation threads.
    static let threadHeader = HTTPField.Name("X-OAG-Thread")!

    let gateway: GatewayService
    let keys: APIKeyService
    let threads: ThreadService

    public init(gateway: GatewayService, keys: APIKeyService, threads: ThreadService) {
        self.gateway = gateway
        self.keys = keys
        self.threads = threads
    }

    public func addRoutes<Context: ClientAddressRequestContext>(to router: Router<Context>) {
        let v1 = router.group("v1").add(middleware: OpenAIErrorMiddleware())
        v1.post("chat/completions") { request, context in try await chatCompletions(request, context: context) }
        v1.get("models") { request, context in try await models(request, context: context) }
        for method in [HTTPRequest.Method.get, .post, .put, .patch, .delete] {
            v1.on("**", method: method) { request, _ -> Response in
                throw OpenAIError.unknownEndpoint(request.method, request.uri.path)
            }
        }
    }

    func chatCompletions(_ request: Request, context: some ClientAddressRequestContext) async throws -> Response {
        let key = try await authenticate(request, context: context)
        var threadID: UUID?
        if let header = request.headers[Self.threadHeader] {
            guard let id = UUID(uuidString: header), try await threads.isWritable(id, by: key.key) else {
                throw OpenAIError(
                    status: .notFound, message: "No conversation thread \(header.prefix(40)) of this key's member.",
                    type: "invalid_request_error",
                    code: "thread_not_found")
            }
            threadID = id
        }
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        let caller = GatewayCaller(key: key)
        let (reply, _) = try await gateway.chat(Data(buffer: body), caller: caller, threadID: threadID)
        return Self.response(reply)
    }

    /// The reply as an HTTP response: JSON, or server-sent events written as they arrive.
    static func response(_ reply: GatewayReply) -> Response {
        switch reply {
        case .complete(let body):
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
        case .stream(let stream):
            return Response(
                status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
                body: ResponseBody { writer in
                    try await stream.write { try await writer.write($0) }
                    try await writer.finish(nil)
                })
        }
    }

    func models(_ request: Request, context: some ClientAddressRequestContext) async throws -> Response {
        let key = try await authenticate(request, context: context)
        let models = try await gateway.models(for: GatewayCaller(key: key))
        let list: JSONValue = .object([
            "object": .string("list"),
            "data": .array(
                models.map {
                    .object([
                        "id": .string($0.id), "object": .string("model"), "created": .number(0), "owned_by": .string($0.provider.rawValue),
                    ])
                }),
        ])
        return Response(
            status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: list.encoded())))
    }

    private func authenticate(_ request: Request, context: some ClientAddressRequestContext) async throws -> AuthenticatedKey {
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") else {
            throw OpenAIError(
                status: .unauthorized,
                message: "You didn't provide an API key. Send it in the Authorization header as 'Bearer oag_…'.",
                type: "invalid_request_error", code: "missing_api_key")
        }
        return try await keys.authenticate(
            bearer: String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces), from: context.clientIP)
    }
}
