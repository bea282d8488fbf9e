import Logging
import PostgresNIO

/// The app's connection pool, as the services see it.
///
/// Every query has a deadline: while the server is down the pool keeps retrying its
/// connections, and a request must fail fast with `DatabaseUnavailable` (a 503), not hang.
public struct Database: Sendable {
    public static let defaultDeadline: Duration = .seconds(5)

    public let client: PostgresClient
    public let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Runs one statement and returns its rows.
    @discardableResult
    public func query(_ query: PostgresQuery, deadline: Duration = Database.defaultDeadline) async throws -> [PostgresRow] {
        try await withDeadline(deadline) { try await client.query(query, logger: logger).collect() }
    }

    /// Runs `work`, turning connection failures and a missed deadline into `DatabaseUnavailable`.
    func withDeadline<Result: Sendable>(_ deadline: Duration, _ work: @escaping @Sendable () async throws -> Result) async throws -> Result
    {
        try await withThrowingTaskGroup(of: Result?.self) { group in
            group.addTask {
                do {
                    return try await work()
                } catch let error as PSQLError where Self.meansUnavailable(error) {
                    throw DatabaseUnavailable()
                }
            }
            group.addTask {
                try await Task.sleep(for: deadline)
                return nil
            }
            defer { group.cancelAll() }
            guard let result = try await group.next() ?? nil else { throw DatabaseUnavailable() }
            return result
        }
    }

    /// Whether a trivial query answers within `deadline`.
    public func isReachable(deadline: Duration = .seconds(2)) async -> Bool {
        (try? await query("SELECT 1", deadline: deadline)) != nil
    }

    private static func meansUnavailable(_ error: PSQLError) -> Bool {
        [.connectionError, .serverClosedConnection, .clientClosedConnection, .poolClosed, .uncleanShutdown].contains(error.code)
    }
}

/// The database did not answer in time or cannot be reached; the request may be retried.
public struct DatabaseUnavailable: Error, CustomStringConvertible {
    public init() {}
    public var description: String { "the database is unavailable" }
}
