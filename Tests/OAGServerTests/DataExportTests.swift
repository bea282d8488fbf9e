import Foundation
import GatewayCore
import HummingbirdTesting
import TestSupport
import Testing

@Suite("Data export")
struct DataExportTests {
    @Test func theExportHoldsEveryCategoryOpenedContentAndNoSecret() async throws {
        try await withPrivacyWorld { oauth, llm, world, data, client in
            llm.setReply("Penguins prefer the cold.")
            let member = Browser(client)
            try await world.signIn(member, as: .member)
            _ = try await member.connect(.github, on: oauth)
            let thread = try await ThreadsTests.start(member, title: "Bird facts")
            #expect(
                try await member.post(thread + "/messages", ["content": "Tell me about puffins"], tokenFrom: thread).status == .seeOther)
            _ = try await data.usageEvents(1, where: "user_id = '\(world.member.uuidString)'")
            _ = try await DeletionRequestsTests.file(member, scope: "threads", reason: "Just checking")
            // A history longer than the export's pages (1,000 rows a query), each row told apart by its latency.
            try await data.rows(
                """
                INSERT INTO usage_events (company_id, id, occurred_at, user_id, provider, model, prompt_tokens, completion_tokens,
                    cost_micros, latency_ms, status)
                SELECT \(world.companyA), gen_random_uuid(), now() - i * interval '1 minute', \(world.member), 'openai', 'paging-model',
                    1, 1, 1, i, 200
                FROM generate_series(1, 2500) AS i
                """)

            let response = try await member.get("/account/export")
            #expect(response.status == .ok)
            #expect(response.headers[.contentDisposition]?.hasPrefix("attachment; filename=\"oag-my-data-") == true)
            #expect(response.headers[.cacheControl] == "no-store")
            let json = try JSONValue.decode(Data(response.text.utf8))
            #expect(json["format"]?.string == PersonalDataExport.format)
            let categories = json["categories"]?.array ?? []
            #expect(categories.compactMap { $0["category"]?.string } == DataCategory.allCases.map(\.rawValue))
            func rows(_ table: String) -> [JSONValue] {
                categories.flatMap { $0["tables"]?.array ?? [] }.first { $0["table"]?.string == table }?["rows"]?.array ?? []
            }
            // Every table the inventory names is in the document, each with what its columns hold.
            let tables = categories.flatMap { $0["tables"]?.array ?? [] }.compactMap { $0["table"]?.string }
            #expect(Set(tables) == Set(DataInventory.tables.map(\.name)))

            #expect(rows("users").first?["email"]?.string == world.email(world.member))
            #expect(rows("memberships").count == 1)
            #expect(rows("threads").first?["title"]?.string == "Bird facts")
            let messages = rows("thread_messages").compactMap { $0["content"]?.string }
            #expect(Set(messages) == ["Tell me about puffins", "Penguins prefer the cold."])
            #expect(rows("integrations").first?["provider"]?.string == "github")
            #expect(rows("integrations").first?["access_token"] == nil)
            let paged = rows("usage_events").filter { $0["model"]?.string == "paging-model" }.compactMap { $0["latency_ms"]?.number }
            #expect(paged.count == 2500 && Set(paged) == Set((1...2500).map(Double.init)), "every row of a long history, once")
            // Each category a member's data falls in holds some of it (operators' actions are for operators,
            // and nobody wrote to this member).
            for category in DataCategory.allCases where ![.operatorActions, .messages].contains(category) {
                let held = categories.first { $0["category"]?.string == category.rawValue }?["tables"]?.array ?? []
                #expect(held.contains { !($0["rows"]?.array ?? []).isEmpty }, "\(category) is empty")
            }
            #expect(rows("sessions").count >= 1 && rows("sessions").allSatisfy { $0["token_hash"] == nil && $0["csrf_token"] == nil })
            #expect(rows("deletion_requests").first?["reason"]?.string == "Just checking")
            #expect(!rows("audit_events").isEmpty)

            // No secret in the whole document.
            for token in oauth.issuedAccessTokens(.github) { #expect(!response.text.contains(token)) }
            #expect(!response.text.contains("$2b$") && !response.text.contains("$2y$"))
            for session in try await data.rows("SELECT csrf_token FROM sessions").map({ try $0.decode(String.self) }) {
                #expect(!response.text.contains(session))
            }

            // Someone else's export is their own.
            let admin = Browser(client)
            try await world.signIn(admin, as: .admin)
            let theirs = try await admin.get("/account/export").text
            #expect(!theirs.contains("puffins") && theirs.contains(world.email(world.admin)))
        }
    }
}
