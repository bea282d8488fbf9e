import Foundation

/// One metered gateway request: who, with which key, which model, how many tokens, what it cost.
public struct UsageEvent: Sendable, Equatable {
    public var companyID: UUID
    public var id: UUID
    public var occurredAt: Date
    public var userID: UUID?
    public var apiKeyID: UUID?
    public var threadID: UUID?
    public var provider: LLMProvider
    public var model: String
    public var promptTokens: Int
    public var completionTokens: Int
    public var costMicros: Int64
    public var latencyMilliseconds: Int
    /// The HTTP status the caller got.
    public var status: Int

    public init(
        companyID: UUID, id: UUID = UUID(), occurredAt: Date = Date(), userID: UUID?, apiKeyID: UUID?, threadID: UUID?,
        provider: LLMProvider,
        model: String, promptTokens: Int, completionTokens: Int, costMicros: Int64, latencyMilliseconds: Int, status: Int
    ) {
        self.companyID = companyID
        self.id = id
        self.occurredAt = occurredAt
        self.userID = userID
        self.apiKeyID = apiKeyID
        self.threadID = threadID
        self.provider = provider
        self.model = model
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.costMicros = costMicros
        self.latencyMilliseconds = latencyMilliseconds
        self.status = status
    }
}
