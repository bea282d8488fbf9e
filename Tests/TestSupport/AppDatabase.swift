import Foundation
import GatewayCore
import PostgresNIO

extension TestDatabase {
    /// A pool as the app's role (row-level security applies) on `existing`, or on a fresh database.
    /// Its deadline is generous: a full run keeps hundreds of connections busy on a small machine,
    /// and a burst test serialised on one lock must not fail for the machine's load.
    public static func withDatabase(
        on existing: DatabaseSettings? = nil, _ body: (Database, DatabaseSettings) async throws -> Void
    ) async throws {
        let settings: DatabaseSettings
        if let existing { settings = existing } else { settings = try await fresh() }
        let client = PostgresClient(configuration: settings.app.clientConfiguration, backgroundLogger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            try await body(Database(client: client, logger: logger, deadline: .seconds(30)), settings)
        }
    }
}
