import Foundation
import GatewayCore

/// A bar chart of tokens per day, laid out here and drawn as inline SVG by the template: no
/// JavaScript, readable without colour, with a title for screen readers.
struct UsageChart: Sendable {
    struct Bar: Sendable {
        var x: Double
        var y: Double
        var width: Double
        var height: Double
        var label: String
    }

    struct Tick: Sendable {
        var position: Double
        var label: String
    }

    static let width = 720.0
    static let height = 260.0
    static let left = 64.0
    static let right = 12.0
    static let marginTop = 12.0
    static let bottom = 36.0

    let title: String
    let width = UsageChart.width
    let height = UsageChart.height
    let plotLeft = UsageChart.left
    let plotRight = UsageChart.width - UsageChart.right
    let plotBottom = UsageChart.height - UsageChart.bottom
    let xLabelY = UsageChart.height - UsageChart.bottom + 20
    let bars: [Bar]
    let yTicks: [Tick]
    let xTicks: [Tick]

    static func tokensPerDay(_ days: [UsageReport.Line], range: UsageRange) -> UsageChart {
        let values = days.map { Double($0.totals.tokens) }
        let axisMaximum = niceCeiling(values.max() ?? 0)
        let plotWidth = width - left - right
        let plotHeight = height - marginTop - bottom
        let slot = plotWidth / Double(max(days.count, 1))
        let bars = days.enumerated().map { index, day in
            let barHeight = plotHeight * Double(day.totals.tokens) / axisMaximum
            return Bar(
                x: left + Double(index) * slot + slot * 0.15, y: height - bottom - barHeight, width: max(slot * 0.7, 1), height: barHeight,
                label: "\(day.label): \(day.totals.tokens.formatted()) tokens")
        }
        let yTicks = (0...4).map { step in
            Tick(
                position: height - bottom - plotHeight * Double(step) / 4,
                label: Int64(axisMaximum * Double(step) / 4).formatted(.number.notation(.compactName)))
        }
        // About eight dates along the axis, whatever the range.
        let every = max(1, Int((Double(days.count) / 8).rounded(.up)))
        let xTicks = days.enumerated().filter { $0.offset % every == 0 }.map { index, day in
            Tick(position: left + (Double(index) + 0.5) * slot, label: String(day.label.dropFirst(5)))
        }
        return UsageChart(
            title: "Tokens per day from \(range.from) to \(range.to) (UTC)", bars: bars, yTicks: yTicks, xTicks: xTicks)
    }

    /// The smallest 1, 2 or 5 × 10ⁿ at or above `value`, so the axis reads in round numbers.
    static func niceCeiling(_ value: Double) -> Double {
        guard value > 0 else { return 4 }
        let magnitude = pow(10, floor(log10(value)))
        for step in [1.0, 2.0, 5.0, 10.0] where step * magnitude >= value { return step * magnitude }
        return 10 * magnitude
    }
}
