import Foundation

/// Usage is counted by calendar day in UTC, whatever the time zone of the viewer.
public enum UsageDay {
    static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    /// "2026-11-23" for a moment on that UTC day.
    public static func string(of date: Date) -> String {
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year ?? 1970, parts.month ?? 1, parts.day ?? 1)
    }

    /// The first day of the month of `date`, as "2026-11-01".
    public static func monthStart(of date: Date) -> String {
        let parts = calendar.dateComponents([.year, .month], from: date)
        return String(format: "%04d-%02d-01", parts.year ?? 1970, parts.month ?? 1)
    }

    /// The UTC day of `date` as days since 1970-01-01: cheap enough to work out for every event.
    static func number(of date: Date) -> Int {
        Int((date.timeIntervalSince1970 / 86_400).rounded(.down))
    }

    /// The first day of the month of day `number`, as "2026-11-01".
    static func monthStart(ofDay number: Int) -> String {
        monthStart(of: Date(timeIntervalSince1970: Double(number) * 86_400))
    }
}
