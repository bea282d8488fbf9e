import Crypto
import Foundation

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

    private func wait(for subject: Data, limit: Int) async throws -> Int? {
        let rows = try await database.query(
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
