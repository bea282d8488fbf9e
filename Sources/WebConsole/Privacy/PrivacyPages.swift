import GatewayCore

/// `/privacy` and `/privacy/versions/{n}`: one version of the policy.
struct PolicyPage: ConsolePage {
    static let template = "privacy/policy"

    struct ContentsEntry: Sendable {
        let text: String
        let anchor: String
        let isSubsection: Bool
    }

    let chrome: PageChrome
    let title: String
    let version: Int
    let publishedOn: String
    let publishedISO: String
    let contents: [ContentsEntry]
    /// Rendered by libcmark in safe mode when the version was published.
    let bodyHTML: String
    /// Set when this is not the current version, to link to it.
    let currentVersion: Int?
    /// "What changed in version N", in the publishing operator's words.
    let summary: String?
    /// The comparison with the previous version; nil for version 1.
    let changesHref: String?
    let previousVersion: Int

    static func make(_ policy: PolicyVersion, currentVersion: Int, chrome: PageChrome) -> PolicyPage {
        PolicyPage(
            chrome: chrome,
            title: policy.number == currentVersion ? "Privacy Policy" : "Privacy Policy, version \(policy.number)",
            version: policy.number,
            publishedOn: DisplayDate.day(policy.publishedAt),
            publishedISO: DisplayDate.iso(policy.publishedAt),
            contents: policy.headings.filter { $0.level == 2 || $0.level == 3 }.map {
                ContentsEntry(text: $0.text, anchor: $0.anchor, isSubsection: $0.level == 3)
            },
            bodyHTML: policy.html,
            currentVersion: policy.number == currentVersion ? nil : currentVersion,
            summary: policy.summary.isEmpty ? nil : policy.summary,
            changesHref: policy.number > 1 ? SitePaths.privacyDiff(from: policy.number - 1, to: policy.number) : nil,
            previousVersion: policy.number - 1
        )
    }
}

/// `/privacy/versions`: every published version, newest first.
struct PolicyVersionsPage: ConsolePage {
    static let template = "privacy/versions"

    struct Row: Sendable {
        let version: Int
        let href: String
        let publishedOn: String
        let publishedISO: String
        let significant: Bool
        let isCurrent: Bool
        let summary: String
    }

    let chrome: PageChrome
    let title = "Privacy Policy versions"
    let rows: [Row]
    /// The comparison form needs two versions.
    let canCompare: Bool
    /// Preselected: the previous version against the current one.
    let fromOptions: [OptionView]
    let toOptions: [OptionView]

    static func make(_ versions: [PolicyVersionSummary], chrome: PageChrome) -> PolicyVersionsPage {
        let numbers = versions.map(\.number).sorted(by: >)
        let current = numbers.first
        let previous = numbers.dropFirst().first
        func options(selected: Int?) -> [OptionView] {
            numbers.map { OptionView(value: String($0), label: "Version \($0)", isSelected: $0 == selected) }
        }
        return PolicyVersionsPage(
            chrome: chrome,
            rows: versions.map {
                Row(
                    version: $0.number, href: SitePaths.privacyVersion($0.number),
                    publishedOn: DisplayDate.day($0.publishedAt), publishedISO: DisplayDate.iso($0.publishedAt),
                    significant: $0.significant, isCurrent: $0.number == current, summary: $0.summary)
            },
            canCompare: numbers.count > 1, fromOptions: options(selected: previous), toOptions: options(selected: current))
    }
}

/// `/privacy/diff?from=&to=`: what changed between two versions, line by line.
struct PolicyDiffPage: ConsolePage {
    static let template = "privacy/diff"

    struct Side: Sendable {
        let version: Int
        let href: String
        let publishedOn: String
        let summary: String?
    }

    /// One line of the comparison: one of the flags is set, or `folded` stands for unchanged lines.
    struct Line: Sendable {
        let text: String
        let isInserted: Bool
        let isDeleted: Bool
        let isUnchanged: Bool
        /// "12 unchanged lines", standing in for a stretch not shown.
        let folded: String?
    }

    let chrome: PageChrome
    let title: String
    let from: Side
    let to: Side
    let lines: [Line]
    /// "3 lines added, 1 line removed".
    let changeCounts: String
    let hasChanges: Bool

    static func make(from old: PolicyVersion, to new: PolicyVersion, chrome: PageChrome) -> PolicyDiffPage {
        func describe(_ count: Int) -> String { count == 1 ? "1 line" : "\(count) lines" }
        let diff = TextDiff.lines(from: old.markdown, to: new.markdown)
        let lines = TextDiff.rows(diff).map { row -> Line in
            switch row {
            case .folded(let count):
                Line(text: "", isInserted: false, isDeleted: false, isUnchanged: false, folded: "\(describe(count)) unchanged")
            case .line(let line):
                Line(
                    text: line.text, isInserted: line.kind == .inserted, isDeleted: line.kind == .deleted,
                    isUnchanged: line.kind == .unchanged, folded: nil)
            }
        }
        func side(_ version: PolicyVersion) -> Side {
            Side(
                version: version.number, href: SitePaths.privacyVersion(version.number), publishedOn: DisplayDate.day(version.publishedAt),
                summary: version.summary.isEmpty ? nil : version.summary)
        }
        let inserted = diff.count { $0.kind == .inserted }
        let deleted = diff.count { $0.kind == .deleted }
        return PolicyDiffPage(
            chrome: chrome, title: "Privacy Policy: version \(old.number) compared with version \(new.number)", from: side(old),
            to: side(new), lines: lines, changeCounts: "\(describe(inserted)) added, \(describe(deleted)) removed",
            hasChanges: inserted + deleted > 0)
    }
}
