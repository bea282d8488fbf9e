import Foundation
import Hummingbird

/// OpenAI's error body: `{"error": {"message", "type", "param", "code"}}`, which client SDKs parse.
public struct OpenAIError: Error, Encodable, Sendable {
    struct Detail: Encodable, Sendable {
        let message: String
        let type: String
        let param: String?
        let code: String?
    }

    public let status: HTTPResponse.Status
    let error: Detail

    enum CodingKeys: String, CodingKey { case error }

    public init(status: HTTPResponse.Status, message: String, type: String, code: String? = nil, param: String? = nil) {
        self.status = status
        self.error = Detail(message: message, type: type, param: param, code: code)
    }

    static func unknownEndpoint(_ method: HTTPRequest.Method, _ path: String) -> OpenAIError {
        OpenAIError(
            status: .notFound, message: "Unknown endpoint: \(method.rawValue) \(path)", type: "invalid_request_error", code: "unknown_url")
    }
}

extension OpenAIError: HTTPResponseError {
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = try JSONEncoder().encode(self)
        return Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
