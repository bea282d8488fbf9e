import Foundation
import PostgresNIO

/// Security-relevant events of a company: sign-ins, invitations, role changes, removals, password and email changes, integrations.
public struct AuditEvent: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case signedIn = "signed_in"
        case signInFailed = "sign_in_failed"
        case signedUp = "signed_up"
        case memberInvited = "member_invited"
        case invitationRevoked = "invitation_revoked"
        case invitationAccepted = "invitation_accepted"
        case roleChanged = "role_changed"
        case memberRemoved = "member_removed"
        case passwordChanged = "password_changed"
        case emailChanged = "email_changed"
        case integrationConnected = "integration_connected"
        case integrationDisconnected = "integration_disconnected"
        case integrationNeedsReconnect = "integration_needs_reconnect"
        case signInMethodLinked = "sign_in_method_linked"
        case apiKeyCreated = "api_key_created"
        case apiKeyRevoked = "api_key_revoked"
        case providerSettingsChanged = "provider_settings_changed"
        case deletionRequested = "deletion_requested"
        case deletionApproved = "deletion_approved"
        case deletionRejected = "deletion_rejected"
        case deletionCarriedOut = "deletion_carried_out"
    }

    public var id: UUID
    public var kind: Kind
    public var actorName: String?
    public var detail: String
    public var ip: String?
    public var occurredAt: Date
}

public struct AuditLog: Sendable {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// Writes an event inside the caller's tenant transaction, so it commits with the change it describes.
    func record(
        _ kind: AuditEvent.Kind, companyID: UUID, actor: UUID?, detail: String = "", ip: String?, on connection: PostgresConnection
    ) async throws {
        try await connection.rows(
            """
            INSERT INTO audit_events (company_id, id, actor_user_id, action, detail, ip)
            VALUES (\(companyID), \(UUID()), \(actor), \(kind.rawValue), \(detail), \(ip)::inet)
            """, logger: database.logger)
    }

    /// Records an event in each of the user's companies (sign-ins concern all of them).
    func recordForAllCompanies(of userID: UUID, _ kind: AuditEvent.Kind, actor: UUID?, detail: String = "", ip: String?) async throws {
        let companies = try await database.query("SELECT company_id FROM user_memberships(\(userID))")
        for row in companies {
            let companyID = try row.decode(UUID.self)
            try await database.withTenant(companyID) { connection in
                try await record(kind, companyID: companyID, actor: actor, detail: detail, ip: ip, on: connection)
            }
        }
    }

    /// The newest events first, `limit` at a time, continuing before `before` (keyset pagination).
    public func events(for tenant: Tenant, before: KeysetCursor? = nil, limit: Int = 50) async throws -> [AuditEvent] {
        try tenant.require(.viewAuditLog)
        return try await database.withTenant(tenant.companyID) { connection in
            let rows = try await connection.rows(
                """
                SELECT e.id, e.action, u.name, e.detail, host(e.ip), e.created_at
                FROM audit_events e LEFT JOIN users u ON u.id = e.actor_user_id
                WHERE e.company_id = \(tenant.companyID)
                  AND (\(before?.microseconds)::bigint IS NULL
                    OR (e.created_at, e.id) < (to_timestamp(0) + \(before?.microseconds) * interval '1 microsecond', \(before?.id)))
                ORDER BY e.created_at DESC, e.id DESC
                LIMIT \(limit)
                """, logger: database.logger)
            return try rows.compactMap { row in
                let (id, action, actor, detail, ip, at) = try row.decode((UUID, String, String?, String, String?, Date).self)
                guard let kind = AuditEvent.Kind(rawValue: action) else { return nil }
                return AuditEvent(id: id, kind: kind, actorName: actor, detail: detail, ip: ip, occurredAt: at)
            }
        }
    }
}
