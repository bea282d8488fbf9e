import Foundation
import Logging
import PostgresNIO
import Synchronization

/// Creating, listing and revoking gateway API keys, and authenticating requests with them.
///
/// Authentication reads a short-lived in-memory cache: a revoked key stops working on every
/// node within `cacheLifetime`, and the hot path does not query the database per request.
public final class APIKeyService: Sendable {
    public static let secretPrefix = "oag_"
    static let maximumCachedKeys = 50_000

    let database: Database
    let audit: AuditLog
    let failedLookups: FailedKeyLimiter
    /// Where metered usage waits before it reaches the database (nil where nothing is metered).
    let recorder: UsageRecorder?
    /// How long a looked-up key is trusted before the database is asked again (seconds).
    let cacheLifetime: TimeInterval
    private let cache = Mutex<[Data: (entry: AuthenticatedKey?, loadedAt: Date)]>([:])
    /// Usage of each key since its cache entry was loaded, added to the month's totals.
    private let charges = Mutex<[UUID: (tokens: Int64, costMicros: Int64)]>([:])

    public init(
        database: Database, recorder: UsageRecorder? = nil, cacheLifetime: TimeInterval = 5,
        failedLookups: FailedKeyLimiter = FailedKeyLimiter()
    ) {
        self.database = database
        self.recorder = recorder
        self.cacheLifetime = cacheLifetime
        self.audit = AuditLog(database: database)
        self.failedLookups = failedLookups
    }

    private var logger: Logger { database.logger }

    // MARK: - Console

    public func keys(of tenant: Tenant) async throws -> [APIKey] {
        try tenant.require(.manageAPIKeys)
        return try await database.withTenant(tenant.companyID) { connection in
            try await connection.rows(
                """
                SELECT id, company_id, name, prefix, allowed_models, monthly_token_budget, monthly_spend_budget_micros, requests_per_minute,
                    created_at, created_by, last_used_at, revoked_at
                FROM api_keys WHERE company_id = \(tenant.companyID)
                ORDER BY revoked_at IS NOT NULL, created_at DESC
                """, logger: self.logger
            ).map(Self.key)
        }
    }

    /// Makes a key; the secret is returned this once and only its hash is kept.
    public func create(_ form: APIKeyForm, by tenant: Tenant, models: [GatewayModel], ip: String?) async throws -> (APIKey, secret: String)
    {
        try tenant.require(.manageAPIKeys)
        var errors = FieldErrors()
        let name = form.name.trimmingCharacters(in: .whitespacesAndNewlines)
        if let problem = DisplayName.problem(
            with: name, whenEmpty: "Name the key, for example after the program that uses it.", maximumLength: 80)
        {
            errors.add("name", problem)
        }
        let known = Set(models.map(\.id))
        let unknown = form.allowedModels.filter { !known.contains($0) }
        if !unknown.isEmpty { errors.add("allowed_models", "Unknown models: \(unknown.prefix(3).joined(separator: ", ")).") }
        let tokenBudget = Self.positiveWholeNumber(form.monthlyTokenBudget, field: "monthly_token_budget", into: &errors)
        let spendBudget = Self.dollarsToMicros(form.monthlySpendBudgetDollars, into: &errors)
        let rpm = Self.positiveWholeNumber(form.requestsPerMinute, field: "requests_per_minute", maximum: 1_000_000, into: &errors)
        try errors.throwIfAny()

        let token = SecretToken()
        let secret = Self.secretPrefix + token.value
        let key = APIKey(
            id: UUID(), companyID: tenant.companyID, name: name, prefix: String(secret.prefix(12)),
            allowedModels: Array(Set(form.allowedModels)).sorted(), monthlyTokenBudget: tokenBudget, monthlySpendBudgetMicros: spendBudget,
            requestsPerMinute: rpm.map(Int.init), createdAt: Date(), createdBy: tenant.userID)
        try await database.withTenant(tenant.companyID) { connection in
            try await connection.rows(
                """
                INSERT INTO api_keys (company_id, id, name, prefix, key_hash, allowed_models, monthly_token_budget, monthly_spend_budget_micros,
                    requests_per_minute, created_by)
                VALUES (\(key.companyID), \(key.id), \(key.name), \(key.prefix), \(Self.hash(secret)), \(key.allowedModels), \(key.monthlyTokenBudget),
                    \(key.monthlySpendBudgetMicros), \(key.requestsPerMinute), \(tenant.userID))
                """, logger: self.logger)
            try await self.audit.record(
                .apiKeyCreated, companyID: tenant.companyID, actor: tenant.userID, detail: key.name, ip: ip, on: connection)
        }
        return (key, secret)
    }

