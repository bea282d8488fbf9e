import Crypto
import Foundation
import Logging
import PostgresNIO

/// Another node took the request over after this one's lease ran out.
struct LeaseLost: Error {}

/// An approved request as the job holds it.
struct ClaimedDeletion: Sendable {
    var id: UUID
    /// This node's claim: its steps commit only while the request is still under it.
    var claimID: UUID
    var scope: DeletionScope
    var requesterID: UUID?
    var companyID: UUID?
    var filedAt: Date
    var decidedAt: Date?
}

/// Carries out approved deletion requests, per the data inventory.
///
/// A request is done in steps (one company, one account), each one transaction that also
/// records the step and its counts in the request; a node takes a request under a lease, so if it
/// dies another node resumes after the lease ends, skipping the steps already done. Tokens are
/// revoked at their providers before the step that deletes them (a resumed step revokes again,
/// which providers accept).
public struct DeletionJob: Sendable {
    let database: Database
    let integrations: IntegrationService
    let lease: Duration
    /// Called after each step commits; tests stop the job there to play a crash.
    let afterStep: @Sendable (String) async throws -> Void

    public init(
        database: Database, integrations: IntegrationService, lease: Duration = .seconds(300),
        afterStep: @escaping @Sendable (String) async throws -> Void = { _ in }
    ) {
        self.database = database
        self.integrations = integrations
        self.lease = lease
        self.afterStep = afterStep
    }

    private var logger: Logger { database.logger }

    /// Carries out the oldest approved request (or one whose node died); false when there is none.
    @discardableResult
    public func runNext() async throws -> Bool {
        guard let (request, progress) = try await claim() else { return false }
        try await carryOut(request, progress: progress)
        return true
    }

    private var leaseSeconds: Double { lease / .seconds(1) }

    private func claim() async throws -> (ClaimedDeletion, DeletionProgress)? {
        let claimID = UUID()
        let rows = try await database.query(
            """
            UPDATE deletion_requests SET status = 'running', claim_id = \(claimID),
                lease_until = now() + make_interval(secs => \(leaseSeconds))
            WHERE id = (
                SELECT id FROM deletion_requests
                WHERE status = 'approved' OR (status = 'running' AND lease_until < now())
                ORDER BY decided_at LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING id, scope, requester_id, filed_in_company_id, filed_at, decided_at, progress::text
            """)
        guard let row = rows.first else { return nil }
        let (id, scope, requester, company, filedAt, decidedAt, progress) = try row.decode(
            (UUID, String, UUID?, UUID?, Date, Date?, String).self)
        // An unknown scope cannot come from the table's CHECK; doing the least is the safe reading.
        let claimed = ClaimedDeletion(
            id: id, claimID: claimID, scope: DeletionScope(rawValue: scope) ?? .threads, requesterID: requester, companyID: company,
            filedAt: filedAt, decidedAt: decidedAt)
        return (claimed, try JSONDecoder().decode(DeletionProgress.self, from: Data(progress.utf8)))
    }

    private func carryOut(_ request: ClaimedDeletion, progress start: DeletionProgress) async throws {
        var progress = start
        // Rules are checked before the first step only: a request half done is finished, not refused.
        let starting = progress.steps.isEmpty
        switch request.scope {
        case .threads:
            if let person = try await person(request.requesterID) {
                for company in try await companiesHolding(person) {
                    try await step("threads:\(company)", in: company, request, &progress) { connection in
                        let counts = try await apply(
                            DataInventory.tables.filter { $0.category == .threads }, of: person, in: company, on: connection)
                        try await recordInAuditLog(request, counts, company: company, on: connection)
                        return counts
                    }
                }
            }
        case .account:
            if let person = try await person(request.requesterID) {
                if starting,
                    let company = try await DeletionRequestService(database: database).companiesBlockingDeletion(of: person.id).first
                {
                    return try await refuse(request, because: DeletionRequestService.lastOwnerMessage(company))
                }
                try await deleteAccount(person, request, &progress)
            }
        case .company:
            // The request's column is cleared with the company; the first step keeps its id.
            if let company = progress.company ?? request.companyID {
                if starting, try await !DeletionRequestService(database: database).isOwner(request.requesterID, of: company) {
                    return try await refuse(
                        request, because: "Only an owner of the company can have it deleted, and the requester no longer is.")
                }
                try await deleteCompany(company, request, &progress)
            }
        }
        try await finish(request, progress)
    }

