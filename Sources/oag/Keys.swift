import ArgumentParser
import GatewayCore

struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Manage the master key ring.", subcommands: [Rotate.self])

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-wrap every company's data key under the first key of OAG_MASTER_KEYS.",
            discussion: """
                Safe while the app runs. To rotate: put the new key first in OAG_MASTER_KEYS and keep the old one after it,
                restart the app nodes with that ring, run this command, then drop the old key from the ring.
                Secrets themselves are not re-encrypted: only the company keys that protect them are.
                """)

        func run() async throws {
            let (config, logger) = try loadConfiguration()
            let ring = try config.keyRing(logger: logger)
            try await withDatabase(config: config, logger: logger) { launcher in
                let settings = launcher.settings
                let migrator = try Migrator(directory: config.resourcesDirectory + "/Migrations", logger: logger)
                let rewrapped = try await settings.owner.withConnection(logger: logger) { connection in
                    try await migrator.migrate(connection, appRole: settings.appRole)
                    return try await Vault(ring: ring, logger: logger).rewrapCompanyKeys(on: connection)
                }
                print("Re-wrapped \(rewrapped) company key(s) under master key \"\(ring.current.id)\".")
            }
        }
    }
}
