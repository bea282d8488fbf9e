import Foundation

/// Where a list ordered by (time, id) continues: the last row's time and id.
///
/// The time is kept in whole microseconds, PostgreSQL's own precision: a `Date`'s seconds as a
/// `Double` can land a microsecond off, and a cursor that is off repeats or skips a row.
public struct KeysetCursor: Sendable, Equatable {
    public static let microsecondsPerSecond: Int64 = 1_000_000

    /// Since 1970-01-01 UTC.
    public let microseconds: Int64
    public let id: UUID

    public init(microseconds: Int64, id: UUID) {
        self.microseconds = microseconds
        self.id = id
    }

    /// The cursor after a row read from the database (its time has whole microseconds).
    public init(time: Date, id: UUID) {
        self.init(microseconds: Int64((time.timeIntervalSince1970 * Double(Self.microsecondsPerSecond)).rounded()), id: id)
    }
}
