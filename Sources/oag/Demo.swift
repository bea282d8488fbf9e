import ArgumentParser
import Foundation
import GatewayCore

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Demo data for trying OAG out.", subcommands: [Seed.self])

    struct Seed: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create the demo company (owner, admin, member) if it is missing, and print how to sign in.",
            discussion: """
                Safe to run again: existing demo accounts are left as they are. Never use these passwords for real data.
                With --usage-events N, also adds N usage events (spread over the last three months) each time it runs.
                """)

        @Option(name: .customLong("usage-events"), help: "How many usage events to add to the demo company.")
        var usageEvents: Int = 0

        func validate() throws {
            guard (0...100_000_000).contains(usageEvents) else { throw ValidationError("--usage-events takes 0 to 100000000.") }
        }

        func run() async throws {
            let (config, logger) = try loadConfiguration()
            let vault = Vault(ring: try config.keyRing(logger: logger), logger: logger)
            try await withMigratedDatabase(config: config, logger: logger) { database in
                let accounts = try await DemoCompany(database: database, vault: vault, baseURL: config.baseURL).seed()
                print("\nDemo company \"\(DemoCompany.companyName)\" — sign in at \(config.baseURL)/login")
                for account in accounts {
                    print(
                        "  \(account.role.label.padding(toLength: 7, withPad: " ", startingAt: 0))  \(account.email)  password: \(account.password)"
                    )
                }
                print("")
                if usageEvents > 0 {
                    let started = ContinuousClock.now
                    try await DemoCompany(database: database, vault: vault, baseURL: config.baseURL).seedUsage(count: usageEvents)
                    let seconds = max((ContinuousClock.now - started) / .seconds(1), 0.001)
                    print(
                        "Added \(usageEvents) usage events in \(String(format: "%.1f", seconds)) s (\(Int(Double(usageEvents) / seconds)) events/s)."
                    )
                }
            }
        }
    }
}
