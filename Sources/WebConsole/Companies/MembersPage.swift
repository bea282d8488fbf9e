import Foundation
import GatewayCore

/// `/company/members`: members with their roles, pending invitations, and the invitation form.
struct MembersPage: ConsolePage {
    static let template = "companies/members"
    static let pageSize = 50

    struct MemberRow: Sendable {
        let name: String
        let email: String
        let roleLabel: String
        let joinedOn: String
        let joinedISO: String
        let isYou: Bool
        let canChangeRole: Bool
        let canRemove: Bool
        let roleAction: String
        let removeAction: String
        let roleOptions: [OptionView]
        let fieldID: String
    }

    struct InvitationRow: Sendable {
        let email: String
        let roleLabel: String
        let expiresOn: String
        let revokeAction: String
    }

    let chrome: PageChrome
    let title = "Members"
    let companyName: String
    let members: [MemberRow]
    /// How many members the company has in all ("12 members").
    let countLabel: String
    let nextHref: String?
    let firstHref: String?
    let invitations: [InvitationRow]
    let inviteEmail: FieldView
    let inviteRole: FieldView
    let inviteRoleOptions: [OptionView]
    /// Shown once, right after an invitation is created.
    let createdLink: String?
    let createdFor: String?

    /// `members` may hold one more than `pageSize`: then another page follows the last one shown.
    static func make(
        tenant: Tenant, members: [Member], count: Int, isFirstPage: Bool = true, invitations: [Invitation], form: FormFields = FormFields(),
        errors: FieldErrors = FieldErrors(), createdLink: String? = nil, createdFor: String? = nil, chrome: PageChrome
    ) -> MembersPage {
        let assignable = Role.allCases.reversed().filter { AccessPolicy.mayAssign($0, to: .member, as: tenant.role) }
        let shown = members.prefix(pageSize)
        let last = members.count > pageSize ? shown.last : nil
        return MembersPage(
            chrome: chrome,
            companyName: tenant.companyName,
            members: shown.map { member in
                let isYou = member.userID == tenant.userID
                return MemberRow(
                    name: member.name, email: member.email.value, roleLabel: member.role.label,
                    joinedOn: DisplayDate.day(member.joinedAt), joinedISO: DisplayDate.iso(member.joinedAt), isYou: isYou,
                    canChangeRole: AccessPolicy.allows(tenant.role, .changeRoles) && (tenant.role == .owner || member.role != .owner),
                    canRemove: !isYou && AccessPolicy.mayRemove(memberWith: member.role, as: tenant.role),
                    roleAction: SitePaths.memberRole(member.userID), removeAction: SitePaths.memberRemoval(member.userID),
                    roleOptions: OptionView.roles(
                        selected: member.role,
                        allowed: Role.allCases.reversed().filter { AccessPolicy.mayAssign($0, to: member.role, as: tenant.role) }),
                    fieldID: member.userID.uuidString.lowercased())
            },
            countLabel: count == 1 ? "1 member" : "\(count) members",
            nextHref: last.map { KeysetCursor(time: $0.joinedAt, id: $0.userID).href(SitePaths.members, key: "after") },
            firstHref: isFirstPage ? nil : SitePaths.members,
            invitations: invitations.map {
                InvitationRow(
                    email: $0.email.value, roleLabel: $0.role.label, expiresOn: DisplayDate.day($0.expiresAt),
                    revokeAction: SitePaths.invitationRevocation($0.id))
            },
            inviteEmail: FieldView("email", from: form, errors: errors),
            inviteRole: FieldView("role", from: form, errors: errors),
            inviteRoleOptions: OptionView.roles(selected: Role(rawValue: form.text("role")) ?? .member, allowed: assignable),
            createdLink: createdLink,
            createdFor: createdFor)
    }
}

/// `/company/audit`: the company's security events, newest first.
struct AuditPage: ConsolePage {
    static let template = "companies/audit"

    struct Row: Sendable {
        let when: String
        let whenISO: String
        let action: String
        let actor: String
        let detail: String
        let ip: String
    }

    let chrome: PageChrome
    let title = "Audit log"
    let rows: [Row]
    let olderHref: String?

