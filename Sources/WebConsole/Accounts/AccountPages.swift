import Foundation
import GatewayCore

/// `/account`: the signed-in person's profile, password and companies.
struct AccountPage: ConsolePage {
    static let template = "accounts/account"

    struct CompanyRow: Sendable {
        let name: String
        let roleLabel: String
        let joinedOn: String
        let isActive: Bool
    }

    let chrome: PageChrome
    let title = "Your account"
    let name: FieldView
    let email: String
    let memberSince: String
    let currentPassword: FieldView
    let newPassword: FieldView
    let minimumPasswordLength = PasswordRules.minimumLength
    let companies: [CompanyRow]

    static func make(
        identity: Identity, form: FormFields? = nil, errors: FieldErrors = FieldErrors(), chrome: PageChrome
    ) -> AccountPage {
        AccountPage(
            chrome: chrome,
            name: FieldView(form?["name"] ?? identity.user.name, error: errors["name"]),
            email: identity.user.email.value,
            memberSince: DisplayDate.day(identity.user.createdAt),
            currentPassword: .secret("current_password", errors: errors),
            newPassword: .secret("new_password", errors: errors),
            companies: identity.memberships.map {
                CompanyRow(
                    name: $0.companyName, roleLabel: $0.role.label, joinedOn: DisplayDate.day($0.joinedAt),
                    isActive: $0.companyID == identity.tenant?.companyID)
            })
    }
}
