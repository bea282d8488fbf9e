import Foundation
import PostgresNIO

/// Reads and writes `policy_versions`.
public struct PolicyRepository: Sendable {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    func latestNumber() async throws -> Int? {
        let rows = try await database.client.query("SELECT max(version) FROM policy_versions", logger: database.logger)
        for try await number in rows.decode(Int?.self) { return number }
        return nil
    }

    func version(_ number: Int) async throws -> PolicyVersion? {
        let rows = try await database.client.query(
            """
            SELECT version, published_at, markdown, html, headings::text, significant
            FROM policy_versions WHERE version = \(number)
            """, logger: database.logger)
        for try await (number, publishedAt, markdown, html, headings, significant) in rows.decode(
            (Int, Date, String, String, String, Bool).self)
        {
            return PolicyVersion(
                number: number, publishedAt: publishedAt, markdown: markdown, html: html,
                headings: try JSONDecoder().decode([Heading].self, from: Data(headings.utf8)),
                significant: significant)
        }
        return nil
    }

    func summaries() async throws -> [PolicyVersionSummary] {
        let rows = try await database.client.query(
            "SELECT version, published_at, significant FROM policy_versions ORDER BY version DESC", logger: database.logger)
        var summaries: [PolicyVersionSummary] = []
        for try await (number, publishedAt, significant) in rows.decode((Int, Date, Bool).self) {
            summaries.append(PolicyVersionSummary(number: number, publishedAt: publishedAt, significant: significant))
        }
        return summaries
    }

    /// Inserts version 1 unless any version exists; several nodes may try at once.
    func insertFirstVersion(markdown: String, rendered: RenderedMarkdown) async throws {
        let headings = String(decoding: try JSONEncoder().encode(rendered.headings), as: UTF8.self)
        try await database.client.query(
            """
            INSERT INTO policy_versions (version, markdown, html, headings, significant)
            SELECT 1, \(markdown), \(rendered.html), \(headings)::jsonb, true
            WHERE NOT EXISTS (SELECT 1 FROM policy_versions)
            ON CONFLICT (version) DO NOTHING
            """, logger: database.logger)
    }
}
