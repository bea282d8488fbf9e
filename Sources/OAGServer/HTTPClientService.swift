import AsyncHTTPClient
import ServiceLifecycle

/// Shuts the outbound HTTP client down with the app, after the server has stopped taking requests.
struct HTTPClientService: Service {
    let client: HTTPClient

    func run() async throws {
        try? await gracefulShutdown()
        try await client.shutdown()
    }
}