    /// The person's data in each company (or the company, where they are its only member), then the account.
    private func deleteAccount(_ person: Person, _ request: ClaimedDeletion, _ progress: inout DeletionProgress) async throws {
        let memberships = Set(try await companies(of: person.id))
        for company in try await companiesHolding(person) {
            if memberships.contains(company), try await memberCount(of: company) == 1 {
                try await deleteCompany(company, request, &progress)
                continue
            }
            let revocation = try await revokeAll(of: person.id, in: company, request)
            try await step("member:\(company)", in: company, request, &progress) { connection in
                let counts = try await apply(DataInventory.tables.filter { $0.scope == .tenant }, of: person, in: company, on: connection)
                try await recordInAuditLog(request, counts, company: company, on: connection)
                return counts
            } bookkeeping: { progress in
                progress.revoked += revocation.revoked
                progress.unconfirmed += revocation.unconfirmed
            }
        }
        try await step("account:\(person.id)", request, &progress) { connection in
            try await apply(DataInventory.tables.filter { $0.scope == .platform }, of: person, in: nil, on: connection)
        } bookkeeping: {
            $0.accountsDeleted += 1
        }
    }

    /// The whole company; then the accounts of its members who belong to no other company.
    private func deleteCompany(_ company: UUID, _ request: ClaimedDeletion, _ progress: inout DeletionProgress) async throws {
        let membersStep = "members:\(company)"
        if !progress.steps.contains(membersStep) {
            let members = try await database.withTenant(company) { connection in
                try await connection.rows("SELECT user_id FROM memberships WHERE company_id = \(company)", logger: logger)
                    .map { try $0.decode(UUID.self) }
            }
            try await step(membersStep, request, &progress) { _ in
                [:]
            } bookkeeping: {
                $0.members += members
                $0.company = $0.company ?? company
            }
        }
        var revocation = (revoked: 0, unconfirmed: 0)
        if !progress.steps.contains("company:\(company)") {
            for member in progress.members {
                let outcome = try await revokeAll(of: member, in: company, request)
                revocation.revoked += outcome.revoked
                revocation.unconfirmed += outcome.unconfirmed
            }
        }
        try await step("company:\(company)", in: company, request, &progress) { connection in
            var counts: [String: Int] = [:]
            for table in DataInventory.tables where table.scope == .tenant {
                counts[table.name] = try await connection.rows(
                    PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table.name) WHERE company_id = $1", binds: Self.binds(company)),
                    logger: logger
                ).first?.decode(Int.self)
            }
            // Usage events are partitioned and have no foreign key; everything else goes with the
            // company row, its data key included, which makes any copy of its secrets unreadable.
            counts[Self.companyKeysCount] = try await connection.rows(
                "SELECT count(*) FROM company_keys WHERE company_id = \(company)", logger: logger
            ).first?.decode(Int.self)
            try await connection.rows("DELETE FROM usage_events WHERE company_id = \(company)", logger: logger)
            try await connection.rows("DELETE FROM companies WHERE id = \(company)", logger: logger)
            return counts
        } bookkeeping: { progress in
            progress.companiesDeleted += 1
            progress.revoked += revocation.revoked
            progress.unconfirmed += revocation.unconfirmed
        }
        for member in progress.members {
            guard try await companies(of: member).isEmpty, let person = try await person(member), !person.isOperator else { continue }
            try await step("account:\(member)", request, &progress) { connection in
                try await apply(DataInventory.tables.filter { $0.scope == .platform }, of: person, in: nil, on: connection)
            } bookkeeping: {
                $0.accountsDeleted += 1
            }
        }
    }

    /// Runs one step in one transaction with the record that it is done, unless it was done before.
    private func step(
        _ name: String, in company: UUID? = nil, _ request: ClaimedDeletion, _ progress: inout DeletionProgress,
        _ work: @escaping @Sendable (PostgresConnection) async throws -> [String: Int],
        bookkeeping: (inout DeletionProgress) -> Void = { _ in }
    ) async throws {
        guard !progress.steps.contains(name) else { return }
        var next = progress
        bookkeeping(&next)
        next.steps.append(name)
        let before = next
        let seconds = leaseSeconds
        let transaction: @Sendable (PostgresConnection) async throws -> [String: Int] = { connection in
            let counts = try await work(connection)
            var saved = before
            saved.add(counts)
            let held = try await connection.rows(
                """
                UPDATE deletion_requests SET progress = \(String(decoding: try JSONEncoder().encode(saved), as: UTF8.self))::jsonb,
                    lease_until = now() + make_interval(secs => \(seconds))
                WHERE id = \(request.id) AND claim_id = \(request.claimID) AND status = 'running'
                RETURNING id
                """, logger: logger)
            // Another node took the request over: this step's work rolls back with the transaction.
            guard !held.isEmpty else { throw LeaseLost() }
            return counts
        }
        let counts =
            if let company {
                try await database.withTenant(company, transaction)
            } else {
                try await database.withTransaction(transaction)
            }
        next.add(counts)
        progress = next
        try await afterStep(name)
    }

    /// The company's share of the receipt, in its audit log: the request, its scope and counts per
    /// table, no person (a deleted company's log goes with it; its receipt stays on the request).
    private func recordInAuditLog(_ request: ClaimedDeletion, _ counts: [String: Int], company: UUID, on connection: PostgresConnection)
        async throws
    {
        try await AuditLog(database: database).record(
            .deletionCarriedOut, companyID: company, actor: nil, detail: DeletionReceipt.auditDetail(request, counts: counts), ip: nil,
            on: connection)
    }

    /// Writes the receipt; the progress goes, as it names the people whose accounts were deleted.
    private func finish(_ request: ClaimedDeletion, _ progress: DeletionProgress) async throws {
        let receipt = DeletionReceipt.make(request, progress: progress, completedAt: Date())
        let json = String(decoding: try DeletionReceipt.encoder.encode(receipt), as: UTF8.self)
        try await database.query(
            """
            UPDATE deletion_requests SET status = 'completed', completed_at = now(), lease_until = NULL, receipt = \(json)::jsonb,
                progress = DEFAULT,
                reason = CASE WHEN scope = 'threads' THEN reason ELSE '' END
            WHERE id = \(request.id) AND claim_id = \(request.claimID)
            """)
        logger.info(
            "Deletion request carried out",
            metadata: ["request": "\(request.id)", "scope": "\(request.scope.rawValue)", "steps": "\(progress.steps.count)"])
    }

    private func refuse(_ request: ClaimedDeletion, because reason: String) async throws {
        try await database.query(
            """
            UPDATE deletion_requests SET status = 'rejected', rejection_reason = \(reason), lease_until = NULL
            WHERE id = \(request.id) AND claim_id = \(request.claimID)
            """)
    }

    // MARK: - The inventory, applied

    /// Whose rows a step looks for.
    struct Person: Sendable {
        var id: UUID
        /// The current address first, then those used before and one waiting for confirmation:
        /// records name those. An address another account has now is not theirs any more.
        var emails: [String]
        var isOperator: Bool
    }

    /// Deletes or anonymises the person's rows in each table as the inventory says; returns the
    /// rows found per table.
    func apply(_ tables: [InventoryTable], of person: Person, in company: UUID?, on connection: PostgresConnection) async throws
        -> [String: Int]
    {
        var counts: [String: Int] = [:]
        for table in tables {
            let binds = try Self.personBinds(person, company)
            let found =
                try await connection.rows(
                    PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table.name) WHERE \(table.rowsOfPerson)", binds: binds),
                    logger: logger
                ).first?.decode(Int.self) ?? 0
            guard found > 0 else { continue }
            counts[table.name] = found
            switch table.deletion {
            case .deleteRows:
                try await connection.rows(
                    PostgresQuery(unsafeSQL: "DELETE FROM \(table.name) WHERE \(table.rowsOfPerson)", binds: binds),
                    logger: logger)
            case .anonymise(let statements, _):
                for statement in statements {
                    try await connection.rows(PostgresQuery(unsafeSQL: statement, binds: binds), logger: logger)
                }
            }
        }
        return counts
    }

    /// The receipt's count of destroyed company keys, kept with the per-table counts.
    static let companyKeysCount = "company_keys"

    static let noCompany = UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))

    /// `$1` user id, `$2` their email addresses, `$3` company, `$4` the sign-in throttle's subjects for them.
    static func personBinds(_ person: Person, _ company: UUID?) throws -> PostgresBindings {
        var binds = PostgresBindings()
        binds.append(person.id)
        binds.append(person.emails)
        // PostgreSQL must know every parameter's type, used or not: a NULL would have none.
        binds.append(company ?? Self.noCompany)
        // postgres-nio has no bytea arrays: the hashes travel as hex.
        binds.append(
            person.emails.map { LoginThrottle.subject(email: EmailAddress(trusted: $0)).map { String(format: "%02x", $0) }.joined() })
        return binds
    }

    private static func binds(_ company: UUID) -> PostgresBindings {
        var binds = PostgresBindings()
        binds.append(company)
        return binds
    }

    private func person(_ id: UUID?) async throws -> Person? {
        try await Self.person(id, in: database)
    }

    /// The person as the inventory's row filters need them, or nil when the account is gone.
    static func person(_ id: UUID?, in database: Database) async throws -> Person? {
        guard let id,
            let row = try await database.query(
                """
                SELECT u.email, u.is_operator, array(
                    SELECT f.email FROM former_emails f
                    WHERE f.user_id = u.id AND NOT EXISTS (SELECT 1 FROM users o WHERE o.email = f.email AND o.id <> u.id)
                    UNION SELECT c.new_email FROM email_changes c
                    WHERE c.user_id = u.id AND NOT EXISTS (SELECT 1 FROM users o WHERE o.email = c.new_email))
                FROM users u WHERE u.id = \(id)
                """
            ).first
        else { return nil }
        let (email, isOperator, former) = try row.decode((String, Bool, [String]).self)
        return Person(id: id, emails: [email] + former, isOperator: isOperator)
    }

    /// Revokes a person's grants in a company, keeping the lease alive between slow providers.
    private func revokeAll(of userID: UUID, in company: UUID, _ request: ClaimedDeletion) async throws -> (revoked: Int, unconfirmed: Int) {
        let outcome = try await integrations.revokeAll(of: userID, in: company)
        let renewed = try await database.query(
            """
            UPDATE deletion_requests SET lease_until = now() + make_interval(secs => \(leaseSeconds))
            WHERE id = \(request.id) AND claim_id = \(request.claimID) AND status = 'running' RETURNING id
            """)
        guard !renewed.isEmpty else { throw LeaseLost() }
        return outcome
    }

    /// Every company with anything of the person's, also those they have left.
    private func companiesHolding(_ person: Person) async throws -> [UUID] {
        try await Self.companiesHolding(person, in: database)
    }

    static func companiesHolding(_ person: Person, in database: Database) async throws -> [UUID] {
        try await database.query("SELECT company_id FROM companies_holding_person(\(person.id), \(person.emails))").map {
            try $0.decode(UUID.self)
        }
    }

    private func companies(of userID: UUID) async throws -> [UUID] {
        try await database.query("SELECT company_id FROM user_memberships(\(userID))").map { try $0.decode(UUID.self) }
    }

    private func memberCount(of company: UUID) async throws -> Int {
        try await database.withTenant(company) { connection in
            try await connection.rows("SELECT count(*) FROM memberships WHERE company_id = \(company)", logger: logger).first?.decode(
                Int.self) ?? 0
        }
    }
}
