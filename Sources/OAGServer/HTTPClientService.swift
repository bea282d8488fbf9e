import AsyncHTTPClient
import GatewayCore
import ServiceLifecycle

/// The HTTP clients for outside services: OAuth providers (few, short calls) and LLM providers
/// (many connections, long answers), each with its own pool and deadlines.
public struct OutboundHTTP: Sendable {
    public let oauth: HTTPClient
    public let llm: HTTPClient

    public init(config: AppConfig) {
        oauth = OAuthClient.makeHTTPClient(timeout: config.outboundTimeout)
        llm = UpstreamClient.makeHTTPClient(timeout: config.upstreamTimeout)
    }

    public func shutdown() async throws {
        try await oauth.shutdown()
        try await llm.shutdown()
    }
}

/// Shuts the outbound HTTP clients down with the app, after the server has stopped taking requests.
struct HTTPClientService: Service {
    let outbound: OutboundHTTP

    func run() async throws {
        try? await gracefulShutdown()
        try await outbound.shutdown()
    }
}
