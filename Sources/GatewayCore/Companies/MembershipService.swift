import Foundation
import Logging
import PostgresNIO

/// Members, roles and invitations of a company. Every method takes the acting tenant
/// first, checks the access policy, and runs inside that company's tenant transaction.
public struct MembershipService: Sendable {
    let database: Database
    let audit: AuditLog
    let outbox: Outbox
    let baseURL: String

    public init(database: Database, vault: Vault, baseURL: String) {
        self.database = database
        self.audit = AuditLog(database: database)
        self.outbox = Outbox(database: database, vault: vault)
        self.baseURL = baseURL
    }

    private var logger: Logger { database.logger }

    /// Platform-wide company list for operators.
    public func allCompanies(for user: User) async throws -> [(company: Company, memberCount: Int)] {
        guard user.isOperator else { throw AccessDenied("Only platform operators may do this.") }
        return try await database.query("SELECT company_id, company_name, created_at, member_count FROM platform_companies()").map { row in
            let (id, name, createdAt, count) = try row.decode((UUID, String, Date, Int).self)
            return (Company(id: id, name: name, createdAt: createdAt), count)
        }
    }

    /// The companies a user belongs to, oldest membership first.
    public func memberships(of userID: UUID) async throws -> [Membership] {
        try await database.query("SELECT company_id, company_name, role, joined_at FROM user_memberships(\(userID))").map { row in
            let (companyID, name, role, joinedAt) = try row.decode((UUID, String, String, Date).self)
            return Membership(companyID: companyID, companyName: name, role: Role(rawValue: role) ?? .member, joinedAt: joinedAt)
        }
    }

    /// Members in the order they joined, `limit` at a time, continuing after `after` (keyset pagination).
    public func members(of tenant: Tenant, after: KeysetCursor? = nil, limit: Int) async throws -> [Member] {
        try tenant.require(.viewMembers)
        return try await database.withTenant(tenant.companyID) { connection in
            try await connection.rows(
                """
                SELECT u.id, u.name, u.email, m.role, m.joined_at
                FROM memberships m JOIN users u ON u.id = m.user_id
                WHERE m.company_id = \(tenant.companyID)
                  AND (\(after?.microseconds)::bigint IS NULL
                    OR (m.joined_at, m.user_id) > (to_timestamp(0) + \(after?.microseconds) * interval '1 microsecond', \(after?.id)))
                ORDER BY m.joined_at, m.user_id
                LIMIT \(limit)
                """, logger: logger
            ).map { row in
                let (id, name, email, role, joinedAt) = try row.decode((UUID, String, String, String, Date).self)
                return Member(
                    userID: id, name: name, email: EmailAddress(trusted: email), role: Role(rawValue: role) ?? .member, joinedAt: joinedAt)
            }
        }
    }

    public func memberCount(of tenant: Tenant) async throws -> Int {
        try tenant.require(.viewMembers)
        return try await database.withTenant(tenant.companyID) { connection in
            try await connection.rows("SELECT count(*) FROM memberships WHERE company_id = \(tenant.companyID)", logger: logger)[0]
                .decode(Int.self)
        }
    }

    public func pendingInvitations(of tenant: Tenant) async throws -> [Invitation] {
        try tenant.require(.viewMembers)
        return try await database.withTenant(tenant.companyID) { connection in
            try await connection.rows(
                """
                SELECT id, email, role, created_at, expires_at FROM invitations
                WHERE company_id = \(tenant.companyID) AND accepted_at IS NULL AND expires_at > now()
                ORDER BY created_at DESC
                """, logger: logger
            ).map { row in
                let (id, email, role, createdAt, expiresAt) = try row.decode((UUID, String, String, Date, Date).self)
                return Invitation(
                    id: id, email: EmailAddress(trusted: email), role: Role(rawValue: role) ?? .member, createdAt: createdAt,
                    expiresAt: expiresAt)
            }
        }
    }

    /// Creates an invitation and returns the link to hand to the invitee (shown once; only its hash is kept).
    public func invite(email rawEmail: String, role rawRole: String, by tenant: Tenant, ip: String?) async throws -> String {
        try tenant.require(.inviteMembers)
        var errors = FieldErrors()
        let email = EmailAddress(rawEmail)
        if email == nil { errors.add("email", "Enter an email address like name@example.com.") }
        let role = Role(rawValue: rawRole)
        if role == nil { errors.add("role", "Choose owner, admin or member.") }
        try errors.throwIfAny()
        guard let email, let role else { throw errors }
        guard AccessPolicy.mayAssign(role, to: .member, as: tenant.role) else {
            throw FieldErrors("role", "Only an owner can invite another owner.")
        }
        let token = SecretToken()
        let link = "\(baseURL)/invitations/\(token.value)"
        try await database.withTenant(tenant.companyID) { connection in
            let already = try await connection.rows(
                """
                SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id
                WHERE m.company_id = \(tenant.companyID) AND u.email = \(email.value)
                """, logger: logger)
            guard already.isEmpty else { throw FieldErrors("email", "\(email.value) is already a member of this company.") }
            try await connection.rows(
                """
                INSERT INTO invitations (company_id, id, email, role, token_hash, invited_by, expires_at)
                VALUES (\(tenant.companyID), \(UUID()), \(email.value), \(role.rawValue), \(token.hash), \(tenant.userID),
                        now() + make_interval(secs => \(Invitation.lifetime)))
                """, logger: logger)
            try await outbox.queue(
                to: email, subject: "You are invited to \(tenant.companyName) on OAG",
                body: "Join \(tenant.companyName) as \(role.label.lowercased()): \(link)\nThe link works once and expires in 7 days.",
                companyID: tenant.companyID, on: connection)
            try await audit.record(
                .memberInvited, companyID: tenant.companyID, actor: tenant.userID, detail: "\(email.value) as \(role.rawValue)", ip: ip,
                on: connection)
        }
        return link
    }

