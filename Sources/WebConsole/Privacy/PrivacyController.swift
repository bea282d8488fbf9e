import GatewayCore
import Hummingbird

/// The public privacy policy and its version history.
struct PrivacyController {
    let renderer: PageRenderer
    let policies: PolicyService

    func addRoutes(to group: RouterGroup<ConsoleRequestContext>) {
        group.get(RouterPath(SitePaths.privacy), use: current)
        group.get(RouterPath(SitePaths.privacyVersions), use: versions)
        group.get("\(SitePaths.privacyVersions)/:number", use: version)
    }

    @Sendable func current(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        guard let policy = try await policies.current() else {
            throw HTTPError(.notFound, message: "No privacy policy has been published yet.")
        }
        return renderer.renderShared(key: "policy-\(policy.number)-current", context: context) {
            PolicyPage.make(policy, currentVersion: policy.number, chrome: renderer.chrome(context, path: SitePaths.privacy))
        }
    }

    @Sendable func versions(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        renderer.render(PolicyVersionsPage.make(try await policies.versions(), chrome: renderer.chrome(context, path: SitePaths.privacy)))
    }

    @Sendable func version(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        guard let number = context.parameters.get("number", as: Int.self), number > 0,
            let policy = try await policies.version(number), let current = try await policies.current()
        else {
            throw HTTPError(.notFound, message: "There is no privacy policy version at this address.")
        }
        return renderer.renderShared(key: "policy-\(policy.number)-of-\(current.number)", context: context) {
            PolicyPage.make(policy, currentVersion: current.number, chrome: renderer.chrome(context, path: SitePaths.privacy))
        }
    }
}
