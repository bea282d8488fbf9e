import Foundation
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// An upstream the fake impersonates, each under `/<rawValue>` of the fake's base URL.
public enum FakeLLMProvider: String, Sendable, CaseIterable { case openai, anthropic, deepseek }

public enum FakeLLMFailure: Sendable, Equatable {
    /// HTTP 500 with the provider's error JSON.
    case serverError
    /// Answers only after 30 s (with a 500), so the client's own timeout must fire first.
    case hang
    /// The fake reads the whole request, then closes the connection without sending a single response byte.
    case resetBeforeResponse
    /// HTTP 429 with the provider's error JSON and `retry-after: 1`.
    case rateLimited
}

/// One request as the fake received it, whatever became of it.
public struct FakeLLMRequest: Sendable {
    public let provider: FakeLLMProvider
    /// The full path as received, provider prefix included (e.g. `/openai/v1/chat/completions`).
    public let path: String
    /// Lower-cased names; repeated fields joined with ", ".
    public let headers: [String: String]
    /// The raw JSON text as received.
    public let body: String
}

/// An in-process stand-in for the OpenAI Chat Completions, DeepSeek and Anthropic Messages APIs, speaking their wire formats
/// (JSON and server-sent events, errors included), so the app under test can be pointed at it instead of the real ones.
/// Token usage is deterministic: see `promptTokens(messages:system:)` and `completionTokens(_:)`.
/// Every instance is independent, so tests running in parallel each start their own.
public final class FakeLLMUpstream: Sendable {
    /// "http://127.0.0.1:PORT"
    public let baseURL: String
    /// The key all three providers accept (OpenAI and DeepSeek as `Authorization: Bearer`, Anthropic as `x-api-key`).
    public let apiKey: String
    private let engine: LLMUpstreamEngine
    private let task: Task<Void, any Error>

    private init(port: Int, engine: LLMUpstreamEngine, task: Task<Void, any Error>) {
        baseURL = "http://127.0.0.1:\(port)"
        apiKey = LLMUpstreamEngine.defaultKey
        self.engine = engine
        self.task = task
    }

    deinit { task.cancel() }

    public static func start() async throws -> FakeLLMUpstream {
        let engine = LLMUpstreamEngine()
        var logger = Logger(label: "FakeLLMUpstream")
        // Shutdown cancels the server, which Hummingbird logs as an error; a failure to start is thrown anyway.
        logger.logLevel = .critical
        let (ports, portReady) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            responder: CallbackResponder { (request: Request, context: LLMRequestContext) in
                try await engine.respond(to: request, context: context)
            },
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                if let port = channel.localAddress?.port { portReady.yield(port) }
                portReady.finish()
            },
            logger: logger)
        let task = Task {
            defer { portReady.finish() }
            try await app.run()
        }
        for await port in ports {
            return FakeLLMUpstream(port: port, engine: engine, task: task)
        }
        // The server ended before it listened: its error says why.
        try await task.value
        throw FakeServerError(description: "the fake LLM upstream stopped before it listened")
    }

    public func shutdown() async {
        task.cancel()
        _ = await task.result
    }

    /// The base URL to configure the app with: the client appends `/chat/completions` (OpenAI, DeepSeek) or
    /// `/v1/messages` (Anthropic), as with https://api.openai.com/v1, https://api.deepseek.com and https://api.anthropic.com.
    public func base(_ provider: FakeLLMProvider) -> String {
        switch provider {
        case .openai: baseURL + "/openai/v1"
        case .anthropic: baseURL + "/anthropic"
        case .deepseek: baseURL + "/deepseek"
        }
    }

    /// Also accept this key (a company's own key), for all three providers.
    public func accept(apiKey: String) {
        _ = engine.state.withLock { $0.keys.insert(apiKey) }
    }

    /// The text every completion returns from now on. Streaming sends it `chunkSize` characters per event, waiting
    /// `chunkDelay` before each of those events, so a client's incremental delivery is observable.
    public func setReply(_ text: String, chunkSize: Int = 5, chunkDelay: Duration = .zero) {
        precondition(chunkSize > 0, "chunkSize must be positive")
        engine.state.withLock { $0.reply = LLMReply(text: text, chunkSize: chunkSize, chunkDelay: chunkDelay) }
    }

    /// The next completion request to that provider fails this way; later ones behave again.
    public func failNext(_ failure: FakeLLMFailure, provider: FakeLLMProvider) {
        engine.state.withLock { $0.failures[provider] = failure }
    }

    /// In the order they arrived, including refused and failed ones.
    public func requests(_ provider: FakeLLMProvider) -> [FakeLLMRequest] {
        engine.state.withLock { $0.requests[provider] ?? [] }
    }

    /// What the fake bills for a prompt: its whitespace-separated words (message contents and the Anthropic `system`)
    /// plus 3 per message. Array contents count the words of their parts' `text`.
    public static func promptTokens(messages: [(role: String, content: String)], system: String?) -> Int {
        messages.reduce(wordCount(system ?? "")) { $0 + wordCount($1.content) + 3 }
    }

    /// What the fake bills for a reply: its whitespace-separated words.
    public static func completionTokens(_ reply: String) -> Int {
        wordCount(reply)
    }

    static func wordCount(_ text: String) -> Int {
        text.split(whereSeparator: \.isWhitespace).count
    }
}

