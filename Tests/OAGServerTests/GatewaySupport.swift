import Foundation
import GatewayCore
import Hummingbird
import HummingbirdTesting
import Logging
import PostgresNIO
import TestSupport
import Testing

extension FakeLLMProvider {
    var id: LLMProvider { LLMProvider(rawValue: rawValue)! }
}

extension FakeLLMUpstream {
    /// `OAG_<P>_BASE_URL` and `OAG_<P>_API_KEY` pointing every provider at this fake.
    var upstreamSettings: [LLMProvider: UpstreamSettings] {
        Dictionary(uniqueKeysWithValues: FakeLLMProvider.allCases.map { ($0.id, UpstreamSettings(baseURL: base($0), platformKey: apiKey)) })
    }
}

/// The `World`, a fake of the three LLM providers, and the app configured to use it; usage is
/// written every 50 ms so that tests can read it back.
func withGateway(
    logger: Logger = TestDatabase.logger, configure: @escaping @Sendable (inout AppConfig) -> Void = { _ in },
    _ test: @Sendable (FakeLLMUpstream, World, TestData, any TestClientProtocol) async throws -> Void
) async throws {
    let fake = try await FakeLLMUpstream.start()
    do {
        try await withWorld(
            logger: logger,
            configure: { config in
                config.upstreams = fake.upstreamSettings
                config.upstreamTimeout = .seconds(2)
                config.usageFlushInterval = .milliseconds(50)
                configure(&config)
            }
        ) { world, data, client in
            try await test(fake, world, data, client)
        }
    } catch {
        await fake.shutdown()
        throw error
    }
    await fake.shutdown()
}

/// Arranging and reading gateway data directly.
extension TestData {
    /// A key of `company` made in the database; returns its secret.
    @discardableResult
    func apiKey(
        company: UUID, name: String = "test key", allowedModels: [String] = [], tokenBudget: Int64? = nil, requestsPerMinute: Int? = nil,
        id: UUID = UUID(), createdBy: UUID? = nil
    ) async throws -> String {
        let secret = APIKeyService.secretPrefix + SecretToken().value
        try await rows(
            """
            INSERT INTO api_keys (company_id, id, name, prefix, key_hash, allowed_models, monthly_token_budget, requests_per_minute, created_by)
            VALUES (\(company), \(id), \(name), \(String(secret.prefix(12))), \(SecretToken.hash(secret)), \(allowedModels), \(tokenBudget),
                \(requestsPerMinute), \(createdBy))
            """)
        return secret
    }

    /// Waits (at most five seconds) until `count` usage events match `condition`, then returns them.
    func usageEvents(_ count: Int, where condition: String = "true") async throws -> [UsageRow] {
        for _ in 0..<100 {
            let found = try await rows(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT model, provider, prompt_tokens, completion_tokens, cost_micros, status, api_key_id, user_id, thread_id
                        FROM usage_events WHERE \(condition) ORDER BY occurred_at
                        """))
            if found.count >= count {
                return try found.map {
                    let columns = try $0.decode((String, String, Int, Int, Int64, Int, UUID?, UUID?, UUID?).self)
                    return UsageRow(
                        model: columns.0, provider: columns.1, promptTokens: columns.2, completionTokens: columns.3, costMicros: columns.4,
                        status: columns.5, apiKeyID: columns.6, userID: columns.7, threadID: columns.8)
                }
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("fewer than \(count) usage events where \(condition)")
        return []
    }
}

struct UsageRow: Equatable {
    var model: String
    var provider: String
    var promptTokens: Int
    var completionTokens: Int
    var costMicros: Int64
    var status: Int
    var apiKeyID: UUID?
    var userID: UUID?
    var threadID: UUID?
}

/// A program calling the gateway.
struct APIClient {
    let client: any TestClientProtocol
    let key: String?

    func chat(_ body: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        var headers = headers
        headers[.contentType] = "application/json"
        if let key { headers[.authorization] = "Bearer \(key)" }
        return try await client.execute(uri: "/v1/chat/completions", method: .post, headers: headers, body: ByteBuffer(string: body))
    }

    func chat(model: String, messages: [(String, String)], extra: String = "") async throws -> TestResponse {
        let list = messages.map { #"{"role":"\#($0.0)","content":"\#($0.1)"}"# }.joined(separator: ",")
        return try await chat(#"{"model":"\#(model)","messages":[\#(list)]\#(extra)}"#)
    }

    func models() async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if let key { headers[.authorization] = "Bearer \(key)" }
        return try await client.execute(uri: "/v1/models", method: .get, headers: headers)
    }
}

extension TestResponse {
    var json: JSONValue? { try? JSONValue.decode(Data(buffer: body)) }

    /// The `data:` payloads of a server-sent event stream.
    var events: [String] {
        text.components(separatedBy: "\n\n").compactMap { event in
            event.split(separator: "\n").first { $0.hasPrefix("data: ") }.map { String($0.dropFirst(6)) }
        }
    }
}
