import Crypto
import Foundation
import PostgresNIO

/// Limits failed sign-ins per account and per client address, counted in PostgreSQL so
/// the limit holds across app nodes. Emails are stored hashed, addresses too.
public struct LoginThrottle: Sendable {
    public struct Limits: Sendable {
        public var perAccount: Int
        public var perAddress: Int
        public var window: Duration

        public init(perAccount: Int = 5, perAddress: Int = 20, window: Duration = .seconds(15 * 60)) {
            self.perAccount = perAccount
            self.perAddress = perAddress
            self.window = window
        }
    }

    let database: Database
    public let limits: Limits

    public init(database: Database, limits: Limits = Limits()) {
        self.database = database
        self.limits = limits
    }

    static func subject(email: EmailAddress) -> Data { Data(SHA256.hash(data: Data("email:\(email.value)".utf8))) }
    static func subject(ip: String) -> Data { Data(SHA256.hash(data: Data("ip:\(ip)".utf8))) }

    private var windowSeconds: Double { Double(limits.window.components.seconds) }

    /// Seconds until another attempt is allowed, or nil when one is allowed now.
    public func retryAfter(email: EmailAddress?, ip: String?) async throws -> Int? {
        var waits: [Int] = []
        if let email, let wait = try await wait(for: Self.subject(email: email), limit: limits.perAccount) { waits.append(wait) }
        if let ip, let wait = try await wait(for: Self.subject(ip: ip), limit: limits.perAddress) { waits.append(wait) }
        return waits.max()
    }

    /// One attempt, counted as a failure from the moment `begin` allowed it until it succeeds.
    public struct Attempt: Sendable {
        let failureIDs: [Int64]
    }

    /// Records an attempt before its password is checked, and refuses it (`TooManyAttempts`) when, counting it, a
    /// subject would be over its limit. Each subject's count and insert run under a transaction-level
    /// advisory lock, so a burst of parallel attempts is counted one by one and cannot overshoot.
    /// An attempt whose node dies before the outcome stays counted as a failure.
    public func begin(email: EmailAddress?, ip: String?) async throws -> Attempt {
        let subjects = [email.map { (Self.subject(email: $0), limits.perAccount) }, ip.map { (Self.subject(ip: $0), limits.perAddress) }]
            .compactMap { $0 }
            // Locks taken in one order, so two attempts never wait for each other crosswise.
            .sorted { Self.lockKey($0.0) < Self.lockKey($1.0) }
        return try await database.withTransaction { connection in
            var waits: [Int] = []
            for (subject, limit) in subjects {
                try await connection.rows(
                    "SELECT pg_advisory_xact_lock(\(Self.lockClass), \(Self.lockKey(subject)))", logger: database.logger)
                if let wait = try await wait(for: subject, limit: limit, on: connection) { waits.append(wait) }
            }
            if let wait = waits.max() { throw TooManyAttempts(retryAfterSeconds: wait) }
            var ids: [Int64] = []
            for (subject, _) in subjects {
                let rows = try await connection.rows(
                    "INSERT INTO login_failures (subject_hash) VALUES (\(subject)) RETURNING id", logger: database.logger)
                ids.append(try rows[0].decode(Int64.self))
            }
            return Attempt(failureIDs: ids)
        }
    }

    /// The attempt turned out right: it no longer counts as a failure.
    public func succeeded(_ attempt: Attempt) async throws {
        try await database.query("DELETE FROM login_failures WHERE id = ANY(\(attempt.failureIDs))")
    }

    public func recordFailure(email: EmailAddress?, ip: String?) async throws {
        let subjects = [email.map(Self.subject(email:)), ip.map(Self.subject(ip:))].compactMap { $0 }
        for subject in subjects {
            try await database.query("INSERT INTO login_failures (subject_hash) VALUES (\(subject))")
        }
    }

    /// A successful sign-in clears the account's count (not the address's).
    public func clear(email: EmailAddress) async throws {
        try await database.query("DELETE FROM login_failures WHERE subject_hash = \(Self.subject(email: email))")
    }

    @discardableResult
    public func purgeExpired() async throws -> Int {
        try await database.query(
            "DELETE FROM login_failures WHERE occurred_at < now() - make_interval(secs => \(windowSeconds)) RETURNING 1"
        ).count
    }

    /// Keeps these advisory locks apart from the app's other ones (the two-key form is its own space).
    static let lockClass: Int32 = 0x6F61_6754  // "oagT"

    static func lockKey(_ subject: Data) -> Int32 {
        subject.prefix(4).reduce(Int32(0)) { ($0 << 8) | Int32($1) }
    }

    private func wait(for subject: Data, limit: Int) async throws -> Int? {
        try await wait(for: subject, limit: limit) { try await database.query($0) }
    }

    private func wait(for subject: Data, limit: Int, on connection: PostgresConnection) async throws -> Int? {
        try await wait(for: subject, limit: limit) { try await connection.rows($0, logger: database.logger) }
    }

    private func wait(for subject: Data, limit: Int, run: (PostgresQuery) async throws -> [PostgresRow]) async throws -> Int? {
        let rows = try await run(
            """
            SELECT count(*)::int, coalesce(extract(epoch FROM min(occurred_at) + make_interval(secs => \(windowSeconds)) - now()), 0)::float8
            FROM (SELECT occurred_at FROM login_failures
                  WHERE subject_hash = \(subject) AND occurred_at > now() - make_interval(secs => \(windowSeconds))
                  ORDER BY occurred_at DESC LIMIT \(limit)) recent
            """)
        let (count, secondsLeft) = try rows[0].decode((Int, Double).self)
        return count >= limit ? max(1, Int(secondsLeft.rounded(.up))) : nil
    }
}
