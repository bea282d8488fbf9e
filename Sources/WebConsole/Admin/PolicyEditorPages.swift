import GatewayCore

/// `/admin/policy`: the form that publishes a new version of the privacy policy.
struct PolicyEditorPage: ConsolePage {
    static let template = "admin/policy"

    let chrome: PageChrome
    let title = "Publish the privacy policy"
    let currentVersion: Int
    let currentPublishedOn: String?
    /// The version this form builds on; publishing fails when another was published since.
    let baseVersion: Int
    let nextVersion: Int
    let markdown: FieldView
    let summary: FieldView
    let significant: Bool
    /// "Another operator published …": not about one field, shown above the form.
    let conflict: String?
    /// The draft as it would be published; nil until previewed.
    let previewHTML: String?
    let maximumSummaryLength = PolicyRules.maximumSummaryLength
    let maximumKilobytes = PolicyRules.maximumMarkdownBytes / 1000

    /// The form for a fresh edit: the current text, nothing else filled in.
    static func make(current: PolicyVersion?, chrome: PageChrome) -> PolicyEditorPage {
        make(
            current: current, base: current?.number ?? 0,
            markdown: current.map { DataInventory.collapsingPolicySection(in: $0.markdown) } ?? "",
            chrome: chrome)
    }

    /// The form as posted, with a preview or the problems found.
    static func make(
        current: PolicyVersion?, form: FormFields, errors: FieldErrors = FieldErrors(), preview: RenderedMarkdown? = nil,
        chrome: PageChrome
    ) -> PolicyEditorPage {
        // After a conflict the form builds on the version that won, so that publishing again works.
        let posted = errors["base_version"] == nil ? Int(form.text("base_version")) : nil
        return make(
            current: current, base: posted ?? current?.number ?? 0, markdown: form.text("markdown"), summary: form.text("summary"),
            significant: form.text("significant") == "on", errors: errors, preview: preview, chrome: chrome)
    }

    private static func make(
        current: PolicyVersion?, base: Int, markdown: String, summary: String = "", significant: Bool = false,
        errors: FieldErrors = FieldErrors(), preview: RenderedMarkdown? = nil, chrome: PageChrome
    ) -> PolicyEditorPage {
        PolicyEditorPage(
            chrome: chrome, currentVersion: current?.number ?? 0, currentPublishedOn: current.map { DisplayDate.day($0.publishedAt) },
            baseVersion: base, nextVersion: base + 1, markdown: FieldView(markdown, error: errors["markdown"]),
            summary: FieldView(summary, error: errors["summary"]), significant: significant, conflict: errors["base_version"],
            previewHTML: preview?.html)
    }
}

/// The rendered draft alone, for the editor's live preview (`POST /admin/policy/preview`).
struct PolicyPreviewFragment: ConsolePage {
    static let template = "admin/policy-preview"

    let chrome: PageChrome
    /// Rendered by libcmark in safe mode, exactly as publishing would.
    let html: String
    let error: String?
}
