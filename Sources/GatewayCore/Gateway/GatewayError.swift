/// Why the gateway refused or failed a request, as OpenAI clients expect to hear it: an HTTP
/// status, an error type and code, and a message. Never carries a key or a prompt.
public struct GatewayError: Error, Sendable, Equatable {
    public var status: Int
    public var type: String
    public var code: String?
    public var message: String
    public var param: String?
    /// Seconds, for 429 answers.
    public var retryAfter: Int?

    public init(status: Int, type: String, code: String? = nil, message: String, param: String? = nil, retryAfter: Int? = nil) {
        self.status = status
        self.type = type
        self.code = code
        self.message = message
        self.param = param
        self.retryAfter = retryAfter
    }

    public static func invalidRequest(_ message: String, param: String? = nil) -> GatewayError {
        GatewayError(status: 400, type: "invalid_request_error", message: message, param: param)
    }

    static let invalidKey = GatewayError(
        status: 401, type: "invalid_request_error", code: "invalid_api_key",
        message: "Incorrect API key provided. Create a key on the company's API keys page.")

    static func modelNotAllowed(_ model: String) -> GatewayError {
        GatewayError(
            status: 403, type: "invalid_request_error", code: "model_not_allowed",
            message: "This API key may not use the model '\(model)'.", param: "model")
    }

    static func unknownModel(_ model: String) -> GatewayError {
        GatewayError(
            status: 404, type: "invalid_request_error", code: "model_not_found",
            message: "The model '\(model)' does not exist or you do not have access to it.", param: "model")
    }

    static func budgetExceeded(_ what: String, retryAfter: Int) -> GatewayError {
        GatewayError(
            status: 429, type: "insufficient_quota", code: "budget_exceeded",
            message: "This API key has used its monthly \(what) budget.", retryAfter: retryAfter)
    }

    static func tooManyInvalidKeys(retryAfter: Int) -> GatewayError {
        GatewayError(
            status: 429, type: "rate_limit_error", code: "rate_limit_exceeded",
            message: "Too many requests with an incorrect API key from this address; try again later.", retryAfter: retryAfter)
    }

    static func rateLimited(retryAfter: Int) -> GatewayError {
        GatewayError(
            status: 429, type: "rate_limit_error", code: "rate_limit_exceeded",
            message: "Too many requests for this API key; slow down.", retryAfter: retryAfter)
    }

    static func providerNotConfigured(_ provider: LLMProvider) -> GatewayError {
        GatewayError(
            status: 503, type: "api_error", code: "provider_not_configured",
            message: "No API key is configured for \(provider.displayName), neither by the company nor by the platform.")
    }

    static func upstreamFailed(_ provider: LLMProvider, status: Int? = nil) -> GatewayError {
        GatewayError(
            status: 502, type: "api_error", code: "upstream_error",
            message: "\(provider.displayName) failed to answer" + (status.map { " (HTTP \($0))." } ?? "."))
    }

    static func upstreamTimedOut(_ provider: LLMProvider) -> GatewayError {
        GatewayError(status: 504, type: "api_error", code: "upstream_timeout", message: "\(provider.displayName) did not answer in time.")
    }
}