    public func revoke(_ id: UUID, by tenant: Tenant, ip: String?) async throws {
        try tenant.require(.manageAPIKeys)
        try await database.withTenant(tenant.companyID) { connection in
            let rows = try await connection.rows(
                """
                UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now())
                WHERE company_id = \(tenant.companyID) AND id = \(id) RETURNING name, key_hash
                """, logger: self.logger)
            guard let row = rows.first else { throw NotFound() }
            let (name, hash) = try row.decode((String, Data).self)
            try await self.audit.record(
                .apiKeyRevoked, companyID: tenant.companyID, actor: tenant.userID, detail: name, ip: ip, on: connection)
            self.cache.withLock { $0[hash] = nil }
        }
    }

    // MARK: - Gateway

    /// The key a request's bearer secret names, or `invalidKey`; an address that sent too many
    /// unknown keys lately is refused (429) before the secret is looked up.
    public func authenticate(bearer secret: String, from address: String?) async throws -> AuthenticatedKey {
        guard let address else { return try await lookUp(bearer: secret) }
        if let wait = failedLookups.retryAfter(address) { throw GatewayError.tooManyInvalidKeys(retryAfter: wait) }
        do {
            return try await lookUp(bearer: secret)
        } catch let error as GatewayError where error == .invalidKey {
            failedLookups.recordFailure(address)
            throw error
        }
    }

    private func lookUp(bearer secret: String) async throws -> AuthenticatedKey {
        guard secret.hasPrefix(Self.secretPrefix), SecretToken(String(secret.dropFirst(Self.secretPrefix.count))).isWellFormed else {
            throw GatewayError.invalidKey
        }
        let hash = Self.hash(secret)
        let now = Date()
        if let cached = cache.withLock({ $0[hash] }), now.timeIntervalSince(cached.loadedAt) < cacheLifetime {
            guard var entry = cached.entry else { throw GatewayError.invalidKey }
            if let charged = charges.withLock({ $0[entry.key.id] }) {
                entry.monthTokens += charged.tokens
                entry.monthCostMicros += charged.costMicros
            }
            return entry
        }
        // The reload counts what the database holds, then what the recorder has not written yet,
        // and starts the key's charges afresh. Until the next reload, a request finishing during
        // this one may count twice, and a write committing between the two looks not at all.
        if let id = cache.withLock({ $0[hash]?.entry?.key.id }) { _ = charges.withLock { $0.removeValue(forKey: id) } }
        var entry = try await load(hash: hash)
        if let id = entry?.key.id, let pending = recorder?.pendingUsage(ofKey: id) {
            entry?.monthTokens += pending.tokens
            entry?.monthCostMicros += pending.costMicros
        }
        cache.withLock { cache in
            // Random secrets must not grow memory: past the limit, unknown and expired entries go,
            // and if that is not enough, everything (the next requests reload).
            if cache.count >= Self.maximumCachedKeys {
                cache = cache.filter { $0.value.entry != nil && now.timeIntervalSince($0.value.loadedAt) < cacheLifetime }
                if cache.count >= Self.maximumCachedKeys { cache.removeAll() }
            }
            cache[hash] = (entry, now)
        }
        guard let entry else { throw GatewayError.invalidKey }
        return entry
    }

    /// Counts a finished request against the key's month totals until its entry is next loaded.
    func charge(_ key: APIKey, tokens: Int64, costMicros: Int64) {
        charges.withLock { charges in
            let current = charges[key.id] ?? (0, 0)
            charges[key.id] = (current.tokens + tokens, current.costMicros + costMicros)
        }
    }

