import Crypto
import Foundation
import Logging
import PostgresNIO

/// One `Migrations/NNNN_name.sql` file.
public struct Migration: Sendable, Equatable {
    public var version: Int
    public var name: String
    public var sql: String
    /// SHA-256 of the file, hex; an applied migration whose file changed is refused.
    public var checksum: String
}

public enum MigrationError: Error, CustomStringConvertible, Equatable {
    case badFileName(String)
    case duplicateVersion(Int)
    case changedAfterApplying(version: Int, name: String)
    case unknownAppliedVersion(Int)
    case failed(version: Int, name: String, reason: String)

    public var description: String {
        switch self {
        case .badFileName(let file):
            return "migration file \(file) is not named NNNN_name.sql"
        case .duplicateVersion(let version):
            return "two migration files share version \(version)"
        case .changedAfterApplying(let version, let name):
            return
                "migration \(version) (\(name)) was changed after it was applied; add a new migration instead"
        case .unknownAppliedVersion(let version):
            return
                "the database has migration \(version), which this build does not know; run a newer oag"
        case .failed(let version, let name, let reason):
            return "migration \(version) (\(name)) failed: \(reason)"
        }
    }
}

/// Applies numbered SQL files in order, each in its own transaction.
///
/// A session-level advisory lock serialises app nodes that start at the same time;
/// the one that waits finds the work done and applies nothing.
public struct Migrator: Sendable {
    static let advisoryLockKey: Int64 = 0x6F61_675F_6D69_6772  // "oag_migr"

    public let migrations: [Migration]
    let logger: Logger

    public init(directory: String, logger: Logger) throws {
        self.migrations = try Self.load(from: directory)
        self.logger = logger
    }

    static func load(from directory: String) throws -> [Migration] {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter {
            $0.hasSuffix(".sql")
        }
        var migrations: [Migration] = []
        for file in files {
            let stem = file.dropLast(4)
            guard let underscore = stem.firstIndex(of: "_"), let version = Int(stem[..<underscore]),
                stem[..<underscore].count == 4, stem.index(after: underscore) < stem.endIndex
            else { throw MigrationError.badFileName(file) }
            let data = try Data(contentsOf: URL(fileURLWithPath: directory).appendingPathComponent(file))
            migrations.append(
                Migration(
                    version: version,
                    name: String(stem[stem.index(after: underscore)...]),
                    sql: String(decoding: data, as: UTF8.self),
                    checksum: SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
                ))
        }
        migrations.sort { $0.version < $1.version }
        for (previous, next) in zip(migrations, migrations.dropFirst())
        where previous.version == next.version {
            throw MigrationError.duplicateVersion(next.version)
        }
        return migrations
    }

    /// Brings the database up to date and returns the migrations it applied.
    ///
    /// - Parameter appRole: a role that serves requests without owning the tables; it is
    ///   granted data access (never DDL) to every table after migrating.
    @discardableResult
    public func migrate(_ connection: PostgresConnection, appRole: String?) async throws
        -> [Migration]
    {
        try await connection.query("SELECT pg_advisory_lock(\(Self.advisoryLockKey))", logger: logger)
        do {
            let applied = try await applyPending(on: connection)
            if let appRole { try await grant(to: appRole, on: connection) }
            try await connection.query(
                "SELECT pg_advisory_unlock(\(Self.advisoryLockKey))", logger: logger)
            return applied
        } catch {
            _ = try? await connection.query(
                "SELECT pg_advisory_unlock(\(Self.advisoryLockKey))", logger: logger)
            throw error
        }
    }

    private func applyPending(on connection: PostgresConnection) async throws -> [Migration] {
        try await connection.query(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version integer PRIMARY KEY,
                name text NOT NULL,
                checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """, logger: logger)
        var appliedChecksums: [Int: String] = [:]
        for try await (version, checksum) in try await connection.query(
            "SELECT version, checksum FROM schema_migrations", logger: logger
        ).decode((Int, String).self) {
            appliedChecksums[version] = checksum
        }
        let known = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0) })
        for (version, checksum) in appliedChecksums.sorted(by: { $0.key < $1.key }) {
            guard let migration = known[version] else {
                throw MigrationError.unknownAppliedVersion(version)
            }
            guard migration.checksum == checksum else {
                throw MigrationError.changedAfterApplying(version: version, name: migration.name)
            }
        }
        var applied: [Migration] = []
        for migration in migrations where appliedChecksums[migration.version] == nil {
            try await apply(migration, on: connection)
            applied.append(migration)
        }
        return applied
    }

    private func apply(_ migration: Migration, on connection: PostgresConnection) async throws {
        logger.info(
            "Applying migration",
            metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
        do {
            try await connection.query("BEGIN", logger: logger)
            for statement in SQLScript.statements(migration.sql) {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
            try await connection.query(
                "INSERT INTO schema_migrations (version, name, checksum) VALUES (\(migration.version), \(migration.name), \(migration.checksum))",
                logger: logger)
            try await connection.query("COMMIT", logger: logger)
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            let reason = (error as? PSQLError)?.serverInfo?[.message] ?? String(describing: error)
            throw MigrationError.failed(version: migration.version, name: migration.name, reason: reason)
        }
    }

    private func grant(to role: String, on connection: PostgresConnection) async throws {
        guard role.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
            throw MigrationError.failed(
                version: 0, name: "grants", reason: "role name \(role) is not a plain identifier")
        }
        for statement in [
            "GRANT USAGE ON SCHEMA public TO \(role)",
            "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO \(role)",
            "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO \(role)",
            "GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO \(role)",
            "REVOKE ALL ON schema_migrations FROM \(role)",
        ] {
            try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
        }
    }
}