// MARK: - State

struct LLMReply {
    var text: String
    var chunkSize: Int
    var chunkDelay: Duration
}

struct LLMUpstreamState {
    var keys: Set<String> = [LLMUpstreamEngine.defaultKey]
    var reply = LLMReply(text: "Hello from the fake.", chunkSize: 5, chunkDelay: .zero)
    var failures: [FakeLLMProvider: FakeLLMFailure] = [:]
    var requests: [FakeLLMProvider: [FakeLLMRequest]] = [:]
}

/// Keeps the connection at hand, so `.resetBeforeResponse` can close it before Hummingbird writes a response.
struct LLMRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

/// A refusal, rendered in the shape of whichever provider was asked.
struct LLMUpstreamError: Error {
    var status: HTTPResponse.Status
    var message: String
    /// OpenAI's and DeepSeek's `error.type`; Anthropic's follows from the status.
    var type: String
    var code: String?
    var param: String?

    init(
        _ status: HTTPResponse.Status, _ message: String, type: String = "invalid_request_error", code: String? = nil, param: String? = nil
    ) {
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param
    }
}

/// What the fake needs from a valid completion request, whichever API it came through.
struct LLMPrompt {
    enum Stop { case end, maxTokens, sequence(String) }

    var model: String
    var messages: [(role: String, content: String)]
    var system: String?
    var maxTokens: Int?
    var stops: [String]
    var stream: Bool
    var includeUsage: Bool

    var promptTokens: Int { FakeLLMUpstream.promptTokens(messages: messages, system: system) }

    /// The reply as a model would emit it for this request: cut before the first stop sequence, then after `maxTokens` words.
    func complete(_ reply: String) -> (text: String, stop: Stop) {
        let hit = stops.filter { !$0.isEmpty }.compactMap { stop in reply.range(of: stop).map { (stop, $0.lowerBound) } }
            .min { $0.1 < $1.1 }
        let text = hit.map { String(reply[..<$0.1]) } ?? reply
        let words = text.split(whereSeparator: \.isWhitespace)
        if let maxTokens, words.count > maxTokens { return (String(text[..<words[maxTokens - 1].endIndex]), .maxTokens) }
        return (text, hit.map { .sequence($0.0) } ?? .end)
    }
}

/// Just enough JSON to tell field types apart as strictly as the real APIs do (JSONSerialization blurs Bool and number).
enum LLMJSON: Decodable, Equatable {
    case null, bool(Bool), number(Double), string(String), array([LLMJSON]), object([String: LLMJSON])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([LLMJSON].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: LLMJSON].self))
        }
    }

    subscript(key: String) -> LLMJSON? {
        if case .object(let fields) = self { fields[key] } else { nil }
    }

    var integer: Int? {
        if case .number(let value) = self, value.rounded() == value, abs(value) < 1e15 { Int(value) } else { nil }
    }

    /// The type's name as OpenAI puts it in its complaints.
    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    /// A message's text: a plain string, or the `text` of each part of a content array.
    static func text(_ content: LLMJSON?) -> String {
        switch content {
        case .string(let text)?: text
        case .array(let parts)?:
            parts.compactMap { part -> String? in
                if case .string(let text)? = part["text"] { text } else { nil }
            }.joined(separator: " ")
        default: ""
        }
    }
}

