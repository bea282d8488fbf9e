import Foundation

/// A member's connection to a provider in one company. The tokens themselves stay sealed in
/// the repository and are opened only where a call to the provider needs them.
public struct Integration: Sendable, Equatable {
    public enum Status: String, Sendable {
        case connected
        /// The provider stopped accepting the tokens (refresh refused, access revoked there).
        case needsReconnect = "needs_reconnect"
    }

    public var id: UUID
    public var companyID: UUID
    public var userID: UUID
    public var provider: ProviderID
    public var accountID: String
    public var accountLabel: String
    public var scopes: [String]
    public var accessExpiresAt: Date?
    public var deviceID: String?
    public var status: Status
    public var connectedAt: Date
    public var refreshedAt: Date?
    public var lastUsedAt: Date?
}

/// One provider on "My Integrations": what the catalog says and what this member has.
public struct ProviderConnection: Sendable {
    public var provider: ConfiguredProvider
    public var integration: Integration?
}

/// A row of the company view: who has connected what (never the tokens).
public struct MemberConnection: Sendable, Equatable {
    public var memberName: String
    public var memberEmail: String
    public var integration: Integration
}
