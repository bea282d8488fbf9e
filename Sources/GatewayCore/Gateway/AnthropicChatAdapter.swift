import AsyncHTTPClient
import Foundation
import NIOHTTP1

/// Anthropic's Messages API behind OpenAI's chat completions: the system prompt moves to the
/// top, stop words become stop sequences, and answers and stream events are translated back.
struct AnthropicChatAdapter: ChatAdapter {
    static let apiVersion = "2023-06-01"
    /// Anthropic requires `max_tokens`; OpenAI callers often leave it out.
    static let defaultMaxTokens = 4096

    func complete(_ call: UpstreamCall, client: UpstreamClient) async throws -> CompletedChat {
        let response = try await send(call, client: client)
        let body = try await client.collect(response)
        guard (200..<300).contains(response.status.code) else {
            throw UpstreamErrors.error(.anthropic, status: Int(response.status.code), body: body, headers: response.headers)
        }
        guard let message = try? JSONValue.decode(body), let usage = message["usage"] else { throw GatewayError.upstreamFailed(.anthropic) }
        let text = (message["content"]?.array ?? []).compactMap { $0["type"]?.string == "text" ? $0["text"]?.string : nil }.joined()
        let tokens = TokenUsage(promptTokens: usage["input_tokens"]?.int ?? 0, completionTokens: usage["output_tokens"]?.int ?? 0)
        let answer: JSONValue = .object([
            "id": .string("chatcmpl-" + (message["id"]?.string ?? UUID().uuidString)),
            "object": .string("chat.completion"),
            "created": .number(Date().timeIntervalSince1970.rounded(.down)),
            "model": .string(call.model.id),
            "choices": .array([
                .object([
                    "index": .number(0),
                    "message": .object(["role": .string("assistant"), "content": .string(text)]),
                    "finish_reason": .string(Self.finishReason(message["stop_reason"]?.string)),
                ])
            ]),
            "usage": Self.usage(tokens),
        ])
        return CompletedChat(body: answer.encoded(), usage: tokens, text: text)
    }

    func stream(_ call: UpstreamCall, client: UpstreamClient) async throws -> StreamedChat {
        let response = try await send(call, client: client)
        guard (200..<300).contains(response.status.code) else {
            let body = try await client.collect(response)
            throw UpstreamErrors.error(.anthropic, status: Int(response.status.code), body: body, headers: response.headers)
        }
        let outcome = StreamOutcome()
        let translator = Translator(
            outcome: outcome, model: call.model.id, callerWantsUsage: call.callerWantsStreamUsage,
            created: Date().timeIntervalSince1970.rounded(.down))
        return StreamedChat(events: TranslatedStream(body: response.body, translator: translator), outcome: outcome)
    }

    private func send(_ call: UpstreamCall, client: UpstreamClient) async throws -> HTTPClientResponse {
        let request = try Self.messagesRequest(from: call.request, model: call.model.upstreamName, stream: call.stream)
        let headers = HTTPHeaders([
            ("x-api-key", call.apiKey), ("anthropic-version", Self.apiVersion), ("Content-Type", "application/json"),
            ("Accept", call.stream ? "text/event-stream" : "application/json"),
        ])
        return try await client.post(call.baseURL + "/v1/messages", headers: headers, body: request.encoded())
    }

    /// An OpenAI chat completions request as a Messages API request.
    static func messagesRequest(from request: [String: JSONValue], model: String, stream: Bool) throws -> JSONValue {
        var system: [String] = []
        var messages: [JSONValue] = []
        for message in request["messages"]?.array ?? [] {
            let role = message["role"]?.string ?? ""
            let text = try Self.text(of: message["content"])
            switch role {
            case "system", "developer": system.append(text)
            case "user", "assistant": messages.append(.object(["role": .string(role), "content": .string(text)]))
            default:
                throw GatewayError.invalidRequest("Messages with the role '\(role)' cannot be sent to Anthropic models.", param: "messages")
            }
        }
        var body: [String: JSONValue] = [
            "model": .string(model),
            "messages": .array(messages),
            "max_tokens": .number(Double(request["max_completion_tokens"]?.int ?? request["max_tokens"]?.int ?? defaultMaxTokens)),
        ]
        if !system.isEmpty { body["system"] = .string(system.joined(separator: "\n\n")) }
        // Anthropic takes temperature from 0 to 1 where OpenAI takes up to 2.
        if let temperature = request["temperature"]?.number { body["temperature"] = .number(min(max(temperature, 0), 1)) }
        if let topP = request["top_p"]?.number { body["top_p"] = .number(topP) }
        if let n = request["n"]?.int, n > 1 {
            throw GatewayError.invalidRequest("Anthropic models return one choice: 'n' must be 1.", param: "n")
        }
        if let tools = request["tools"], tools != .null {
            throw GatewayError.invalidRequest("Tools are not supported for Anthropic models through this gateway yet.", param: "tools")
        }
        switch request["stop"] {
        case .string(let stop)?: body["stop_sequences"] = .array([.string(stop)])
        case .array(let stops)?: body["stop_sequences"] = .array(stops)
        default: break
        }
        if stream { body["stream"] = .bool(true) }
        return .object(body)
    }

