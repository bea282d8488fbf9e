import GatewayCore

/// A form field as a template shows it: the value to keep and the message next to it.
struct FieldView: Sendable {
    var value: String
    var error: String?

    init(_ value: String = "", error: String? = nil) {
        self.value = value
        self.error = error
    }

    init(_ name: String, from form: FormFields, errors: FieldErrors) {
        self.init(form.text(name), error: errors[name])
    }

    /// Passwords are never sent back to the browser.
    static func secret(_ name: String, errors: FieldErrors) -> FieldView {
        FieldView("", error: errors[name])
    }
}

/// An `<option>` of a select.
struct OptionView: Sendable {
    var value: String
    var label: String
    var isSelected: Bool

    static func roles(selected: Role?, allowed: [Role] = Role.allCases.reversed()) -> [OptionView] {
        allowed.map { OptionView(value: $0.rawValue, label: $0.label, isSelected: $0 == selected) }
    }
}
