import Foundation
import PostgresNIO
import TestSupport
import Testing

@testable import GatewayCore

/// The scheduled clean-up removes what has expired, keeps what is live, records its runs,
/// and runs on one node at a time.
@Suite("Maintenance job")
struct MaintenanceJobTests {
    func job(_ database: Database) -> MaintenanceJob {
        let vault = Vault(ring: TestDatabase.masterKeys, logger: TestDatabase.logger)
        let throttle = LoginThrottle(database: database)
        return MaintenanceJob(
            database: database, sessions: SessionStore(database: database, lifetime: SessionLifetime()), throttle: throttle,
            memberships: MembershipService(database: database, vault: vault, baseURL: "http://localhost"),
            profiles: ProfileService(database: database, throttle: throttle, vault: vault, baseURL: "http://localhost"),
            usageRetentionMonths: 13, node: "node-a")
    }

    func asOwner(_ settings: DatabaseSettings, _ queries: [PostgresQuery]) async throws {
        try await settings.owner.withConnection(logger: TestDatabase.logger) { connection in
            for query in queries { try await connection.query(query, logger: TestDatabase.logger) }
        }
    }

    func count(_ settings: DatabaseSettings, _ table: String, where condition: String = "true") async throws -> Int {
        try await settings.owner.withConnection(logger: TestDatabase.logger) { connection in
            try await connection.query(
                PostgresQuery(unsafeSQL: "SELECT count(*)::int FROM \(table) WHERE \(condition)"), logger: TestDatabase.logger
            ).collect()[0].decode(Int.self)
        }
    }

    /// Two rows of each kind: one past its time (tagged "old"), one still live.
    func seedOldAndFresh(_ settings: DatabaseSettings, company: UUID, user: UUID, other: UUID) async throws {
        try await asOwner(
            settings,
            [
                "INSERT INTO users (id, email, name, password_hash) VALUES (\(user), 'u@m.test', 'U', 'x'), (\(other), 'o@m.test', 'O', 'x')",
                "INSERT INTO companies (id, name) VALUES (\(company), 'C')",
                """
                INSERT INTO sessions (token_hash, user_id, csrf_token, last_seen_at)
                VALUES ('\\x01', \(user), 'old', now() - interval '2 hours'), ('\\x02', \(user), 'fresh', now())
                """,
                "INSERT INTO login_failures (subject_hash, occurred_at) VALUES ('\\x01', now() - interval '1 hour'), ('\\x02', now())",
                """
                INSERT INTO oauth_states (state_hash, binding_hash, purpose, provider, expires_at)
                VALUES ('\\x01', '\\x01', 'sign_in', 'github', now() - interval '1 second'), ('\\x02', '\\x02', 'sign_in', 'github', now() + interval '10 minutes')
                """,
                """
                INSERT INTO rate_limit_windows (company_id, api_key_id, window_start, requests)
                VALUES (\(company), \(UUID()), now() - interval '10 minutes', 1), (\(company), \(UUID()), now(), 1)
                """,
                """
                INSERT INTO invitations (company_id, id, email, role, token_hash, expires_at, accepted_at) VALUES
                    (\(company), \(UUID()), 'old@m.test', 'member', '\\x01', now() - interval '31 days', NULL),
                    (\(company), \(UUID()), 'lately-expired@m.test', 'member', '\\x02', now() - interval '1 day', NULL),
                    (\(company), \(UUID()), 'accepted@m.test', 'member', '\\x03', now() - interval '60 days', now() - interval '61 days'),
                    (\(company), \(UUID()), 'pending@m.test', 'member', '\\x04', now() + interval '7 days', NULL)
                """,
                """
                INSERT INTO email_changes (user_id, new_email, token_hash, expires_at)
                VALUES (\(user), 'old@m.test', '\\x01', now() - interval '1 second'), (\(other), 'fresh@m.test', '\\x02', now() + interval '1 day')
                """,
                """
                INSERT INTO maintenance_runs (id, node, started_at, finished_at)
                VALUES (\(UUID()), 'old', now() - interval '91 days', now() - interval '91 days'), (\(UUID()), 'recent', now() - interval '1 day', now() - interval '1 day')
                """,
            ])
    }

