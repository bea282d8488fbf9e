import Foundation
import GatewayCore
import Hummingbird

/// Route groups state who may enter; the finer "may this role do this" lives in GatewayCore's AccessPolicy.
public enum AccessRequirement: Sendable {
    /// Any signed-in user.
    case signedIn
    /// A signed-in member acting in a company.
    case member
    /// A platform operator.
    case platformOperator
}

/// Sends visitors who are not signed in to the sign-in page and refuses the rest with 403.
public struct AccessMiddleware: RouterMiddleware {
    public typealias Context = ConsoleRequestContext

    let requirement: AccessRequirement

    public init(_ requirement: AccessRequirement) {
        self.requirement = requirement
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let identity = context.identity else {
            let next = request.method == .get ? request.uri.path : nil
            let query = next.map { "?next=" + ($0.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? "") } ?? ""
            return .redirect(to: SitePaths.logIn + query, type: .normal)
        }
        switch requirement {
        case .signedIn:
            break
        case .member:
            guard identity.tenant != nil else {
                throw HTTPError(.forbidden, message: "You are not a member of any company. Ask a company admin for an invitation.")
            }
        case .platformOperator:
            guard identity.user.isOperator else { throw AccessDenied("Only platform operators may open the operator console.") }
        }
        return try await next(request, context)
    }
}
