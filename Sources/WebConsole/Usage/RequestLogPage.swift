import Foundation
import GatewayCore

/// `/company/usage/requests`: the latest gateway requests, filtered and paged.
struct RequestLogPage: ConsolePage {
    static let template = "usage/requests"

    struct Row: Sendable {
        var whenISO: String
        var when: String
        var member: String
        var key: String
        var model: String
        var tokens: String
        var cost: String
        var latency: String
        var status: Int
        var failed: Bool
    }

    let chrome: PageChrome
    let title = "Request log"
    let rows: [Row]
    let hasRows: Bool
    let modelOptions: [OptionView]
    let outcomeOptions: [OptionView]
    let olderHref: String?

    static func make(
        requests: [LoggedRequest], filter: RequestLogFilter, models: [String], pageSize: Int, chrome: PageChrome
    ) -> RequestLogPage {
        var query = ""
        if let model = filter.model { query += "&model=" + (model.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "") }
        if filter.outcome != .all { query += "&outcome=" + filter.outcome.rawValue }
        let last = requests.count == pageSize ? requests.last : nil
        return RequestLogPage(
            chrome: chrome,
            rows: requests.map {
                Row(
                    whenISO: DisplayDate.iso($0.occurredAt), when: DisplayDate.dayAndTime($0.occurredAt), member: $0.memberName ?? "—",
                    key: $0.keyName ?? "Console", model: $0.model,
                    tokens: "\($0.promptTokens.formatted()) + \($0.completionTokens.formatted())",
                    cost: Money.dollars($0.costMicros), latency: "\($0.latencyMilliseconds.formatted()) ms", status: $0.status,
                    failed: $0.status >= 400)
            },
            hasRows: !requests.isEmpty,
            modelOptions: [OptionView(value: "", label: "All models", isSelected: filter.model == nil)]
                + models.map { OptionView(value: $0, label: $0, isSelected: $0 == filter.model) },
            outcomeOptions: RequestLogFilter.Outcome.allCases.map {
                OptionView(value: $0.rawValue, label: $0.rawValue.capitalized, isSelected: $0 == filter.outcome)
            },
            olderHref: last.map { KeysetCursor(time: $0.occurredAt, id: $0.id).href(SitePaths.requestLog, key: "before") + query })
    }
}