    @Test func aPassPurgesEveryKindKeepsLiveRowsAndRecordsWhatItDid() async throws {
        try await TestDatabase.withDatabase { database, settings in
            let (company, user, other) = (UUID(), UUID(), UUID())
            try await seedOldAndFresh(settings, company: company, user: user, other: other)
            func event(_ date: Date) -> UsageEvent {
                UsageEvent(
                    companyID: company, occurredAt: date, userID: nil, apiKeyID: nil, threadID: nil, provider: .openai, model: "gpt-4o",
                    promptTokens: 1, completionTokens: 1, costMicros: 1, latencyMilliseconds: 1, status: 200)
            }
            try await UsageRecorder(database: database).write([event(Date().addingTimeInterval(-3 * 365 * 86400)), event(Date())])

            let run = try #require(try await job(database).runPass())

            #expect(
                run.purged == [
                    .sessions: 1, .loginFailures: 1, .oauthStates: 1, .rateLimitWindows: 1, .usagePartitions: 1, .invitations: 1,
                    .emailChanges: 1, .maintenanceRuns: 1,
                ])
            #expect(run.error == nil)
            #expect(try await count(settings, "sessions", where: "csrf_token = 'fresh'") == 1)
            #expect(try await count(settings, "sessions") == 1)
            #expect(try await count(settings, "login_failures") == 1)
            #expect(try await count(settings, "oauth_states", where: "expires_at > now()") == 1)
            #expect(try await count(settings, "oauth_states") == 1)
            #expect(try await count(settings, "rate_limit_windows") == 1)
            #expect(try await count(settings, "usage_events") == 1, "the event of this month stays")
            #expect(try await count(settings, "invitations") == 3)
            #expect(try await count(settings, "invitations", where: "email = 'old@m.test'") == 0)
            #expect(try await count(settings, "email_changes") == 1)
            #expect(try await count(settings, "email_changes", where: "new_email = 'fresh@m.test'") == 1)
            #expect(try await count(settings, "maintenance_runs", where: "node = 'old'") == 0)
            #expect(try await count(settings, "maintenance_runs", where: "node = 'recent'") == 1)
            #expect(
                try await count(
                    settings, "maintenance_runs",
                    where: "node = 'node-a' AND finished_at IS NOT NULL AND error IS NULL AND (purged->>'sessions')::int = 1") == 1)

            let operatorID = UUID()
            try await asOwner(
                settings,
                ["INSERT INTO users (id, email, name, password_hash, is_operator) VALUES (\(operatorID), 'op@m.test', 'Op', 'x', true)"])
            let runs = try await job(database).recentRuns(
                for: User(id: operatorID, email: EmailAddress(trusted: "op@m.test"), name: "Op", isOperator: true, createdAt: Date()))
            #expect(runs.map(\.node) == ["node-a", "recent"], "newest first")
            #expect(runs.first == run)
            await #expect(throws: AccessDenied.self) {
                try await job(database).recentRuns(
                    for: User(id: user, email: EmailAddress(trusted: "u@m.test"), name: "U", isOperator: false, createdAt: Date()))
            }
        }
    }

    @Test func aPassWhileAnotherNodeRunsOneIsSkippedAndRecordsNothing() async throws {
        try await TestDatabase.withDatabase { database, settings in
            try await seedOldAndFresh(settings, company: UUID(), user: UUID(), other: UUID())
            let runsBefore = try await count(settings, "maintenance_runs")
            // Another node in the middle of its pass: it holds the lock in its open transaction.
            try await settings.owner.withConnection(logger: TestDatabase.logger) { otherNode in
                try await otherNode.query("BEGIN", logger: TestDatabase.logger)
                try await otherNode.query("SELECT pg_advisory_xact_lock(\(MaintenanceJob.lockKey))", logger: TestDatabase.logger)
                let skipped = try await job(database).runPass()
                #expect(skipped == nil)
                try await otherNode.query("COMMIT", logger: TestDatabase.logger)
            }
            #expect(try await count(settings, "maintenance_runs") == runsBefore, "a skipped pass leaves no record")
            #expect(try await count(settings, "sessions") == 2, "and removes nothing")

            let ran = try await job(database).runPass()
            #expect(ran?.purged[.sessions] == 1, "once the lock is free, the next pass runs")
        }
    }
}
