import Foundation
import GatewayCore
import Logging
import PostgresNIO

#if canImport(Glibc)
    import Glibc
#endif

/// Real PostgreSQL for tests: one throwaway embedded cluster per test process (or the
/// server of `OAG_TEST_DATABASE_URL`), a template database migrated once, and a fresh
/// clone of it for every test that asks.
public enum TestDatabase {
    public static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url.path }
        }
        fatalError("Package.swift not found above \(#filePath)")
    }()

    public static let logger: Logger = {
        var logger = Logger(label: "oag-tests")
        logger.logLevel = .warning
        return logger
    }()

    /// A fixed key ring for tests, so that no test writes a development key anywhere.
    public static let masterKeys: MasterKeyRing = {
        let key = Data(repeating: UInt8(ascii: "t"), count: 32).base64EncodedString()
        guard let ring = try? MasterKeyRing(parsing: "test:\(key)") else { fatalError("the test key ring does not parse") }
        return ring
    }()

    private static let templateName = "oag_template"
    private static let cluster = Task { try await Cluster.start() }

    /// Settings for a new database with every migration applied and nothing else in it.
    public static func fresh() async throws -> DatabaseSettings {
        let cluster = try await cluster.value
        let name = "test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try await cluster.createDatabase(name, template: templateName)
        return cluster.settings.with(database: name)
    }

    /// Settings for a new, empty database (no migrations), for tests of the migrator itself.
    public static func empty() async throws -> DatabaseSettings {
        let cluster = try await cluster.value
        let name = "empty_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try await cluster.createDatabase(name, template: nil)
        return cluster.settings.with(database: name)
    }

    struct Cluster: Sendable {
        var settings: DatabaseSettings
        var embedded: EmbeddedPostgres?

        static func start() async throws -> Cluster {
            let cluster: Cluster
            if let url = ProcessInfo.processInfo.environment["OAG_TEST_DATABASE_URL"], !url.isEmpty {
                let endpoint = try DatabaseURL(url).endpoint
                cluster = Cluster(settings: DatabaseSettings(owner: endpoint, app: endpoint), embedded: nil)
            } else {
                let directory = FileManager.default.temporaryDirectory.appendingPathComponent("oag-tests-\(getpid())").path
                let embedded = EmbeddedPostgres(dataDirectory: directory, durable: false, logger: logger)
                let settings = try await embedded.start()
                StopAtExit.register(embedded)
                cluster = Cluster(settings: settings, embedded: embedded)
            }
            try await cluster.createDatabase(templateName, template: nil)
            let migrator = try Migrator(directory: repositoryRoot + "/Migrations", logger: logger)
            let template = cluster.settings.with(database: templateName)
            _ = try await template.owner.withConnection(logger: logger) { connection in
                try await migrator.migrate(connection, appRole: template.appRole)
            }
            return cluster
        }

        func createDatabase(_ name: String, template: String?) async throws {
            if let embedded {
                try await embedded.createDatabaseIfMissing(name, template: template)
                return
            }
            let templateClause = template.map { " TEMPLATE \($0)" } ?? ""
            try await settings.owner.withConnection(logger: logger) { connection in
                try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)\(templateClause)"), logger: logger)
            }
        }
    }
}

/// Stops the test cluster when the test process exits, so no `postgres` outlives the run.
enum StopAtExit {
    nonisolated(unsafe) private static var clusterDirectory: String?

    static func register(_ embedded: EmbeddedPostgres) {
        clusterDirectory = embedded.dataDirectory
        atexit {
            guard let directory = StopAtExit.clusterDirectory,
                let pid = EmbeddedPostgres.runningServerPID(clusterDirectory: directory + "/pg")
            else { return }
            // SIGINT is PostgreSQL's "fast shutdown"; wait for it, then remove the throwaway cluster.
            kill(pid, SIGINT)
            for _ in 0..<100 where kill(pid, 0) == 0 { usleep(50_000) }
            try? FileManager.default.removeItem(atPath: directory)
        }
    }
}
