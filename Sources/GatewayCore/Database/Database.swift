import Logging
import PostgresNIO
import Synchronization

/// The app's connection pool, as the services see it.
///
/// Every query has a deadline: while the server is down the pool keeps retrying its
/// connections, and a request must fail fast with `DatabaseUnavailable` (a 503), not hang.
public struct Database: Sendable {
    public let client: PostgresClient
    public let logger: Logger
    /// How long one statement may take; a transaction gets twice as long.
    public let deadline: Duration

    public init(client: PostgresClient, logger: Logger, deadline: Duration = .seconds(5)) {
        self.client = client
        self.logger = logger
        self.deadline = deadline
    }

    /// Runs one statement and returns its rows.
    @discardableResult
    public func query(_ query: PostgresQuery, deadline: Duration? = nil) async throws -> [PostgresRow] {
        try await withDeadline(deadline ?? self.deadline) { try await client.query(query, logger: logger).collect() }
    }

    /// Runs `work`, turning connection failures and a missed deadline into `DatabaseUnavailable`.
    ///
    /// The caller gets its answer at the deadline even when `work` does not stop at once when it is
    /// cancelled (a query on a connection the restarting server left open): `work` is cancelled and
    /// left to end on its own, where a task group would wait for it.
    func withDeadline<Result: Sendable>(_ deadline: Duration, _ work: @escaping @Sendable () async throws -> Result) async throws -> Result
    {
        let outcome = Outcome<Result>()
        let worker = Task {
            do {
                outcome.finish(.success(try await work()))
            } catch let error as PSQLError where Self.meansUnavailable(error) {
                outcome.finish(.failure(DatabaseUnavailable()))
            } catch {
                outcome.finish(.failure(error))
            }
        }
        let timer = Task {
            try? await Task.sleep(for: deadline)
            outcome.finish(.failure(DatabaseUnavailable()))
        }
        defer {
            worker.cancel()
            timer.cancel()
        }
        return try await withTaskCancellationHandler {
            try await outcome.value()
        } onCancel: {
            outcome.finish(.failure(CancellationError()))
        }
    }

    /// Whether a trivial query answers within `deadline`.
    public func isReachable(deadline: Duration = .seconds(2)) async -> Bool {
        (try? await query("SELECT 1", deadline: deadline)) != nil
    }

    private static func meansUnavailable(_ error: PSQLError) -> Bool {
        if [.connectionError, .serverClosedConnection, .clientClosedConnection, .poolClosed, .uncleanShutdown].contains(error.code) {
            return true
        }
        // A server going down ends its sessions with an error of its own (57P01 admin shutdown,
        // 57P02 crash, 57P03 cannot connect now) or a connection exception (class 08).
        guard let state = error.serverInfo?[.sqlState] else { return false }
        return ["57P01", "57P02", "57P03"].contains(state) || state.hasPrefix("08")
    }
}

/// The first result given to `finish` wins; `value()` waits for it.
private final class Outcome<Value: Sendable>: Sendable {
    private let state = Mutex<(result: Result<Value, any Error>?, waiter: CheckedContinuation<Value, any Error>?)>((nil, nil))

    func finish(_ result: Result<Value, any Error>) {
        let waiter: CheckedContinuation<Value, any Error>? = state.withLock { state in
            guard state.result == nil else { return nil }
            state.result = result
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(with: result)
    }

    func value() async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            let ready: Result<Value, any Error>? = state.withLock { state in
                if state.result == nil { state.waiter = continuation }
                return state.result
            }
            if let ready { continuation.resume(with: ready) }
        }
    }
}

/// The database did not answer in time or cannot be reached; the request may be retried.
public struct DatabaseUnavailable: Error, CustomStringConvertible {
    public init() {}
    public var description: String { "the database is unavailable" }
}
