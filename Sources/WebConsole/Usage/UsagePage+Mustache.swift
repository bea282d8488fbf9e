import Mustache

// Mustache finds a name through `Mirror` unless the model names its children itself, and on
// the usage pages (hundreds of rows and bars, a lookup per cell) that reflection took half of
// the request's time. UsageViewModelTests checks that every stored property is named here.

extension UsagePage: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": chrome
        case "title": title
        case "lead": lead
        case "action": action
        case "from": from
        case "to": to
        case "hasReport": hasReport
        case "chart": chart
        case "totals": totals
        case "sections": sections
        case "dayRows": dayRows
        case "hasUsage": hasUsage
        case "csvHref": csvHref
        case "requestLogHref": requestLogHref
        default: nil
        }
    }
}

extension UsagePage.Row: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "label": label
        case "requests": requests
        case "promptTokens": promptTokens
        case "completionTokens": completionTokens
        case "cost": cost
        default: nil
        }
    }
}

extension UsagePage.Section: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "title": title
        case "column": column
        case "rows": rows
        default: nil
        }
    }
}

extension UsageChart: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "title": title
        case "width": width
        case "height": height
        case "plotLeft": plotLeft
        case "plotRight": plotRight
        case "plotBottom": plotBottom
        case "xLabelY": xLabelY
        case "bars": bars
        case "yTicks": yTicks
        case "xTicks": xTicks
        default: nil
        }
    }
}

extension UsageChart.Bar: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "x": x
        case "y": y
        case "width": width
        case "height": height
        case "label": label
        default: nil
        }
    }
}

extension UsageChart.Tick: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "position": position
        case "label": label
        default: nil
        }
    }
}
