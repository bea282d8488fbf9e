import Foundation

/// A gateway API key as the console lists it; the secret itself is shown once and never stored.
public struct APIKey: Sendable, Equatable {
    public var id: UUID
    public var companyID: UUID
    public var name: String
    /// The first characters of the secret, so people can tell their keys apart.
    public var prefix: String
    /// Empty: every model the company allows.
    public var allowedModels: [String]
    public var monthlyTokenBudget: Int64?
    public var monthlySpendBudgetMicros: Int64?
    public var requestsPerMinute: Int?
    public var createdAt: Date
    /// The member who made it; their usage includes the key's.
    public var createdBy: UUID?
    public var lastUsedAt: Date?
    public var revokedAt: Date?

    public var isRevoked: Bool { revokedAt != nil }

    public func allows(_ model: GatewayModel) -> Bool {
        allowedModels.isEmpty || allowedModels.contains(model.id)
    }
}

/// What a new key is made with, as an admin typed it.
public struct APIKeyForm: Sendable {
    public var name: String
    public var allowedModels: [String]
    public var monthlyTokenBudget: String
    public var monthlySpendBudgetDollars: String
    public var requestsPerMinute: String

    public init(
        name: String, allowedModels: [String], monthlyTokenBudget: String, monthlySpendBudgetDollars: String, requestsPerMinute: String
    ) {
        self.name = name
        self.allowedModels = allowedModels
        self.monthlyTokenBudget = monthlyTokenBudget
        self.monthlySpendBudgetDollars = monthlySpendBudgetDollars
        self.requestsPerMinute = requestsPerMinute
    }
}

/// A key that authenticated a request: who it belongs to and what it may still spend this month.
public struct AuthenticatedKey: Sendable {
    public var key: APIKey
    /// Tokens and cost of this key in the current month, as of the last look at the database.
    public var monthTokens: Int64
    public var monthCostMicros: Int64
}
