import Foundation
import PostgresNIO

/// One model's line on a monthly statement.
public struct StatementLine: Sendable, Equatable {
    public var model: String
    public var provider: String
    public var requests: Int64
    public var promptTokens: Int64
    public var completionTokens: Int64
    public var inputMicrosPerMillion: Int64
    public var outputMicrosPerMillion: Int64
    /// What the requests cost as they were metered.
    public var amountMicros: Int64
}

/// A company's statement for one month.
public struct Statement: Sendable, Equatable {
    /// "2026-11".
    public var month: String
    /// False for the current month, whose figures still grow.
    public var isClosed: Bool
    public var closedAt: Date?
    public var priceVersion: Int
    public var lines: [StatementLine]
    public var requests: Int64
    public var totalMicros: Int64
}

/// Monthly statements: the current month live from the rollups; a past month written once, the
/// first time it is asked for, and never changed after.
public struct BillingService: Sendable {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// The months that have a statement to show, newest first (the current one always).
    public func months(_ tenant: Tenant, now: Date = Date()) async throws -> [String] {
        try tenant.require(.viewCompanyUsage)
        let current = String(UsageDay.monthStart(of: now).prefix(7))
        let past = try await database.withTenant(tenant.companyID) { connection in
            try await connection.rows(
                """
                SELECT DISTINCT to_char(day, 'YYYY-MM') FROM usage_daily WHERE company_id = \(tenant.companyID)
                UNION SELECT to_char(month, 'YYYY-MM') FROM statements WHERE company_id = \(tenant.companyID)
                """, logger: database.logger
            ).map { try $0.decode(String.self) }
        }
        return Array(Set(past + [current])).filter { $0 <= current }.sorted(by: >)
    }

    /// `month` as "YYYY-MM"; nil for the current month. A month in the future is a field error.
    public func statement(_ tenant: Tenant, month rawMonth: String?, now: Date = Date()) async throws -> Statement {
        try tenant.require(.viewCompanyUsage)
        let current = String(UsageDay.monthStart(of: now).prefix(7))
        let month = rawMonth.flatMap { $0.isEmpty ? nil : $0 } ?? current
        guard month.count == 7, let first = UsageRange.date(month + "-01"), UsageDay.string(of: first).hasPrefix(month) else {
            throw FieldErrors("month", "Choose a month as YYYY-MM.")
        }
        guard month <= current else { throw FieldErrors("month", "There is no statement for a month that has not begun.") }
        return try await database.withTenant(tenant.companyID) { connection in
            if month == current { return try await live(tenant.companyID, month: month, on: connection) }
            if let closed = try await stored(tenant.companyID, month: month, on: connection) { return closed }
            return try await close(tenant.companyID, month: month, on: connection)
        }
    }

    /// The figures so far, priced by the current table; nothing is stored.
    private func live(_ companyID: UUID, month: String, on connection: PostgresConnection) async throws -> Statement {
        let lines = try await computedLines(companyID, month: month, on: connection)
        return Statement(
            month: month, isClosed: false, closedAt: nil, priceVersion: try await latestPriceVersion(on: connection), lines: lines,
            requests: lines.reduce(0) { $0 + $1.requests }, totalMicros: lines.reduce(0) { $0 + $1.amountMicros })
    }

    /// Writes a past month's statement; another node writing it at the same moment wins, and its copy is read.
    private func close(_ companyID: UUID, month: String, on connection: PostgresConnection) async throws -> Statement {
        let lines = try await computedLines(companyID, month: month, on: connection)
        let version = try await latestPriceVersion(on: connection)
        let inserted = try await connection.rows(
            """
            INSERT INTO statements (company_id, month, price_version, requests, total_micros)
            VALUES (\(companyID), \(month + "-01")::date, \(version), \(lines.reduce(0) { $0 + $1.requests }), \(lines.reduce(0) { $0 + $1.amountMicros }))
            ON CONFLICT DO NOTHING RETURNING 1
            """, logger: database.logger)
        if !inserted.isEmpty {
            for line in lines {
                try await connection.rows(
                    """
                    INSERT INTO statement_lines (company_id, month, model, provider, requests, prompt_tokens, completion_tokens,
                        input_micros_per_million, output_micros_per_million, amount_micros)
                    VALUES (\(companyID), \(month + "-01")::date, \(line.model), \(line.provider), \(line.requests), \(line.promptTokens),
                        \(line.completionTokens), \(line.inputMicrosPerMillion), \(line.outputMicrosPerMillion), \(line.amountMicros))
                    """, logger: database.logger)
            }
        }
        guard let statement = try await stored(companyID, month: month, on: connection) else { throw NotFound() }
        return statement
    }

    private func stored(_ companyID: UUID, month: String, on connection: PostgresConnection) async throws -> Statement? {
        guard
            let head = try await connection.rows(
                """
                SELECT price_version, requests, total_micros, closed_at FROM statements
                WHERE company_id = \(companyID) AND month = \(month + "-01")::date
                """, logger: database.logger
            ).first
        else { return nil }
        let (version, requests, total, closedAt) = try head.decode((Int, Int64, Int64, Date).self)
        let lines = try await connection.rows(
            """
            SELECT model, provider, requests, prompt_tokens, completion_tokens, input_micros_per_million, output_micros_per_million, amount_micros
            FROM statement_lines WHERE company_id = \(companyID) AND month = \(month + "-01")::date
            ORDER BY amount_micros DESC, model
            """, logger: database.logger
        ).map(Self.line)
        return Statement(
            month: month, isClosed: true, closedAt: closedAt, priceVersion: version, lines: lines, requests: requests, totalMicros: total)
    }

    private func computedLines(_ companyID: UUID, month: String, on connection: PostgresConnection) async throws -> [StatementLine] {
        try await connection.rows(
            """
            SELECT d.model, min(d.provider), sum(d.requests)::bigint, sum(d.prompt_tokens)::bigint, sum(d.completion_tokens)::bigint,
                COALESCE(min(m.input_micros_per_million), 0), COALESCE(min(m.output_micros_per_million), 0), sum(d.cost_micros)::bigint
            FROM usage_daily d LEFT JOIN models m ON m.id = d.model
            WHERE d.company_id = \(companyID) AND d.day >= \(month + "-01")::date AND d.day < (\(month + "-01")::date + interval '1 month')
            GROUP BY d.model
            ORDER BY 8 DESC, 1
            """, logger: database.logger
        ).map(Self.line)
    }

    private func latestPriceVersion(on connection: PostgresConnection) async throws -> Int {
        try await connection.rows("SELECT max(id) FROM price_versions", logger: database.logger).first?.decode(Int?.self) ?? 1
    }

    static func line(from row: PostgresRow) throws -> StatementLine {
        let (model, provider, requests, prompt, completion, input, output, amount) = try row.decode(
            (String, String, Int64, Int64, Int64, Int64, Int64, Int64).self)
        return StatementLine(
            model: model, provider: provider, requests: requests, promptTokens: prompt, completionTokens: completion,
            inputMicrosPerMillion: input,
            outputMicrosPerMillion: output, amountMicros: amount)
    }
}
