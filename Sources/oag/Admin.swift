import ArgumentParser
import Foundation
import GatewayCore

struct Admin: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage platform operators.", subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a platform operator account (for /admin). Operators belong to no company.",
            discussion: "Without --password the password is read from standard input, which keeps it out of the process list.")

        @Option(help: "The operator's email address.") var email: String
        @Option(help: "At least 12 characters. Prefer standard input.") var password: String?
        @Option(help: "Display name.") var name = "Platform operator"

        func run() async throws {
            let (config, logger) = try loadConfiguration()
            let password = password ?? readLine(strippingNewline: true) ?? ""
            let (email, name) = (email, name)
            try await withMigratedDatabase(config: config, logger: logger) { database in
                let accounts = AccountService(database: database, throttle: LoginThrottle(database: database))
                do {
                    let user = try await accounts.createOperator(email: email, password: password, name: name)
                    print("Created operator \(user.email). Sign in at \(config.baseURL)/login and open /admin.")
                } catch let errors as FieldErrors {
                    throw report(errors)
                }
            }
        }
    }
}
