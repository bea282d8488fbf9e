import Foundation
import PostgresNIO

/// A range of UTC days, both ends included.
public struct UsageRange: Sendable, Equatable {
    public static let maximumDays = 366

    public var from: String
    public var to: String

    /// The range a page's `from` and `to` ask for; missing ones default to the current month.
    public init(from rawFrom: String?, to rawTo: String?, now: Date = Date()) throws {
        var errors = FieldErrors()
        let monthStart = UsageDay.monthStart(of: now)
        let from = Self.day(rawFrom, field: "from", default: monthStart, into: &errors)
        let to = Self.day(rawTo, field: "to", default: UsageDay.string(of: now), into: &errors)
        try errors.throwIfAny()
        guard let first = from.flatMap(Self.date), let last = to.flatMap(Self.date), let from, let to else { throw errors }
        if last < first { throw FieldErrors("to", "The end date is before the start date.") }
        if last.timeIntervalSince(first) / 86_400 >= Double(Self.maximumDays) {
            throw FieldErrors("to", "Choose at most \(Self.maximumDays) days.")
        }
        self.from = from
        self.to = to
    }

    /// Every day of the range, in order.
    public var days: [String] {
        guard var day = Self.date(from), let last = Self.date(to) else { return [] }
        var all: [String] = []
        while day <= last {
            all.append(UsageDay.string(of: day))
            day = day.addingTimeInterval(86_400)
        }
        return all
    }

    static func day(_ raw: String?, field: String, default fallback: String, into errors: inout FieldErrors) -> String? {
        guard let raw = raw?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return fallback }
        guard raw.count == 10, let date = date(raw), UsageDay.string(of: date) == raw else {
            errors.add(field, "Enter a date as YYYY-MM-DD, like \(fallback).")
            return nil
        }
        return raw
    }

    /// A "YYYY-MM-DD" day as the moment it starts (UTC), or nil.
    public static func parse(_ text: String) -> Date? { date(text) }

    static func date(_ text: String) -> Date? {
        let parts = text.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3, (1970...9999).contains(parts[0]) else { return nil }
        return UsageDay.calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2]))
    }
}

/// Totals of some slice of usage.
public struct UsageTotals: Sendable, Equatable {
    public var requests: Int64 = 0
    public var failedRequests: Int64 = 0
    public var promptTokens: Int64 = 0
    public var completionTokens: Int64 = 0
    public var costMicros: Int64 = 0

    public var tokens: Int64 { promptTokens + completionTokens }

    mutating func add(_ other: UsageTotals) {
        requests += other.requests
        failedRequests += other.failedRequests
        promptTokens += other.promptTokens
        completionTokens += other.completionTokens
        costMicros += other.costMicros
    }
}

/// Usage over a range, by day and by model (and, for a company, by member and by key).
public struct UsageReport: Sendable {
    public struct Line: Sendable, Equatable {
        public var label: String
        public var totals: UsageTotals
    }

    public var range: UsageRange
    /// Every day of the range, zeros included, so a chart has no gaps.
    public var days: [Line]
    /// By day and model, the rows of the table and the CSV.
    public var dayModels: [(day: String, model: String, totals: UsageTotals)]
    public var models: [Line]
    public var members: [Line]
    public var keys: [Line]
    public var totals: UsageTotals
}

/// Reads usage from the daily rollups: a few rows per day, however many requests.
public struct UsageService: Sendable {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// The signed-in member's own usage in their active company (theirs and their keys').
    public func memberReport(_ tenant: Tenant, range: UsageRange) async throws -> UsageReport {
        try await report(companyID: tenant.companyID, member: tenant.userID, range: range)
    }

    /// The whole company's usage; for admins and owners.
    public func companyReport(_ tenant: Tenant, range: UsageRange) async throws -> UsageReport {
        try tenant.require(.viewCompanyUsage)
        return try await report(companyID: tenant.companyID, member: nil, range: range)
    }

    private func report(companyID: UUID, member: UUID?, range: UsageRange) async throws -> UsageReport {
        let rows = try await database.withTenant(companyID) { connection in
            try await connection.rows(
                """
                SELECT d.day::text, d.model, COALESCE(u.name, 'Deleted or no member'), COALESCE(k.name, 'Console'),
                    sum(d.requests)::bigint, sum(d.failed_requests)::bigint, sum(d.prompt_tokens)::bigint, sum(d.completion_tokens)::bigint,
                    sum(d.cost_micros)::bigint
                FROM usage_daily d
                LEFT JOIN users u ON u.id = d.user_id
                LEFT JOIN api_keys k ON k.company_id = d.company_id AND k.id = d.api_key_id
                WHERE d.company_id = \(companyID) AND d.day BETWEEN \(range.from)::date AND \(range.to)::date
                    AND (\(member)::uuid IS NULL OR d.user_id = \(member))
                GROUP BY 1, 2, 3, 4
                ORDER BY 1, 2
                """, logger: database.logger)
        }
        var byDay: [String: UsageTotals] = [:]
        var byDayModel: [String: UsageTotals] = [:]
        var byModel: [String: UsageTotals] = [:]
        var byMember: [String: UsageTotals] = [:]
        var byKey: [String: UsageTotals] = [:]
        var total = UsageTotals()
        for row in rows {
            let (day, model, memberName, keyName, requests, failed, prompt, completion, cost) = try row.decode(
                (String, String, String, String, Int64, Int64, Int64, Int64, Int64).self)
            let totals = UsageTotals(
                requests: requests, failedRequests: failed, promptTokens: prompt, completionTokens: completion, costMicros: cost)
            byDay[day, default: UsageTotals()].add(totals)
            byDayModel[day + "\u{1F}" + model, default: UsageTotals()].add(totals)
            byModel[model, default: UsageTotals()].add(totals)
            byMember[memberName, default: UsageTotals()].add(totals)
            byKey[keyName, default: UsageTotals()].add(totals)
            total.add(totals)
        }
        func lines(_ grouped: [String: UsageTotals]) -> [UsageReport.Line] {
            grouped.map { UsageReport.Line(label: $0.key, totals: $0.value) }.sorted {
                ($0.totals.costMicros, $0.totals.tokens, $1.label) > ($1.totals.costMicros, $1.totals.tokens, $0.label)
            }
        }
        return UsageReport(
            range: range,
            days: range.days.map { UsageReport.Line(label: $0, totals: byDay[$0] ?? UsageTotals()) },
            dayModels: byDayModel.map { key, totals in
                let parts = key.split(separator: "\u{1F}", maxSplits: 1).map(String.init)
                return (parts[0], parts[1], totals)
            }.sorted { ($0.day, $0.model) < ($1.day, $1.model) },
            models: lines(byModel), members: lines(byMember), keys: lines(byKey), totals: total)
    }
}
