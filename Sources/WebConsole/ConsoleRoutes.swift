import GatewayCore
import Hummingbird

/// The console's routes, registered in one place, grouped by who may enter.
public struct ConsoleRoutes: Sendable {
    let services: ConsoleServices
    /// Shown where programs need the API's address.
    let baseURL: String

    public init(services: ConsoleServices, baseURL: String) {
        self.services = services
        self.baseURL = baseURL
    }

    public func addRoutes(to router: Router<ConsoleRequestContext>) {
        router.get(RouterPath(SitePaths.home)) { _, context in
            guard let identity = context.identity else { return Response.redirect(to: SitePaths.privacy) }
            return Response.redirect(to: SitePaths.start(isOperator: identity.user.isOperator, hasCompany: identity.tenant != nil))
        }
        let everyone = router.group()
        PrivacyController(renderer: services.renderer, policies: services.policies).addRoutes(to: everyone)
        AuthController(services: services).addRoutes(to: everyone)
        InvitationController(services: services).addRoutes(to: everyone)
        ProviderSignInController(services: services).addRoutes(to: everyone)
        let deletionRequests = DeletionRequestsController(services: services, baseURL: baseURL)
        deletionRequests.addPublicRoutes(to: everyone)

        let signedIn = router.group().add(middleware: AccessMiddleware(.signedIn))
        AccountController(services: services).addRoutes(to: signedIn)
        DataExportController(services: services).addRoutes(to: signedIn)
        deletionRequests.addAccountRoutes(to: signedIn)
        PolicyNoticesController(services: services).addRoutes(to: signedIn)
        EmailConfirmationController(services: services).addRoutes(to: signedIn)

        let members = router.group().add(middleware: AccessMiddleware(.member))
        DashboardController(services: services).addRoutes(to: members)
        MembersController(services: services).addRoutes(to: members)
        IntegrationsController(services: services).addRoutes(to: members)
        APIKeysController(services: services, baseURL: baseURL).addRoutes(to: members)
        ProvidersController(services: services).addRoutes(to: members)
        ThreadsController(services: services).addRoutes(to: members)
        UsageController(services: services).addRoutes(to: members)
        deletionRequests.addCompanyRoutes(to: members)

        let operators = router.group().add(middleware: AccessMiddleware(.platformOperator))
        AdminController(services: services).addRoutes(to: operators)
        deletionRequests.addAdminRoutes(to: operators)
        PolicyEditorController(services: services).addRoutes(to: operators)
    }
}
