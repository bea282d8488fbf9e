import Foundation
import GatewayCore
import Hummingbird
import Logging

/// What the console's controllers need, built once by `buildApplication`.
public struct ConsoleServices: Sendable {
    public var renderer: PageRenderer
    public var cookies: CookieSettings
    public var policies: PolicyService
    public var accounts: AccountService
    public var profiles: ProfileService
    public var memberships: MembershipService
    public var sessions: SessionStore
    public var audit: AuditLog
    public var hasher: PasswordHasher
    public var integrations: IntegrationService
    public var providerSignIn: ProviderSignIn
    public var gateway: GatewayService
    public var models: ModelCatalog
    public var apiKeys: APIKeyService
    public var companyProviders: CompanyProviders
    public var threads: ThreadService
    public var usage: UsageRecorder
    public var usageReports: UsageService
    public var billing: BillingService
    public var deletionRequests: DeletionRequestService
    public var dataExport: PersonalDataExport
    public var maintenance: MaintenanceJob
    /// Invitation and email-confirmation links are written to the log only in development (plain http), where no mailer exists.
    public var logsInvitationLinks: Bool
    public var logger: Logger

    public init(
        renderer: PageRenderer, cookies: CookieSettings, policies: PolicyService, accounts: AccountService, profiles: ProfileService,
        memberships: MembershipService,
        sessions: SessionStore, audit: AuditLog, hasher: PasswordHasher, integrations: IntegrationService, providerSignIn: ProviderSignIn,
        gateway: GatewayService, models: ModelCatalog, apiKeys: APIKeyService, companyProviders: CompanyProviders, threads: ThreadService,
        usage: UsageRecorder, usageReports: UsageService, billing: BillingService, deletionRequests: DeletionRequestService,
        dataExport: PersonalDataExport, maintenance: MaintenanceJob, logsInvitationLinks: Bool, logger: Logger
    ) {
        self.renderer = renderer
        self.cookies = cookies
        self.policies = policies
        self.accounts = accounts
        self.profiles = profiles
        self.memberships = memberships
        self.sessions = sessions
        self.audit = audit
        self.hasher = hasher
        self.integrations = integrations
        self.providerSignIn = providerSignIn
        self.gateway = gateway
        self.models = models
        self.apiKeys = apiKeys
        self.companyProviders = companyProviders
        self.threads = threads
        self.usage = usage
        self.usageReports = usageReports
        self.billing = billing
        self.deletionRequests = deletionRequests
        self.dataExport = dataExport
        self.maintenance = maintenance
        self.logsInvitationLinks = logsInvitationLinks
        self.logger = logger
    }

    /// The cookie of a fresh session that replaces `old` (see `SessionStore.rotate`).
    func startSession(for userID: UUID, company: UUID?, replacing old: Session?, ip: String?) async throws -> Cookie {
        let (token, _) = try await sessions.rotate(replacing: old, userID: userID, activeCompanyID: company, ip: ip)
        return cookies.session(token.value)
    }
}
