import Foundation
import Logging
import PostgresNIO

/// The scheduled clean-up: expired sessions, sign-in failures, OAuth states, rate-limit windows,
/// raw usage past retention, expired invitations and email-change links, and its own old runs.
///
/// Every node schedules it, but a transaction-scoped advisory lock lets one node at a time run a
/// pass; a node that does not get the lock skips that pass and records nothing. The lock goes with
/// the transaction however the pass ends, so a failed or killed node cannot leave it held.
public struct MaintenanceJob: Sendable {
    struct Purge: Sendable {
        let kind: MaintenanceKind
        let run: @Sendable () async throws -> Int
    }

    /// How often each node asks for a pass.
    public static let interval: Duration = .seconds(600)
    static let lockKey: Int64 = 0x6F61_675F_6D61_6E74  // "oag_mant"
    /// Runs are kept this long, then purged by the job itself.
    public static let runRetention: TimeInterval = 90 * 24 * 3600
    /// A pass that takes longer is abandoned (and its lock released) so the next one can start.
    static let passDeadline: Duration = .seconds(300)

    let database: Database
    let node: String
    let purges: [Purge]

    public init(
        database: Database, sessions: SessionStore, throttle: LoginThrottle, memberships: MembershipService, profiles: ProfileService,
        usageRetentionMonths: Int, node: String = ProcessInfo.processInfo.hostName
    ) {
        self.database = database
        self.node = node
        let oauthStates = OAuthStateStore(database: database)
        let rateLimits = RateLimiter(database: database)
        let usage = UsageRetention(database: database, months: usageRetentionMonths)
        self.purges = [
            Purge(kind: .sessions, run: sessions.purgeExpired),
            Purge(kind: .loginFailures, run: throttle.purgeExpired),
            Purge(kind: .oauthStates, run: oauthStates.purgeExpired),
            Purge(kind: .rateLimitWindows, run: rateLimits.purgeExpired),
            Purge(kind: .usagePartitions, run: { try await usage.apply() }),
            Purge(kind: .invitations, run: memberships.purgeExpiredInvitations),
            Purge(kind: .emailChanges, run: profiles.purgeExpiredEmailChanges),
            Purge(kind: .maintenanceRuns, run: { [database] in try await Self.purgeOldRuns(database) }),
        ]
    }

    /// Runs one pass and returns its record, or nil when another node is running one.
    /// A kind that fails to purge is noted in the record and does not stop the others.
    public func runPass() async throws -> MaintenanceRun? {
        try await database.withDeadline(Self.passDeadline) {
            try await database.client.withTransaction(logger: database.logger) { connection in
                let locked = try await connection.rows("SELECT pg_try_advisory_xact_lock(\(Self.lockKey))", logger: database.logger)
                guard try locked.first?.decode(Bool.self) == true else { return nil }
                return try await pass()
            }
        }
    }

    private func pass() async throws -> MaintenanceRun {
        let id = UUID()
        let startedAt = try await database.query("INSERT INTO maintenance_runs (id, node) VALUES (\(id), \(node)) RETURNING started_at")[0]
            .decode(Date.self)
        var purged: [MaintenanceKind: Int] = [:]
        var failures: [String] = []
        for purge in purges {
            do {
                purged[purge.kind] = try await purge.run()
            } catch {
                failures.append("\(purge.kind.rawValue): \(Self.describe(error))")
            }
        }
        let error = failures.isEmpty ? nil : failures.joined(separator: "; ")
        let finishedAt = try await database.query(
            """
            UPDATE maintenance_runs SET finished_at = now(), purged = \(Self.json(purged))::jsonb, error = \(error)
            WHERE id = \(id) RETURNING finished_at
            """
        )[0].decode(Date.self)
        return MaintenanceRun(id: id, node: node, startedAt: startedAt, finishedAt: finishedAt, purged: purged, error: error)
    }

    /// The newest runs first, for the operator console.
    public func recentRuns(for user: User, limit: Int = 50) async throws -> [MaintenanceRun] {
        guard user.isOperator else { throw AccessDenied("Only platform operators may do this.") }
        return try await database.query(
            """
            SELECT id, node, started_at, finished_at, purged::text, error FROM maintenance_runs
            ORDER BY started_at DESC, id DESC LIMIT \(limit)
            """
        ).map { row in
            let (id, node, startedAt, finishedAt, purged, error) = try row.decode((UUID, String, Date, Date?, String, String?).self)
            return MaintenanceRun(
                id: id, node: node, startedAt: startedAt, finishedAt: finishedAt, purged: Self.counts(fromJSON: purged), error: error)
        }
    }

    static func purgeOldRuns(_ database: Database) async throws -> Int {
        try await database.query(
            "DELETE FROM maintenance_runs WHERE started_at < now() - make_interval(secs => \(runRetention)) RETURNING 1"
        ).count
    }

    static func json(_ counts: [MaintenanceKind: Int]) -> String {
        let byName = Dictionary(uniqueKeysWithValues: counts.map { ($0.key.rawValue, $0.value) })
        let data = (try? JSONSerialization.data(withJSONObject: byName, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    static func counts(fromJSON text: String) -> [MaintenanceKind: Int] {
        let byName = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Int] ?? [:]
        return Dictionary(uniqueKeysWithValues: byName.compactMap { name, count in MaintenanceKind(rawValue: name).map { ($0, count) } })
    }

    /// Server messages say what went wrong; postgres-nio's own description deliberately does not.
    private static func describe(_ error: any Error) -> String {
        (error as? PSQLError)?.serverInfo?[.message] ?? String(describing: error)
    }
}
