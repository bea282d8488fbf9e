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
    /// One day's usage of one model: a row of the CSV.
    public typealias DayModel = (day: String, model: String, totals: UsageTotals)

    public struct Line: Sendable, Equatable {
        public var label: String
        public var totals: UsageTotals
    }

    public var range: UsageRange
    /// Every day of the range, zeros included, so a chart has no gaps.
    public var days: [Line]
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

    /// The signed-in member's own usage by day and model, for the CSV.
    public func memberDayModels(_ tenant: Tenant, range: UsageRange) async throws -> [UsageReport.DayModel] {
        try await dayModels(companyID: tenant.companyID, member: tenant.userID, range: range)
    }

    /// The whole company's usage by day and model, for the CSV; for admins and owners.
    public func companyDayModels(_ tenant: Tenant, range: UsageRange) async throws -> [UsageReport.DayModel] {
        try tenant.require(.viewCompanyUsage)
        return try await dayModels(companyID: tenant.companyID, member: nil, range: range)
    }

    private func dayModels(companyID: UUID, member: UUID?, range: UsageRange) async throws -> [UsageReport.DayModel] {
        let rows = try await database.withTenant(companyID) { connection in
            try await connection.rows(
                """
                SELECT d.day::text, d.model, sum(d.requests)::bigint, sum(d.failed_requests)::bigint, sum(d.prompt_tokens)::bigint,
                    sum(d.completion_tokens)::bigint, sum(d.cost_micros)::bigint
                FROM usage_daily d
                WHERE d.company_id = \(companyID) AND d.day BETWEEN \(range.from)::date AND \(range.to)::date
                    AND (\(member)::uuid IS NULL OR d.user_id = \(member))
                GROUP BY d.day, d.model
                ORDER BY d.day, d.model
                """, logger: database.logger)
        }
        return try rows.map { row in
            let (day, model, requests, failed, prompt, completion, cost) = try row.decode(
                (String, String, Int64, Int64, Int64, Int64, Int64).self)
            return (
                day, model,
                UsageTotals(
                    requests: requests, failedRequests: failed, promptTokens: prompt, completionTokens: completion, costMicros: cost)
            )
        }
    }

    private func report(companyID: UUID, member: UUID?, range: UsageRange) async throws -> UsageReport {
        // One pass over the rollups, grouped by ids in every way a page needs at once; names are
        // joined to the few groups afterwards, not to every row. Day by model is the CSV's alone:
        // it would multiply the rows a page decodes by ten.
        let rows = try await database.withTenant(companyID) { connection in
            try await connection.rows(
                """
                WITH grouped AS (
                    SELECT GROUPING(d.day, d.model, d.user_id, d.api_key_id) AS set_id, d.day, d.model, d.user_id, d.api_key_id,
                        sum(d.requests)::bigint AS requests, sum(d.failed_requests)::bigint AS failed,
                        sum(d.prompt_tokens)::bigint AS prompt, sum(d.completion_tokens)::bigint AS completion,
                        sum(d.cost_micros)::bigint AS cost
                    FROM usage_daily d
                    WHERE d.company_id = \(companyID) AND d.day BETWEEN \(range.from)::date AND \(range.to)::date
                        AND (\(member)::uuid IS NULL OR d.user_id = \(member))
                    GROUP BY GROUPING SETS ((d.model), (d.user_id), (d.api_key_id), (d.day))
                )
                SELECT g.set_id, COALESCE(g.day::text, ''), COALESCE(g.model, ''),
                    CASE WHEN g.user_id IS NULL THEN 'Deleted or no member' ELSE COALESCE(u.name, 'Deleted or no member') END,
                    CASE WHEN g.api_key_id IS NULL THEN 'Console' ELSE COALESCE(k.name, 'Deleted key') END,
                    g.requests, g.failed, g.prompt, g.completion, g.cost
                FROM grouped g
                LEFT JOIN users u ON u.id = g.user_id
                LEFT JOIN api_keys k ON k.company_id = \(companyID) AND k.id = g.api_key_id
                """, logger: database.logger)
        }
        // GROUPING() bits, in the order day, model, user, key: 1 means "not grouped by it".
        let byModel = 0b1011, byMember = 0b1101, byKey = 0b1110, byDay = 0b0111
        var byDayTotals: [String: UsageTotals] = [:]
        var models: [String: UsageTotals] = [:]
        var members: [String: UsageTotals] = [:]
        var keys: [String: UsageTotals] = [:]
        var total = UsageTotals()
        for row in rows {
            let (set, day, model, memberName, keyName, requests, failed, prompt, completion, cost) = try row.decode(
                (Int, String, String, String, String, Int64, Int64, Int64, Int64, Int64).self)
            let totals = UsageTotals(
                requests: requests, failedRequests: failed, promptTokens: prompt, completionTokens: completion, costMicros: cost)
            switch set {
            case byModel:
                models[model, default: UsageTotals()].add(totals)
                total.add(totals)
            case byMember: members[memberName, default: UsageTotals()].add(totals)
            case byKey: keys[keyName, default: UsageTotals()].add(totals)
            case byDay: byDayTotals[day, default: UsageTotals()].add(totals)
            default: break
            }
        }
        func lines(_ grouped: [String: UsageTotals]) -> [UsageReport.Line] {
            grouped.map { UsageReport.Line(label: $0.key, totals: $0.value) }.sorted {
                ($0.totals.costMicros, $0.totals.tokens, $1.label) > ($1.totals.costMicros, $1.totals.tokens, $0.label)
            }
        }
        return UsageReport(
            range: range,
            days: range.days.map { UsageReport.Line(label: $0, totals: byDayTotals[$0] ?? UsageTotals()) },
            models: lines(models), members: lines(members), keys: lines(keys), totals: total)
    }
}
