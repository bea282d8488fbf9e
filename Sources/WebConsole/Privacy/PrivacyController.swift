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
        group.get(RouterPath(SitePaths.privacyDiff), use: diff)
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

    /// Diffs are computed per request: versions are small, and the table behind `TextDiff` is bounded.
    @Sendable func diff(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        guard let from = query.get("from", as: Int.self), let to = query.get("to", as: Int.self) else {
            throw HTTPError(.badRequest, message: "Choose two versions to compare, by number.")
        }
        guard from != to else { throw HTTPError(.badRequest, message: "Choose two different versions to compare.") }
        guard from > 0, to > 0, let old = try await policies.version(from), let new = try await policies.version(to) else {
            throw HTTPError(.notFound, message: "There is no privacy policy version with that number.")
        }
        return renderer.render(PolicyDiffPage.make(from: old, to: new, chrome: renderer.chrome(context, path: SitePaths.privacy)))
    }
}
