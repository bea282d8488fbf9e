import Foundation
import GatewayCore

/// `/usage` (a member's own) and `/company/usage` (the company's): a chart, tables and a CSV link.
struct UsagePage: ConsolePage {
    static let template = "usage/index"

    struct Row: Sendable {
        var label: String
        var requests: String
        var promptTokens: String
        var completionTokens: String
        var cost: String
    }

    struct Section: Sendable {
        var title: String
        var column: String
        var rows: [Row]
    }

    let chrome: PageChrome
    let title: String
    let lead: String
    let action: String
    let from: FieldView
    let to: FieldView
    let hasReport: Bool
    let chart: UsageChart?
    let totals: Row?
    let sections: [Section]
    let dayRows: [Row]
    let hasUsage: Bool
    let csvHref: String?
    let requestLogHref: String?

    static func make(
        isCompany: Bool, companyName: String, report: UsageReport?, query: (from: String?, to: String?),
        errors: FieldErrors = FieldErrors(),
        chrome: PageChrome
    ) -> UsagePage {
        let path = isCompany ? SitePaths.companyUsage : SitePaths.usage
        var sections: [Section] = []
        if let report {
            sections.append(Section(title: "By model", column: "Model", rows: report.models.map { row($0.label, $0.totals) }))
            if isCompany {
                sections.append(Section(title: "By member", column: "Member", rows: report.members.map { row($0.label, $0.totals) }))
                sections.append(Section(title: "By API key", column: "Key", rows: report.keys.map { row($0.label, $0.totals) }))
            }
        }
        let rangeQuery = report.map { "?from=\($0.range.from)&to=\($0.range.to)" } ?? ""
        return UsagePage(
            chrome: chrome, title: isCompany ? "Company usage" : "My usage",
            lead: isCompany
                ? "Requests, tokens and cost of everyone at \(companyName), by day, model, member and key (UTC days)."
                : "Your requests, tokens and cost at \(companyName): in the console and with the keys you made (UTC days).",
            action: path, from: FieldView(report?.range.from ?? query.from ?? "", error: errors["from"]),
            to: FieldView(report?.range.to ?? query.to ?? "", error: errors["to"]), hasReport: report != nil,
            chart: report.map { UsageChart.tokensPerDay($0.days, range: $0.range) },
            totals: report.map { row("Total", $0.totals) }, sections: sections,
            // One row per day keeps the page light over long ranges; the CSV has each day's models.
            dayRows: report?.days.map { row($0.label, $0.totals) } ?? [],
            hasUsage: (report?.totals.requests ?? 0) > 0,
            csvHref: report.map { _ in (isCompany ? SitePaths.companyUsageCSV : SitePaths.usageCSV) + rangeQuery },
            requestLogHref: isCompany ? SitePaths.requestLog : nil)
    }

    static func row(_ label: String, _ totals: UsageTotals) -> Row {
        Row(
            label: label, requests: totals.requests.formatted(), promptTokens: totals.promptTokens.formatted(),
            completionTokens: totals.completionTokens.formatted(), cost: Money.dollars(totals.costMicros))
    }
}

/// The same figures as the page, as CSV.
enum UsageCSV {
    static func make(_ rows: [UsageReport.DayModel]) -> String {
        var text = "day,model,requests,failed_requests,prompt_tokens,completion_tokens,cost_usd\r\n"
        for row in rows {
            let totals = row.totals
            text += "\(row.day),\(quoted(row.model)),\(totals.requests),\(totals.failedRequests),\(totals.promptTokens),"
            text += "\(totals.completionTokens),\(dollars(totals.costMicros))\r\n"
        }
        return text
    }

    /// Micro-dollars as dollars with six decimals, in integers: exact, and without a formatter per row.
    static func dollars(_ micros: Int64) -> String {
        let fraction = String(micros.magnitude % 1_000_000)
        return (micros < 0 ? "-" : "") + "\(micros.magnitude / 1_000_000)." + String(repeating: "0", count: 6 - fraction.count) + fraction
    }

    /// RFC 4180 quoting, and a leading quote for text a spreadsheet would read as a formula.
    static func quoted(_ field: String) -> String {
        let safe = field.first.map { "=+-@".contains($0) } == true ? "'" + field : field
        return "\"" + safe.replacing("\"", with: "\"\"") + "\""
    }
}
