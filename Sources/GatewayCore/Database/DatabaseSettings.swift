import Logging
import PostgresNIO

/// One role's way into one database: a Unix socket (embedded) or host and port (external).
public struct DatabaseEndpoint: Sendable {
    public enum Location: Sendable {
        case socket(path: String)
        case tcp(host: String, port: Int, tls: DatabaseURL.TLSMode)
    }

    public var location: Location
    public var username: String
    public var password: String?
    public var database: String

    public init(location: Location, username: String, password: String?, database: String) {
        self.location = location
        self.username = username
        self.password = password
        self.database = database
    }

    /// The same server and role, another database (tests clone one per test).
    public func with(database: String) -> DatabaseEndpoint {
        var copy = self
        copy.database = database
        return copy
    }

    /// For the pooled client that serves requests.
    public var clientConfiguration: PostgresClient.Configuration {
        switch location {
        case .socket(let path):
            return .init(unixSocketPath: path, username: username, password: password, database: database)
        case .tcp(let host, let port, let tls):
            return .init(host: host, port: port, username: username, password: password, database: database, tls: tls.clientTLS)
        }
    }

    /// Runs `body` on a single connection that is closed afterwards (migrations, one-off commands).
    @discardableResult
    public func withConnection<Result: Sendable>(
        logger: Logger, _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let configuration: PostgresConnection.Configuration
        switch location {
        case .socket(let path):
            configuration = .init(unixSocketPath: path, username: username, password: password, database: database)
        case .tcp(let host, let port, let tls):
            configuration = .init(
                host: host, port: port, username: username, password: password, database: database, tls: tls.connectionTLS)
        }
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
        do {
            let result = try await body(connection)
            try await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }
}

/// The two roles the app uses: the owner runs migrations, the app role serves requests.
///
/// The app role does not own the tables, so row-level security applies to it.
/// With a single external URL both are the same role.
public struct DatabaseSettings: Sendable {
    public var owner: DatabaseEndpoint
    public var app: DatabaseEndpoint

    public init(owner: DatabaseEndpoint, app: DatabaseEndpoint) {
        self.owner = owner
        self.app = app
    }

    /// Role to grant data access to after migrating, when it is not the owner itself.
    public var appRole: String? { app.username == owner.username ? nil : app.username }

    public func with(database: String) -> DatabaseSettings {
        DatabaseSettings(owner: owner.with(database: database), app: app.with(database: database))
    }
}
