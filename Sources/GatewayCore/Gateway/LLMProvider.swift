import Foundation

/// The model providers the gateway routes to.
public enum LLMProvider: String, Sendable, CaseIterable, Codable {
    case openai, anthropic, deepseek

    public var displayName: String {
        switch self {
        case .openai: "OpenAI"
        case .anthropic: "Anthropic"
        case .deepseek: "DeepSeek"
        }
    }

    /// The provider's real API base URL; paths are appended to it.
    public var defaultBaseURL: String {
        switch self {
        case .openai: "https://api.openai.com/v1"
        case .anthropic: "https://api.anthropic.com"
        case .deepseek: "https://api.deepseek.com"
        }
    }

    /// The prefix of this provider's `OAG_<P>_*` variables.
    public var environmentPrefix: String { "OAG_\(rawValue.uppercased())_" }
}

/// Where a provider's API is and the platform's own key for it (companies may bring theirs).
public struct UpstreamSettings: Sendable, Equatable {
    public var baseURL: String
    public var platformKey: String?

    public init(baseURL: String, platformKey: String? = nil) {
        self.baseURL = baseURL
        self.platformKey = platformKey
    }
}
