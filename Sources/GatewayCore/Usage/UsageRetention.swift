import Foundation

/// Drops raw usage events past the retention period, whole monthly partitions at a time, as the
/// privacy policy promises; the daily rollups and the statements that bills rest on stay.
public struct UsageRetention: Sendable {
    let database: Database
    let months: Int

    public init(database: Database, months: Int) {
        self.database = database
        self.months = months
    }

    /// Returns how many monthly partitions were dropped.
    @discardableResult
    public func apply(now: Date = Date()) async throws -> Int {
        let start = UsageRange.parse(UsageDay.monthStart(of: now)) ?? now
        let cutoff = UsageDay.calendar.date(byAdding: .month, value: -months, to: start) ?? start
        return try await database.query("SELECT drop_usage_before(\(UsageDay.string(of: cutoff))::date)").first?.decode(Int.self) ?? 0
    }
}
