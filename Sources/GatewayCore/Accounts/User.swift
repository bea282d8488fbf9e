import Foundation

public struct User: Sendable, Equatable {
    public var id: UUID
    public var email: EmailAddress
    public var name: String
    public var isOperator: Bool
    public var createdAt: Date
}

/// Rules for a person's display name.
public enum PersonName {
    public static let maximumLength = 100

    public static func problem(with name: String) -> String? {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty { return "Enter your name." }
        if trimmed.count > maximumLength { return "Use at most \(maximumLength) characters." }
        if trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) { return "Remove the control characters." }
        return nil
    }
}
