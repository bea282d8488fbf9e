import Foundation
import GatewayCore

/// `/company/billing`: a month's statement, printable, with the other months to choose from.
struct BillingPage: ConsolePage {
    static let template = "usage/billing"

    struct Line: Sendable {
        var model: String
        var requests: String
        var promptTokens: String
        var completionTokens: String
        var inputPrice: String
        var outputPrice: String
        var amount: String
    }

    let chrome: PageChrome
    let title: String
    let companyName: String
    let statement: StatementView?
    let monthOptions: [OptionView]
    let monthError: String?

    struct StatementView: Sendable {
        var monthLabel: String
        var status: String
        var isClosed: Bool
        var priceVersion: Int
        var lines: [Line]
        var hasLines: Bool
        var requests: String
        var total: String
    }

    static func make(
        companyName: String, statement: Statement?, months: [String], selected: String?, errors: FieldErrors = FieldErrors(),
        chrome: PageChrome
    ) -> BillingPage {
        BillingPage(
            chrome: chrome, title: "Billing", companyName: companyName,
            statement: statement.map { statement in
                StatementView(
                    monthLabel: label(statement.month),
                    status: statement.isClosed
                        ? "Closed on \(statement.closedAt.map(DisplayDate.day) ?? "—"); it will not change."
                        : "Open: the month is not over, figures so far.",
                    isClosed: statement.isClosed, priceVersion: statement.priceVersion,
                    lines: statement.lines.map {
                        Line(
                            model: $0.model, requests: $0.requests.formatted(), promptTokens: $0.promptTokens.formatted(),
                            completionTokens: $0.completionTokens.formatted(), inputPrice: Money.dollars($0.inputMicrosPerMillion),
                            outputPrice: Money.dollars($0.outputMicrosPerMillion), amount: Money.dollars($0.amountMicros))
                    },
                    hasLines: !statement.lines.isEmpty, requests: statement.requests.formatted(),
                    total: Money.dollars(statement.totalMicros))
            },
            monthOptions: months.map { OptionView(value: $0, label: label($0), isSelected: $0 == (statement?.month ?? selected)) },
            monthError: errors["month"])
    }

    /// "2026-11" → "November 2026".
    static func label(_ month: String) -> String {
        guard let date = UsageRange.parse(month + "-01") else { return month }
        return date.formatted(Date.FormatStyle(locale: Locale(identifier: "en_GB"), timeZone: .gmt).month(.wide).year())
    }
}
