import Foundation

/// An email address, trimmed and lowercased so that one person has one account.
public struct EmailAddress: Sendable, Hashable, CustomStringConvertible {
    public let value: String

    public var description: String { value }

    /// Nil when the text cannot be an address; the check is deliberately loose (one `@`,
    /// a dotted domain, no spaces), as only a confirmation mail proves an address works.
    public init?(_ text: String) {
        let normalized = text.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        let parts = normalized.split(separator: "@", omittingEmptySubsequences: false)
        guard normalized.utf8.count <= 254, parts.count == 2,
            !parts[0].isEmpty, parts[0].utf8.count <= 64,
            parts[1].contains("."), !parts[1].hasPrefix("."), !parts[1].hasSuffix("."), !parts[1].contains(".."),
            normalized.unicodeScalars.allSatisfy({
                !$0.properties.isWhitespace && $0.value >= 0x21 && !"<>()[],;:\\\"".unicodeScalars.contains($0)
            })
        else { return nil }
        self.value = normalized
    }

    public init(trusted value: String) {
        self.value = value
    }
}
