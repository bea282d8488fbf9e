import Foundation

/// Dates as pages show them: a readable day for people, ISO 8601 for `<time datetime>`.
enum DisplayDate {
    static func day(_ date: Date) -> String {
        date.formatted(Date.FormatStyle(date: .long, time: .omitted, locale: Locale(identifier: "en_GB"), timeZone: .gmt))
    }

    static func dayAndTime(_ date: Date) -> String {
        date.formatted(Date.FormatStyle(date: .abbreviated, time: .shortened, locale: Locale(identifier: "en_GB"), timeZone: .gmt)) + " UTC"
    }

    static func iso(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}
