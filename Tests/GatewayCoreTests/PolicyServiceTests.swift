import Foundation
import GatewayCore
import PostgresNIO
import TestSupport
import Testing

@Suite("Privacy policy versions")
struct PolicyServiceTests {
    let shippedPolicy = TestDatabase.repositoryRoot + "/Content/privacy-policy.md"

    func withService(refreshInterval: Duration = .seconds(10), _ body: (PolicyService, DatabaseSettings) async throws -> Void) async throws
    {
        let settings = try await TestDatabase.fresh()
        let client = PostgresClient(configuration: settings.app.clientConfiguration, backgroundLogger: TestDatabase.logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            let service = PolicyService(
                repository: PolicyRepository(database: Database(client: client, logger: TestDatabase.logger)),
                refreshInterval: refreshInterval)
            try await body(service, settings)
        }
    }

    func publish(_ number: Int, _ markdown: String, in settings: DatabaseSettings) async throws {
        let html = MarkdownRenderer.render(markdown).html
        try await settings.owner.withConnection(logger: TestDatabase.logger) { connection in
            try await connection.query(
                "INSERT INTO policy_versions (version, markdown, html) VALUES (\(number), \(markdown), \(html))",
                logger: TestDatabase.logger)
        }
    }

    @Test func theShippedPolicyBecomesVersionOneOnlyOnce() async throws {
        try await withService { service, _ in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<4 { group.addTask { try await service.publishInitialVersionIfNone(markdownFile: shippedPolicy) } }
                try await group.waitForAll()
            }
            try await service.publishInitialVersionIfNone(markdownFile: shippedPolicy)
            let versions = try await service.versions()
            #expect(versions.map(\.number) == [1])
            let current = try #require(try await service.current())
            #expect(current.number == 1)
            let shipped = try String(contentsOfFile: shippedPolicy, encoding: .utf8)
            #expect(current.markdown == DataInventory.expandingPolicySection(in: shipped))
            // The "Data we hold" list is the inventory's, in every table's own words.
            #expect(!current.markdown.contains(DataInventory.policyMarker))
            for table in DataInventory.tables {
                #expect(current.html.contains(table.describes), "the policy does not describe \(table.name)")
            }
            #expect(current.headings.contains { $0.level == 2 && $0.anchor == "data-we-hold" })
            #expect(current.html.contains(#"<h2 id="data-we-hold">"#))
        }
    }

    @Test func anExistingPolicyIsNeverReplacedByTheShippedFile() async throws {
        try await withService { service, settings in
            try await publish(1, "# Earlier policy", in: settings)
            try await service.publishInitialVersionIfNone(markdownFile: shippedPolicy)
            #expect(try await service.current()?.markdown == "# Earlier policy")
        }
    }

    @Test func theCurrentVersionIsServedFromMemoryUntilTheRefreshInterval() async throws {
        try await withService(refreshInterval: .seconds(3600)) { service, settings in
            try await publish(1, "# One", in: settings)
            #expect(try await service.current()?.number == 1)
            try await publish(2, "# Two", in: settings)
            #expect(try await service.current()?.number == 1, "within the interval the cached version is served")
            #expect(try await service.version(2)?.markdown == "# Two", "a specific version is read when asked for")
        }
    }

    @Test func aVersionPublishedElsewhereShowsUpAfterTheInterval() async throws {
        try await withService(refreshInterval: .zero) { service, settings in
            try await publish(1, "# One", in: settings)
            #expect(try await service.current()?.number == 1)
            try await publish(2, "# Two", in: settings)
            #expect(try await service.current()?.number == 2)
            #expect(try await service.versions().map(\.number) == [2, 1])
        }
    }

    @Test func anUnknownVersionIsNil() async throws {
        try await withService { service, settings in
            #expect(try await service.current() == nil)
            try await publish(1, "# One", in: settings)
            #expect(try await service.version(7) == nil)
        }
    }
}
