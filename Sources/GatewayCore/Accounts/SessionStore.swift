import Foundation
import PostgresNIO

/// A signed-in browser session as the server keeps it.
public struct Session: Sendable, Equatable {
    public var tokenHash: Data
    public var userID: UUID
    public var activeCompanyID: UUID?
    /// Bound to this session; every form posted in it must carry it.
    public var csrfToken: String
    public var createdAt: Date
    public var lastSeenAt: Date
}

/// How long sessions live: ended after `idleTimeout` without a request and `absoluteLifetime` in all.
public struct SessionLifetime: Sendable {
    public var idleTimeout: Duration
    public var absoluteLifetime: Duration

    public init(idleTimeout: Duration = .seconds(30 * 60), absoluteLifetime: Duration = .seconds(12 * 3600)) {
        self.idleTimeout = idleTimeout
        self.absoluteLifetime = absoluteLifetime
    }

    var idleSeconds: Double { Double(idleTimeout.components.seconds) }
    var absoluteSeconds: Double { Double(absoluteLifetime.components.seconds) }
}

/// Sessions live in PostgreSQL so that any app node can serve any request.
/// The browser holds a 256-bit random token; the table holds only its SHA-256.
public struct SessionStore: Sendable {
    /// `last_seen_at` is written at most this often, not on every request.
    static let touchInterval: TimeInterval = 60

    let database: Database
    public let lifetime: SessionLifetime

    public init(database: Database, lifetime: SessionLifetime) {
        self.database = database
        self.lifetime = lifetime
    }

    /// Starts a session; the token is for the cookie and is not kept anywhere.
    public func create(userID: UUID, activeCompanyID: UUID?, ip: String?) async throws -> (token: SecretToken, session: Session) {
        let token = SecretToken()
        let csrf = SecretToken().value
        let rows = try await database.query(
            """
            INSERT INTO sessions (token_hash, user_id, active_company_id, csrf_token, ip)
            VALUES (\(token.hash), \(userID), \(activeCompanyID), \(csrf), \(ip)::inet)
            RETURNING created_at, last_seen_at
            """)
        let (createdAt, lastSeenAt) = try rows[0].decode((Date, Date).self)
        return (
            token,
            Session(
                tokenHash: token.hash, userID: userID, activeCompanyID: activeCompanyID, csrfToken: csrf, createdAt: createdAt,
                lastSeenAt: lastSeenAt)
        )
    }

    /// A fresh session, ending `old`: every sign-in and privilege change gets a new id (no fixation).
    public func rotate(
        replacing old: Session?, userID: UUID, activeCompanyID: UUID?, ip: String?
    ) async throws -> (token: SecretToken, session: Session) {
        if let old { try await end(tokenHash: old.tokenHash) }
        return try await create(userID: userID, activeCompanyID: activeCompanyID, ip: ip)
    }

    /// The live session for a cookie token; an expired one is deleted and answers nil.
    public func resolve(_ token: SecretToken, now: Date = Date()) async throws -> Session? {
        guard token.isWellFormed else { return nil }
        guard
            let row = try await database.query(
                "SELECT user_id, active_company_id, csrf_token, created_at, last_seen_at FROM sessions WHERE token_hash = \(token.hash)"
            ).first
        else { return nil }
        let (userID, companyID, csrf, createdAt, lastSeenAt) = try row.decode((UUID, UUID?, String, Date, Date).self)
        if now.timeIntervalSince(lastSeenAt) > lifetime.idleSeconds || now.timeIntervalSince(createdAt) > lifetime.absoluteSeconds {
            try await end(tokenHash: token.hash)
            return nil
        }
        if now.timeIntervalSince(lastSeenAt) > Self.touchInterval {
            try await database.query("UPDATE sessions SET last_seen_at = now() WHERE token_hash = \(token.hash)")
        }
        return Session(
            tokenHash: token.hash, userID: userID, activeCompanyID: companyID, csrfToken: csrf, createdAt: createdAt, lastSeenAt: lastSeenAt
        )
    }

    public func end(tokenHash: Data) async throws {
        try await database.query("DELETE FROM sessions WHERE token_hash = \(tokenHash)")
    }

    /// Ends every session of a user but `keeping` (after a password change, say).
    public func endAll(of userID: UUID, keeping tokenHash: Data?) async throws {
        try await database.query(
            "DELETE FROM sessions WHERE user_id = \(userID) AND (\(tokenHash)::bytea IS NULL OR token_hash <> \(tokenHash))")
    }

    /// Deletes sessions past either limit; run periodically.
    @discardableResult
    public func purgeExpired() async throws -> Int {
        let rows = try await database.query(
            """
            DELETE FROM sessions
            WHERE last_seen_at < now() - make_interval(secs => \(lifetime.idleSeconds))
               OR created_at < now() - make_interval(secs => \(lifetime.absoluteSeconds))
            RETURNING 1
            """)
        return rows.count
    }
}
