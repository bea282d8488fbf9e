import Foundation
import Logging
import PostgresNIO
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Runs the machine's own PostgreSQL as a child server for development, demos and tests.
///
/// The cluster lives in `<data>/pg`, listens only on a Unix socket in `<data>/run`
/// (no TCP port), and is stopped by `stop()`. When `oag` runs as root the server runs
/// as the unprivileged `postgres` user, because PostgreSQL refuses to run as root.
public final class EmbeddedPostgres: Sendable {
    public static let ownerRole = "oag_owner"
    public static let appRole = "oag_app"
    static let port = 5432

    public let dataDirectory: String
    /// The lock on `<data>/oag.lock` while this process runs the server; nil when another `oag` does.
    private let ownership = Mutex<Int32?>(nil)
    public let databaseName: String
    /// Tests trade crash safety for speed; a real data directory keeps fsync on.
    public let durable: Bool
    let logger: Logger

    var clusterDirectory: String { dataDirectory + "/pg" }
    var socketDirectory: String { dataDirectory + "/run" }
    var socketPath: String { socketDirectory + "/.s.PGSQL.\(Self.port)" }
    var serverLogPath: String { clusterDirectory + "/server.log" }

    public init(dataDirectory: String, databaseName: String = "oag", durable: Bool = true, logger: Logger) {
        self.dataDirectory = URL(fileURLWithPath: dataDirectory).standardizedFileURL.path
        self.databaseName = databaseName
        self.durable = durable
        self.logger = logger
    }

    /// Starts the server (initialising the cluster on first use) and returns how to connect.
    ///
    /// When another `oag` of this data directory runs it (`oag admin create` next to `oag serve`),
    /// this one uses that server and leaves starting and stopping to its owner.
    public func start() async throws -> DatabaseSettings {
        let binaries = try PostgresBinaries.locate()
        let account = try ServerAccount.current()
        guard socketPath.utf8.count < 108 else {
            throw EmbeddedPostgresError("the data directory path is too long for a Unix socket; use a shorter OAG_DATA_DIR")
        }
        try await prepareDirectories(for: account)
        guard try takeOwnership() else {
            try await waitForServerOfAnotherProcess()
            logger.info("Using the embedded PostgreSQL of the oag process already running in this data directory")
            return settings(database: databaseName)
        }
        if !FileManager.default.fileExists(atPath: clusterDirectory + "/PG_VERSION") {
            logger.info("Initialising embedded PostgreSQL", metadata: ["directory": "\(clusterDirectory)"])
            try await CommandRunner.check(
                account.command(
                    [
                        binaries.initdb, "-D", clusterDirectory, "-U", Self.ownerRole, "--auth=trust",
                        "--encoding=UTF8", "--no-locale", "--no-instructions",
                    ] + (durable ? [] : ["--no-sync"])))
        }
        try await clearLeftoversOfEarlierRun(binaries: binaries, account: account)
        try await startServer(binaries: binaries, account: account)
        try await createRolesAndDatabase()
        logger.info("Embedded PostgreSQL is ready", metadata: ["socket": "\(socketDirectory)"])
        return settings(database: databaseName)
    }

    /// Stops the server if this process runs it; waits until it has exited.
    public func stop() async throws {
        guard let lock = ownership.withLock({ $0 }) else { return }
        defer {
            ownership.withLock { $0 = nil }
            close(lock)
        }
        guard runningServerPID() != nil else { return }
        let binaries = try PostgresBinaries.locate()
        try await CommandRunner.check(
            try ServerAccount.current().command([
                binaries.pgCtl, "stop", "-D", clusterDirectory, "-m", "fast", "-w", "-t", "60", "-s",
            ]))
        logger.info("Embedded PostgreSQL stopped")
    }

    /// Starts the server again if this process runs it and it is not running (it crashed, was
    /// killed, or someone stopped it); true when it did.
    public func startAgainIfDown() async throws -> Bool {
        guard ownership.withLock({ $0 }) != nil, runningServerPID() == nil else { return false }
        let binaries = try PostgresBinaries.locate()
        let account = try ServerAccount.current()
        try await clearLeftoversOfEarlierRun(binaries: binaries, account: account)
        try await startServer(binaries: binaries, account: account)
        return true
    }

    /// An exclusive lock on `<data>/oag.lock`, held until `stop()`; the kernel releases it when a
    /// process dies, so a killed `oag` never blocks the next one. False when another process holds it.
    private func takeOwnership() throws -> Bool {
        if ownership.withLock({ $0 }) != nil { return true }
        let descriptor = open(dataDirectory + "/oag.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw EmbeddedPostgresError("cannot open \(dataDirectory)/oag.lock: \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            return false
        }
        ownership.withLock { $0 = descriptor }
        return true
    }

