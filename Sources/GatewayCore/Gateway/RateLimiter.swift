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

    /// Counts the request (the key was authenticated, so its company is known) and refuses it
    /// past the limit.
    func admit(_ key: APIKey, limit: Int) async throws {
        let rows = try await database.query("SELECT requests, seconds_left FROM count_request(\(key.companyID), \(key.id))")
        guard let row = rows.first else { return }
        let (count, secondsLeft) = try row.decode((Int, Double).self)
        if count > limit { throw GatewayError.rateLimited(retryAfter: max(1, Int(secondsLeft.rounded(.up)))) }
    }

    /// Windows older than a few minutes count for nothing; returns how many were removed.
    @discardableResult
    public func purgeExpired() async throws -> Int {
        try await database.query("SELECT purge_rate_limit_windows()").first?.decode(Int.self) ?? 0
    }
}
