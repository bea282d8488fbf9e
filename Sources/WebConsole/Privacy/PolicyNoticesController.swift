import Foundation
import GatewayCore
import Hummingbird

/// A signed-in user's policy notifications, and acknowledging a significant change.
struct PolicyNoticesController {
    let services: ConsoleServices

    func addRoutes(to group: RouterGroup<ConsoleRequestContext>) {
        group.get(RouterPath(SitePaths.notifications), use: list)
        group.post(RouterPath(SitePaths.policyAcknowledgement), use: acknowledge)
    }

    @Sendable func list(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        let identity = try context.signedInIdentity()
        return services.renderer.render(
            NotificationsPage.make(
                try await services.policies.notifications(for: identity.user),
                chrome: services.renderer.chrome(context, path: SitePaths.notifications)))
    }

    /// Records the acknowledgement and returns to the page the notice was on.
    @Sendable func acknowledge(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        let identity = try context.signedInIdentity()
        guard let version = Int(context.form.text("version")) else {
            throw HTTPError(.badRequest, message: "Say which version of the privacy policy you acknowledge.")
        }
        try await services.policies.acknowledge(version: version, by: identity.user)
        return .redirect(to: SitePaths.safeNext(context.form["return_to"]), flash: .policyAcknowledged, cookies: services.cookies)
    }
}