    /// The other process may still be starting its server.
    private func waitForServerOfAnotherProcess() async throws {
        for _ in 0..<600 {
            if runningServerPID() != nil, FileManager.default.fileExists(atPath: socketPath) { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw EmbeddedPostgresError("another oag process holds \(dataDirectory) but its database did not come up")
    }

    /// Process id of this cluster's running postmaster, if one runs.
    public func runningServerPID() -> pid_t? {
        Self.runningServerPID(clusterDirectory: clusterDirectory)
    }

    /// Reads `postmaster.pid` and checks the process is still that cluster's server.
    public static func runningServerPID(clusterDirectory: String) -> pid_t? {
        guard let contents = try? String(contentsOfFile: clusterDirectory + "/postmaster.pid", encoding: .utf8),
            let firstLine = contents.split(separator: "\n").first, let pid = pid_t(firstLine)
        else { return nil }
        // The pid may have been reused by an unrelated process since a crash: check it is ours.
        guard let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return nil }
        let arguments = String(decoding: cmdline, as: UTF8.self).split(separator: "\0").map(String.init)
        guard arguments.first.map({ $0.hasSuffix("postgres") }) == true, arguments.contains(clusterDirectory) else { return nil }
        return pid
    }

    /// Connection settings for a database of this cluster (tests clone their own).
    public func settings(database: String) -> DatabaseSettings {
        let owner = DatabaseEndpoint(location: .socket(path: socketPath), username: Self.ownerRole, password: nil, database: database)
        return DatabaseSettings(
            owner: owner,
            app: DatabaseEndpoint(location: .socket(path: socketPath), username: Self.appRole, password: nil, database: database))
    }

    private func prepareDirectories(for account: ServerAccount) async throws {
        let fileManager = FileManager.default
        // The server account must be able to pass through the data directory to reach its own folders.
        try fileManager.createDirectory(
            atPath: dataDirectory, withIntermediateDirectories: true,
            attributes: [.posixPermissions: account.isDifferentUser ? 0o711 : 0o700])
        for directory in [clusterDirectory, socketDirectory] {
            if !fileManager.fileExists(atPath: directory) {
                try fileManager.createDirectory(
                    atPath: directory, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
            }
            try account.takeOwnership(of: directory)
        }
        guard await account.canWrite(clusterDirectory) else {
            throw EmbeddedPostgresError(
                "the \(account.name) user cannot reach \(clusterDirectory); make its parent folders searchable or set OAG_DATA_DIR elsewhere"
            )
        }
    }

    /// A killed `oag` may leave its server running, a crashed server a stale lock file.
    private func clearLeftoversOfEarlierRun(binaries: PostgresBinaries, account: ServerAccount) async throws {
        if runningServerPID() != nil {
            logger.warning("Embedded PostgreSQL from an earlier run is still up; restarting it")
            try await CommandRunner.check(
                account.command([
                    binaries.pgCtl, "stop", "-D", clusterDirectory, "-m", "fast", "-w", "-t", "60", "-s",
                ]))
            return
        }
        let fileManager = FileManager.default
        if fileManager.fileExists(atPath: clusterDirectory + "/postmaster.pid") {
            logger.warning("Removing stale postmaster.pid left by a crash")
            try fileManager.removeItem(atPath: clusterDirectory + "/postmaster.pid")
        }
        for leftover in (try? fileManager.contentsOfDirectory(atPath: socketDirectory)) ?? [] where leftover.hasPrefix(".s.PGSQL") {
            try? fileManager.removeItem(atPath: socketDirectory + "/" + leftover)
        }
    }

    private func startServer(binaries: PostgresBinaries, account: ServerAccount) async throws {
        var serverOptions = ["-c listen_addresses=''", "-k '\(socketDirectory)'", "-c unix_socket_permissions=0700"]
        if !durable {
            // Tests: many apps, each with its own pool, run in parallel against one cluster (the bad-input
            // suite alone runs five); a full run peaks at about 500 connections.
            serverOptions += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off", "-c max_connections=1500"]
        }
        let start = account.command([
            binaries.pgCtl, "start", "-D", clusterDirectory, "-l", serverLogPath, "-w", "-t", "60", "-s",
            "-o", serverOptions.joined(separator: " "),
        ])
        // After a `kill -9` the old server's children need a moment to notice and release shared memory.
        var attempt = 0
        while true {
            attempt += 1
            let result = try await CommandRunner.run(start)
            if result.status == 0 { return }
            if attempt == 4 {
                let log = (try? String(contentsOfFile: serverLogPath, encoding: .utf8)) ?? ""
                let tail = log.split(separator: "\n").suffix(3).joined(separator: " | ")
                throw EmbeddedPostgresError(
                    "PostgreSQL did not start: \(result.output.trimmingCharacters(in: .whitespacesAndNewlines)) \(tail)")
            }
            try await Task.sleep(for: .seconds(attempt))
        }
    }

    private func createRolesAndDatabase() async throws {
        try await withMaintenanceConnection { connection in
            let roles = try await connection.query("SELECT 1 FROM pg_roles WHERE rolname = \(Self.appRole)", logger: self.logger)
            if try await roles.collect().isEmpty {
                // Not a superuser and no BYPASSRLS: row-level security applies to every request.
                try await connection.query(
                    PostgresQuery(unsafeSQL: "CREATE ROLE \(Self.appRole) LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS"),
                    logger: self.logger)
            }
            try await self.createDatabaseIfMissing(self.databaseName, template: nil, on: connection)
        }
    }

    /// Creates a database owned by the owner role, optionally as a copy of a template database.
    public func createDatabaseIfMissing(_ name: String, template: String? = nil) async throws {
        try await withMaintenanceConnection { connection in
            try await self.createDatabaseIfMissing(name, template: template, on: connection)
        }
    }

    private func withMaintenanceConnection(_ body: (PostgresConnection) async throws -> Void) async throws {
        try await settings(database: "postgres").owner.withConnection(logger: logger, body)
    }

    private func createDatabaseIfMissing(_ name: String, template: String?, on connection: PostgresConnection) async throws {
        guard name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }),
            template?.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) ?? true
        else {
            throw EmbeddedPostgresError("database names may hold only letters, digits and underscores")
        }
        let existing = try await connection.query("SELECT 1 FROM pg_database WHERE datname = \(name)", logger: logger)
        guard try await existing.collect().isEmpty else { return }
        let templateClause = template.map { " TEMPLATE \"\($0)\"" } ?? ""
        try await connection.query(
            PostgresQuery(unsafeSQL: "CREATE DATABASE \"\(name)\" OWNER \(Self.ownerRole)\(templateClause)"), logger: logger)
    }
}

