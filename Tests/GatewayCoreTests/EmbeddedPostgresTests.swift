import Foundation
import GatewayCore
import PostgresNIO
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Each test runs its own cluster in its own folder, as `oag serve` would.
@Suite("Embedded PostgreSQL", .serialized)
struct EmbeddedPostgresTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("oag-embedded-\(UUID().uuidString.prefix(8))").path

    func makeServer() -> EmbeddedPostgres {
        EmbeddedPostgres(dataDirectory: directory, durable: false, logger: TestDatabase.logger)
    }

    func answer(_ settings: DatabaseSettings, _ sql: String) async throws -> String {
        try await settings.app.withConnection(logger: TestDatabase.logger) { connection in
            let rows = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: TestDatabase.logger)
            for try await value in rows.decode(String.self) { return value }
            return ""
        }
    }

    func isAlive(_ pid: pid_t) -> Bool { kill(pid, 0) == 0 }

    func waitUntilGone(_ pid: pid_t) async throws {
        for _ in 0..<100 where isAlive(pid) { try await Task.sleep(for: .milliseconds(50)) }
    }

    @Test func startsOnAPrivateSocketAndStopsLeavingNoServer() async throws {
        let server = makeServer()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let settings = try await server.start()
        let pid = try #require(server.runningServerPID())

        #expect(try await answer(settings, "SELECT current_user") == "oag_app")
        #expect(try await answer(settings, "SELECT current_database()") == "oag")
        #expect(try await answer(settings, "SHOW listen_addresses") == "", "no TCP port is opened")
        #expect(FileManager.default.fileExists(atPath: directory + "/run/.s.PGSQL.5432"))
        #expect(
            try await answer(settings, "SELECT rolsuper::text || rolbypassrls::text FROM pg_roles WHERE rolname = current_user")
                == "falsefalse")

        try await server.stop()
        try await waitUntilGone(pid)
        #expect(!isAlive(pid))
        #expect(server.runningServerPID() == nil)
    }

    @Test func keepsDataAcrossRestarts() async throws {
        let server = makeServer()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let settings = try await server.start()
        try await settings.owner.withConnection(logger: TestDatabase.logger) { connection in
            try await connection.query("CREATE TABLE kept (note text)", logger: TestDatabase.logger)
            try await connection.query("INSERT INTO kept VALUES ('still here')", logger: TestDatabase.logger)
        }
        try await server.stop()
        let again = try await server.start()
        let note = try await again.owner.withConnection(logger: TestDatabase.logger) { connection in
            for try await note in try await connection.query("SELECT note FROM kept", logger: TestDatabase.logger).decode(String.self) {
                return note
            }
            return ""
        }
        #expect(note == "still here")
        try await server.stop()
    }

    @Test func startsAgainAfterTheServerWasKilled() async throws {
        let server = makeServer()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = try await server.start()
        let pid = try #require(server.runningServerPID())
        kill(pid, SIGKILL)
        try await waitUntilGone(pid)
        #expect(FileManager.default.fileExists(atPath: directory + "/pg/postmaster.pid"), "the crash leaves a stale lock file")

        let settings = try await server.start()
        #expect(try await answer(settings, "SELECT 'up'") == "up")
        #expect(server.runningServerPID() != pid)
        try await server.stop()
    }

    @Test func aSecondUserOfTheDataDirectorySharesTheServerAndLeavesItRunning() async throws {
        let owner = makeServer()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = try await owner.start()
        let pid = try #require(owner.runningServerPID())

        // `oag admin create` next to a running `oag serve`.
        let guest = makeServer()
        let settings = try await guest.start()
        #expect(guest.runningServerPID() == pid, "the same server, not a restarted one")
        #expect(try await answer(settings, "SELECT 'shared'") == "shared")
        try await guest.stop()
        #expect(isAlive(pid), "only the process that started the server stops it")
        #expect(try await answer(settings, "SELECT 'still up'") == "still up")

        try await owner.stop()
        try await waitUntilGone(pid)
        #expect(!isAlive(pid))
    }

    @Test func aStaleLockFileWithAnUnrelatedPidIsIgnored() async throws {
        let server = makeServer()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = try await server.start()
        try await server.stop()
        // Our own pid is alive but is not a postgres of this cluster: must not be mistaken for one.
        try "\(getpid())\n\(directory)/pg\n".write(toFile: directory + "/pg/postmaster.pid", atomically: true, encoding: .utf8)
        #expect(server.runningServerPID() == nil)
        let settings = try await server.start()
        #expect(try await answer(settings, "SELECT 'up'") == "up")
        try await server.stop()
    }
}
