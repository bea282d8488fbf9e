import ArgumentParser
import Foundation
import GatewayCore
import Logging
import PostgresNIO

@main
struct OAGCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "oag",
        abstract: "Omra AI Gateway: the admin console and OpenAI-compatible gateway.",
        discussion: "Configuration comes from OAG_* environment variables; see README.md.",
        subcommands: [Serve.self, Migrate.self, Admin.self, Demo.self, Keys.self]
    )
}

/// Reads the configuration and sets up logging, or exits with status 2 naming the bad variable.
func loadConfiguration() throws -> (AppConfig, Logger) {
    let config: AppConfig
    do {
        config = try AppConfig.fromEnvironment()
    } catch {
        FileHandle.standardError.write(Data("oag: configuration error: \(error)\n".utf8))
        throw ExitCode(2)
    }
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = config.logLevel
        return handler
    }
    return (config, Logger(label: "oag"))
}

/// Starts the database, runs `body`, and always stops an embedded server again.
func withDatabase(config: AppConfig, logger: Logger, _ body: (DatabaseLauncher) async throws -> Void) async throws {
    let launcher: DatabaseLauncher
    do {
        launcher = try await DatabaseLauncher.start(config: config, logger: logger)
    } catch {
        logger.critical("Cannot start the database: \(error)")
        throw ExitCode.failure
    }
    do {
        try await body(launcher)
    } catch {
        try? await launcher.stop()
        if error is ExitCode { throw error }
        logger.critical("\(error)")
        throw ExitCode.failure
    }
    try await launcher.stop()
}

/// For one-off commands: a migrated database and a running pool on the app role.
func withMigratedDatabase(
    config: AppConfig, logger: Logger, _ body: @escaping @Sendable (Database) async throws -> Void
) async throws {
    try await withDatabase(config: config, logger: logger) { launcher in
        let settings = launcher.settings
        let migrator = try Migrator(directory: config.resourcesDirectory + "/Migrations", logger: logger)
        try await settings.owner.withConnection(logger: logger) { connection in
            try await migrator.migrate(connection, appRole: settings.appRole)
        }
        let client = PostgresClient(configuration: settings.app.clientConfiguration, backgroundLogger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            try await body(Database(client: client, logger: logger))
        }
    }
}

/// Prints field errors the way a form shows them, one per line, and fails.
func report(_ errors: FieldErrors) -> ExitCode {
    for (field, message) in errors.messages.sorted(by: { $0.key < $1.key }) {
        FileHandle.standardError.write(Data("oag: \(field): \(message)\n".utf8))
    }
    return ExitCode(1)
}