    /// Withdraws a pending invitation; its link stops working at once.
    public func revokeInvitation(_ invitationID: UUID, by tenant: Tenant, ip: String?) async throws {
        try tenant.require(.inviteMembers)
        try await database.withTenant(tenant.companyID) { connection in
            let removed = try await connection.rows(
                """
                DELETE FROM invitations WHERE company_id = \(tenant.companyID) AND id = \(invitationID) AND accepted_at IS NULL
                RETURNING email
                """, logger: logger)
            guard let email = try removed.first?.decode(String.self) else { throw NotFound() }
            try await audit.record(
                .invitationRevoked, companyID: tenant.companyID, actor: tenant.userID, detail: email, ip: ip, on: connection)
        }
    }

    public func changeRole(of userID: UUID, to rawRole: String, by tenant: Tenant, ip: String?) async throws {
        try tenant.require(.changeRoles)
        guard let newRole = Role(rawValue: rawRole) else { throw FieldErrors("role", "Choose owner, admin or member.") }
        try await database.withTenant(tenant.companyID) { connection in
            try await lockCompany(tenant.companyID, on: connection)
            let member = try await lockedMember(userID, in: tenant.companyID, on: connection)
            guard AccessPolicy.mayAssign(newRole, to: member.role, as: tenant.role) else {
                throw AccessDenied("Only an owner can make or change an owner.")
            }
            if member.role == .owner, newRole != .owner {
                try await requireAnotherOwner(besides: userID, in: tenant.companyID, on: connection)
            }
            try await connection.rows(
                "UPDATE memberships SET role = \(newRole.rawValue) WHERE company_id = \(tenant.companyID) AND user_id = \(userID)",
                logger: logger)
            if !AccessPolicy.allows(newRole, .inviteMembers) {
                try await withdrawInvitations(sentBy: userID, in: tenant.companyID, on: connection)
            }
            try await audit.record(
                .roleChanged, companyID: tenant.companyID, actor: tenant.userID,
                detail: "\(member.email): \(member.role.rawValue) → \(newRole.rawValue)", ip: ip, on: connection)
        }
    }

    public func remove(_ userID: UUID, by tenant: Tenant, ip: String?) async throws {
        try tenant.require(.removeMembers)
        try await database.withTenant(tenant.companyID) { connection in
            try await lockCompany(tenant.companyID, on: connection)
            let member = try await lockedMember(userID, in: tenant.companyID, on: connection)
            guard AccessPolicy.mayRemove(memberWith: member.role, as: tenant.role) else {
                throw AccessDenied("Only an owner can remove an owner.")
            }
            if member.role == .owner {
                try await requireAnotherOwner(besides: userID, in: tenant.companyID, on: connection)
            }
            try await connection.rows(
                "DELETE FROM memberships WHERE company_id = \(tenant.companyID) AND user_id = \(userID)", logger: logger)
            try await withdrawInvitations(sentBy: userID, in: tenant.companyID, on: connection)
            try await connection.rows(
                "UPDATE sessions SET active_company_id = NULL WHERE user_id = \(userID) AND active_company_id = \(tenant.companyID)",
                logger: logger)
            try await audit.record(
                .memberRemoved, companyID: tenant.companyID, actor: tenant.userID, detail: member.email, ip: ip, on: connection)
        }
    }

    /// Deletes unaccepted invitations of every company some time after they expired (see 0010's
    /// `purge_expired_invitations`); returns how many. For the maintenance job.
    public func purgeExpiredInvitations() async throws -> Int {
        try await database.query("SELECT purge_expired_invitations()").first?.decode(Int.self) ?? 0
    }

    /// What the invitation link shows, whoever opens it.
    public func invitation(token: String) async throws -> InvitationDetails? {
        let token = SecretToken(token)
        guard token.isWellFormed,
            let companyID = try await database.query("SELECT invitation_company(\(token.hash))").first?.decode(UUID?.self)
        else { return nil }
        return try await database.withTenant(companyID) { connection in
            guard
                let row = try await connection.rows(
                    """
                    SELECT c.name, i.email, i.role, i.accepted_at IS NOT NULL, i.expires_at <= now()
                    FROM invitations i JOIN companies c ON c.id = i.company_id
                    WHERE i.company_id = \(companyID) AND i.token_hash = \(token.hash)
                    """, logger: logger
                ).first
            else { return nil }
            let (name, email, role, used, expired) = try row.decode((String, String, String, Bool, Bool).self)
            return InvitationDetails(
                companyID: companyID, companyName: name, email: EmailAddress(trusted: email), role: Role(rawValue: role) ?? .member,
                state: used ? .used : (expired ? .expired : .open))
        }
    }

