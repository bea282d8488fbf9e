import Foundation
import GatewayCore
import HummingbirdTesting
import PostgresNIO
import TestSupport
import Testing

/// `/usage` and `/company/usage`: who sees what, the same figures in the page and the CSV.
@Suite("Usage pages")
struct UsagePagesTests {
    /// Daily rollups as the recorder writes them.
    static func seed(_ data: TestData, _ world: World) async throws {
        let rows: [(UUID, String, UUID?, String, Int64, Int64, Int64, Int64)] = [
            (world.companyA, "2026-11-01", world.member, "gpt-4o-mini", 3, 300, 120, 1_250_000),
            (world.companyA, "2026-11-02", world.member, "claude-haiku-4-5", 1, 50, 10, 100_000),
            (world.companyA, "2026-11-02", world.admin, "gpt-4o-mini", 7, 7000, 700, 9_000_000),
            (world.companyA, "2026-10-31", world.member, "gpt-4o-mini", 100, 1, 1, 1),
            (world.companyB, "2026-11-01", world.otherOwner, "deepseek-chat", 5, 555, 55, 5_550_000),
        ]
        for (company, day, user, model, requests, prompt, completion, cost) in rows {
            try await data.rows(
                """
                INSERT INTO usage_daily (company_id, day, user_id, model, provider, requests, failed_requests, prompt_tokens, completion_tokens, cost_micros)
                VALUES (\(company), \(day)::date, \(user), \(model), 'openai', \(requests), 0, \(prompt), \(completion), \(cost))
                """)
        }
    }

    static let november = "?from=2026-11-01&to=2026-11-30"

    @Test func aMemberSeesTheirOwnUsageAndTheCSVHasTheSameFigures() async throws {
        try await withWorld { world, data, client in
            try await Self.seed(data, world)
            let member = Browser(client)
            try await world.signIn(member, as: .member)
            let page = try await member.get("/usage" + Self.november)
            #expect(page.status == .ok)
            let text = page.text
            #expect(
                text.contains("<svg class=\"usage-chart\"")
                    && text.contains("<title id=\"chart-title\">Tokens per day from 2026-11-01 to 2026-11-30"))
            #expect(
                text.contains(">4<") && text.contains(">350<") && text.contains(">130<") && text.contains("$1.35"),
                "totals of the member's rows")
            #expect(!text.contains("7,000"), "not the admin's usage")
            #expect(!text.contains("555"), "not another company's")

            let csv = try await member.get("/usage.csv" + Self.november)
            #expect(csv.status == .ok)
            #expect(csv.headers[.contentType] == "text/csv; charset=utf-8")
            #expect(
                csv.text == "day,model,requests,failed_requests,prompt_tokens,completion_tokens,cost_usd\r\n"
                    + "2026-11-01,\"gpt-4o-mini\",3,0,300,120,1.250000\r\n2026-11-02,\"claude-haiku-4-5\",1,0,50,10,0.100000\r\n")
            #expect(try await member.get("/company/usage").status == .forbidden)
        }
    }

    @Test func adminsSeeTheirCompanyByMemberAndNobodySeesAnotherCompany() async throws {
        try await withWorld { world, data, client in
            try await Self.seed(data, world)
            let admin = Browser(client)
            try await world.signIn(admin, as: .admin)
            let page = try await admin.get("/company/usage" + Self.november).text
            #expect(page.contains("Mona Member") && page.contains("Arthur Admin") && page.contains("By API key"))
            #expect(page.contains(">11<"), "all eleven requests of company A in November")
            #expect(!page.contains("deepseek-chat"))
            let csv = try await admin.get("/company/usage.csv" + Self.november).text
            #expect(csv.split(separator: "\r\n").count == 1 + 3)

            let other = Browser(client)
            try await world.signIn(other, as: .otherOwner)
            let theirs = try await other.get("/company/usage" + Self.november).text
            #expect(theirs.contains("deepseek-chat") && !theirs.contains("gpt-4o-mini"))
        }
    }

    @Test(arguments: [
        ("?from=2026-13-01&to=2026-11-30", "Enter a date as YYYY-MM-DD"),
        ("?from=2026-11-30&to=2026-11-01", "The end date is before the start date."),
        ("?from=yesterday", "Enter a date as YYYY-MM-DD"),
        ("?from=2020-01-01&to=2026-11-01", "Choose at most 366 days."),
    ])
    func badRangesAreExplained(query: String, message: String) async throws {
        try await withWorld { world, data, client in
            let member = Browser(client)
            try await world.signIn(member, as: .member)
            let page = try await member.get("/usage" + query)
            #expect(page.status == .badRequest)
            #expect(page.text.contains(message))
            #expect(try await member.get("/usage.csv" + query).status == .badRequest)
        }
    }

    @Test func gatewayRequestsShowUpForTheMemberWhoMadeTheKey() async throws {
        try await withGateway { fake, world, data, client in
            let admin = Browser(client)
            try await world.signIn(admin, as: .admin)
            let created = try await admin.post("/company/api-keys", ["name": "Reports"], tokenFrom: "/company/api-keys")
            let secret = try #require(APIKeysPageTests.secret(in: created.text))
            #expect(try await APIClient(client: client, key: secret).chat(model: "deepseek-chat", messages: [("user", "hi")]).status == .ok)
            _ = try await data.usageEvents(1)
            let today = UsageDay.string(of: Date())
            let page = try await admin.get("/usage?from=\(today)&to=\(today)").text
            #expect(page.contains("deepseek-chat"))
            let csv = try await admin.get("/usage.csv?from=\(today)&to=\(today)").text
            #expect(csv.contains("\(today),\"deepseek-chat\",1,0,"))
            #expect(try await admin.get("/dashboard").text.contains("This month: 1 request, "))
        }
    }
}
