/// Input that failed validation, one message per form field, for the page to show next to it.
public struct FieldErrors: Error, Sendable, Equatable {
    public private(set) var messages: [String: String] = [:]

    public init() {}

    public init(_ field: String, _ message: String) {
        messages[field] = message
    }

    public var isEmpty: Bool { messages.isEmpty }

    public subscript(field: String) -> String? { messages[field] }

    /// Keeps the first problem found for a field.
    public mutating func add(_ field: String, _ message: String) {
        if messages[field] == nil { messages[field] = message }
    }

    public func throwIfAny() throws(FieldErrors) {
        if !isEmpty { throw self }
    }
}
