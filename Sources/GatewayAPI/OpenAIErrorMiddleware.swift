import GatewayCore
import Hummingbird
import NIOCore

/// Makes every failure under `/v1` an `OpenAIError`, so SDKs always get a body they can parse.
struct OpenAIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as OpenAIError {
            throw error
        } catch let error as GatewayError {
            throw OpenAIError(error)
        } catch is NIOTooManyBytesError {
            throw OpenAIError(
                status: .contentTooLarge, message: "The request body is larger than \(context.maxUploadSize / 1024) KiB.",
                type: "invalid_request_error", code: "request_too_large")
        } catch is DatabaseUnavailable {
            throw OpenAIError(
                status: .serviceUnavailable, message: "The gateway cannot reach its database; try again shortly.", type: "api_error")
        } catch let error as any HTTPResponseError where error.status.code < 500 {
            throw OpenAIError(
                status: error.status, message: (error as? HTTPError)?.body ?? "Invalid request.", type: "invalid_request_error")
        } catch {
            context.logger.error("Unhandled API error", metadata: ["error": "\(error)"])
            throw OpenAIError(
                status: .internalServerError, message: "The server had an error while processing your request.", type: "server_error")
        }
    }
}
