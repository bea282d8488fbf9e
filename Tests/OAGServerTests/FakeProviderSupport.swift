import Foundation
import GatewayCore
import HummingbirdTesting
import Logging
import TestSupport
import Testing

extension FakeProvider {
    var id: ProviderID { ProviderID(rawValue: rawValue)! }
}

extension FakeOAuthServer {
    /// `OAG_<P>_*` pointing every provider at this fake.
    var providerSettings: [ProviderID: ProviderSettings] {
        Dictionary(
            uniqueKeysWithValues: FakeProvider.allCases.map { provider in
                let endpoints = endpoints(provider)
                return (
                    provider.id,
                    ProviderSettings(
                        credentials: OAuthClientCredentials(clientID: clientID, clientSecret: clientSecret),
                        authorizeURL: endpoints.authorize,
                        tokenURL: endpoints.token, revokeURL: endpoints.revoke, userinfoURL: endpoints.userinfo)
                )
            })
    }
}

/// A fake of all four providers and the app configured to use it, with the `World` seeded.
func withProviders(
    logger: Logger = TestDatabase.logger, configure: @escaping @Sendable (inout AppConfig) -> Void = { _ in },
    _ test: @Sendable (FakeOAuthServer, World, TestData, any TestClientProtocol) async throws -> Void
) async throws {
    let fake = try await FakeOAuthServer.start()
    do {
        try await withWorld(
            logger: logger,
            configure: { config in
                config.providers = fake.providerSettings
                config.outboundTimeout = .seconds(2)
                configure(&config)
            }
        ) { world, data, client in
            try await test(fake, world, data, client)
        }
    } catch {
        await fake.shutdown()
        throw error
    }
    await fake.shutdown()
}

/// What a browser sees when connecting a provider: the consent URL it was sent to, and the app's
/// answer when the provider sent it back.
struct ConnectAttempt {
    var authorizeURL: URLComponents
    var callbackPath: String
    var callback: TestResponse

    func query(_ name: String) -> String? {
        authorizeURL.queryItems?.first { $0.name == name }?.value
    }
}

extension Browser {
    /// Posts the connect form, plays the person at the provider's consent screen, and follows the
    /// redirect back to the app.
    func connect(
        _ provider: FakeProvider, on fake: FakeOAuthServer, scopes: String? = nil, deny: Bool = false, grantOnly: [String]? = nil,
        beforeCallback: () async throws -> Void = {}
    ) async throws -> ConnectAttempt {
        let started = try await post(
            "/account/integrations/\(provider.rawValue)/connect", scopes.map { ["scopes": $0] } ?? [:], tokenFrom: "/account/integrations")
        try #require(started.status == .seeOther, "connect answered \(started.status): \(started.text.prefix(300))")
        let location = try #require(started.headers[.location])
        let back = try await fake.consent(to: location, deny: deny, grantOnly: grantOnly)
        try await beforeCallback()
        let path = Self.pathAndQuery(back)
        return ConnectAttempt(
            authorizeURL: try #require(URLComponents(string: location)), callbackPath: path, callback: try await get(path))
    }

    /// `/path?query` of an absolute URL on the app.
    static func pathAndQuery(_ url: String) -> String {
        guard let components = URLComponents(string: url) else { return url }
        return components.percentEncodedPath + (components.percentEncodedQuery.map { "?" + $0 } ?? "")
    }
}
