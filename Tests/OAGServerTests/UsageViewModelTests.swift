import Mustache
import Testing

@testable import GatewayCore
@testable import WebConsole

/// The usage pages name their children for Mustache by hand; a name left out would render as
/// nothing, so every stored property must answer with the value `Mirror` would have found.
@Suite("Usage view models")
struct UsageViewModelTests {
    @Test func everyStoredPropertyIsNamedForMustache() throws {
        let range = try UsageRange(from: "2026-11-01", to: "2026-11-03")
        let totals = UsageTotals(requests: 3, failedRequests: 1, promptTokens: 30, completionTokens: 12, costMicros: 1_500_000)
        let line = UsageReport.Line(label: "gpt-4o-mini", totals: totals)
        let report = UsageReport(
            range: range, days: range.days.map { UsageReport.Line(label: $0, totals: totals) }, models: [line], members: [line],
            keys: [line], totals: totals)
        let chrome = PageChrome.make(assetVersion: "test", context: nil, path: SitePaths.companyUsage)
        let page = UsagePage.make(isCompany: true, companyName: "A", report: report, query: (nil, nil), chrome: chrome)
        let failed = UsagePage.make(
            isCompany: false, companyName: "A", report: nil, query: ("x", nil), errors: FieldErrors("from", "Bad."), chrome: chrome)
        let chart = try #require(page.chart)
        let models: [any MustacheParent] = [
            page, failed, page.sections[0], page.sections[0].rows[0], chart, chart.bars[0], chart.yTicks[0],
        ]
        for model in models {
            for case let (label?, value) in Mirror(reflecting: model).children {
                #expect(Self.describe(model.child(named: label)) == Self.describe(Self.unwrapped(value)), "\(type(of: model)).\(label)")
            }
            #expect(model.child(named: "noSuchName") == nil)
        }
    }

    static func unwrapped(_ value: Any) -> Any? {
        let mirror = Mirror(reflecting: value)
        return mirror.displayStyle == .optional ? mirror.children.first?.value : value
    }

    static func describe(_ value: Any?) -> String {
        value.map { String(describing: $0) } ?? "nil"
    }
}
