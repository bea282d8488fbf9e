import Foundation
import GatewayCore
import HummingbirdTesting
import TestSupport
import Testing

/// `/company/usage/requests`: newest first, paged by keyset, filtered; company A's only.
@Suite("Request log")
struct RequestLogTests {
    static func seed(_ data: TestData, _ world: World, count: Int) async throws {
        try await data.rows(
            """
            INSERT INTO usage_events (company_id, id, occurred_at, user_id, provider, model, prompt_tokens, completion_tokens, cost_micros,
                latency_ms, status)
            SELECT \(world.companyA), gen_random_uuid(), now() - n * interval '1 minute', \(world.member), 'openai',
                CASE WHEN n % 3 = 0 THEN 'deepseek-chat' ELSE 'gpt-4o-mini' END, n, 1, 10, 100 + n, CASE WHEN n % 10 = 0 THEN 502 ELSE 200 END
            FROM generate_series(1, \(count)) AS n
            """)
    }

    /// The prompt-token figures of a page's rows ("N + 1" cells), which here are the rows' ages in minutes.
    static func ages(_ html: String) -> [Int] {
        html.components(separatedBy: "<td class=\"numeric\">").dropFirst().compactMap { cell -> Int? in
            guard let plus = cell.range(of: " + 1</td>"), cell.distance(from: cell.startIndex, to: plus.lowerBound) < 12 else { return nil }
            return Int(cell[..<plus.lowerBound].replacingOccurrences(of: ",", with: ""))
        }
    }

    @Test func pagesGoBackInTimeWithoutGapsOrRepeats() async throws {
        try await withWorld { world, data, client in
            try await Self.seed(data, world, count: 120)
            let admin = Browser(client)
            try await world.signIn(admin, as: .admin)
            var seen: [Int] = []
            var path: String? = "/company/usage/requests"
            while let next = path {
                let page = try await admin.get(next)
                #expect(page.status == .ok)
                seen += Self.ages(page.text)
                path = page.text.range(of: #"href="(/company/usage/requests\?before=[^"]+)""#, options: .regularExpression).map {
                    String(page.text[$0].dropFirst(6).dropLast()).replacingOccurrences(of: "&amp;", with: "&")
                }
            }
            #expect(seen == Array(1...120), "newest first, every request once")
        }
    }

    @Test func filtersByModelAndOutcome() async throws {
        try await withWorld { world, data, client in
            try await Self.seed(data, world, count: 30)
            let admin = Browser(client)
            try await world.signIn(admin, as: .owner)
            let deepseek = Self.ages(try await admin.get("/company/usage/requests?model=deepseek-chat").text)
            #expect(deepseek == [3, 6, 9, 12, 15, 18, 21, 24, 27, 30])
            let failed = Self.ages(try await admin.get("/company/usage/requests?outcome=failed").text)
            #expect(failed == [10, 20, 30])
            #expect(try await admin.get("/company/usage/requests?model=gpt-99").status == .badRequest)
            #expect(try await admin.get("/company/usage/requests?outcome=maybe").status == .badRequest)
            #expect(try await admin.get("/company/usage/requests?before=yesterday").status == .badRequest)
        }
    }

    @Test func onlyAdminsOfTheCompanySeeIt() async throws {
        try await withWorld { world, data, client in
            try await Self.seed(data, world, count: 5)
            let member = Browser(client)
            try await world.signIn(member, as: .member)
            #expect(try await member.get("/company/usage/requests").status == .forbidden)
            let other = Browser(client)
            try await world.signIn(other, as: .otherOwner)
            let theirs = try await other.get("/company/usage/requests")
            #expect(theirs.status == .ok)
            #expect(theirs.text.contains("No requests match."))
        }
    }
}