    private func load(hash: Data) async throws -> AuthenticatedKey? {
        guard
            let row = try await database.query(
                """
                SELECT company_id, id, name, allowed_models, monthly_token_budget, monthly_spend_budget_micros, requests_per_minute, revoked_at,
                    created_by
                FROM api_key_by_hash(\(hash))
                """
            ).first
        else { return nil }
        let (companyID, id, name, models, tokenBudget, spendBudget, rpm, revokedAt, createdBy) = try row.decode(
            (UUID, UUID, String, [String], Int64?, Int64?, Int?, Date?, UUID?).self)
        guard revokedAt == nil else { return nil }
        let key = APIKey(
            id: id, companyID: companyID, name: name, prefix: "", allowedModels: models, monthlyTokenBudget: tokenBudget,
            monthlySpendBudgetMicros: spendBudget, requestsPerMinute: rpm, createdAt: Date(), createdBy: createdBy)
        // Only keys with a budget need this month's totals.
        guard tokenBudget != nil || spendBudget != nil else { return AuthenticatedKey(key: key, monthTokens: 0, monthCostMicros: 0) }
        let totals: (Int64, Int64) = try await database.withTenant(companyID) { connection in
            let rows = try await connection.rows(
                """
                SELECT COALESCE(sum(prompt_tokens + completion_tokens), 0)::bigint, COALESCE(sum(cost_micros), 0)::bigint
                FROM usage_daily
                WHERE company_id = \(companyID) AND api_key_id = \(id) AND day >= date_trunc('month', now() AT TIME ZONE 'UTC')::date
                """, logger: self.logger)
            let (tokens, cost) = try rows[0].decode((Int64, Int64).self)
            return (tokens, cost)
        }
        return AuthenticatedKey(key: key, monthTokens: totals.0, monthCostMicros: totals.1)
    }

    static func key(from row: PostgresRow) throws -> APIKey {
        let (id, companyID, name, prefix, models, tokenBudget, spendBudget, rpm, createdAt, createdBy, lastUsedAt, revokedAt) =
            try row.decode(
                (UUID, UUID, String, String, [String], Int64?, Int64?, Int?, Date, UUID?, Date?, Date?).self)
        return APIKey(
            id: id, companyID: companyID, name: name, prefix: prefix, allowedModels: models, monthlyTokenBudget: tokenBudget,
            monthlySpendBudgetMicros: spendBudget, requestsPerMinute: rpm, createdAt: createdAt, createdBy: createdBy,
            lastUsedAt: lastUsedAt,
            revokedAt: revokedAt)
    }

    static func hash(_ secret: String) -> Data { SecretToken.hash(secret) }

    /// An optional whole number from a form: empty means none.
    static func positiveWholeNumber(_ raw: String, field: String, maximum: Int64 = 1_000_000_000_000, into errors: inout FieldErrors)
        -> Int64?
    {
        let text = raw.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "_", with: "").replacingOccurrences(of: ",", with: "")
        guard !text.isEmpty else { return nil }
        guard let value = Int64(text), value > 0, value <= maximum else {
            errors.add(field, "Enter a whole number from 1 to \(maximum), or leave it empty for no limit.")
            return nil
        }
        return value
    }

    /// "12.50" dollars → 12,500,000 micros; empty means no budget.
    static func dollarsToMicros(_ raw: String, into errors: inout FieldErrors) -> Int64? {
        let text = raw.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "$", with: "")
        guard !text.isEmpty else { return nil }
        guard let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")), value > 0, value <= 10_000_000,
            text.allSatisfy({ $0.isNumber || $0 == "." })
        else {
            errors.add("monthly_spend_budget", "Enter an amount in dollars like 25 or 12.50, or leave it empty for no limit.")
            return nil
        }
        let micros = NSDecimalNumber(decimal: value * 1_000_000).int64Value
        guard micros >= 1 else {
            errors.add("monthly_spend_budget", "Enter at least $0.000001, or leave it empty for no limit.")
            return nil
        }
        return micros
    }
}
