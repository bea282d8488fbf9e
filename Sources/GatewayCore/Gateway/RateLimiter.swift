import Foundation
import Logging
import PostgresNIO

/// Requests per minute per API key, counted in PostgreSQL so that every app node shares the
/// window. Only keys with a limit pay for the round trip.
public struct RateLimiter: Sendable {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    func admit(_ key: APIKey, limit: Int) async throws {
        let (count, secondsLeft) = try await database.withTenant(key.companyID) { connection -> (Int, Double) in
            let rows = try await connection.rows(
                """
                INSERT INTO rate_limit_windows (company_id, api_key_id, window_start, requests)
                VALUES (\(key.companyID), \(key.id), date_trunc('minute', now()), 1)
                ON CONFLICT (company_id, api_key_id, window_start) DO UPDATE SET requests = rate_limit_windows.requests + 1
                RETURNING requests, extract(epoch FROM date_trunc('minute', now()) + interval '1 minute' - now())::float8
                """, logger: database.logger)
            let (count, left) = try rows[0].decode((Int, Double).self)
            return (count, left)
        }
        if count > limit { throw GatewayError.rateLimited(retryAfter: max(1, Int(secondsLeft.rounded(.up)))) }
    }

    /// Windows older than a few minutes count for nothing.
    public func purgeExpired() async throws {
        try await database.query("SELECT purge_rate_limit_windows()")
    }
}
