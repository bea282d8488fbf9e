import GatewayAPI
import GatewayCore
import Hummingbird
import Logging
import PostgresNIO
import WebConsole

/// Builds the whole app, as `oag serve` runs it and as tests drive it.
///
/// Before the server accepts connections it migrates the database and, on a
/// first start, publishes the privacy policy shipped in `Content/`.
public func buildApplication(
    config: AppConfig, database settings: DatabaseSettings, logger: Logger
) async throws -> some ApplicationProtocol {
    let resources = config.resourcesDirectory
    let migrator = try Migrator(directory: resources + "/Migrations", logger: logger)
    let client = PostgresClient(configuration: settings.app.clientConfiguration, backgroundLogger: logger)
    let database = Database(client: client, logger: logger)
    let policies = PolicyService(repository: PolicyRepository(database: database))
    let renderer = try await PageRenderer(templatesDirectory: resources + "/Templates", publicDirectory: resources + "/Public")

    let router = Router(context: ConsoleRequestContext.self)
    router.addMiddleware {
        RequestLogMiddleware()
        MetricsMiddleware()
        SecurityHeadersMiddleware(strictTransportSecurity: config.usesHTTPS)
        ErrorPageMiddleware(renderer: renderer, apiPrefix: GatewayRoutes.pathPrefix)
        BodyLimitMiddleware(limit: ConsoleRequestContext.maxBodySize)
        FileMiddleware(
            resources + "/Public",
            cacheControl: .init([(.init(type: .any), [.public, .maxAge(86400)])]),
            logger: logger)
    }
    HealthRoutes(database: database, metrics: Observability.metricsRegistry).addRoutes(to: router)
    ConsoleRoutes(renderer: renderer, policies: policies).addRoutes(to: router)
    GatewayRoutes().addRoutes(to: router)

    var app = Application(
        router: router,
        configuration: .init(address: .hostname(config.host, port: config.port), serverName: nil),
        services: [client],
        logger: logger)
    app.beforeServerStarts {
        _ = try await settings.owner.withConnection(logger: logger) { owner in
            try await migrator.migrate(owner, appRole: settings.appRole)
        }
        try await policies.publishInitialVersionIfNone(markdownFile: resources + "/Content/privacy-policy.md")
    }
    return app
}
