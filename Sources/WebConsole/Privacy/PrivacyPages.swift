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
            currentVersion: policy.number == currentVersion ? nil : currentVersion
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
    }

    let chrome: PageChrome
    let title = "Privacy Policy versions"
    let rows: [Row]

    static func make(_ versions: [PolicyVersionSummary], chrome: PageChrome) -> PolicyVersionsPage {
        let current = versions.map(\.number).max()
        return PolicyVersionsPage(
            chrome: chrome,
            rows: versions.map {
                Row(
                    version: $0.number, href: SitePaths.privacyVersion($0.number),
                    publishedOn: DisplayDate.day($0.publishedAt), publishedISO: DisplayDate.iso($0.publishedAt),
                    significant: $0.significant, isCurrent: $0.number == current)
            })
    }
}
