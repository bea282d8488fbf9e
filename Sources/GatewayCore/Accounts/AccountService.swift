import Foundation
import PostgresNIO

public struct SignUpForm: Sendable {
    public var email: String
    public var password: String
    public var name: String
    public var companyName: String

    public init(email: String, password: String, name: String, companyName: String) {
        self.email = email
        self.password = password
        self.name = name
        self.companyName = companyName
    }
}

/// Too many failed attempts from this client; try again after the given time.
public struct TooManyAttempts: Error, Sendable {
    public var retryAfterSeconds: Int
}

public enum SignInResult: Sendable {
    case signedIn(User)
    /// Same answer whether the email is unknown or the password wrong.
    case invalid
    case throttled(retryAfterSeconds: Int)
}

/// Sign-up, sign-in and the account's own settings.
public struct AccountService: Sendable {
    let database: Database
    public let users: UserRepository
    let throttle: LoginThrottle
    let audit: AuditLog
    let hasher: PasswordHasher
    private let decoyHash: Task<String, any Error>

    public init(database: Database, throttle: LoginThrottle, hasher: PasswordHasher = PasswordHasher()) {
        self.database = database
        self.users = UserRepository(database: database)
        self.throttle = throttle
        self.audit = AuditLog(database: database)
        self.hasher = hasher
        self.decoyHash = Task { try await hasher.decoyHash() }
    }

    /// Creates the company and its owner in one transaction.
    ///
    /// Saying that an email is taken tells that it has an account; until sign-up confirms addresses
    /// by mail, each such answer counts against the client address like a failed sign-in, so the
    /// register cannot be probed faster than passwords can.
    public func signUp(_ form: SignUpForm, ip: String?) async throws -> (User, companyID: UUID) {
        if let wait = try await throttle.retryAfter(email: nil, ip: ip) { throw TooManyAttempts(retryAfterSeconds: wait) }
        var errors = FieldErrors()
        let email = EmailAddress(form.email)
        if email == nil { errors.add("email", "Enter an email address like name@example.com.") }
        if let problem = PasswordRules.problem(with: form.password) { errors.add("password", problem) }
        if let problem = PersonName.problem(with: form.name) { errors.add("name", problem) }
        if let problem = Company.problem(withName: form.companyName) { errors.add("company_name", problem) }
        try errors.throwIfAny()
        guard let email else { throw errors }
        if try await users.exists(email) {
            try await throttle.recordFailure(email: nil, ip: ip)
            throw FieldErrors("email", "An account with this email already exists. Sign in instead.")
        }

        let user = User(
            id: UUID(), email: email, name: form.name.trimmingCharacters(in: .whitespacesAndNewlines), isOperator: false, createdAt: Date())
        let companyID = UUID()
        let companyName = form.companyName.trimmingCharacters(in: .whitespacesAndNewlines)
        let hash = try await hasher.hash(form.password)
        do {
            try await database.withTenant(companyID) { connection in
                try await users.insert(user, passwordHash: hash, on: connection)
                try await connection.rows("INSERT INTO companies (id, name) VALUES (\(companyID), \(companyName))", logger: database.logger)
                try await connection.rows(
                    "INSERT INTO memberships (company_id, user_id, role) VALUES (\(companyID), \(user.id), 'owner')",
                    logger: database.logger)
                try await audit.record(.signedUp, companyID: companyID, actor: user.id, ip: ip, on: connection)
            }
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            // Someone signed up with the same email a moment ago.
            throw FieldErrors("email", "An account with this email already exists. Sign in instead.")
        }
        return (user, companyID)
    }

    /// Checks the password in the same time whether or not the email is known.
    public func signIn(email rawEmail: String, password: String, ip: String?) async throws -> SignInResult {
        let email = EmailAddress(rawEmail)
        let attempt: LoginThrottle.Attempt
        do {
            attempt = try await throttle.begin(email: email, ip: ip)
        } catch let refused as TooManyAttempts {
            return .throttled(retryAfterSeconds: refused.retryAfterSeconds)
        }
        var credentials: (User, String?)?
        if let email { credentials = try await users.credentials(for: email) }
        let hashToCheck: String
        if let known = credentials?.1 { hashToCheck = known } else { hashToCheck = try await decoyHash.value }
        // An account without a password (made by signing in with a provider) never matches.
        let hasPassword = credentials?.1 != nil
        let matches = try await hasher.verify(password, against: hashToCheck)
        guard let (user, _) = credentials, matches, hasPassword, password.count <= PasswordRules.maximumLength else {
            // `begin` already counted the attempt as a failure.
            if let user = credentials?.0 {
                try await audit.recordForAllCompanies(of: user.id, .signInFailed, actor: nil, detail: user.email.value, ip: ip)
            }
            return .invalid
        }
        try await throttle.succeeded(attempt)
        try await throttle.clear(email: user.email)
        try await audit.recordForAllCompanies(of: user.id, .signedIn, actor: user.id, ip: ip)
        return .signedIn(user)
    }

    /// Changes the password after checking the current one; the caller ends the user's other sessions.
    /// A wrong current password counts like a failed sign-in (account and address), so a stolen
    /// session cannot guess the password faster than the sign-in page allows.
    public func changePassword(of user: User, current: String, new: String, ip: String?) async throws {
        var errors = FieldErrors()
        let attempt = try await throttle.begin(email: user.email, ip: ip)
        // An account made by signing in with a provider sets its first password without one.
        if let hash = try await users.passwordHash(of: user.id), !(try await hasher.verify(current, against: hash)) {
            throw FieldErrors("current_password", "This is not your current password.")
        }
        try await throttle.succeeded(attempt)
        if let problem = PasswordRules.problem(with: new) { errors.add("new_password", problem) }
        if new == current { errors.add("new_password", "Choose a password different from the current one.") }
        try errors.throwIfAny()
        let newHash = try await hasher.hash(new)
        try await database.withTransaction { connection in
            try await users.updatePassword(user.id, hash: newHash, on: connection)
        }
        try await audit.recordForAllCompanies(of: user.id, .passwordChanged, actor: user.id, ip: ip)
    }

    /// Creates a platform operator (`oag admin create`); operators belong to no company.
    public func createOperator(email rawEmail: String, password: String, name: String) async throws -> User {
        var errors = FieldErrors()
        let email = EmailAddress(rawEmail)
        if email == nil { errors.add("email", "Enter an email address like name@example.com.") }
        if let problem = PasswordRules.problem(with: password) { errors.add("password", problem) }
        try errors.throwIfAny()
        guard let email else { throw errors }
        if try await users.exists(email) { throw FieldErrors("email", "An account with this email already exists.") }
        let user = User(id: UUID(), email: email, name: name, isOperator: true, createdAt: Date())
        let hash = try await hasher.hash(password)
        try await database.withTransaction { connection in
            try await users.insert(user, passwordHash: hash, on: connection)
        }
        return user
    }
}
