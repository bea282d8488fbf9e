import ArgumentParser
import GatewayCore
import PostgresNIO

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply pending database migrations and exit.",
        discussion: "Safe to run while other nodes start: an advisory lock lets one node migrate at a time."
    )

    func run() async throws {
        let (config, logger) = try loadConfiguration()
        try await withDatabase(config: config, logger: logger) { launcher in
            let settings = launcher.settings
            let migrator = try Migrator(directory: config.resourcesDirectory + "/Migrations", logger: logger)
            let applied = try await settings.owner.withConnection(logger: logger) { owner in
                try await migrator.migrate(owner, appRole: settings.appRole)
            }
            print(
                applied.isEmpty
                    ? "The database is up to date."
                    : "Applied \(applied.count) migration(s): " + applied.map { "\($0.version) \($0.name)" }.joined(separator: ", "))
        }
    }
}
