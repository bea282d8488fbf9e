import GatewayCore
import Hummingbird

/// The console's routes, registered in one place.
public struct ConsoleRoutes: Sendable {
    let renderer: PageRenderer
    let policies: PolicyService

    public init(renderer: PageRenderer, policies: PolicyService) {
        self.renderer = renderer
        self.policies = policies
    }

    public func addRoutes(to router: Router<ConsoleRequestContext>) {
        router.get("/") { _, _ in Response.redirect(to: SitePaths.privacy) }
        PrivacyController(renderer: renderer, policies: policies).addRoutes(to: router.group())
    }
}
