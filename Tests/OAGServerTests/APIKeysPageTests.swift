import Foundation
import GatewayCore
import HummingbirdTesting
import TestSupport
import Testing

/// Admins make and revoke gateway keys on `/company/api-keys`; programs use them.
@Suite("API keys page")
struct APIKeysPageTests {
    static let page = "/company/api-keys"

    /// The secret shown once on the page after creating a key.
    static func secret(in html: String) -> String? {
        guard
            let range = html.range(
                of: #"id="created-key" class="code-input" type="text" readonly value="(oag_[A-Za-z0-9_-]+)""#, options: .regularExpression)
        else { return nil }
        return html[range].components(separatedBy: "value=\"").last.map { String($0.dropLast()) }
    }

    @Test func anAdminMakesAKeyThatWorksOnceShownAndThenRevokesIt() async throws {
        try await withGateway { fake, world, data, client in
            let admin = Browser(client)
            try await world.signIn(admin, as: .admin)
            #expect(try await admin.get(Self.page).text.contains("No keys yet"))

            let created = try await admin.post(
                Self.page, ["name": "Billing bot", "allowed_models": "deepseek-chat", "requests_per_minute": "100"], tokenFrom: Self.page)
            #expect(created.status == .created)
            let secret = try #require(Self.secret(in: created.text))
            let stored = try await data.rows("SELECT key_hash, prefix, allowed_models, requests_per_minute FROM api_keys")
            #expect(stored.count == 1)
            let (hash, prefix, models, rpm) = try stored[0].decode((Data, String, [String], Int?).self)
            #expect(hash == SecretToken.hash(secret))
            #expect(secret.hasPrefix(prefix) && prefix.count == 12)
            #expect(models == ["deepseek-chat"])
            #expect(rpm == 100)
            let listed = try await admin.get(Self.page).text
            #expect(!listed.contains(secret), "the key is shown once")
            #expect(listed.contains("Billing bot") && listed.contains(prefix))

            let api = APIClient(client: client, key: secret)
            #expect(try await api.chat(model: "deepseek-chat", messages: [("user", "hi")]).status == .ok)
            #expect(try await api.chat(model: "gpt-4o-mini", messages: [("user", "hi")]).status == .forbidden)

            let id = try await data.rows("SELECT id FROM api_keys")[0].decode(UUID.self)
            let revoked = try await admin.post("/company/api-keys/\(id)/revoke", tokenFrom: Self.page)
            #expect(revoked.status == .seeOther)
            #expect(try await api.chat(model: "deepseek-chat", messages: [("user", "hi")]).status == .unauthorized)
            #expect(try await data.count("audit_events", where: "action IN ('api_key_created', 'api_key_revoked')") == 2)
        }
    }

    @Test func badInputIsExplainedNextToItsFieldAndMakesNothing() async throws {
        try await withGateway { fake, world, data, client in
            let owner = Browser(client)
            try await world.signIn(owner, as: .owner)
            let refused = try await owner.post(
                Self.page,
                [
                    "name": " ", "monthly_token_budget": "-5", "monthly_spend_budget": "lots", "requests_per_minute": "1.5",
                    "allowed_models": "gpt-9",
                ],
                tokenFrom: Self.page)
            #expect(refused.status == .unprocessableContent)
            for message in ["Name the key", "Enter a whole number", "Enter an amount in dollars", "Unknown models: gpt-9."] {
                #expect(refused.text.contains(message))
            }
            let tiny = try await owner.post(Self.page, ["name": "Tiny", "monthly_spend_budget": "0.0000001"], tokenFrom: Self.page)
            #expect(tiny.status == .unprocessableContent, "a budget that rounds to nothing is refused, not a 500")
            #expect(try await data.count("api_keys") == 0)
        }
    }

    @Test func anotherCompanysKeyCannotBeRevoked() async throws {
        try await withGateway { fake, world, data, client in
            let keyID = UUID()
            let secret = try await data.apiKey(company: world.companyA, id: keyID)
            let stranger = Browser(client)
            try await world.signIn(stranger, as: .otherOwner)
            #expect(try await stranger.post("/company/api-keys/\(keyID)/revoke", tokenFrom: Self.page).status == .notFound)
            #expect(try await !stranger.get(Self.page).text.contains("test key"))
            #expect(try await APIClient(client: client, key: secret).chat(model: "deepseek-chat", messages: [("user", "hi")]).status == .ok)
        }
    }
}
