import Foundation
import PostgresNIO

extension Database {
    /// Runs `body` in one transaction scoped to a company: row-level security admits only
    /// that company's rows, whatever the queries inside forget to filter.
    public func withTenant<Result: Sendable>(
        _ companyID: UUID, _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await withTransaction { connection in
            try await connection.query("SELECT set_config('oag.company_id', \(companyID.uuidString), true)", logger: logger)
            return try await body(connection)
        }
    }

    /// Runs `body` in one transaction: all of it is written, or none of it.
    public func withTransaction<Result: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> Result) async throws
        -> Result
    {
        try await withDeadline(deadline * 2) {
            do {
                return try await client.withTransaction(logger: logger) { connection in try await body(connection) }
            } catch let error as PostgresTransactionError {
                // The transaction was rolled back; callers care about why (NotFound, FieldErrors, …).
                throw error.closureError ?? error.beginError ?? error.commitError ?? error
            }
        }
    }
}

extension PostgresConnection {
    /// Runs one statement and returns its rows (statements inside a transaction).
    @discardableResult
    public func rows(_ query: PostgresQuery, logger: Logger) async throws -> [PostgresRow] {
        try await self.query(query, logger: logger).collect()
    }
}
