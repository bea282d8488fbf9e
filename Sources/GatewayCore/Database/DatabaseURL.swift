import Foundation
import PostgresNIO

/// A parsed `postgres://user:password@host:port/database?sslmode=…` URL.
public struct DatabaseURL: Sendable, Equatable {
    public enum TLSMode: String, Sendable {
        case disable, prefer, require
    }

    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var tlsMode: TLSMode

    public struct ParseError: Error {
        public var reason: String
    }

    public init(_ string: String) throws(ParseError) {
        guard let components = URLComponents(string: string),
            let scheme = components.scheme, scheme == "postgres" || scheme == "postgresql"
        else {
            throw ParseError(reason: "expected a postgres://user:password@host:port/database URL")
        }
        guard let host = components.host, !host.isEmpty else {
            throw ParseError(reason: "the URL names no host")
        }
        guard let user = components.user, !user.isEmpty else {
            throw ParseError(reason: "the URL names no user")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else {
            throw ParseError(reason: "the URL names no database")
        }
        let sslmode = components.queryItems?.first(where: { $0.name == "sslmode" })?.value ?? "prefer"
        guard let mode = TLSMode(rawValue: sslmode) else {
            throw ParseError(reason: "sslmode must be disable, prefer or require, got \"\(sslmode)\"")
        }
        self.host = host
        self.port = components.port ?? 5432
        self.username = user.removingPercentEncoding ?? user
        self.password = components.password.map { $0.removingPercentEncoding ?? $0 }
        self.database = database.removingPercentEncoding ?? database
        self.tlsMode = mode
    }

    public var endpoint: DatabaseEndpoint {
        DatabaseEndpoint(
            location: .tcp(host: host, port: port, tls: tlsMode), username: username, password: password, database: database)
    }
}

extension DatabaseURL.TLSMode {
    var clientTLS: PostgresClient.Configuration.TLS {
        switch self {
        case .disable: .disable
        case .prefer: .prefer(.makeClientConfiguration())
        case .require: .require(.makeClientConfiguration())
        }
    }

    var connectionTLS: PostgresConnection.Configuration.TLS {
        switch self {
        case .disable: .disable
        case .prefer: (try? NIOSSLContext(configuration: .makeClientConfiguration())).map { .prefer($0) } ?? .disable
        case .require: (try? NIOSSLContext(configuration: .makeClientConfiguration())).map { .require($0) } ?? .disable
        }
    }
}