public struct EmbeddedPostgresError: Error, CustomStringConvertible {
    public var description: String

    init(_ description: String) {
        self.description = description
    }
}

/// Where `initdb`, `pg_ctl` and `postgres` are: PATH first, then Debian's versioned folders.
struct PostgresBinaries {
    var initdb: String
    var pgCtl: String

    static func locate(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> PostgresBinaries {
        let fileManager = FileManager.default
        var candidates = (environment["PATH"] ?? "").split(separator: ":").map(String.init)
        let debianRoot = "/usr/lib/postgresql"
        let versions = ((try? fileManager.contentsOfDirectory(atPath: debianRoot)) ?? [])
            .compactMap(Int.init).sorted(by: >)
        candidates += versions.map { "\(debianRoot)/\($0)/bin" }
        for directory in candidates {
            let initdb = directory + "/initdb"
            guard fileManager.isExecutableFile(atPath: initdb) else { continue }
            // pg_ctl must run the `postgres` that sits beside the real initdb, not a symlink's folder.
            let binDirectory = URL(fileURLWithPath: initdb).resolvingSymlinksInPath().deletingLastPathComponent().path
            let tools = ["initdb", "pg_ctl", "postgres"].map { binDirectory + "/" + $0 }
            if tools.allSatisfy(fileManager.isExecutableFile(atPath:)) {
                return PostgresBinaries(initdb: tools[0], pgCtl: tools[1])
            }
        }
        throw EmbeddedPostgresError(
            "PostgreSQL server programs (initdb, pg_ctl, postgres) not found; install the postgresql package or set OAG_DATABASE_URL")
    }
}

/// The operating-system account the server runs as: ourselves, or `postgres` when we are root.
struct ServerAccount {
    var name: String
    var uid: uid_t
    var gid: gid_t
    var runuser: String?

    var isDifferentUser: Bool { runuser != nil }

    static func current() throws -> ServerAccount {
        guard geteuid() == 0 else {
            return ServerAccount(name: NSUserName(), uid: geteuid(), gid: getegid(), runuser: nil)
        }
        guard let entry = getpwnam("postgres") else {
            throw EmbeddedPostgresError("running as root needs the unprivileged 'postgres' user (install the postgresql package)")
        }
        guard
            let runuser = ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"].first(
                where: FileManager.default.isExecutableFile(atPath:))
        else {
            throw EmbeddedPostgresError("running as root needs runuser (util-linux) to start PostgreSQL as 'postgres'")
        }
        return ServerAccount(name: "postgres", uid: entry.pointee.pw_uid, gid: entry.pointee.pw_gid, runuser: runuser)
    }

    func command(_ arguments: [String]) -> [String] {
        guard let runuser else { return arguments }
        return [runuser, "-u", name, "--"] + arguments
    }

    func takeOwnership(of path: String) throws {
        guard isDifferentUser else { return }
        guard chown(path, uid, gid) == 0 else {
            throw EmbeddedPostgresError("cannot hand \(path) to the \(name) user: \(String(cString: strerror(errno)))")
        }
    }

    func canWrite(_ path: String) async -> Bool {
        guard runuser != nil else { return FileManager.default.isWritableFile(atPath: path) }
        return (try? await CommandRunner.run(command(["/usr/bin/test", "-w", path])).status) == 0
    }
}
