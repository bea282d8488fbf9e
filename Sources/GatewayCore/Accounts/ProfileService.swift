import Foundation
import Logging
import PostgresNIO

/// Correcting one's own profile: the name changes at once; a new sign-in email only once a
/// one-time link sent to it is opened by the same user, and the old address is then told.
///
/// Mail is queued in the outbox of the company the user acts in (users are platform-wide, the
/// outbox is tenant data); an account in no company has no outbox and cannot change its email here.
public struct ProfileService: Sendable {
    let database: Database
    let users: UserRepository
    let throttle: LoginThrottle
    let audit: AuditLog
    let outbox: Outbox
    let baseURL: String

    public init(database: Database, throttle: LoginThrottle, vault: Vault, baseURL: String) {
        self.database = database
        self.users = UserRepository(database: database)
        self.throttle = throttle
        self.audit = AuditLog(database: database)
        self.outbox = Outbox(database: database, vault: vault)
        self.baseURL = baseURL
    }

    private var logger: Logger { database.logger }

    /// Saves the name and, when the email differs from the current one, starts its confirmation.
    /// All of it is written, or (on any problem) none of it.
    ///
    /// Saying that an address is taken tells that it has an account, so each such answer counts
    /// against the client address like a failed sign-in (as at sign-up).
    public func save(
        of user: User, name rawName: String, email rawEmail: String, mailVia companyID: UUID?, ip: String?
    ) async throws -> ProfileSaved {
        var errors = FieldErrors()
        if let problem = PersonName.problem(with: rawName) { errors.add("name", problem) }
        let email = EmailAddress(rawEmail)
        if email == nil { errors.add("email", "Enter an email address like name@example.com.") }
        try errors.throwIfAny()
        guard let email else { throw errors }
        let name = rawName.trimmingCharacters(in: .whitespacesAndNewlines)
        guard email != user.email else {
            try await database.withTransaction { connection in try await users.updateName(user.id, to: name, on: connection) }
            return .saved
        }

        if let wait = try await throttle.retryAfter(email: nil, ip: ip) { throw TooManyAttempts(retryAfterSeconds: wait) }
        guard let companyID else {
            throw FieldErrors("email", "Your account belongs to no company, so there is nowhere to send a confirmation from.")
        }
        if try await users.exists(email) {
            try await throttle.recordFailure(email: nil, ip: ip)
            throw FieldErrors("email", "Another account already uses this email.")
        }
        let token = SecretToken()
        let link = "\(baseURL)/account/email/confirm/\(token.value)"
        try await database.withTenant(companyID) { connection in
            try await users.updateName(user.id, to: name, on: connection)
            try await connection.rows(
                """
                INSERT INTO email_changes (user_id, new_email, token_hash, expires_at)
                VALUES (\(user.id), \(email.value), \(token.hash), now() + make_interval(secs => \(PendingEmailChange.lifetime)))
                ON CONFLICT (user_id) DO UPDATE
                SET new_email = excluded.new_email, token_hash = excluded.token_hash, created_at = now(), expires_at = excluded.expires_at
                """, logger: logger)
            try await outbox.queue(
                to: email, subject: "Confirm your new sign-in email for OAG",
                body: """
                    To make \(email.value) the sign-in email of your OAG account, open this link while signed in and confirm:
                    \(link)
                    The link works once and expires in 24 hours. If you did not ask for this, ignore this message.
                    """,
                companyID: companyID, on: connection)
        }
        return .confirmationSent(link: link)
    }

    /// The user's change waiting for confirmation, unless it expired.
    public func pendingEmailChange(of userID: UUID) async throws -> PendingEmailChange? {
        try await database.query("SELECT new_email, expires_at FROM email_changes WHERE user_id = \(userID) AND expires_at > now()")
            .first.map { row in
                let (email, expiresAt) = try row.decode((String, Date).self)
                return PendingEmailChange(newEmail: EmailAddress(trusted: email), expiresAt: expiresAt)
            }
    }

    /// Withdraws the pending change; its link stops working at once.
    public func cancelEmailChange(of userID: UUID) async throws {
        try await database.query("DELETE FROM email_changes WHERE user_id = \(userID)")
    }

    /// Deletes changes whose link expired; returns how many. For the maintenance job
    /// (confirmed and withdrawn changes are deleted at once).
    public func purgeExpiredEmailChanges() async throws -> Int {
        try await database.query("DELETE FROM email_changes WHERE expires_at <= now() RETURNING 1").count
    }

    /// The change a confirmation link stands for, if the link is live and was sent to this user;
    /// any other link answers nil, whoever it belongs to.
    public func emailChange(token rawToken: String, for user: User) async throws -> PendingEmailChange? {
        let token = SecretToken(rawToken)
        guard token.isWellFormed else { return nil }
        return try await database.query(
            """
            SELECT new_email, expires_at FROM email_changes
            WHERE token_hash = \(token.hash) AND user_id = \(user.id) AND expires_at > now()
            """
        ).first.map { row in
            let (email, expiresAt) = try row.decode((String, Date).self)
            return PendingEmailChange(newEmail: EmailAddress(trusted: email), expiresAt: expiresAt)
        }
    }

    /// Applies the change a link stands for, once; tells the old address and records it in each of the
    /// user's companies. The caller ends the user's other sessions.
    public func confirmEmailChange(token rawToken: String, for user: User, mailVia companyID: UUID?, ip: String?) async throws
        -> EmailAddress
    {
        let token = SecretToken(rawToken)
        guard token.isWellFormed else { throw NotFound() }
        guard let companyID else {
            throw EmailChangeRefused(reason: "Your account belongs to no company, so the old address cannot be told of the change.")
        }
        let newEmail: EmailAddress
        do {
            newEmail = try await database.withTenant(companyID) { connection in
                // Deleting claims the link: of two requests racing, only one gets the row.
                guard
                    let row = try await connection.rows(
                        """
                        DELETE FROM email_changes
                        WHERE token_hash = \(token.hash) AND user_id = \(user.id) AND expires_at > now()
                        RETURNING new_email
                        """, logger: logger
                    ).first
                else { throw NotFound() }
                let newEmail = EmailAddress(trusted: try row.decode(String.self))
                try await connection.rows("UPDATE users SET email = \(newEmail.value) WHERE id = \(user.id)", logger: logger)
                // Earlier records name the old address: a deletion of this account must still find them.
                try await connection.rows(
                    """
                    INSERT INTO former_emails (user_id, email) VALUES (\(user.id), \(user.email.value))
                    ON CONFLICT (user_id, email) DO UPDATE SET replaced_at = now()
                    """, logger: logger)
                try await outbox.queue(
                    to: user.email, subject: "Your OAG sign-in email was changed",
                    body: """
                        The sign-in email of your OAG account was changed to \(newEmail.value).
                        If this wasn't you, someone else may have access to your account: tell your company's admin at once.
                        """,
                    companyID: companyID, on: connection)
                return newEmail
            }
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            // Another account took the address after the link was sent; this change can never succeed.
            try await cancelEmailChange(of: user.id)
            throw EmailChangeRefused(reason: "Another account now uses this email, so yours was not changed.")
        }
        try await audit.recordForAllCompanies(
            of: user.id, .emailChanged, actor: user.id, detail: "\(user.email.value) → \(newEmail.value)", ip: ip)
        return newEmail
    }
}
