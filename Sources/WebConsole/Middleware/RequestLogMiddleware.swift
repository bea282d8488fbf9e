import Hummingbird
import Logging

/// One log line per request: id, method, path, status, duration.
///
/// The path is logged as its route pattern (`/invitations/{token}`), so secrets in paths stay
/// out; the query string is left out too (OAuth callbacks carry codes and state in it).
/// Headers are never logged, so cookies and API keys stay out of the log.
public struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            log(request, status: response.status.code, since: start, context: context)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            log(request, status: status, since: start, context: context)
            throw error
        }
    }

    private func log(_ request: Request, status: Int, since start: ContinuousClock.Instant, context: Context) {
        let elapsed = ContinuousClock.now - start
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        context.logger.info(
            "request",
            metadata: [
                "method": "\(request.method.rawValue)",
                "path": "\(context.endpointPath ?? "(no route)")",
                "status": "\(status)",
                "duration_ms": "\(String(format: "%.1f", milliseconds))",
            ])
    }
}
