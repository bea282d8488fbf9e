extension DataInventory {
    /// Where the policy's Markdown takes the generated list of the data we hold.
    public static let policyMarker = "<!-- data-inventory -->"

    /// The "Data we hold" list, one bullet per category, in the inventory's own words.
    public static var policySection: String {
        DataCategory.allCases.compactMap { category in
            let tables = tables.filter { $0.category == category }
            guard !tables.isEmpty else { return nil }
            return "- **\(category.title)**: " + tables.map(\.describes).joined(separator: "; ") + "."
        }.joined(separator: "\n")
    }

    /// The policy with its marker replaced by the generated list; text without the marker is left as it is.
    public static func expandingPolicySection(in markdown: String) -> String {
        markdown.replacingOccurrences(of: policyMarker, with: policySection)
    }
}
