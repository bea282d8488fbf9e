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
        DisplayName.problem(with: name, whenEmpty: "Enter your name.", maximumLength: maximumLength)
    }
}

/// What every name people type (theirs, their company's) must be: present, not too long, printable.
enum DisplayName {
    static func problem(with text: String, whenEmpty: String, maximumLength: Int) -> String? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty { return whenEmpty }
        if trimmed.count > maximumLength { return "Use at most \(maximumLength) characters." }
        if trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) { return "Remove the control characters." }
        return nil
    }
}
