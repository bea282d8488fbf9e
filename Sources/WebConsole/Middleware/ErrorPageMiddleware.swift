import GatewayCore
import Hummingbird
import Logging

/// Turns errors into the HTML error page with the right status.
///
/// Messages of HTTP errors are meant for the user; any other error is logged with the
/// request id and shown as a generic 500, so internals never reach the page.
/// Paths under `apiPrefix` are left alone: the API answers its errors in JSON itself.
public struct ErrorPageMiddleware<Context: RequestContext>: RouterMiddleware {
    let renderer: PageRenderer
    let apiPrefix: String

    public init(renderer: PageRenderer, apiPrefix: String) {
        self.renderer = renderer
        self.apiPrefix = apiPrefix
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.uri.path.hasPrefix(apiPrefix) {
            return try await next(request, context)
        }
        do {
            return try await next(request, context)
        } catch let error as HTTPError {
            var response = page(error.status, error.body)
            for field in error.headers where field.name != .contentType && field.name != .contentLength {
                response.headers.append(field)
            }
            return response
        } catch let denied as AccessDenied {
            return page(.forbidden, denied.reason)
        } catch is NotFound {
            return page(.notFound, nil)
        } catch let errors as FieldErrors {
            return page(.badRequest, errors.messages.values.sorted().joined(separator: " "))
        } catch is DatabaseUnavailable {
            context.logger.warning("Database unavailable")
            var response = page(.serviceUnavailable, nil)
            response.headers[.retryAfter] = "5"
            return response
        } catch let error as any HTTPResponseError where error.status.code < 500 {
            return page(error.status, nil)
        } catch {
            context.logger.error("Unhandled error", metadata: ["error": "\(error)"])
            return page(.internalServerError, nil)
        }
    }

    private func page(_ status: HTTPResponse.Status, _ message: String?) -> Response {
        renderer.render(ErrorPage.make(status: status, message: message, chrome: renderer.neutralChrome()), status: status)
    }
}
