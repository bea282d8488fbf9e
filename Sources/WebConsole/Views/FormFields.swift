import Foundation
import Hummingbird

/// A posted `application/x-www-form-urlencoded` body, strictly read: each field at most once
/// (except the few lists, like checkboxes, named in `listFields`), valid UTF-8 only. Anything
/// else is a 400 before a handler sees it.
public struct FormFields: Sendable {
    static let listFields: Set<String> = ["scopes", "allowed_models"]

    private var values: [String: String] = [:]
    private var lists: [String: [String]] = [:]

    public init() {}

    public subscript(name: String) -> String? { values[name] }

    /// The field's value, or "" when it was not sent.
    public func text(_ name: String) -> String { values[name] ?? "" }

    /// Every value of a list field; a value may also name several items, separated by commas or spaces.
    public func all(_ name: String) -> [String] {
        (lists[name] ?? []).flatMap { $0.split(whereSeparator: { $0 == "," || $0 == " " }).map(String.init) }
    }

    static func parse(_ body: String) throws -> FormFields {
        var form = FormFields()
        for pair in body.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = decode(parts[0]), let value = decode(parts.count > 1 ? parts[1] : "") else {
                throw HTTPError(.badRequest, message: "The form could not be read: it is not valid URL-encoded UTF-8.")
            }
            if listFields.contains(name) {
                form.lists[name, default: []].append(value)
                continue
            }
            guard form.values[name] == nil else {
                throw HTTPError(.badRequest, message: "The form sent the field \"\(name.prefix(40))\" more than once.")
            }
            form.values[name] = value
        }
        return form
    }

    private static func decode(_ component: Substring) -> String? {
        component.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }
}
