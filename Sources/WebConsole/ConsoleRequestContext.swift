import GatewayCore
import Hummingbird
import NIOCore

/// Per-request state of the console, filled in once by the middleware.
public struct ConsoleRequestContext: RemoteAddressRequestContext {
    /// Forms and JSON bodies are small; anything larger is refused before it is read.
    public static let maxBodySize = 1024 * 1024

    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?
    /// The client's address: the TCP peer's, or what a trusted proxy says (`ClientAddressMiddleware`).
    public var clientIP: String?
    /// Who is signed in, and their active company; set by `SessionMiddleware`.
    public var identity: Identity?
    /// The token every form of this page must carry: the session's, or an anonymous visitor's.
    public var csrfToken = ""
    /// A message left by the previous request (after a redirect).
    public var flash: Flash?
    /// The posted form, read and checked once by `CSRFMiddleware`.
    public var form = FormFields()

    public init(source: Source) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
        self.clientIP = remoteAddress?.ipAddress
    }

    public var maxUploadSize: Int { Self.maxBodySize }

    /// The signed-in member's company context; routes behind `RequireCompany` always have one.
    public func tenant() throws -> Tenant {
        guard let tenant = identity?.tenant else { throw HTTPError(.forbidden, message: "You are not a member of any company.") }
        return tenant
    }

    public func signedInIdentity() throws -> Identity {
        guard let identity else { throw HTTPError(.unauthorized, message: "Sign in to continue.") }
        return identity
    }
}