    /// `events` may hold one more than `pageSize`: then there is an older page, starting after the last shown.
    static func make(events: [AuditEvent], pageSize: Int, chrome: PageChrome) -> AuditPage {
        let shown = events.prefix(pageSize)
        let last = events.count > pageSize ? shown.last : nil
        return AuditPage(
            chrome: chrome,
            rows: shown.map {
                Row(
                    when: $0.occurredAt.formatted(
                        Date.FormatStyle(date: .abbreviated, time: .shortened, locale: Locale(identifier: "en_GB"), timeZone: .gmt))
                        + " UTC",
                    whenISO: DisplayDate.iso($0.occurredAt), action: describe($0.kind), actor: $0.actorName ?? "—", detail: $0.detail,
                    ip: $0.ip ?? "—")
            },
            olderHref: last.map { KeysetCursor(time: $0.occurredAt, id: $0.id).href(SitePaths.audit, key: "before") })
    }

    static func describe(_ kind: AuditEvent.Kind) -> String {
        switch kind {
        case .signedIn: "Signed in"
        case .signInFailed: "Failed sign-in"
        case .signedUp: "Created the company"
        case .memberInvited: "Invited a member"
        case .invitationRevoked: "Withdrew an invitation"
        case .invitationAccepted: "Accepted an invitation"
        case .roleChanged: "Changed a role"
        case .memberRemoved: "Removed a member"
        case .passwordChanged: "Changed their password"
        case .emailChanged: "Changed their sign-in email"
        case .integrationConnected: "Connected an account"
        case .integrationDisconnected: "Disconnected an account"
        case .integrationNeedsReconnect: "A connected account stopped working"
        case .signInMethodLinked: "Linked a sign-in method"
        case .apiKeyCreated: "Created an API key"
        case .apiKeyRevoked: "Revoked an API key"
        case .providerSettingsChanged: "Changed the AI provider settings"
        case .deletionRequested: "Filed a deletion request"
        case .deletionApproved: "An operator approved a deletion request"
        case .deletionRejected: "An operator rejected a deletion request"
        case .deletionCarriedOut: "A deletion request was carried out"
        }
    }
}

/// `/invitations/{token}`: what an invitee sees.
struct InvitationPage: ConsolePage {
    static let template = "companies/invitation"

    let chrome: PageChrome
    let title: String
    let companyName: String
    let email: String
    let roleLabel: String
    let action: String
    let isOpen: Bool
    let isExpired: Bool
    let isUsed: Bool
    /// Signed in as the invited email: one button.
    let canJoin: Bool
    /// Signed in as somebody else.
    let signedInAs: String?
    /// Not signed in: a new account for the invited email.
    let offersSignUp: Bool
    /// Not signed in, and the email already has an account: sign in first.
    let offersSignIn: Bool
    let signInHref: String
    let name: FieldView
    let password: FieldView
    let minimumPasswordLength = PasswordRules.minimumLength

    static func make(
        token: String, details: InvitationDetails, identity: Identity?, emailHasAccount: Bool, form: FormFields = FormFields(),
        errors: FieldErrors = FieldErrors(), chrome: PageChrome
    ) -> InvitationPage {
        let isOpen = details.state == .open
        let matches = identity?.user.email == details.email
        return InvitationPage(
            chrome: chrome,
            title: "Join \(details.companyName)",
            companyName: details.companyName,
            email: details.email.value,
            roleLabel: details.role.label.lowercased(),
            action: SitePaths.invitation(token),
            isOpen: isOpen,
            isExpired: details.state == .expired,
            isUsed: details.state == .used,
            canJoin: isOpen && matches,
            signedInAs: isOpen && identity != nil && !matches ? identity?.user.email.value : nil,
            offersSignUp: isOpen && identity == nil && !emailHasAccount,
            offersSignIn: isOpen && identity == nil && emailHasAccount,
            signInHref: SitePaths.logIn + "?next=" + SitePaths.invitation(token),
            name: FieldView("name", from: form, errors: errors),
            password: .secret("password", errors: errors))
    }
}