    /// Joins the user to the inviting company; the link works once, before it expires, for the invited email only.
    public func accept(token: String, user: User, ip: String?) async throws -> Membership {
        guard let details = try await invitation(token: token), details.state == .open else { throw NotFound() }
        guard details.email == user.email else {
            throw FieldErrors("email", "This invitation is for \(details.email.value). Sign in with that email to accept it.")
        }
        return try await database.withTenant(details.companyID) { connection in
            try await claim(token: token, details: details, user: user, ip: ip, on: connection)
        }
    }

    /// Creates the invitee's account and joins them, in one transaction: both happen or neither.
    public func acceptAsNewAccount(
        token: String, name: String, password: String, hasher: PasswordHasher, ip: String?
    ) async throws -> (User, Membership) {
        guard let details = try await invitation(token: token), details.state == .open else { throw NotFound() }
        var errors = FieldErrors()
        if let problem = PersonName.problem(with: name) { errors.add("name", problem) }
        if let problem = PasswordRules.problem(with: password) { errors.add("password", problem) }
        try errors.throwIfAny()
        let user = User(
            id: UUID(), email: details.email, name: name.trimmingCharacters(in: .whitespacesAndNewlines), isOperator: false,
            createdAt: Date())
        let hash = try await hasher.hash(password)
        let users = UserRepository(database: database)
        do {
            let membership = try await database.withTenant(details.companyID) { connection in
                try await users.insert(user, passwordHash: hash, on: connection)
                return try await claim(token: token, details: details, user: user, ip: ip, on: connection)
            }
            return (user, membership)
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            throw FieldErrors("email", "\(details.email.value) already has an account. Sign in to accept the invitation.")
        }
    }

    private func claim(
        token: String, details: InvitationDetails, user: User, ip: String?, on connection: PostgresConnection
    ) async throws -> Membership {
        let hash = SecretToken(token).hash
        // The row lock of this UPDATE makes the link single-use even when two requests race.
        let claimed = try await connection.rows(
            """
            UPDATE invitations SET accepted_at = now()
            WHERE company_id = \(details.companyID) AND token_hash = \(hash) AND accepted_at IS NULL AND expires_at > now()
            RETURNING role
            """, logger: logger)
        guard let role = try claimed.first?.decode(String.self) else { throw NotFound() }
        try await connection.rows(
            """
            INSERT INTO memberships (company_id, user_id, role) VALUES (\(details.companyID), \(user.id), \(role))
            ON CONFLICT (company_id, user_id) DO NOTHING
            """, logger: logger)
        try await audit.record(
            .invitationAccepted, companyID: details.companyID, actor: user.id, detail: "\(user.email.value) as \(role)", ip: ip,
            on: connection)
        return Membership(companyID: details.companyID, companyName: details.companyName, role: details.role, joinedAt: Date())
    }

    /// Role changes and removals of one company run one at a time: the last-owner check then
    /// cannot race, and two owners demoting each other cannot deadlock.
    private func lockCompany(_ companyID: UUID, on connection: PostgresConnection) async throws {
        try await connection.rows("SELECT 1 FROM companies WHERE id = \(companyID) FOR UPDATE", logger: logger)
    }

    /// Someone who can no longer invite must not get back in through a link they sent earlier.
    private func withdrawInvitations(sentBy userID: UUID, in companyID: UUID, on connection: PostgresConnection) async throws {
        try await connection.rows(
            "DELETE FROM invitations WHERE company_id = \(companyID) AND invited_by = \(userID) AND accepted_at IS NULL", logger: logger)
    }

    private func lockedMember(_ userID: UUID, in companyID: UUID, on connection: PostgresConnection) async throws -> (
        role: Role, email: String
    ) {
        guard
            let row = try await connection.rows(
                """
                SELECT m.role, u.email FROM memberships m JOIN users u ON u.id = m.user_id
                WHERE m.company_id = \(companyID) AND m.user_id = \(userID) FOR UPDATE OF m
                """, logger: logger
            ).first
        else { throw NotFound() }
        let (role, email) = try row.decode((String, String).self)
        return (Role(rawValue: role) ?? .member, email)
    }

    /// Owners are locked together so that two concurrent demotions cannot leave none.
    private func requireAnotherOwner(besides userID: UUID, in companyID: UUID, on connection: PostgresConnection) async throws {
        let owners = try await connection.rows(
            "SELECT user_id FROM memberships WHERE company_id = \(companyID) AND role = 'owner' FOR UPDATE", logger: logger)
        let others = try owners.map { try $0.decode(UUID.self) }.filter { $0 != userID }
        guard !others.isEmpty else { throw LastOwner() }
    }
}

/// A company must keep at least one owner.
public struct LastOwner: Error, Sendable {}
