import Foundation

/// A change of sign-in email that waits for its confirmation link to be opened.
public struct PendingEmailChange: Sendable, Equatable {
    public var newEmail: EmailAddress
    public var expiresAt: Date

    /// Confirmation links are valid this long.
    public static let lifetime: TimeInterval = 24 * 3600
}

/// What saving the profile did: the name is saved at once, a new email only once confirmed.
public enum ProfileSaved: Sendable, Equatable {
    case saved
    /// The link went to the new address; it is returned for development logs only.
    case confirmationSent(link: String)
}

/// A confirmed email change that cannot be applied; nothing was changed.
public struct EmailChangeRefused: Error, Sendable, Equatable {
    public var reason: String
}
