/// Why an OAuth step failed, in words for the person at the screen. Never carries a token,
/// a code or text the provider made up: only codes from a fixed alphabet.
public enum OAuthError: Error, Equatable, Sendable {
    /// The provider has no client id and secret on this installation.
    case notConfigured
    /// `state` is unknown, used, expired, or was started by another browser or for another provider.
    case stateInvalid
    /// The person declined at the provider's consent screen.
    case accessDenied
    /// The provider sent the person back with another error code.
    case callbackError(code: String)
    /// The code or refresh token was refused (expired, used, revoked, or a PKCE mismatch).
    case invalidGrant
    /// The provider refused the request for another reason (bad client credentials, …).
    case rejected(code: String)
    /// The provider did not answer in time.
    case timedOut
    /// The provider could not be reached or answered with a server error.
    case unavailable
    /// The answer was not what the provider documents.
    case malformedResponse
    /// The stored access token no longer works.
    case tokenRejected
    /// Signing in needs an email address the provider has verified.
    case unverifiedEmail
    /// The email belongs to an OAG account without a password, made by signing in with another provider.
    case accountUsesAnotherSignIn

    public var message: String {
        switch self {
        case .notConfigured: "This provider is not configured on this installation."
        case .stateInvalid: "This authorization link has expired, was already used, or was started in another browser. Start again."
        case .accessDenied: "You declined access at the provider. Nothing was connected."
        case .callbackError(let code): "The provider sent you back with an error (\(code)). Nothing was connected."
        case .invalidGrant: "The provider no longer accepts this authorization. Nothing was saved; start again."
        case .rejected(let code): "The provider refused the request (\(code)). Nothing was saved."
        case .timedOut: "The provider did not answer in time. Nothing was saved; try again in a moment."
        case .unavailable: "The provider could not be reached. Nothing was saved; try again in a moment."
        case .malformedResponse: "The provider's answer could not be read. Nothing was saved."
        case .tokenRejected: "The provider no longer accepts the stored authorization. Reconnect to continue."
        case .unverifiedEmail: "The provider has not verified an email address for this account, so it cannot be used to sign in."
        case .accountUsesAnotherSignIn:
            "An OAG account already uses this email and signs in with another provider. Sign in that way; nothing was changed."
        }
    }

    /// A provider's error code, if it is a plain code; anything else is replaced, never shown.
    static func code(_ raw: String?) -> String {
        guard let raw, !raw.isEmpty, raw.count <= 64, raw.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
            return "unknown_error"
        }
        return raw
    }
}
