import Foundation
import PostgresNIO

/// Reads and writes `users`. Users are not tenant data: one person may belong to several companies.
public struct UserRepository: Sendable {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    static let columns = "id, email, name, is_operator, created_at"

    static func user(from row: PostgresRow) throws -> User {
        let (id, email, name, isOperator, createdAt) = try row.decode((UUID, String, String, Bool, Date).self)
        return User(id: id, email: EmailAddress(trusted: email), name: name, isOperator: isOperator, createdAt: createdAt)
    }

    /// `passwordHash` is nil for an account made by signing in with a provider.
    func insert(_ user: User, passwordHash: String?, on connection: PostgresConnection) async throws {
        try await connection.rows(
            """
            INSERT INTO users (id, email, name, password_hash, is_operator)
            VALUES (\(user.id), \(user.email.value), \(user.name), \(passwordHash), \(user.isOperator))
            """, logger: database.logger)
    }

    public func find(id: UUID) async throws -> User? {
        try await database.query("SELECT \(unescaped: Self.columns) FROM users WHERE id = \(id)").first.map(Self.user)
    }

    /// The user and their password hash (nil when they have none yet), for signing in.
    func credentials(for email: EmailAddress) async throws -> (User, String?)? {
        guard
            let row = try await database.query(
                "SELECT \(unescaped: Self.columns), password_hash FROM users WHERE email = \(email.value)"
            ).first
        else { return nil }
        let hash = try row.decode((UUID, String, String, Bool, Date, String?).self).5
        return (try Self.user(from: row), hash)
    }

    func passwordHash(of userID: UUID) async throws -> String? {
        try await database.query("SELECT password_hash FROM users WHERE id = \(userID)").first?.decode(String?.self) ?? nil
    }

    /// False for an account made by signing in with a provider that has not set a password yet.
    public func hasPassword(_ userID: UUID) async throws -> Bool {
        try await passwordHash(of: userID) != nil
    }

    public func find(email: EmailAddress) async throws -> User? {
        try await database.query("SELECT \(unescaped: Self.columns) FROM users WHERE email = \(email.value)").first.map(Self.user)
    }

    public func exists(_ email: EmailAddress) async throws -> Bool {
        try await !database.query("SELECT 1 FROM users WHERE email = \(email.value)").isEmpty
    }

    func updateName(_ userID: UUID, to name: String, on connection: PostgresConnection) async throws {
        try await connection.rows("UPDATE users SET name = \(name) WHERE id = \(userID)", logger: database.logger)
    }

    func updatePassword(_ userID: UUID, hash: String, on connection: PostgresConnection) async throws {
        try await connection.rows(
            "UPDATE users SET password_hash = \(hash), password_changed_at = now() WHERE id = \(userID)", logger: database.logger)
    }
}
