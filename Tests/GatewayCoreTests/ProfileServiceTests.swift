import Foundation
import GatewayCore
import PostgresNIO
import TestSupport
import Testing

@Suite("Profile corrections")
struct ProfileServiceTests {
    /// Saying an address is taken tells that it has an account: each such answer counts like a
    /// failed sign-in from the client address, so the register cannot be probed from a session.
    @Test func askingForTakenAddressesIsThrottledPerClientAddress() async throws {
        try await TestDatabase.withDatabase { database, settings in
            let (user, company) = (UUID(), UUID())
            try await settings.owner.withConnection(logger: TestDatabase.logger) { connection in
                for query: PostgresQuery in [
                    "INSERT INTO users (id, email, name, password_hash) VALUES (\(user), 'me@p.test', 'Me', 'x'), (\(UUID()), 'taken@p.test', 'T', 'x')",
                    "INSERT INTO companies (id, name) VALUES (\(company), 'C')",
                    "INSERT INTO memberships (company_id, user_id, role) VALUES (\(company), \(user), 'owner')",
                ] {
                    try await connection.query(query, logger: TestDatabase.logger)
                }
            }
            let throttle = LoginThrottle(database: database, limits: .init(perAccount: 5, perAddress: 3))
            let profiles = ProfileService(
                database: database, throttle: throttle, vault: Vault(ring: TestDatabase.masterKeys, logger: TestDatabase.logger),
                baseURL: "http://localhost")
            let me = try #require(try await UserRepository(database: database).find(id: user))
            for _ in 0..<3 {
                await #expect(throws: FieldErrors("email", "Another account already uses this email.")) {
                    try await profiles.save(of: me, name: "Me", email: "taken@p.test", mailVia: company, ip: "198.51.100.4")
                }
            }
            let failures = try await database.query("SELECT count(*)::int FROM login_failures")[0].decode(Int.self)
            #expect(failures == 3)
            await #expect(throws: TooManyAttempts.self) {
                try await profiles.save(of: me, name: "Me", email: "free@p.test", mailVia: company, ip: "198.51.100.4")
            }
            let fromElsewhere = try await profiles.save(of: me, name: "Me", email: "free@p.test", mailVia: company, ip: "203.0.113.9")
            guard case .confirmationSent(let link) = fromElsewhere else {
                Issue.record("expected a confirmation link")
                return
            }
            #expect(link.hasPrefix("http://localhost/account/email/confirm/"))
        }
    }
}
