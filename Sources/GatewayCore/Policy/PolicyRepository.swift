import Foundation
import PostgresNIO

/// Reads and writes `policy_versions` and `policy_acknowledgements`.
public struct PolicyRepository: Sendable {
    /// The newest version, and the newest significant one.
    struct LatestNumbers: Sendable, Equatable {
        var current: Int
        var significant: Int?
    }

    let database: Database

    public init(database: Database) {
        self.database = database
    }

    func latestNumbers() async throws -> LatestNumbers? {
        let rows = try await database.query(
            "SELECT max(version), max(version) FILTER (WHERE significant) FROM policy_versions")
        guard let row = rows.first else { return nil }
        let (current, significant) = try row.decode((Int?, Int?).self)
        return current.map { LatestNumbers(current: $0, significant: significant) }
    }

    func version(_ number: Int) async throws -> PolicyVersion? {
        let rows = try await database.query(
            """
            SELECT version, published_at, markdown, html, headings::text, significant, summary
            FROM policy_versions WHERE version = \(number)
            """)
        guard let row = rows.first else { return nil }
        let (number, publishedAt, markdown, html, headings, significant, summary) = try row.decode(
            (Int, Date, String, String, String, Bool, String).self)
        return PolicyVersion(
            number: number, publishedAt: publishedAt, markdown: markdown, html: html,
            headings: try JSONDecoder().decode([Heading].self, from: Data(headings.utf8)),
            significant: significant, summary: summary)
    }

    func summaries() async throws -> [PolicyVersionSummary] {
        let rows = try await database.query(
            "SELECT version, published_at, significant, summary FROM policy_versions ORDER BY version DESC")
        return try rows.map { row in
            let (number, publishedAt, significant, summary) = try row.decode((Int, Date, Bool, String).self)
            return PolicyVersionSummary(number: number, publishedAt: publishedAt, significant: significant, summary: summary)
        }
    }

    /// Inserts version 1 unless any version exists; several nodes may try at once.
    func insertFirstVersion(markdown: String, rendered: RenderedMarkdown) async throws {
        let headings = try Self.json(rendered.headings)
        _ = try await database.query(
            """
            INSERT INTO policy_versions (version, markdown, html, headings, significant, summary)
            SELECT 1, \(markdown), \(rendered.html), \(headings)::jsonb, true, 'First published version.'
            WHERE NOT EXISTS (SELECT 1 FROM policy_versions)
            ON CONFLICT (version) DO NOTHING
            """)
    }

    /// Inserts version `number`, acknowledged by its publisher (who has read it); false when that number
    /// was taken meanwhile (another operator published).
    func insert(
        number: Int, markdown: String, rendered: RenderedMarkdown, summary: String, significant: Bool, publishedBy: UUID
    ) async throws -> Bool {
        let headings = try Self.json(rendered.headings)
        let rows = try await database.query(
            """
            WITH published AS (
                INSERT INTO policy_versions (version, markdown, html, headings, significant, summary, published_by)
                VALUES (\(number), \(markdown), \(rendered.html), \(headings)::jsonb, \(significant), \(summary), \(publishedBy))
                ON CONFLICT (version) DO NOTHING
                RETURNING version
            ), acknowledged AS (
                INSERT INTO policy_acknowledgements (user_id, version) SELECT \(publishedBy), version FROM published
            )
            SELECT version FROM published
            """)
        return rows.first != nil
    }

    /// One primary-key lookup: it runs on the pages of users who may owe an acknowledgement.
    func hasAcknowledged(user: UUID, version: Int) async throws -> Bool {
        let rows = try await database.query(
            "SELECT 1 FROM policy_acknowledgements WHERE user_id = \(user) AND version = \(version)")
        return rows.first != nil
    }

    /// Records the acknowledgement once; acknowledging again keeps the first time.
    func acknowledge(user: UUID, version: Int) async throws {
        _ = try await database.query(
            """
            INSERT INTO policy_acknowledgements (user_id, version) VALUES (\(user), \(version))
            ON CONFLICT (user_id, version) DO NOTHING
            """)
    }

    /// Versions published since `joinedAt`, and the one in force then, newest first, with the user's acknowledgements.
    func history(
        of user: UUID, joinedAt: Date
    ) async throws -> [(version: PolicyVersionSummary, acknowledgedAt: Date?, inForceAtSignUp: Bool)] {
        let rows = try await database.query(
            """
            WITH joined AS (SELECT max(version) AS version FROM policy_versions WHERE published_at <= \(joinedAt))
            SELECT v.version, v.published_at, v.significant, v.summary, a.acknowledged_at,
                   v.version IS NOT DISTINCT FROM (SELECT version FROM joined) AS in_force
            FROM policy_versions v
            LEFT JOIN policy_acknowledgements a ON a.user_id = \(user) AND a.version = v.version
            WHERE v.published_at > \(joinedAt) OR v.version = (SELECT version FROM joined)
            ORDER BY v.version DESC
            """)
        return try rows.map { row in
            let (number, publishedAt, significant, summary, acknowledgedAt, inForce) = try row.decode(
                (Int, Date, Bool, String, Date?, Bool).self)
            return (
                PolicyVersionSummary(number: number, publishedAt: publishedAt, significant: significant, summary: summary),
                acknowledgedAt, inForce
            )
        }
    }

    private static func json(_ headings: [Heading]) throws -> String {
        String(decoding: try JSONEncoder().encode(headings), as: UTF8.self)
    }
}
