import Foundation
import GatewayCore
import Hummingbird

/// OpenAI's error body: `{"error": {"message", "type", "param", "code"}}`, which client SDKs parse.
public struct OpenAIError: Error, Encodable, Sendable {
    struct Detail: Encodable, Sendable {
        let message: String
        let type: String
        let param: String?
        let code: String?

        /// OpenAI sends `param` and `code` as null rather than leaving them out.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(message, forKey: .message)
            try container.encode(type, forKey: .type)
            try container.encode(param, forKey: .param)
            try container.encode(code, forKey: .code)
        }

        enum CodingKeys: String, CodingKey { case message, type, param, code }
    }

    public let status: HTTPResponse.Status
    let error: Detail
    let retryAfter: Int?

    enum CodingKeys: String, CodingKey { case error }

    public init(
        status: HTTPResponse.Status, message: String, type: String, code: String? = nil, param: String? = nil, retryAfter: Int? = nil
    ) {
        self.status = status
        self.error = Detail(message: message, type: type, param: param, code: code)
        self.retryAfter = retryAfter
    }

    init(_ error: GatewayError) {
        self.init(
            status: HTTPResponse.Status(code: error.status), message: error.message, type: error.type, code: error.code, param: error.param,
            retryAfter: error.retryAfter)
    }

    static func unknownEndpoint(_ method: HTTPRequest.Method, _ path: String) -> OpenAIError {
        OpenAIError(
            status: .notFound, message: "Unknown endpoint: \(method.rawValue) \(path)", type: "invalid_request_error", code: "unknown_url")
    }
}

extension OpenAIError: HTTPResponseError {
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = try JSONEncoder().encode(self)
        var headers: HTTPFields = [.contentType: "application/json"]
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
