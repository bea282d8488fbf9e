import Logging
import PostgresNIO

/// Chooses the database for a run: the external server of `OAG_DATABASE_URL`, or the embedded one.
public struct DatabaseLauncher: Sendable {
    public let settings: DatabaseSettings
    /// Set when this process started the server and so must stop it.
    public let embedded: EmbeddedPostgres?

    public static func start(config: AppConfig, logger: Logger) async throws -> DatabaseLauncher {
        if let url = config.databaseURL {
            guard let owner = config.databaseOwnerURL else {
                logger.warning(
                    "OAG_DATABASE_OWNER_URL is not set: the app role owns the tables, so row-level security does not guard it. Set it to the schema owner's URL in production."
                )
                return DatabaseLauncher(settings: DatabaseSettings(owner: url.endpoint, app: url.endpoint), embedded: nil)
            }
            return DatabaseLauncher(settings: DatabaseSettings(owner: owner.endpoint, app: url.endpoint), embedded: nil)
        }
        let embedded = EmbeddedPostgres(dataDirectory: config.dataDirectory, logger: logger)
        return DatabaseLauncher(settings: try await embedded.start(), embedded: embedded)
    }

    public func stop() async throws {
        try await embedded?.stop()
    }
}
