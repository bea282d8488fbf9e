import Foundation

/// An invitation as the inviting admin sees it.
public struct Invitation: Sendable, Equatable {
    public var id: UUID
    public var email: EmailAddress
    public var role: Role
    public var createdAt: Date
    public var expiresAt: Date

    /// Invitation links are valid this long.
    public static let lifetime: TimeInterval = 7 * 24 * 3600
}

/// An invitation as the invitee sees it when opening the link.
public struct InvitationDetails: Sendable, Equatable {
    public enum State: Sendable, Equatable { case open, expired, used }

    public var companyID: UUID
    public var companyName: String
    public var email: EmailAddress
    public var role: Role
    public var state: State
}
