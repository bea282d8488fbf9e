import ArgumentParser
import Foundation
import GatewayCore
import Logging

@main
struct OAGCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "oag",
        abstract: "Omra AI Gateway: the admin console and OpenAI-compatible gateway.",
        discussion: "Configuration comes from OAG_* environment variables; see README.md.",
        subcommands: [Serve.self, Migrate.self]
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
func withDatabase(config: AppConfig, logger: Logger, _ body: (DatabaseSettings) async throws -> Void) async throws {
    let launcher: DatabaseLauncher
    do {
        launcher = try await DatabaseLauncher.start(config: config, logger: logger)
    } catch {
        logger.critical("Cannot start the database: \(error)")
        throw ExitCode.failure
    }
    do {
        try await body(launcher.settings)
    } catch {
        try? await launcher.stop()
        if error is ExitCode { throw error }
        logger.critical("\(error)")
        throw ExitCode.failure
    }
    try await launcher.stop()
}
