import Foundation

/// What a policy version an operator publishes must be.
public enum PolicyRules {
    /// Far above a real policy (the shipped one is about 6 KB), low enough to render and diff quickly.
    public static let maximumMarkdownBytes = 200_000
    public static let maximumSummaryLength = 200

    /// Browsers send textarea lines ending in CRLF; versions are stored with LF so that diffs compare lines, not line endings.
    public static func normalizedMarkdown(_ markdown: String) -> String {
        markdown.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
    }

    public static func problem(withMarkdown markdown: String) -> String? {
        if markdown.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return "Write the text of the policy." }
        if markdown.utf8.count > maximumMarkdownBytes {
            return "The policy is too long: at most \(maximumMarkdownBytes / 1000) KB of Markdown."
        }
        // PostgreSQL text cannot hold NUL, and no other control character belongs in a policy.
        if markdown.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && $0 != "\n" && $0 != "\t" }) {
            return "Remove the control characters."
        }
        return nil
    }

    public static func problem(withSummary summary: String) -> String? {
        DisplayName.problem(
            with: summary, whenEmpty: "Say in a sentence what changed.", maximumLength: maximumSummaryLength)
    }
}
