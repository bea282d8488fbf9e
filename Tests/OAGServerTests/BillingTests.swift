import Foundation
import GatewayCore
import HummingbirdTesting
import TestSupport
import Testing

/// `/company/billing`: a statement per month; a closed month's never changes.
@Suite("Billing")
struct BillingTests {
    /// "YYYY-MM" of the month before the current one (UTC).
    static var lastMonth: String {
        let start = UsageRange.parse(UsageDay.monthStart(of: Date()))!
        return String(UsageDay.monthStart(of: start.addingTimeInterval(-86_400)).prefix(7))
    }

    static func addUsage(_ data: TestData, company: UUID, month: String, model: String, requests: Int64, cost: Int64) async throws {
        try await data.rows(
            """
            INSERT INTO usage_daily (company_id, day, model, provider, requests, failed_requests, prompt_tokens, completion_tokens, cost_micros)
            VALUES (\(company), \(month + "-15")::date, \(model), 'openai', \(requests), 0, \(requests * 100), \(requests * 10), \(cost))
            ON CONFLICT ON CONSTRAINT usage_daily_key DO UPDATE SET requests = usage_daily.requests + EXCLUDED.requests,
                cost_micros = usage_daily.cost_micros + EXCLUDED.cost_micros
            """)
    }

    @Test func aClosedMonthsStatementNeverChanges() async throws {
        try await withWorld { world, data, client in
            try await Self.addUsage(
                data, company: world.companyA, month: Self.lastMonth, model: "gpt-4o-mini", requests: 40, cost: 2_500_000)
            try await Self.addUsage(
                data, company: world.companyA, month: Self.lastMonth, model: "claude-haiku-4-5", requests: 2, cost: 750_000)
            try await Self.addUsage(
                data, company: world.companyB, month: Self.lastMonth, model: "deepseek-chat", requests: 9, cost: 9_990_000)
            let admin = Browser(client)
            try await world.signIn(admin, as: .admin)
            let first = try await admin.get("/company/billing?month=\(Self.lastMonth)")
            #expect(first.status == .ok)
            #expect(first.text.contains("Closed on") && first.text.contains("Price table version 1."))
            #expect(first.text.contains(#"<td class="numeric" data-total>$3.25</td>"#))
            #expect(first.text.contains("$0.15") && first.text.contains("$0.60"), "gpt-4o-mini's unit prices")
            #expect(!first.text.contains("deepseek-chat"), "not another company's")

            // Late usage and a price change afterwards leave the closed statement as it was.
            try await Self.addUsage(
                data, company: world.companyA, month: Self.lastMonth, model: "gpt-4o-mini", requests: 1000, cost: 99_000_000)
            let operatorBrowser = Browser(client)
            try await world.signIn(operatorBrowser, as: .platformOperator)
            let saved = try await operatorBrowser.post(
                "/admin/models/gpt-4o-mini", ["input_price": "9", "output_price": "9", "active": "on"], tokenFrom: "/admin/models")
            #expect(saved.status == .seeOther)
            let again = try await admin.get("/company/billing?month=\(Self.lastMonth)")
            #expect(again.text.contains(#"data-total>$3.25</td>"#) && again.text.contains("Price table version 1."))
            #expect(try await data.count("statements") == 1)
        }
    }

    @Test func theCurrentMonthIsOpenAndLive() async throws {
        try await withWorld { world, data, client in
            let current = String(UsageDay.monthStart(of: Date()).prefix(7))
            try await Self.addUsage(data, company: world.companyA, month: current, model: "gpt-4o-mini", requests: 3, cost: 1_000_000)
            let owner = Browser(client)
            try await world.signIn(owner, as: .owner)
            let page = try await owner.get("/company/billing").text
            #expect(page.contains("Open: the month is not over") && page.contains("data-total>$1.00</td>"))
            try await Self.addUsage(data, company: world.companyA, month: current, model: "gpt-4o-mini", requests: 3, cost: 1_000_000)
            #expect(try await owner.get("/company/billing").text.contains("data-total>$2.00</td>"))
            #expect(try await data.count("statements") == 0, "an open month is not stored")
        }
    }

    @Test func badMonthsAndMembersAreRefused() async throws {
        try await withWorld { world, data, client in
            let owner = Browser(client)
            try await world.signIn(owner, as: .owner)
            for month in ["2026-13", "last", "2999-01"] {
                let page = try await owner.get("/company/billing?month=\(month)")
                #expect(page.status == .badRequest, "\(month)")
            }
            let member = Browser(client)
            try await world.signIn(member, as: .member)
            #expect(try await member.get("/company/billing").status == .forbidden)
        }
    }
}
