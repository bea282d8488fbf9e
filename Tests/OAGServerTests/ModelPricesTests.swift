import Foundation
import GatewayCore
import HummingbirdTesting
import TestSupport
import Testing

/// Operators keep the price table on `/admin/models`; the gateway prices new requests with it.
@Suite("Models and prices")
struct ModelPricesTests {
    @Test func anOperatorsNewPriceAppliesToNewRequestsOnly() async throws {
        try await withGateway { fake, world, data, client in
            let api = APIClient(client: client, key: try await data.apiKey(company: world.companyA))
            #expect(try await api.chat(model: "gpt-4o-mini", messages: [("user", "one two three")]).status == .ok)
            let before = try #require(try await data.usageEvents(1).first)

            let operatorBrowser = Browser(client)
            try await world.signIn(operatorBrowser, as: .platformOperator)
            let page = try await operatorBrowser.get("/admin/models")
            #expect(page.status == .ok)
            #expect(page.text.contains("gpt-4o-mini") && page.text.contains("0.15"))
            let saved = try await operatorBrowser.post(
                "/admin/models/gpt-4o-mini", ["input_price": "1000", "output_price": "2000", "active": "on", "fallback_model": ""],
                tokenFrom: "/admin/models")
            #expect(saved.status == .seeOther)

            #expect(try await api.chat(model: "gpt-4o-mini", messages: [("user", "one two three")]).status == .ok)
            let after = try await data.usageEvents(2)
            let expected = (Int64(after[1].promptTokens) * 1_000_000_000 + Int64(after[1].completionTokens) * 2_000_000_000) / 1_000_000
            #expect(after[1].costMicros == expected)
            #expect(after[0].costMicros == before.costMicros, "a recorded cost never changes")
        }
    }

    @Test func badPricesAndFallbacksChangeNothingAndOnlyOperatorsMayEdit() async throws {
        try await withGateway { fake, world, data, client in
            let operatorBrowser = Browser(client)
            try await world.signIn(operatorBrowser, as: .platformOperator)
            let badPrice = try await operatorBrowser.post(
                "/admin/models/gpt-4o-mini", ["input_price": "cheap", "output_price": "-1", "active": "on"], tokenFrom: "/admin/models")
            #expect(badPrice.status == .unprocessableContent)
            #expect(badPrice.text.contains("Enter a price in dollars per million tokens"))
            let badFallback = try await operatorBrowser.post(
                "/admin/models/gpt-4o-mini", ["input_price": "1", "output_price": "1", "fallback_model": "gpt-99"],
                tokenFrom: "/admin/models")
            #expect(badFallback.status == .unprocessableContent)
            #expect(
                try await operatorBrowser.post(
                    "/admin/models/gpt-99", ["input_price": "1", "output_price": "1"], tokenFrom: "/admin/models"
                ).status
                    == .notFound)
            let row = try await data.rows(
                "SELECT input_micros_per_million, is_active, fallback_model FROM models WHERE id = 'gpt-4o-mini'")[0]
            let (input, active, fallback) = try row.decode((Int64, Bool, String?).self)
            #expect(input == 150_000 && active && fallback == nil)

            let owner = Browser(client)
            try await world.signIn(owner, as: .owner)
            #expect(try await owner.get("/admin/models").status == .forbidden)
        }
    }
}
