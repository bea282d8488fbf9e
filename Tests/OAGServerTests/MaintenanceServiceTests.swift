import Foundation
import GatewayCore
import PostgresNIO
import ServiceLifecycle
import TestSupport
import Testing

@testable import OAGServer

@Suite("Maintenance schedule")
struct MaintenanceServiceTests {
    @Test func shutdownDoesNotWaitForAPassStuckOnTheDatabase() async throws {
        let settings = try await TestDatabase.fresh()
        let logger = TestDatabase.logger
        let client = PostgresClient(configuration: settings.app.clientConfiguration, backgroundLogger: logger)
        let database = Database(client: client, logger: logger, deadline: .seconds(30))
        let vault = Vault(ring: TestDatabase.masterKeys, logger: logger)
        let throttle = LoginThrottle(database: database)
        let job = MaintenanceJob(
            database: database, sessions: SessionStore(database: database, lifetime: SessionLifetime()), throttle: throttle,
            memberships: MembershipService(database: database, vault: vault, baseURL: "http://localhost"),
            profiles: ProfileService(database: database, throttle: throttle, vault: vault, baseURL: "http://localhost"),
            usageRetentionMonths: 13)

        try await settings.owner.withConnection(logger: logger) { locker in
            // The pass's first purge waits behind this lock until its statement deadline.
            try await locker.query("BEGIN", logger: logger)
            try await locker.query("LOCK TABLE sessions IN ACCESS EXCLUSIVE MODE", logger: logger)
            let group = ServiceGroup(
                configuration: .init(services: [client, MaintenanceService(job: job, logger: logger)], logger: logger))
            let running = Task { try await group.run() }

            try await settings.owner.withConnection(logger: logger) { watcher in
                var waiting = 0
                for _ in 0..<100 where waiting == 0 {
                    try await Task.sleep(for: .milliseconds(100))
                    waiting = try await watcher.query("SELECT count(*)::int FROM pg_locks WHERE NOT granted", logger: logger)
                        .collect()[0].decode(Int.self)
                }
                #expect(waiting > 0, "the pass is waiting on the locked table")
            }

            let asked = ContinuousClock.now
            await group.triggerGracefulShutdown()
            try await running.value
            #expect(ContinuousClock.now - asked < .seconds(10), "shutdown ends the pass instead of waiting out its 30 s statement")
            try await locker.query("ROLLBACK", logger: logger)
        }
    }
}
