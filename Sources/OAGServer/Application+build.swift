import AsyncHTTPClient
import GatewayAPI
import GatewayCore
import Hummingbird
import Logging
import PostgresNIO
import ServiceLifecycle
import WebConsole

/// Builds the whole app, as `oag serve` runs it and as tests drive it.
///
/// It migrates the database first, so that the background jobs, which start with the server,
/// never meet an older schema; on a first start the server publishes the privacy policy shipped
/// in `Content/` before it accepts connections. An embedded server this process runs is `watched`:
/// started again when it stops on its own.
public func buildApplication(
    config: AppConfig, database settings: DatabaseSettings, watching embedded: EmbeddedPostgres? = nil, logger: Logger
) async throws -> some ApplicationProtocol {
    let resources = config.resourcesDirectory
    let migrator = try Migrator(directory: resources + "/Migrations", logger: logger)
    _ = try await settings.owner.withConnection(logger: logger) { owner in
        try await migrator.migrate(owner, appRole: settings.appRole)
    }
    let client = PostgresClient(configuration: settings.app.clientConfiguration, backgroundLogger: logger)
    let database = Database(client: client, logger: logger)
    let outbound = OutboundHTTP(config: config)
    let services: ConsoleServices
    do {
        services = try await makeConsoleServices(config: config, database: database, outbound: outbound, logger: logger)
    } catch {
        try await outbound.shutdown()
        throw error
    }
    let router = buildRouter(config: config, services: services, database: database, logger: logger)

    let readTimeout = TimeAmount.nanoseconds(Int64(config.readTimeout.components.seconds) * 1_000_000_000)
    var background: [any Service] = [
        client,
        MaintenanceService(job: services.maintenance, logger: logger),
        // Listed after the server's own shutdown: usage of requests still finishing is written last.
        UsageFlushService(recorder: services.usage, interval: config.usageFlushInterval, logger: logger),
        DeletionJobService(
            job: DeletionJob(database: database, integrations: services.integrations, lease: config.deletionLease),
            interval: config.deletionJobInterval,
            logger: logger),
        HTTPClientService(outbound: outbound),
    ]
    if let embedded { background.append(EmbeddedPostgresWatchdog(server: embedded, logger: logger)) }
    var app = Application(
        router: router,
        // A connection gets `readTimeout` to send each request, head and body, and as long between requests.
        server: .http1(configuration: .init(additionalChannelHandlers: [ReadDeadline(limit: readTimeout)], idleTimeout: readTimeout)),
        configuration: .init(address: .hostname(config.host, port: config.port), serverName: nil),
        services: background,
        logger: logger)
    app.beforeServerStarts {
        try await services.policies.publishInitialVersionIfNone(markdownFile: resources + "/Content/privacy-policy.md")
    }
    return app
}

/// The core services the console uses, on one pool.
public func makeConsoleServices(
    config: AppConfig, database: Database, outbound: OutboundHTTP, logger: Logger
) async throws -> ConsoleServices {
    let resources = config.resourcesDirectory
    let sessions = SessionStore(database: database, lifetime: config.sessionLifetime)
    let vault = Vault(ring: try config.keyRing(logger: logger), logger: logger)
    let memberships = MembershipService(database: database, vault: vault, baseURL: config.baseURL)
    let throttle = LoginThrottle(database: database)
    let profiles = ProfileService(database: database, throttle: throttle, vault: vault, baseURL: config.baseURL)
    let hasher = PasswordHasher()
    let catalog = ProviderCatalog(settings: config.providers)
    let oauth = OAuthClient(http: outbound.oauth, timeout: config.outboundTimeout, logger: logger)
    let models = ModelCatalog(database: database)
    let usage = UsageRecorder(database: database)
    let apiKeys = APIKeyService(database: database, recorder: usage)
    let companyProviders = CompanyProviders(database: database, vault: vault, upstreams: config.upstreams)
    let threads = ThreadService(database: database, vault: vault)
    let gateway = GatewayService(
        database: database, catalog: models, keys: apiKeys, providers: companyProviders, upstreams: config.upstreams,
        client: UpstreamClient(http: outbound.llm, timeout: config.upstreamTimeout, logger: logger), recorder: usage, threads: threads,
        logger: logger)
    return ConsoleServices(
        renderer: try await PageRenderer(templatesDirectory: resources + "/Templates", publicDirectory: resources + "/Public"),
        cookies: CookieSettings(secure: config.secureCookies),
        policies: PolicyService(repository: PolicyRepository(database: database), logger: logger),
        accounts: AccountService(database: database, throttle: throttle, hasher: hasher),
        profiles: profiles,
        memberships: memberships,
        sessions: sessions,
        audit: AuditLog(database: database),
        hasher: hasher,
        integrations: IntegrationService(
            database: database, vault: vault, client: oauth, catalog: catalog, cache: ProviderDataCache(), baseURL: config.baseURL),
        providerSignIn: ProviderSignIn(database: database, client: oauth, catalog: catalog, baseURL: config.baseURL),
        gateway: gateway, models: models, apiKeys: apiKeys, companyProviders: companyProviders, threads: threads, usage: usage,
        usageReports: UsageService(database: database), billing: BillingService(database: database),
        deletionRequests: DeletionRequestService(database: database), dataExport: PersonalDataExport(database: database, vault: vault),
        maintenance: MaintenanceJob(
            database: database, sessions: sessions, throttle: throttle, memberships: memberships, profiles: profiles,
            usageRetentionMonths: config.usageRetentionMonths),
        logsInvitationLinks: !config.usesHTTPS,
        logger: logger)
}

/// Every route of the app behind the shared middleware; tests read its route list.
public func buildRouter(config: AppConfig, services: ConsoleServices, database: Database, logger: Logger) -> Router<ConsoleRequestContext> {
    // HEAD is answered by each GET route, without the body (Hummingbird adds those endpoints).
    let router = Router(context: ConsoleRequestContext.self, options: .autoGenerateHeadEndpoints)
    let identities = IdentityResolver(
        sessions: services.sessions, users: services.accounts.users, memberships: services.memberships, policies: services.policies)
    router.addMiddleware {
        ClientAddressMiddleware(trusted: config.trustedProxies)
        RequestLogMiddleware()
        MetricsMiddleware()
        SecurityHeadersMiddleware(
            strictTransportSecurity: config.usesHTTPS, formTargets: services.integrations.catalog.authorizeOrigins)
        ErrorPageMiddleware(renderer: services.renderer, apiPrefix: GatewayRoutes.pathPrefix)
        BodyLimitMiddleware(limit: ConsoleRequestContext.maxBodySize, apiPrefix: GatewayRoutes.pathPrefix)
        FileMiddleware(
            config.resourcesDirectory + "/Public",
            cacheControl: .init([(.init(type: .any), [.public, .maxAge(86400)])]),
            logger: logger)
        SessionMiddleware(identities: identities, cookies: services.cookies, apiPrefix: GatewayRoutes.pathPrefix)
        CSRFMiddleware(baseURL: config.baseURL, apiPrefix: GatewayRoutes.pathPrefix)
    }
    HealthRoutes(database: database, metrics: Observability.metricsRegistry).addRoutes(to: router)
    ConsoleRoutes(services: services, baseURL: config.baseURL).addRoutes(to: router)
    GatewayRoutes(gateway: services.gateway, keys: services.apiKeys, threads: services.threads).addRoutes(to: router)
    return router
}

extension ConsoleRequestContext: ClientAddressRequestContext {}
