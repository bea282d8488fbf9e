import Foundation
import Logging
import PostgresNIO

/// Filing, following, cancelling and deciding deletion requests. Carrying them out is `DeletionJob`'s.
public struct DeletionRequestService: Sendable {
    public static let maximumReasonLength = 1000

    let database: Database
    let audit: AuditLog

    public init(database: Database) {
        self.database = database
        self.audit = AuditLog(database: database)
    }

    private var logger: Logger { database.logger }

    /// Files a request; the token opens its receipt later without signing in (shown once).
    public func file(scope rawScope: String, reason rawReason: String, by user: User, in tenant: Tenant?, ip: String?) async throws -> (
        DeletionRequest, receiptToken: String
    ) {
        var errors = FieldErrors()
        let scope = DeletionScope(rawValue: rawScope)
        if scope == nil { errors.add("scope", "Choose what to delete.") }
        if scope == .company && tenant?.role != .owner { errors.add("scope", "Only an owner can ask to delete the whole company.") }
        let reason = rawReason.trimmingCharacters(in: .whitespacesAndNewlines)
        if reason.count > Self.maximumReasonLength { errors.add("reason", "Use at most \(Self.maximumReasonLength) characters.") }
        if reason.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && $0 != "\n" && $0 != "\r" }) {
            errors.add("reason", "Remove the control characters.")
        }
        try errors.throwIfAny()
        guard let scope else { throw errors }
        if scope == .account, let company = try await companiesBlockingDeletion(of: user.id).first {
            throw FieldErrors("scope", Self.lastOwnerMessage(company))
        }
        let id = UUID()
        let token = SecretToken()
        let companyID = tenant?.companyID
        do {
            try await database.query(
                """
                INSERT INTO deletion_requests (id, requester_id, filed_in_company_id, scope, reason, receipt_token_hash)
                VALUES (\(id), \(user.id), \(companyID), \(scope.rawValue), \(reason), \(token.hash))
                """)
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            throw FieldErrors("scope", "You already have an open request of this kind. Cancel it first to file a new one.")
        }
        if let tenant {
            try await database.withTenant(tenant.companyID) { connection in
                try await audit.record(
                    .deletionRequested, companyID: tenant.companyID, actor: user.id, detail: scope.rawValue, ip: ip, on: connection)
            }
        }
        let filed = DeletionRequest(
            id: id, scope: scope, status: .pending, reason: reason, filedAt: Date(), requesterName: user.name,
            requesterEmail: user.email.value, companyName: tenant?.companyName)
        return (filed, token.value)
    }

    /// The person's own requests, newest first.
    public func requests(of userID: UUID) async throws -> [DeletionRequest] {
        try await list(requester: userID)
    }

    /// Requests filed in the company, or to delete it; for its admins and owners.
    public func requests(ofCompany tenant: Tenant) async throws -> [DeletionRequest] {
        try tenant.require(.viewDeletionRequests)
        return try await list(company: tenant.companyID)
    }

    /// The operators' queue: every open request (oldest first), then the latest decided ones.
    public func queue(decided limit: Int = 100) async throws -> [DeletionRequest] {
        try await list(open: true, limit: 10_000).reversed() + list(open: false, limit: limit)
    }

    /// Withdraws the person's own request while nobody has decided on it.
    public func cancel(_ id: UUID, by user: User) async throws {
        let cancelled = try await database.query(
            """
            UPDATE deletion_requests SET status = 'cancelled', decided_at = now()
            WHERE id = \(id) AND requester_id = \(user.id) AND status = 'pending' RETURNING id
            """)
        guard !cancelled.isEmpty else { throw NotFound() }
    }

    /// Queues the request for the deletion job.
    public func approve(_ id: UUID, by operatorUser: User) async throws {
        guard operatorUser.isOperator else { throw AccessDenied("Only platform operators decide deletion requests.") }
        guard let request = try await pending(id) else { throw NotFound() }
        if request.scope == .account, let requester = request.requesterID,
            let company = try await companiesBlockingDeletion(of: requester).first
        {
            throw FieldErrors("decision", "The requester is the last owner of \(company), which has other members: reject it, saying so.")
        }
        if request.scope == .company, try await !isOwner(request.requesterID, of: request.companyID) {
            throw FieldErrors("decision", "The requester is no longer an owner of this company: reject it, saying so.")
        }
        // The requester may have cancelled it a moment ago.
        try await decide(id, filedIn: request.companyID, .deletionApproved, scope: request.scope, by: operatorUser) { connection in
            try await connection.rows(
                """
                UPDATE deletion_requests SET status = 'approved', decided_by = \(operatorUser.id), decided_at = now()
                WHERE id = \(id) AND status = 'pending' RETURNING id
                """, logger: self.logger)
        }
    }

    public func reject(_ id: UUID, reason rawReason: String, by operatorUser: User) async throws {
        guard operatorUser.isOperator else { throw AccessDenied("Only platform operators decide deletion requests.") }
        let reason = rawReason.trimmingCharacters(in: .whitespacesAndNewlines)
        if reason.isEmpty { throw FieldErrors("reason", "Say why, so that the requester knows what to do.") }
        if reason.count > Self.maximumReasonLength { throw FieldErrors("reason", "Use at most \(Self.maximumReasonLength) characters.") }
        // As when filing: PostgreSQL text cannot hold NUL, and no control character belongs in a reason.
        if reason.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && $0 != "\n" && $0 != "\r" }) {
            throw FieldErrors("reason", "Remove the control characters.")
        }
        guard let request = try await pending(id) else { throw NotFound() }
        try await decide(id, filedIn: request.companyID, .deletionRejected, scope: request.scope, by: operatorUser) { connection in
            try await connection.rows(
                """
                UPDATE deletion_requests SET status = 'rejected', rejection_reason = \(reason), decided_by = \(operatorUser.id),
                    decided_at = now()
                WHERE id = \(id) AND status = 'pending' RETURNING id
                """, logger: self.logger)
        }
    }

    /// Records the decision and, in the same transaction, an audit entry in the company the request
    /// was filed in (the reason stays on the request: it may name people). A request decided or
    /// cancelled a moment ago is not found.
    private func decide(
        _ id: UUID, filedIn company: UUID?, _ kind: AuditEvent.Kind, scope: DeletionScope, by operatorUser: User,
        _ update: @escaping @Sendable (PostgresConnection) async throws -> [PostgresRow]
    ) async throws {
        let detail = "Request \(id.uuidString.lowercased()) (\(scope.rawValue))"
        let audit = self.audit
        let decided =
            if let company {
                try await database.withTenant(company) { connection in
                    guard try await !update(connection).isEmpty else { return false }
                    try await audit.record(kind, companyID: company, actor: operatorUser.id, detail: detail, ip: nil, on: connection)
                    return true
                }
            } else {
                try await database.withTransaction { connection in try await !update(connection).isEmpty }
            }
        guard decided else { throw NotFound() }
    }

    /// The receipt of the person's own completed request, as JSON.
    public func receipt(of id: UUID, for userID: UUID) async throws -> Data {
        let rows = try await database.query(
            "SELECT receipt::text FROM deletion_requests WHERE id = \(id) AND requester_id = \(userID) AND status = 'completed'")
        guard let text = try rows.first?.decode(String?.self) else { throw NotFound() }
        return Data(text.utf8)
    }

    /// The receipt for the holder of its link, also after their account is gone.
    public func receipt(token: String) async throws -> Data {
        let token = SecretToken(token)
        guard token.isWellFormed else { throw NotFound() }
        let rows = try await database.query(
            "SELECT receipt::text FROM deletion_requests WHERE receipt_token_hash = \(token.hash) AND status = 'completed'")
        guard let text = try rows.first?.decode(String?.self) else { throw NotFound() }
        return Data(text.utf8)
    }

    /// Companies where the person is the only owner and others remain: the account cannot go
    /// before ownership moves (or the whole company is deleted).
    func companiesBlockingDeletion(of userID: UUID) async throws -> [String] {
        var blocking: [String] = []
        let memberships = try await database.query("SELECT company_id, company_name, role FROM user_memberships(\(userID))")
        for row in memberships {
            let (companyID, name, role) = try row.decode((UUID, String, String).self)
            guard role == Role.owner.rawValue else { continue }
            let (members, owners) = try await database.withTenant(companyID) { connection in
                try await connection.rows(
                    "SELECT count(*), count(*) FILTER (WHERE role = 'owner') FROM memberships WHERE company_id = \(companyID)",
                    logger: logger
                ).first!.decode((Int, Int).self)
            }
            if owners == 1 && members > 1 { blocking.append(name) }
        }
        return blocking
    }

    /// Why the person cannot have their account deleted now, if they cannot: shown on the form
    /// before they try, and given again (checked afresh) when they file.
    public func accountDeletionBlocker(of userID: UUID) async throws -> String? {
        try await companiesBlockingDeletion(of: userID).first.map(Self.lastOwnerMessage)
    }

    static func lastOwnerMessage(_ company: String) -> String {
        "You are the last owner of \(company), which has other members. Make another member an owner first, "
            + "or ask to delete the whole company."
    }

    /// Whether the person is (still) an owner of the company.
    func isOwner(_ userID: UUID?, of companyID: UUID?) async throws -> Bool {
        guard let userID, let companyID else { return false }
        return try await database.query(
            "SELECT 1 FROM user_memberships(\(userID)) WHERE company_id = \(companyID) AND role = 'owner'"
        ).first != nil
    }

    private func pending(_ id: UUID) async throws -> (scope: DeletionScope, requesterID: UUID?, companyID: UUID?)? {
        guard
            let row = try await database.query(
                "SELECT scope, requester_id, filed_in_company_id FROM deletion_requests WHERE id = \(id) AND status = 'pending'"
            ).first
        else { return nil }
        let (scope, requester, company) = try row.decode((String, UUID?, UUID?).self)
        // The table's CHECK admits only known scopes; `.company` makes an unknown one the most guarded.
        return (DeletionScope(rawValue: scope) ?? .company, requester, company)
    }

    /// Requests of one requester, or of one company, or all of them (the operators' queue), open or decided.
    private func list(requester: UUID? = nil, company: UUID? = nil, open: Bool? = nil, limit: Int = 100) async throws -> [DeletionRequest] {
        // Company names come through platform_companies(): the request may outlive the person's
        // membership, and the operators' queue crosses companies.
        let rows = try await database.query(
            """
            SELECT r.id, r.scope, r.status, r.reason, r.filed_at, r.decided_at, r.rejection_reason, r.completed_at,
                u.name, u.email, c.company_name
            FROM deletion_requests r
            LEFT JOIN users u ON u.id = r.requester_id
            LEFT JOIN platform_companies() c ON c.company_id = r.filed_in_company_id
            WHERE (\(requester)::uuid IS NULL OR r.requester_id = \(requester))
              AND (\(company)::uuid IS NULL OR r.filed_in_company_id = \(company))
              AND (\(open)::boolean IS NULL OR (r.status IN ('pending', 'approved', 'running')) = \(open))
            ORDER BY r.filed_at DESC, r.id DESC
            LIMIT \(limit)
            """)
        return try rows.map { row in
            let (id, scope, status, reason, filedAt, decidedAt, rejection, completedAt, name, email, company) = try row.decode(
                (UUID, String, String, String, Date, Date?, String?, Date?, String?, String?, String?).self)
            return DeletionRequest(
                id: id, scope: DeletionScope(rawValue: scope) ?? .company, status: DeletionStatus(rawValue: status) ?? .pending,
                reason: reason, filedAt: filedAt, decidedAt: decidedAt, rejectionReason: rejection, completedAt: completedAt,
                requesterName: name, requesterEmail: email, companyName: company)
        }
    }
}
