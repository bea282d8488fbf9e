import Foundation
import GatewayCore
import HummingbirdTesting
import TestSupport
import Testing

/// Admins bring their company's own provider keys and choose the models on `/company/providers`.
@Suite("AI providers page")
struct ProvidersPageTests {
    static let page = "/company/providers"

    @Test func aCompanysOwnKeyIsSealedAndUsedForItsRequestsOnly() async throws {
        try await withGateway { fake, world, data, client in
            let companyKey = "sk-company-\(UUID().uuidString)"
            fake.accept(apiKey: companyKey)
            let admin = Browser(client)
            try await world.signIn(admin, as: .admin)
            let saved = try await admin.post(
                Self.page, ["provider": "openai", "api_key": companyKey, "enabled": "on"], tokenFrom: Self.page)
            #expect(saved.status == .seeOther)
            let page = try await admin.get(Self.page).text
            #expect(page.contains("Your company&#39;s key (…\(companyKey.suffix(4)))"))
            #expect(!page.contains(companyKey))
            let stored = try await data.rows("SELECT api_key FROM provider_settings")[0].decode(Data.self)
            #expect(stored.range(of: Data(companyKey.utf8)) == nil)

            let ours = APIClient(client: client, key: try await data.apiKey(company: world.companyA))
            #expect(try await ours.chat(model: "gpt-4o-mini", messages: [("user", "hi")]).status == .ok)
            #expect(fake.requests(.openai).last?.headers["authorization"] == "Bearer \(companyKey)")
            let theirs = APIClient(client: client, key: try await data.apiKey(company: world.companyB))
            #expect(try await theirs.chat(model: "gpt-4o-mini", messages: [("user", "hi")]).status == .ok)
            #expect(
                fake.requests(.openai).last?.headers["authorization"] == "Bearer \(fake.apiKey)", "another company uses the platform key")

            let removed = try await admin.post(
                Self.page, ["provider": "openai", "remove_key": "on", "enabled": "on"], tokenFrom: Self.page)
            #expect(removed.status == .seeOther)
            #expect(try await admin.get(Self.page).text.contains("The platform&#39;s key"))
        }
    }

    @Test func disabledProvidersAndUnlistedModelsAreRefused() async throws {
        try await withGateway { fake, world, data, client in
            let owner = Browser(client)
            try await world.signIn(owner, as: .owner)
            #expect(try await owner.post(Self.page, ["provider": "anthropic"], tokenFrom: Self.page).status == .seeOther)
            #expect(
                try await owner.post(
                    Self.page, ["provider": "deepseek", "enabled": "on", "allowed_models": "deepseek-reasoner"], tokenFrom: Self.page
                )
                .status == .seeOther)
            let api = APIClient(client: client, key: try await data.apiKey(company: world.companyA))
            #expect(try await api.chat(model: "claude-haiku-4-5", messages: [("user", "hi")]).status == .forbidden)
            #expect(try await api.chat(model: "deepseek-chat", messages: [("user", "hi")]).status == .forbidden)
            #expect(try await api.chat(model: "deepseek-reasoner", messages: [("user", "hi")]).status == .ok)
            let listed = try await api.models().json?["data"]?.array?.compactMap { $0["id"]?.string } ?? []
            #expect(!listed.contains("claude-haiku-4-5") && !listed.contains("deepseek-chat") && listed.contains("deepseek-reasoner"))
            #expect(fake.requests(.anthropic).isEmpty)
        }
    }

    @Test func badInputChangesNothing() async throws {
        try await withGateway { fake, world, data, client in
            let owner = Browser(client)
            try await world.signIn(owner, as: .owner)
            let wrongModel = try await owner.post(
                Self.page, ["provider": "openai", "enabled": "on", "allowed_models": "claude-haiku-4-5"], tokenFrom: Self.page)
            #expect(wrongModel.status == .unprocessableContent)
            #expect(wrongModel.text.contains("Choose among OpenAI&#39;s models."))
            let badKey = try await owner.post(Self.page, ["provider": "openai", "enabled": "on", "api_key": "short"], tokenFrom: Self.page)
            #expect(badKey.status == .unprocessableContent)
            #expect(try await owner.post(Self.page, ["provider": "mistral"], tokenFrom: Self.page).status == .badRequest)
            #expect(try await data.count("provider_settings") == 0)
        }
    }
}
