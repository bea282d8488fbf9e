import Foundation
import GatewayCore
import PostgresNIO
import TestSupport
import Testing

@Suite("Migrations")
struct MigratorTests {
    /// A folder of migration files that a test can change between runs.
    struct MigrationFolder {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("oag-migrations-\(UUID().uuidString)").path

        init(_ files: [String: String]) throws {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            for (name, sql) in files { try write(name, sql) }
        }

        func write(_ name: String, _ sql: String) throws {
            try sql.write(toFile: path + "/" + name, atomically: true, encoding: .utf8)
        }

        func migrator() throws -> Migrator { try Migrator(directory: path, logger: TestDatabase.logger) }
    }

    @discardableResult
    func migrate(_ folder: MigrationFolder, _ settings: DatabaseSettings) async throws -> [Migration] {
        let migrator = try folder.migrator()
        return try await settings.owner.withConnection(logger: TestDatabase.logger) { connection in
            try await migrator.migrate(connection, appRole: settings.appRole)
        }
    }

    func strings(_ sql: String, _ settings: DatabaseSettings) async throws -> [String] {
        try await settings.owner.withConnection(logger: TestDatabase.logger) { connection in
            var values: [String] = []
            for try await value in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: TestDatabase.logger).decode(
                String.self)
            {
                values.append(value)
            }
            return values
        }
    }

    @Test func appliesFilesInVersionOrderEvenWhenLaterOnesDependOnEarlierOnes() async throws {
        let folder = try MigrationFolder([
            "0002_add_note.sql": "ALTER TABLE gadgets ADD COLUMN note text; INSERT INTO gadgets (name, note) VALUES ('a', 'b;c');",
            "0001_gadgets.sql": "-- the first table\nCREATE TABLE gadgets (name text PRIMARY KEY);",
        ])
        let settings = try await TestDatabase.empty()
        let applied = try await migrate(folder, settings)
        #expect(applied.map(\.version) == [1, 2])
        #expect(
            try await strings("SELECT name || '/' || version FROM schema_migrations ORDER BY applied_at, version", settings) == [
                "gadgets/1", "add_note/2",
            ])
        #expect(try await strings("SELECT note FROM gadgets", settings) == ["b;c"])
    }

    @Test func runningAgainAppliesNothing() async throws {
        let folder = try MigrationFolder(["0001_gadgets.sql": "CREATE TABLE gadgets (name text);"])
        let settings = try await TestDatabase.empty()
        #expect(try await migrate(folder, settings).count == 1)
        #expect(try await migrate(folder, settings).isEmpty)
        #expect(try await strings("SELECT count(*)::text FROM schema_migrations", settings) == ["1"])
    }

    @Test func refusesToStartWhenAnAppliedFileChanged() async throws {
        let folder = try MigrationFolder(["0001_gadgets.sql": "CREATE TABLE gadgets (name text);"])
        let settings = try await TestDatabase.empty()
        try await migrate(folder, settings)
        try folder.write("0001_gadgets.sql", "CREATE TABLE gadgets (name text, size int);")
        try folder.write("0002_more.sql", "CREATE TABLE more (id int);")
        await #expect(throws: MigrationError.changedAfterApplying(version: 1, name: "gadgets")) {
            try await migrate(folder, settings)
        }
        #expect(
            try await strings("SELECT coalesce(to_regclass('more')::text, 'absent')", settings) == ["absent"],
            "nothing after the refusal was applied")
    }

    @Test func aFailingMigrationLeavesNoTrace() async throws {
        let folder = try MigrationFolder([
            "0001_ok.sql": "CREATE TABLE ok (id int);",
            "0002_broken.sql": "CREATE TABLE half (id int);\nINSERT INTO missing_table VALUES (1);",
        ])
        let settings = try await TestDatabase.empty()
        await #expect {
            try await migrate(folder, settings)
        } throws: { error in
            guard case MigrationError.failed(let version, _, let reason) = error else { return false }
            return version == 2 && reason.contains("missing_table")
        }
        #expect(try await strings("SELECT version::text FROM schema_migrations", settings) == ["1"])
        #expect(try await strings("SELECT coalesce(to_regclass('half')::text, 'absent')", settings) == ["absent"])
    }

    @Test func twoNodesStartingAtOnceApplyEachMigrationOnce() async throws {
        let folder = try MigrationFolder([
            "0001_slow.sql": "SELECT pg_sleep(0.3); CREATE TABLE counter (n int); INSERT INTO counter VALUES (1);",
            "0002_next.sql": "UPDATE counter SET n = n + 1;",
        ])
        let settings = try await TestDatabase.empty()
        async let first = migrate(folder, settings)
        async let second = migrate(folder, settings)
        let (a, b) = try await (first, second)
        #expect(a.count + b.count == 2)
        #expect(Set(a.map(\.version) + b.map(\.version)) == [1, 2])
        #expect(try await strings("SELECT n::text FROM counter", settings) == ["2"])
    }

    @Test func refusesADatabaseFromANewerBuild() async throws {
        let folder = try MigrationFolder(["0001_a.sql": "CREATE TABLE a (id int);", "0002_b.sql": "CREATE TABLE b (id int);"])
        let settings = try await TestDatabase.empty()
        try await migrate(folder, settings)
        try FileManager.default.removeItem(atPath: folder.path + "/0002_b.sql")
        await #expect(throws: MigrationError.unknownAppliedVersion(2)) { try await migrate(folder, settings) }
    }

    @Test(arguments: ["1_short.sql", "0001.sql", "abcd_name.sql", "00001_five.sql"])
    func rejectsBadFileNames(_ name: String) throws {
        let folder = try MigrationFolder([name: "SELECT 1;"])
        #expect(throws: MigrationError.badFileName(name)) { try folder.migrator() }
    }

    @Test func rejectsTwoFilesWithOneVersion() throws {
        let folder = try MigrationFolder(["0001_a.sql": "SELECT 1;", "0001_b.sql": "SELECT 2;"])
        #expect(throws: MigrationError.duplicateVersion(1)) { try folder.migrator() }
    }

    @Test func theAppRoleMayReadAndWriteDataButNotTheMigrationLedger() async throws {
        let settings = try await TestDatabase.fresh()
        guard settings.appRole != nil else { return }  // an external test server uses one role for both
        try await settings.app.withConnection(logger: TestDatabase.logger) { connection in
            let rows = try await connection.query("SELECT count(*)::int FROM policy_versions", logger: TestDatabase.logger)
            for try await count in rows.decode(Int.self) { #expect(count == 0) }
            await #expect(throws: PSQLError.self) {
                try await connection.query("SELECT count(*) FROM schema_migrations", logger: TestDatabase.logger)
            }
            await #expect(throws: PSQLError.self) {
                try await connection.query("DROP TABLE policy_versions", logger: TestDatabase.logger)
            }
        }
    }
}
