import Foundation

/// Who is signed in on this request, and in which company they act.
public struct Identity: Sendable {
    public var user: User
    public var session: Session
    public var memberships: [Membership]
    /// Nil for a user without a company (a platform operator, or a member who was removed).
    public var tenant: Tenant?
    /// A significant privacy-policy change the user has not acknowledged yet; shown on every page.
    public var policyNotice: PolicyNotice?
}

/// Turns a session cookie into an `Identity`, once per request.
public struct IdentityResolver: Sendable {
    let sessions: SessionStore
    let users: UserRepository
    let memberships: MembershipService
    let policies: PolicyService

    public init(sessions: SessionStore, users: UserRepository, memberships: MembershipService, policies: PolicyService) {
        self.sessions = sessions
        self.users = users
        self.memberships = memberships
        self.policies = policies
    }

    public func resolve(token: String) async throws -> Identity? {
        guard let session = try await sessions.resolve(SecretToken(token)), let user = try await users.find(id: session.userID) else {
            return nil
        }
        let all = try await memberships.memberships(of: user.id)
        // The active company must still be one of the user's; otherwise fall back to their first.
        let active = all.first { $0.companyID == session.activeCompanyID } ?? all.first
        let tenant = active.map { Tenant(companyID: $0.companyID, companyName: $0.companyName, userID: user.id, role: $0.role) }
        return Identity(
            user: user, session: session, memberships: all, tenant: tenant, policyNotice: try await policies.pendingNotice(for: user))
    }
}
