extension DataInventory {
    /// Where the policy's Markdown takes the generated list of the data we hold.
    public static let policyMarker = "<!-- data-inventory -->"
    /// Around the generated list in a published version, so that the editor can find it again
    /// whatever the inventory said then.
    static let sectionStart = "<!-- data-inventory:start -->"
    static let sectionEnd = "<!-- data-inventory:end -->"

    /// The "Data we hold" list, one bullet per category, in the inventory's own words.
    public static var policySection: String {
        DataCategory.allCases.compactMap { category in
            // The inventory lists children before parents (the order deletion needs); people read parents first.
            let tables = tables.filter { $0.category == category }.reversed()
            guard !tables.isEmpty else { return nil }
            return "- **\(category.title)**: " + tables.map(\.describes).joined(separator: "; ") + "."
        }.joined(separator: "\n")
    }

    /// The policy with its marker replaced by the generated list; text without the marker is left as it is.
    public static func expandingPolicySection(in markdown: String) -> String {
        markdown.replacingOccurrences(of: policyMarker, with: "\(sectionStart)\n\n\(policySection)\n\n\(sectionEnd)")
    }

    /// A published policy as the editor shows it: the generated list back to its marker, so that
    /// the next version gets the list of the inventory as it is then.
    public static func collapsingPolicySection(in markdown: String) -> String {
        guard let start = markdown.range(of: sectionStart),
            let end = markdown.range(of: sectionEnd, range: start.upperBound..<markdown.endIndex)
        else { return markdown }
        return markdown.replacingCharacters(in: start.lowerBound..<end.upperBound, with: policyMarker)
    }
}