// MARK: - Wire

/// The fake's behaviour, shared by the server's responder and the test-facing `FakeLLMUpstream`.
final class LLMUpstreamEngine: Sendable {
    static let defaultKey = "sk-fake-upstream"
    static let anthropicVersions: Set<String> = ["2023-06-01", "2023-01-01"]

    let state = Mutex(LLMUpstreamState())

    func respond(to request: Request, context: LLMRequestContext) async throws -> Response {
        let path = request.uri.path
        guard let provider = FakeLLMProvider.allCases.first(where: { path.hasPrefix("/" + $0.rawValue + "/") }) else {
            return Response(status: .notFound)
        }
        var request = request
        let body = try await request.collectBody(upTo: 32 << 20)
        var headers: [String: String] = [:]
        for field in request.headers {
            headers[field.name.canonicalName] = headers[field.name.canonicalName].map { $0 + ", " + field.value } ?? field.value
        }
        let received = FakeLLMRequest(provider: provider, path: path, headers: headers, body: String(buffer: body))
        // What the real host sees, without the prefix that tells the providers apart here.
        let endpoint = String(path.dropFirst(provider.rawValue.count + 1))
        let routed = request.method == .post && endpoint == Self.endpoint(provider)
        let (failure, reply, keys) = state.withLock { state in
            state.requests[provider, default: []].append(received)
            return (routed ? state.failures.removeValue(forKey: provider) : nil, state.reply, state.keys)
        }
        do {
            guard routed else {
                throw LLMUpstreamError(.notFound, provider == .anthropic ? "Not Found" : "Invalid URL (\(request.method) \(endpoint))")
            }
            if let failure { try await fail(failure, provider, context) }
            try Self.authenticate(received, keys)
            if provider == .anthropic { return try Self.anthropicReply(try Self.anthropicPrompt(received), reply) }
            return try Self.chatReply(try Self.chatPrompt(received), reply, provider)
        } catch let error as LLMUpstreamError {
            return try Self.render(error, provider)
        }
    }

    /// Where the real host serves completions.
    private static func endpoint(_ provider: FakeLLMProvider) -> String {
        switch provider {
        case .openai: "/v1/chat/completions"
        case .anthropic: "/v1/messages"
        case .deepseek: "/chat/completions"
        }
    }

    private func fail(_ failure: FakeLLMFailure, _ provider: FakeLLMProvider, _ context: LLMRequestContext) async throws -> Never {
        switch failure {
        case .serverError:
            throw Self.serverError(provider)
        case .hang:
            try await Task.sleep(for: .seconds(30))
            throw Self.serverError(provider)
        case .rateLimited:
            throw
                provider == .anthropic
                ? LLMUpstreamError(.tooManyRequests, "Number of requests has exceeded your rate limit. Please try again later.")
                : LLMUpstreamError(
                    .tooManyRequests, "Rate limit reached for requests. Please try again in 1s.", type: "requests",
                    code: "rate_limit_exceeded")
        case .resetBeforeResponse:
            // Closed first, the connection carries none of the 500 that Hummingbird makes of the error thrown next.
            try? await context.channel.close().get()
            throw FakeServerError(description: "connection closed before responding, on purpose")
        }
    }

    private static func serverError(_ provider: FakeLLMProvider) -> LLMUpstreamError {
        provider == .anthropic
            ? LLMUpstreamError(.internalServerError, "Internal server error")
            : LLMUpstreamError(
                .internalServerError, "The server had an error while processing your request. Sorry about that!", type: "server_error")
    }

    // MARK: Authentication

