import ArgumentParser
import Foundation
import GatewayCore

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Demo data for trying OAG out.", subcommands: [Seed.self])

    struct Seed: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create the demo company (owner, admin, member) if it is missing, and print how to sign in.",
            discussion: "Safe to run again: existing demo accounts are left as they are. Never use these passwords for real data.")

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
            }
        }
    }
}
