import Foundation
import GatewayCore
import Testing

@Suite("Account rules: emails, passwords, hashing, roles")
struct AccountRulesTests {
    @Test func emailsAreTrimmedLowercasedAndLooselyChecked() {
        #expect(EmailAddress("  Jane.Doe@Example.COM ")?.value == "jane.doe@example.com")
        for bad in [
            "", "jane", "jane@", "@example.com", "jane@example", "jane@@example.com", "ja ne@example.com", "jane@.example.com",
            "<jane>@example.com", String(repeating: "a", count: 250) + "@x.io",
        ] {
            #expect(EmailAddress(bad) == nil, "\(bad.prefix(30))")
        }
    }

    @Test func passwordsNeedTwelveCharactersAndMustNotBeCommon() {
        #expect(PasswordRules.problem(with: "a long enough password") == nil)
        #expect(PasswordRules.problem(with: "short") != nil)
        #expect(PasswordRules.problem(with: "Password1234") != nil, "common passwords are refused whatever their case")
        #expect(PasswordRules.problem(with: "aaaaaaaaaaaaaaaa") != nil)
        #expect(PasswordRules.problem(with: String(repeating: "xy1z", count: 33)) != nil, "more than 128 characters")
    }

    @Test func everyCharacterOfALongPasswordCounts() async throws {
        let hasher = PasswordHasher(cost: 4)
        let first = String(repeating: "p", count: 80) + "one"
        let second = String(repeating: "p", count: 80) + "two"
        let hash = try await hasher.hash(first)
        #expect(try await hasher.verify(first, against: hash))
        #expect(try await !hasher.verify(second, against: hash), "bcrypt alone would read only the first 72 bytes")
    }

    @Test func theDefaultCostIsAtLeastTwelve() async throws {
        #expect(PasswordHasher().cost >= 12)
    }

    @Test func rolesAndActions() {
        #expect(Action.allCases.allSatisfy { !AccessPolicy.allows(.member, $0) }, "members manage nothing of the company")
        #expect(!AccessPolicy.allows(.member, .viewMembers))
        #expect(AccessPolicy.allows(.admin, .inviteMembers))
        #expect(!AccessPolicy.mayAssign(.owner, to: .member, as: .admin), "only owners make owners")
        #expect(!AccessPolicy.mayAssign(.member, to: .owner, as: .admin), "only owners unmake owners")
        #expect(AccessPolicy.mayAssign(.owner, to: .admin, as: .owner))
        #expect(!AccessPolicy.mayRemove(memberWith: .owner, as: .admin))
        #expect(AccessPolicy.mayRemove(memberWith: .admin, as: .admin))
    }

    @Test func secretTokensAre256BitAndOnlyWellFormedOnesAreLookedUp() {
        let token = SecretToken()
        #expect(token.value.count == 43)
        #expect(token.isWellFormed)
        #expect(token.hash.count == 32)
        #expect(SecretToken().value != token.value)
        #expect(!SecretToken("short").isWellFormed)
        #expect(!SecretToken(String(repeating: "/", count: 43)).isWellFormed)
    }
}
