import ArgumentParser
import GatewayCore
import Hummingbird
import OAGServer

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the console and the gateway API (migrates the database first).",
        discussion: """
            Without OAG_DATABASE_URL an embedded PostgreSQL is started in OAG_DATA_DIR, started again if it stops
            on its own, and stopped on exit.
            SIGINT or SIGTERM shut down gracefully: requests in flight finish first.
            """
    )

    func run() async throws {
        let (config, logger) = try loadConfiguration()
        try await withDatabase(config: config, logger: logger) { launcher in
            let app = try await buildApplication(
                config: config, database: launcher.settings, watching: launcher.embedded, logger: logger)
            logger.info("OAG is serving on \(config.baseURL)")
            try await app.runService()
        }
    }
}