    private static func authenticate(_ request: FakeLLMRequest, _ keys: Set<String>) throws {
        switch request.provider {
        case .anthropic:
            guard let key = request.headers["x-api-key"] else { throw LLMUpstreamError(.unauthorized, "x-api-key header is required") }
            guard keys.contains(key) else { throw LLMUpstreamError(.unauthorized, "invalid x-api-key") }
        case .openai:
            guard let key = bearer(request) else {
                throw LLMUpstreamError(
                    .unauthorized,
                    "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth "
                        + "(i.e. Authorization: Bearer YOUR_KEY).")
            }
            guard keys.contains(key) else {
                // OpenAI shows only the ends of a wrong key.
                let masked = key.count > 7 ? "\(key.prefix(3))\(String(repeating: "*", count: key.count - 7))\(key.suffix(4))" : "***"
                throw LLMUpstreamError(
                    .unauthorized,
                    "Incorrect API key provided: \(masked). You can find your API key at https://platform.openai.com/account/api-keys.",
                    code: "invalid_api_key")
            }
        case .deepseek:
            let key = bearer(request)
            guard let key, keys.contains(key) else {
                throw LLMUpstreamError(
                    .unauthorized, "Authentication Fails, Your api key: ****\(key?.suffix(4) ?? "") is invalid",
                    type: "authentication_error",
                    code: "invalid_request_error")
            }
        }
    }

    private static func bearer(_ request: FakeLLMRequest) -> String? {
        guard let header = request.headers["authorization"], let space = header.firstIndex(of: " "),
            header[..<space].caseInsensitiveCompare("Bearer") == .orderedSame
        else { return nil }
        let value = header[space...].trimmingCharacters(in: .whitespaces)
        return value.isEmpty ? nil : value
    }

    // MARK: Chat Completions (OpenAI, DeepSeek)

    private static func chatPrompt(_ request: FakeLLMRequest) throws -> LLMPrompt {
        let contentType = request.headers["content-type"]
        guard let contentType, contentType.lowercased().hasPrefix("application/json") else {
            throw LLMUpstreamError(.badRequest, "Invalid Content-Type header (\(contentType ?? "none")), expected application/json.")
        }
        guard let body = try? JSONDecoder().decode(LLMJSON.self, from: Data(request.body.utf8)), case .object = body else {
            throw LLMUpstreamError(
                .badRequest,
                "We could not parse the JSON body of your request. The API expects a JSON payload, but what was sent was not valid JSON.")
        }
        guard case .string(let model)? = body["model"], !model.isEmpty else {
            throw LLMUpstreamError(.badRequest, "you must provide a model parameter")
        }
        guard let value = body["messages"] else {
            throw LLMUpstreamError(
                .badRequest, "Missing required parameter: 'messages'.", code: "missing_required_parameter", param: "messages")
        }
        guard case .array(let items) = value else {
            throw LLMUpstreamError(
                .badRequest, "Invalid type for 'messages': expected an array of objects, but got \(value.typeName) instead.",
                code: "invalid_type", param: "messages")
        }
        guard !items.isEmpty else {
            throw LLMUpstreamError(
                .badRequest, "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
                code: "empty_array", param: "messages")
        }
        let roles =
            request.provider == .deepseek
            ? ["system", "user", "assistant", "tool"] : ["system", "developer", "user", "assistant", "tool", "function"]
        var messages: [(role: String, content: String)] = []
        for (index, item) in items.enumerated() {
            let param = "messages[\(index)].role"
            guard case .string(let role)? = item["role"] else {
                throw LLMUpstreamError(
                    .badRequest, "Missing required parameter: '\(param)'.", code: "missing_required_parameter", param: param)
            }
            guard roles.contains(role) else {
                let supported = roles.map { "'\($0)'" }.joined(separator: ", ")
                throw LLMUpstreamError(
                    .badRequest, "Invalid value: '\(role)'. Supported values are: \(supported).", code: "invalid_value", param: param)
            }
            messages.append((role, LLMJSON.text(item["content"])))
        }
        // OpenAI's max_completion_tokens supersedes the older max_tokens.
        let limitName = body["max_completion_tokens"] == nil ? "max_tokens" : "max_completion_tokens"
        var maxTokens: Int?
        if let limit = body[limitName], limit != .null {
            guard let value = limit.integer else {
                throw LLMUpstreamError(
                    .badRequest, "Invalid type for '\(limitName)': expected an integer, but got \(limit.typeName) instead.",
                    code: "invalid_type", param: limitName)
            }
            guard value >= 1 else {
                throw LLMUpstreamError(
                    .badRequest, "Invalid '\(limitName)': integer below minimum value. Expected a value >= 1, but got \(value) instead.",
                    code: "integer_below_min_value", param: limitName)
            }
            maxTokens = value
        }
        if let temperature = body["temperature"], temperature != .null {
            guard case .number(let value) = temperature, (0...2).contains(value) else {
                throw LLMUpstreamError(
                    .badRequest, "Invalid 'temperature': expected a number between 0 and 2.", code: "invalid_value", param: "temperature")
            }
        }
        let stops: [String]
        switch body["stop"] {
        case nil, .null?: stops = []
        case .string(let stop)?: stops = [stop]
        case .array(let items)? where items.allSatisfy({ if case .string = $0 { true } else { false } }):
            stops = items.map { LLMJSON.text($0) }
        default:
            throw LLMUpstreamError(
                .badRequest, "Invalid type for 'stop': expected a string or an array of strings.", code: "invalid_type", param: "stop")
        }
        let stream = body["stream"] == .bool(true)
        if let options = body["stream_options"], options != .null, !stream {
            throw LLMUpstreamError(
                .badRequest, "The 'stream_options' parameter is only allowed when 'stream' is enabled.", param: "stream_options")
        }
        return LLMPrompt(
            model: model, messages: messages, maxTokens: maxTokens, stops: stops, stream: stream,
            includeUsage: body["stream_options"]?["include_usage"] == .bool(true))
    }

