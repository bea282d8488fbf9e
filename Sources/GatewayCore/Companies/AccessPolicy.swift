/// What members may do to their company, beyond using it: each needs a minimum role.
public enum Action: String, Sendable, CaseIterable {
    case viewMembers
    case inviteMembers
    case changeRoles
    case removeMembers
    case viewAuditLog
    case manageAPIKeys
    case manageProviders
    case viewCompanyUsage
    case viewDeletionRequests
}

/// The one answer to "may this member do this": role × action. Services ask it before acting.
public enum AccessPolicy {
    public static func minimumRole(for action: Action) -> Role {
        switch action {
        case .viewMembers, .inviteMembers, .changeRoles, .removeMembers, .viewAuditLog, .manageAPIKeys, .manageProviders, .viewCompanyUsage,
            .viewDeletionRequests:
            .admin
        }
    }

    public static func allows(_ role: Role, _ action: Action) -> Bool {
        role >= minimumRole(for: action)
    }

    /// Only owners may make or unmake owners; admins manage admins and members.
    public static func mayAssign(_ newRole: Role, to currentRole: Role, as actor: Role) -> Bool {
        guard allows(actor, .changeRoles) else { return false }
        return actor == .owner || (newRole != .owner && currentRole != .owner)
    }

    public static func mayRemove(memberWith role: Role, as actor: Role) -> Bool {
        allows(actor, .removeMembers) && (actor == .owner || role != .owner)
    }
}

/// Signed in, but not allowed to do this (a 403): too low a role, or not a platform operator.
public struct AccessDenied: Error, Sendable {
    public var reason: String

    public init(_ reason: String) {
        self.reason = reason
    }

    public init(_ action: Action) {
        self.reason = "This needs the \(AccessPolicy.minimumRole(for: action).label.lowercased()) role or higher."
    }
}
