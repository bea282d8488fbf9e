import Foundation
import PostgresNIO

/// The sealed tokens of an integration, as stored.
struct SealedTokens: Sendable {
    var access: Data
    var refresh: Data?
}

/// Reads and writes `integrations`, always inside the caller's tenant transaction.
struct IntegrationRepository: Sendable {
    let logger: Logger

    static let columnNames = [
        "id", "company_id", "user_id", "provider", "account_id", "account_label", "scopes", "access_expires_at", "device_id", "status",
        "connected_at", "refreshed_at", "last_used_at",
    ]

    static func columns(of alias: String? = nil) -> String {
        columnNames.map { (alias.map { "\($0)." } ?? "") + $0 }.joined(separator: ", ")
    }

    static func integration(from row: PostgresRow) throws -> Integration {
        let (id, companyID, userID, provider, accountID, label, scopes, expiresAt, deviceID, status, connectedAt, refreshedAt, lastUsedAt) =
            try row.decode((UUID, UUID, UUID, String, String, String, [String], Date?, String?, String, Date, Date?, Date?).self)
        return Integration(
            id: id, companyID: companyID, userID: userID, provider: ProviderID(rawValue: provider) ?? .google, accountID: accountID,
            accountLabel: label, scopes: scopes, accessExpiresAt: expiresAt, deviceID: deviceID,
            status: Integration.Status(rawValue: status) ?? .needsReconnect, connectedAt: connectedAt, refreshedAt: refreshedAt,
            lastUsedAt: lastUsedAt)
    }

    /// The member's integration with its sealed tokens; `lock` holds the row until the transaction ends.
    func find(
        companyID: UUID, userID: UUID, provider: ProviderID, lock: Bool = false, on connection: PostgresConnection
    ) async throws -> (Integration, SealedTokens)? {
        try await sealed(
            "WHERE company_id = \(companyID) AND user_id = \(userID) AND provider = \(provider.rawValue) \(unescaped: lock ? "FOR UPDATE" : "")",
            on: connection
        ).first
    }

    /// Every integration of a member, with sealed tokens.
    func findAll(companyID: UUID, userID: UUID, on connection: PostgresConnection) async throws -> [(Integration, SealedTokens)] {
        try await sealed("WHERE company_id = \(companyID) AND user_id = \(userID)", on: connection)
    }

    private func sealed(_ condition: PostgresQuery, on connection: PostgresConnection) async throws -> [(Integration, SealedTokens)] {
        var query: PostgresQuery = "SELECT \(unescaped: Self.columns()), access_token, refresh_token FROM integrations "
        query.sql += condition.sql
        query.binds = condition.binds
        return try await connection.rows(query, logger: logger).map { row in
            let tokens = try row.decode(
                (UUID, UUID, UUID, String, String, String, [String], Date?, String?, String, Date, Date?, Date?, Data, Data?).self)
            return (try Self.integration(from: row), SealedTokens(access: tokens.13, refresh: tokens.14))
        }
    }

    func list(companyID: UUID, userID: UUID, on connection: PostgresConnection) async throws -> [Integration] {
        try await connection.rows(
            "SELECT \(unescaped: Self.columns()) FROM integrations WHERE company_id = \(companyID) AND user_id = \(userID)", logger: logger
        ).map(Self.integration)
    }

    func listCompany(companyID: UUID, on connection: PostgresConnection) async throws -> [MemberConnection] {
        try await connection.rows(
            """
            SELECT \(unescaped: Self.columns(of: "i")), u.name, u.email
            FROM integrations i JOIN memberships m ON m.company_id = i.company_id AND m.user_id = i.user_id
            JOIN users u ON u.id = i.user_id
            WHERE i.company_id = \(companyID)
            ORDER BY u.name, u.email, i.provider
            """, logger: logger
        ).map { row in
            let all = try row.decode(
                (UUID, UUID, UUID, String, String, String, [String], Date?, String?, String, Date, Date?, Date?, String, String).self)
            return MemberConnection(memberName: all.13, memberEmail: all.14, integration: try Self.integration(from: row))
        }
    }

    func insert(_ integration: Integration, tokens: SealedTokens, on connection: PostgresConnection) async throws {
        try await connection.rows(
            """
            INSERT INTO integrations (company_id, id, user_id, provider, account_id, account_label, scopes, access_token, refresh_token,
                access_expires_at, device_id, status, connected_at)
            VALUES (\(integration.companyID), \(integration.id), \(integration.userID), \(integration.provider.rawValue),
                \(integration.accountID), \(integration.accountLabel), \(integration.scopes), \(tokens.access), \(tokens.refresh),
                \(integration.accessExpiresAt), \(integration.deviceID), 'connected', now())
            """, logger: logger)
    }

    /// A new consent for an existing row; a refresh token the provider did not send again is kept.
    func reconnect(_ integration: Integration, tokens: SealedTokens, on connection: PostgresConnection) async throws {
        try await connection.rows(
            """
            UPDATE integrations SET account_id = \(integration.accountID), account_label = \(integration.accountLabel),
                scopes = \(integration.scopes), access_token = \(tokens.access), refresh_token = COALESCE(\(tokens.refresh), refresh_token),
                access_expires_at = \(integration.accessExpiresAt), device_id = \(integration.deviceID), status = 'connected',
                connected_at = now()
            WHERE company_id = \(integration.companyID) AND id = \(integration.id)
            """, logger: logger)
    }

    func updateTokens(
        _ integration: Integration, tokens: SealedTokens, expiresAt: Date?, on connection: PostgresConnection
    ) async throws {
        try await connection.rows(
            """
            UPDATE integrations SET access_token = \(tokens.access), refresh_token = COALESCE(\(tokens.refresh), refresh_token),
                access_expires_at = \(expiresAt), refreshed_at = now()
            WHERE company_id = \(integration.companyID) AND id = \(integration.id)
            """, logger: logger)
    }

    func setStatus(_ status: Integration.Status, of integration: Integration, on connection: PostgresConnection) async throws {
        try await connection.rows(
            "UPDATE integrations SET status = \(status.rawValue) WHERE company_id = \(integration.companyID) AND id = \(integration.id)",
            logger: logger)
    }

    func touch(_ integration: Integration, on connection: PostgresConnection) async throws {
        try await connection.rows(
            "UPDATE integrations SET last_used_at = now() WHERE company_id = \(integration.companyID) AND id = \(integration.id)",
            logger: logger)
    }

    func delete(_ integration: Integration, on connection: PostgresConnection) async throws {
        try await connection.rows(
            "DELETE FROM integrations WHERE company_id = \(integration.companyID) AND id = \(integration.id)", logger: logger)
    }
}