    private static func chatReply(_ prompt: LLMPrompt, _ reply: LLMReply, _ provider: FakeLLMProvider) throws -> Response {
        let (text, stop) = prompt.complete(reply.text)
        let finish = if case .maxTokens = stop { "length" } else { "stop" }
        let promptTokens = prompt.promptTokens
        let completionTokens = FakeLLMUpstream.completionTokens(text)
        var usage: [String: Any] = [
            "prompt_tokens": promptTokens, "completion_tokens": completionTokens, "total_tokens": promptTokens + completionTokens,
        ]
        if provider == .deepseek {
            // DeepSeek reports its context cache beside OpenAI's fields; the fake never hits it.
            usage["prompt_cache_hit_tokens"] = 0
            usage["prompt_cache_miss_tokens"] = promptTokens
        }
        let common: [String: Any] = [
            "id": provider == .deepseek ? UUID().uuidString.lowercased() : "chatcmpl-" + randomID(),
            "created": Int(Date().timeIntervalSince1970), "model": prompt.model, "system_fingerprint": "fp_fake",
        ]
        let requestID: HTTPFields = provider == .openai ? [.init("x-request-id")!: "req_" + randomID()] : [:]
        guard prompt.stream else {
            let choice: [String: Any] = [
                "index": 0, "message": ["role": "assistant", "content": text], "logprobs": NSNull(), "finish_reason": finish,
            ]
            let object = common.merging(["object": "chat.completion", "choices": [choice], "usage": usage]) { $1 }
            return try json(.ok, object, headers: requestID)
        }
        func data(_ fields: [String: Any]) throws -> String {
            "data: " + (try serialize(common.merging(fields) { $1 }.merging(["object": "chat.completion.chunk"]) { $1 })) + "\n\n"
        }
        func chunk(_ delta: [String: Any], finish: String?) throws -> String {
            var fields: [String: Any] = ["choices": [["index": 0, "delta": delta, "logprobs": NSNull(), "finish_reason": orNull(finish)]]]
            // With include_usage every chunk carries a usage field, null until the last one.
            if prompt.includeUsage { fields["usage"] = NSNull() }
            return try data(fields)
        }
        // DeepSeek sends SSE comments while a request waits to be scheduled; clients must skip them.
        let keepAlive = provider == .deepseek ? [": keep-alive\n\n"] : []
        var tail = [try chunk([:], finish: finish)]
        if prompt.includeUsage { tail.append(try data(["choices": [Any](), "usage": usage])) }
        tail.append("data: [DONE]\n\n")
        return events(
            head: keepAlive + [try chunk(["role": "assistant", "content": ""], finish: nil)],
            paced: try pieces(text, reply.chunkSize).map { try chunk(["content": $0], finish: nil) }, tail: tail,
            delay: reply.chunkDelay, headers: requestID)
    }

