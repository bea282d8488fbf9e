import Foundation
import GatewayCore
import HummingbirdTesting
import Logging
import TestSupport

/// A fresh database with the `World` in it, and the app on top.
func withWorld(
    baseURL: String? = nil, logger: Logger = TestDatabase.logger, configure: @Sendable (inout AppConfig) -> Void = { _ in },
    _ test: @Sendable (World, TestData, any TestClientProtocol) async throws -> Void
) async throws {
    let settings = try await TestDatabase.fresh()
    let data = TestData(settings: settings)
    let world = World()
    try await world.seed(data)
    try await withApp(baseURL: baseURL, database: settings, logger: logger, configure: configure) { client in
        try await test(world, data, client)
    }
}
