import Foundation
import PostgresNIO

/// Reads and writes `policy_versions`.
public struct PolicyRepository: Sendable {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    func latestNumber() async throws -> Int? {
        let rows = try await database.query("SELECT max(version) FROM policy_versions")
        return try rows.first?.decode(Int?.self) ?? nil
    }

    func version(_ number: Int) async throws -> PolicyVersion? {
        let rows = try await database.query(
            """
            SELECT version, published_at, markdown, html, headings::text, significant
            FROM policy_versions WHERE version = \(number)
            """)
        guard let row = rows.first else { return nil }
        let (number, publishedAt, markdown, html, headings, significant) = try row.decode((Int, Date, String, String, String, Bool).self)
        return PolicyVersion(
            number: number, publishedAt: publishedAt, markdown: markdown, html: html,
            headings: try JSONDecoder().decode([Heading].self, from: Data(headings.utf8)),
            significant: significant)
    }

    func summaries() async throws -> [PolicyVersionSummary] {
        let rows = try await database.query("SELECT version, published_at, significant FROM policy_versions ORDER BY version DESC")
        return try rows.map { row in
            let (number, publishedAt, significant) = try row.decode((Int, Date, Bool).self)
            return PolicyVersionSummary(number: number, publishedAt: publishedAt, significant: significant)
        }
    }

    /// Inserts version 1 unless any version exists; several nodes may try at once.
    func insertFirstVersion(markdown: String, rendered: RenderedMarkdown) async throws {
        let headings = String(decoding: try JSONEncoder().encode(rendered.headings), as: UTF8.self)
        _ = try await database.query(
            """
            INSERT INTO policy_versions (version, markdown, html, headings, significant)
            SELECT 1, \(markdown), \(rendered.html), \(headings)::jsonb, true
            WHERE NOT EXISTS (SELECT 1 FROM policy_versions)
            ON CONFLICT (version) DO NOTHING
            """)
    }
}
