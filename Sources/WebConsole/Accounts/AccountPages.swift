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

    struct PendingChange: Sendable {
        let newEmail: String
        let expiresAt: String
        let expiresISO: String
        let cancelAction: String
    }

    let chrome: PageChrome
    let title = "Your account"
    let name: FieldView
    /// The address signed in with; `email` is the form's field, which may hold a new one.
    let currentEmail: String
    let email: FieldView
    let pendingEmailChange: PendingChange?
    let memberSince: String
    /// Accounts made by signing in with a provider have no password to confirm yet.
    let asksCurrentPassword: Bool
    let currentPassword: FieldView
    let newPassword: FieldView
    let minimumPasswordLength = PasswordRules.minimumLength
    let companies: [CompanyRow]

    static func make(
        identity: Identity, pendingEmailChange: PendingEmailChange?, hasPassword: Bool, form: FormFields? = nil,
        errors: FieldErrors = FieldErrors(), chrome: PageChrome
    ) -> AccountPage {
        AccountPage(
            chrome: chrome,
            name: FieldView(form?["name"] ?? identity.user.name, error: errors["name"]),
            currentEmail: identity.user.email.value,
            email: FieldView(form?["email"] ?? identity.user.email.value, error: errors["email"]),
            pendingEmailChange: pendingEmailChange.map {
                PendingChange(
                    newEmail: $0.newEmail.value, expiresAt: DisplayDate.dayAndTime($0.expiresAt), expiresISO: DisplayDate.iso($0.expiresAt),
                    cancelAction: SitePaths.emailChangeCancellation)
            },
            memberSince: DisplayDate.day(identity.user.createdAt),
            asksCurrentPassword: hasPassword,
            currentPassword: .secret("current_password", errors: errors),
            newPassword: .secret("new_password", errors: errors),
            companies: identity.memberships.map {
                CompanyRow(
                    name: $0.companyName, roleLabel: $0.role.label, joinedOn: DisplayDate.day($0.joinedAt),
                    isActive: $0.companyID == identity.tenant?.companyID)
            })
    }
}

/// `/account/email/confirm/{token}`: the button that applies a change of sign-in email
/// (a GET changes nothing, so mail scanners that open links confirm nothing).
struct EmailConfirmationPage: ConsolePage {
    static let template = "accounts/confirm-email"

    let chrome: PageChrome
    let title = "Confirm your new email"
    let currentEmail: String
    let newEmail: String
    let action: String
    /// Why the change could not be applied; the button is then not offered.
    let refusal: String?

    static func make(user: User, change: PendingEmailChange, token: String, refusal: String? = nil, chrome: PageChrome)
        -> EmailConfirmationPage
    {
        EmailConfirmationPage(
            chrome: chrome, currentEmail: user.email.value, newEmail: change.newEmail.value, action: SitePaths.emailConfirmation(token),
            refusal: refusal)
    }
}
