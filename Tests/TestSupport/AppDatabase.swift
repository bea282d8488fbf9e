import Foundation
import GatewayCore
import PostgresNIO

extension TestDatabase {
    /// A fresh database, and a pool on it as the app's role (row-level security applies).
    public static func withDatabase(_ body: (Database, DatabaseSettings) async throws -> Void) async throws {
        let settings = try await fresh()
        let client = PostgresClient(configuration: settings.app.clientConfiguration, backgroundLogger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            try await body(Database(client: client, logger: logger), settings)
        }
    }
}