    // MARK: Messages (Anthropic)

    private static func anthropicPrompt(_ request: FakeLLMRequest) throws -> LLMPrompt {
        guard let version = request.headers["anthropic-version"] else {
            throw LLMUpstreamError(.badRequest, "anthropic-version: header is required")
        }
        guard anthropicVersions.contains(version) else {
            throw LLMUpstreamError(.badRequest, "anthropic-version: unknown version \(version)")
        }
        guard let body = try? JSONDecoder().decode(LLMJSON.self, from: Data(request.body.utf8)), case .object = body else {
            throw LLMUpstreamError(.badRequest, "There was an issue with the format or content of your request: the body is not JSON.")
        }
        guard case .string(let model)? = body["model"] else { throw LLMUpstreamError(.badRequest, "model: Field required") }
        guard let limit = body["max_tokens"] else { throw LLMUpstreamError(.badRequest, "max_tokens: Field required") }
        guard let maxTokens = limit.integer else { throw LLMUpstreamError(.badRequest, "max_tokens: Input should be a valid integer") }
        guard maxTokens >= 1 else { throw LLMUpstreamError(.badRequest, "max_tokens: Input should be greater than or equal to 1") }
        guard case .array(let items)? = body["messages"] else { throw LLMUpstreamError(.badRequest, "messages: Field required") }
        guard !items.isEmpty else { throw LLMUpstreamError(.badRequest, "messages: at least one message is required") }
        var messages: [(role: String, content: String)] = []
        for (index, item) in items.enumerated() {
            guard case .string(let role)? = item["role"] else {
                throw LLMUpstreamError(.badRequest, "messages.\(index).role: Field required")
            }
            guard role != "system" else {
                throw LLMUpstreamError(
                    .badRequest,
                    "messages: Unexpected role \"system\". The Messages API accepts a top-level `system` parameter, "
                        + "not \"system\" as an input message role.")
            }
            guard role == "user" || role == "assistant" else {
                throw LLMUpstreamError(.badRequest, "messages.\(index).role: Input should be 'user' or 'assistant'")
            }
            guard let content = item["content"] else { throw LLMUpstreamError(.badRequest, "messages.\(index).content: Field required") }
            messages.append((role, LLMJSON.text(content)))
        }
        guard messages[0].role == "user" else { throw LLMUpstreamError(.badRequest, "messages: first message must use the \"user\" role") }
        if let temperature = body["temperature"] {
            guard case .number(let value) = temperature, (0...1).contains(value) else {
                throw LLMUpstreamError(.badRequest, "temperature: range: 0 <= temperature <= 1")
            }
        }
        var stops: [String] = []
        if let value = body["stop_sequences"] {
            guard case .array(let items) = value, items.allSatisfy({ if case .string = $0 { true } else { false } }) else {
                throw LLMUpstreamError(.badRequest, "stop_sequences: Input should be a valid list of strings")
            }
            stops = items.map { LLMJSON.text($0) }
        }
        return LLMPrompt(
            model: model, messages: messages, system: body["system"].map { LLMJSON.text($0) }, maxTokens: maxTokens, stops: stops,
            stream: body["stream"] == .bool(true), includeUsage: false)
    }

