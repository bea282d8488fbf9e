import Foundation
import GatewayCore
import HummingbirdTesting
import TestSupport
import Testing

@Suite("Maintenance runs on the operator console")
struct MaintenancePageTests {
    /// The app runs a pass as it starts; waits for it so the test's own history is not mixed with it.
    func waitForTheStartupPass(_ data: TestData) async throws {
        var attempts = 0
        while try await data.count("maintenance_runs", where: "finished_at IS NOT NULL") == 0, attempts < 100 {
            try await Task.sleep(for: .milliseconds(100))
            attempts += 1
        }
        #expect(try await data.count("maintenance_runs", where: "finished_at IS NOT NULL") == 1, "one pass ran when the app started")
    }

    @Test func operatorsSeeTheRunsNewestFirstAndOthersAreRefused() async throws {
        try await withWorld { world, data, client in
            try await waitForTheStartupPass(data)
            try await data.rows("DELETE FROM maintenance_runs")
            let operatorBrowser = Browser(client)
            try await world.signIn(operatorBrowser, as: .platformOperator)
            #expect(try await operatorBrowser.get("/").headers[.location] == "/admin", "an operator without a company starts there")
            #expect(try await operatorBrowser.get("/admin").text.contains(#"href="/admin/maintenance""#))
            let empty = try await operatorBrowser.get("/admin/maintenance")
            #expect(empty.status == .ok)
            #expect(empty.text.contains("No maintenance pass has run yet."))

            try await data.rows(
                """
                INSERT INTO maintenance_runs (id, node, started_at, finished_at, purged, error) VALUES
                    (\(UUID()), 'node-old', now() - interval '2 hours', now() - interval '2 hours' + interval '3 seconds',
                     '{"sessions": 3, "oauth_states": 1, "invitations": 0}', NULL),
                    (\(UUID()), 'node-new', now() - interval '1 hour', now() - interval '1 hour', '{"sessions": 0}',
                     'invitations: permission denied')
                """)
            let page = try await operatorBrowser.get("/admin/maintenance").text
            #expect(page.contains("3 expired sessions, 1 OAuth state"))
            #expect(page.contains("3 s"))
            #expect(page.contains("Nothing to remove"))
            #expect(page.contains("invitations: permission denied"))
            let newer = try #require(page.range(of: "node-new"))
            let older = try #require(page.range(of: "node-old"))
            #expect(newer.lowerBound < older.lowerBound, "newest first")

            for actor in [World.Actor.member, .owner] {
                let browser = Browser(client)
                try await world.signIn(browser, as: actor)
                #expect(try await browser.get("/admin/maintenance").status == .forbidden)
            }
        }
    }
}