    /// A message's text: a string, or the text parts of a list.
    static func text(of content: JSONValue?) throws -> String {
        switch content {
        case .string(let text)?: return text
        case .array(let parts)?:
            return try parts.map { part in
                guard part["type"]?.string == "text", let text = part["text"]?.string else {
                    throw GatewayError.invalidRequest("Only text content can be sent to Anthropic models.", param: "messages")
                }
                return text
            }.joined()
        case .null?, nil: return ""
        default: throw GatewayError.invalidRequest("A message's content must be text.", param: "messages")
        }
    }

    static func finishReason(_ stopReason: String?) -> String {
        switch stopReason {
        case "max_tokens": "length"
        case "tool_use": "tool_calls"
        default: "stop"
        }
    }

    static func usage(_ tokens: TokenUsage) -> JSONValue {
        .object([
            "prompt_tokens": .number(Double(tokens.promptTokens)), "completion_tokens": .number(Double(tokens.completionTokens)),
            "total_tokens": .number(Double(tokens.promptTokens + tokens.completionTokens)),
        ])
    }

    /// Anthropic's stream events as OpenAI chunks.
    struct Translator: StreamTranslator {
        let outcome: StreamOutcome
        let model: String
        let callerWantsUsage: Bool
        let created: Double
        var id = "chatcmpl-" + UUID().uuidString.lowercased()
        var promptTokens = 0
        var completionTokens = 0
        var stopped = false

        mutating func translate(_ event: ServerSentEvent) -> [String] {
            guard let payload = try? JSONValue.decode(Data(event.data.utf8)) else { return [] }
            switch payload["type"]?.string ?? event.event {
            case "message_start":
                if let messageID = payload["message"]?["id"]?.string { id = "chatcmpl-" + messageID }
                promptTokens = payload["message"]?["usage"]?["input_tokens"]?.int ?? 0
                outcome.record(promptTokens: promptTokens)
                return [chunk(delta: ["role": .string("assistant"), "content": .string("")], finishReason: nil)]
            case "content_block_delta":
                guard payload["delta"]?["type"]?.string == "text_delta", let text = payload["delta"]?["text"]?.string else { return [] }
                outcome.append(text: text)
                return [chunk(delta: ["content": .string(text)], finishReason: nil)]
            case "message_delta":
                completionTokens = payload["usage"]?["output_tokens"]?.int ?? completionTokens
                return [chunk(delta: [:], finishReason: AnthropicChatAdapter.finishReason(payload["delta"]?["stop_reason"]?.string))]
            case "message_stop":
                stopped = true
                let tokens = TokenUsage(promptTokens: promptTokens, completionTokens: completionTokens)
                outcome.record(usage: tokens)
                let usage = callerWantsUsage ? [data(["choices": .array([]), "usage": AnthropicChatAdapter.usage(tokens)])] : []
                return usage + [ServerSentEvent.data("[DONE]")]
            case "error":
                outcome.markFailed()
                let message = payload["error"]?["message"]?.string ?? "Anthropic reported an error."
                return [data(["error": .object(["message": .string(message), "type": .string("api_error")])])]
            default:
                return []
            }
        }

        /// A stream cut short still counts what was used.
        mutating func finish() -> [String] {
            if !stopped { outcome.record(usage: TokenUsage(promptTokens: promptTokens, completionTokens: completionTokens)) }
            return []
        }

        private func chunk(delta: [String: JSONValue], finishReason: String?) -> String {
            data([
                "choices": .array([
                    .object([
                        "index": .number(0), "delta": .object(delta), "finish_reason": finishReason.map(JSONValue.string) ?? .null,
                    ])
                ])
            ])
        }

        private func data(_ fields: [String: JSONValue]) -> String {
            var object = fields
            object["id"] = .string(id)
            object["object"] = .string("chat.completion.chunk")
            object["created"] = .number(created)
            object["model"] = .string(model)
            return ServerSentEvent.data(String(decoding: JSONValue.object(object).encoded(), as: UTF8.self))
        }
    }
}