    private static func anthropicReply(_ prompt: LLMPrompt, _ reply: LLMReply) throws -> Response {
        let (text, stop) = prompt.complete(reply.text)
        let (stopReason, stopSequence): (String, Any) =
            switch stop {
            case .end: ("end_turn", NSNull())
            case .maxTokens: ("max_tokens", NSNull())
            case .sequence(let sequence): ("stop_sequence", sequence)
            }
        let id = "msg_01" + randomID()
        let requestID: HTTPFields = [.init("request-id")!: "req_" + randomID()]
        let inputTokens = prompt.promptTokens
        let outputTokens = FakeLLMUpstream.completionTokens(text)
        guard prompt.stream else {
            let object: [String: Any] = [
                "id": id, "type": "message", "role": "assistant", "model": prompt.model,
                "content": [["type": "text", "text": text]], "stop_reason": stopReason, "stop_sequence": stopSequence,
                "usage": ["input_tokens": inputTokens, "output_tokens": outputTokens],
            ]
            return try json(.ok, object, headers: requestID)
        }
        func event(_ type: String, _ fields: [String: Any] = [:]) throws -> String {
            "event: \(type)\ndata: " + (try serialize(fields.merging(["type": type]) { $1 })) + "\n\n"
        }
        // As at Anthropic, message_start already counts one output token; message_delta carries the final total.
        let start: [String: Any] = [
            "id": id, "type": "message", "role": "assistant", "model": prompt.model, "content": [Any](), "stop_reason": NSNull(),
            "stop_sequence": NSNull(), "usage": ["input_tokens": inputTokens, "output_tokens": 1],
        ]
        return events(
            head: [
                try event("message_start", ["message": start]),
                try event("content_block_start", ["index": 0, "content_block": ["type": "text", "text": ""]]),
                try event("ping"),
            ],
            paced: try pieces(text, reply.chunkSize).map { piece in
                try event("content_block_delta", ["index": 0, "delta": ["type": "text_delta", "text": piece]])
            },
            tail: [
                try event("content_block_stop", ["index": 0]),
                try event(
                    "message_delta",
                    ["delta": ["stop_reason": stopReason, "stop_sequence": stopSequence], "usage": ["output_tokens": outputTokens]]),
                try event("message_stop"),
            ],
            delay: reply.chunkDelay, headers: requestID)
    }

    // MARK: Helpers

    private static func render(_ error: LLMUpstreamError, _ provider: FakeLLMProvider) throws -> Response {
        var headers: HTTPFields = error.status == .tooManyRequests ? [.retryAfter: "1"] : [:]
        guard provider == .anthropic else {
            let object: [String: Any] = [
                "error": [
                    "message": error.message, "type": error.type, "param": orNull(error.param), "code": orNull(error.code),
                ]
            ]
            return try json(error.status, object, headers: headers)
        }
        let type =
            switch error.status.code {
            case 401: "authentication_error"
            case 404: "not_found_error"
            case 429: "rate_limit_error"
            case 500...: "api_error"
            default: "invalid_request_error"
            }
        let requestID = "req_" + randomID()
        headers[.init("request-id")!] = requestID
        let object: [String: Any] = ["type": "error", "error": ["type": type, "message": error.message], "request_id": requestID]
        return try json(error.status, object, headers: headers)
    }

    /// A server-sent event stream, written as it is produced: `delay` before each of the `paced` events.
    private static func events(head: [String], paced: [String], tail: [String], delay: Duration, headers: HTTPFields) -> Response {
        var headers = headers
        headers[.contentType] = "text/event-stream; charset=utf-8"
        headers[.cacheControl] = "no-cache"
        let body = ResponseBody { writer in
            for event in head { try await writer.write(ByteBuffer(string: event)) }
            for event in paced {
                if delay > .zero { try await Task.sleep(for: delay) }
                try await writer.write(ByteBuffer(string: event))
            }
            for event in tail { try await writer.write(ByteBuffer(string: event)) }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    private static func pieces(_ text: String, _ size: Int) -> [String] {
        var pieces: [String] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            pieces.append(String(rest.prefix(size)))
            rest = rest.dropFirst(size)
        }
        return pieces
    }

    private static func serialize(_ object: Any) throws -> String {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }

    private static func json(_ status: HTTPResponse.Status, _ object: Any, headers: HTTPFields) throws -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: try serialize(object))))
    }

    private static func orNull(_ value: String?) -> Any {
        value.map { $0 as Any } ?? NSNull()
    }

    private static func randomID() -> String {
        UUID().uuidString.replacingOccurrences(of: "-", with: "")
    }
}
