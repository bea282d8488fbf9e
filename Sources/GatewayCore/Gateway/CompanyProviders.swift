import Foundation
import Logging
import PostgresNIO
import Synchronization

/// A company's settings for one LLM provider, as the console shows them (never the key itself).
public struct CompanyProviderSettings: Sendable, Equatable {
    public var provider: LLMProvider
    public var hasOwnKey: Bool
    /// The last four characters of the company's key, so admins recognise it.
    public var keyHint: String?
    /// Empty: every model of this provider.
    public var allowedModels: [String]
    public var isEnabled: Bool
    public var platformKeyAvailable: Bool
}

/// What a company's admin submits for one provider.
public struct CompanyProviderForm: Sendable {
    public var provider: LLMProvider
    /// Empty keeps the stored key.
    public var apiKey: String
    public var removeKey: Bool
    public var allowedModels: [String]
    public var isEnabled: Bool

    public init(provider: LLMProvider, apiKey: String, removeKey: Bool, allowedModels: [String], isEnabled: Bool) {
        self.provider = provider
        self.apiKey = apiKey
        self.removeKey = removeKey
        self.allowedModels = allowedModels
        self.isEnabled = isEnabled
    }
}

/// How a company reaches a provider: with which key, and which of its models are allowed.
struct ProviderRoute: Sendable {
    var apiKey: String?
    var allowedModels: [String]
    var isEnabled: Bool
}

/// Companies' own provider keys (sealed by the vault) and allowed models, with the platform's
/// keys as the fallback. Routes are cached briefly so that a request does not open the vault.
public final class CompanyProviders: Sendable {
    static let cacheLifetime: TimeInterval = 5

    let database: Database
    let vault: Vault
    let upstreams: [LLMProvider: UpstreamSettings]
    let audit: AuditLog
    private let cache = Mutex<[String: (route: ProviderRoute, loadedAt: Date)]>([:])

    public init(database: Database, vault: Vault, upstreams: [LLMProvider: UpstreamSettings]) {
        self.database = database
        self.vault = vault
        self.upstreams = upstreams
        self.audit = AuditLog(database: database)
    }

    private var logger: Logger { database.logger }

    public func settings(of tenant: Tenant) async throws -> [CompanyProviderSettings] {
        try tenant.require(.manageProviders)
        let stored = try await database.withTenant(tenant.companyID) { connection in
            try await connection.rows(
                "SELECT provider, api_key IS NOT NULL, key_hint, allowed_models, is_enabled FROM provider_settings WHERE company_id = \(tenant.companyID)",
                logger: self.logger
            ).map { try $0.decode((String, Bool, String?, [String], Bool).self) }
        }
        return LLMProvider.allCases.map { provider in
            let row = stored.first { $0.0 == provider.rawValue }
            return CompanyProviderSettings(
                provider: provider, hasOwnKey: row?.1 ?? false, keyHint: row?.2, allowedModels: row?.3 ?? [], isEnabled: row?.4 ?? true,
                platformKeyAvailable: upstreams[provider]?.platformKey != nil)
        }
    }

    public func save(_ form: CompanyProviderForm, by tenant: Tenant, models: [GatewayModel], ip: String?) async throws {
        try tenant.require(.manageProviders)
        var errors = FieldErrors()
        let key = form.apiKey.trimmingCharacters(in: .whitespacesAndNewlines)
        if !key.isEmpty, key.count < 8 || key.count > 400 || key.contains(where: { $0.isWhitespace || !$0.isASCII }) {
            errors.add("api_key", "This does not look like a \(form.provider.displayName) API key.")
        }
        let offered = Set(models.filter { $0.provider == form.provider }.map(\.id))
        if form.allowedModels.contains(where: { !offered.contains($0) }) {
            errors.add("allowed_models", "Choose among \(form.provider.displayName)'s models.")
        }
        try errors.throwIfAny()
        try await database.withTenant(tenant.companyID) { connection in
            let location = SecretLocation(table: "provider_settings", rowID: form.provider.rawValue, column: "api_key")
            let sealed =
                key.isEmpty ? nil : try await self.vault.seal(Data(key.utf8), at: location, companyID: tenant.companyID, on: connection)
            try await connection.rows(
                """
                INSERT INTO provider_settings (company_id, provider, api_key, key_hint, allowed_models, is_enabled, updated_at)
                VALUES (\(tenant.companyID), \(form.provider.rawValue), \(sealed), \(key.isEmpty ? nil : String(key.suffix(4))),
                    \(Array(Set(form.allowedModels)).sorted()), \(form.isEnabled), now())
                ON CONFLICT (company_id, provider) DO UPDATE SET
                    api_key = CASE WHEN \(form.removeKey) THEN NULL ELSE COALESCE(EXCLUDED.api_key, provider_settings.api_key) END,
                    key_hint = CASE WHEN \(form.removeKey) THEN NULL ELSE COALESCE(EXCLUDED.key_hint, provider_settings.key_hint) END,
                    allowed_models = EXCLUDED.allowed_models, is_enabled = EXCLUDED.is_enabled, updated_at = now()
                """, logger: self.logger)
            try await self.audit.record(
                .providerSettingsChanged, companyID: tenant.companyID, actor: tenant.userID, detail: form.provider.displayName, ip: ip,
                on: connection)
        }
        cache.withLock { $0[Self.cacheKey(tenant.companyID, form.provider)] = nil }
    }

    /// The key and model rules a company's request to `provider` goes with.
    func route(companyID: UUID, provider: LLMProvider) async throws -> ProviderRoute {
        let cacheKey = Self.cacheKey(companyID, provider)
        if let cached = cache.withLock({ $0[cacheKey] }), Date().timeIntervalSince(cached.loadedAt) < Self.cacheLifetime {
            return cached.route
        }
        let platformKey = upstreams[provider]?.platformKey
        let route = try await database.withTenant(companyID) { connection -> ProviderRoute in
            guard
                let row = try await connection.rows(
                    "SELECT api_key, allowed_models, is_enabled FROM provider_settings WHERE company_id = \(companyID) AND provider = \(provider.rawValue)",
                    logger: self.logger
                ).first
            else { return ProviderRoute(apiKey: platformKey, allowedModels: [], isEnabled: true) }
            let (sealed, allowed, enabled) = try row.decode((Data?, [String], Bool).self)
            var key = platformKey
            if let sealed {
                let location = SecretLocation(table: "provider_settings", rowID: provider.rawValue, column: "api_key")
                key = String(decoding: try await self.vault.open(sealed, at: location, companyID: companyID, on: connection), as: UTF8.self)
            }
            return ProviderRoute(apiKey: key, allowedModels: allowed, isEnabled: enabled)
        }
        cache.withLock { $0[cacheKey] = (route, Date()) }
        return route
    }

    static func cacheKey(_ companyID: UUID, _ provider: LLMProvider) -> String { "\(companyID)|\(provider.rawValue)" }
}
