import AsyncHTTPClient
import Foundation
import NIOHTTP1

/// OpenAI and DeepSeek: their chat completions are what the gateway speaks, so requests and
/// answers pass through; only the model name is set, and streams always ask for usage.
struct OpenAIChatAdapter: ChatAdapter {
    func complete(_ call: UpstreamCall, client: UpstreamClient) async throws -> CompletedChat {
        let response = try await send(call, client: client)
        let body = try await client.collect(response)
        guard (200..<300).contains(response.status.code) else {
            throw UpstreamErrors.error(call.model.provider, status: Int(response.status.code), body: body, headers: response.headers)
        }
        guard let answer = try? JSONValue.decode(body), let usage = answer["usage"] else {
            throw GatewayError.upstreamFailed(call.model.provider)
        }
        let text = answer["choices"]?.array?.first?["message"]?["content"]?.string ?? ""
        return CompletedChat(
            body: body,
            usage: TokenUsage(promptTokens: usage["prompt_tokens"]?.int ?? 0, completionTokens: usage["completion_tokens"]?.int ?? 0),
            text: text)
    }

    func stream(_ call: UpstreamCall, client: UpstreamClient) async throws -> StreamedChat {
        let response = try await send(call, client: client)
        guard (200..<300).contains(response.status.code) else {
            let body = try await client.collect(response)
            throw UpstreamErrors.error(call.model.provider, status: Int(response.status.code), body: body, headers: response.headers)
        }
        let outcome = StreamOutcome()
        let translator = Translator(outcome: outcome, callerWantsUsage: call.callerWantsStreamUsage)
        return StreamedChat(events: TranslatedStream(body: response.body, translator: translator), outcome: outcome)
    }

    private func send(_ call: UpstreamCall, client: UpstreamClient) async throws -> HTTPClientResponse {
        var request = call.request
        request["model"] = .string(call.model.upstreamName)
        if call.stream {
            // The usage chunk makes metering exact; callers that did not ask for it do not get it.
            var options = request["stream_options"]?.object ?? [:]
            options["include_usage"] = .bool(true)
            request["stream_options"] = .object(options)
        }
        let headers = HTTPHeaders([
            ("Authorization", "Bearer \(call.apiKey)"), ("Content-Type", "application/json"),
            ("Accept", call.stream ? "text/event-stream" : "application/json"),
        ])
        return try await client.post(call.baseURL + "/chat/completions", headers: headers, body: JSONValue.object(request).encoded())
    }

    /// Passes OpenAI's chunks through, noting the usage and the text on the way.
    struct Translator: StreamTranslator {
        let outcome: StreamOutcome
        let callerWantsUsage: Bool

        mutating func translate(_ event: ServerSentEvent) -> [String] {
            guard event.data != "[DONE]" else { return [ServerSentEvent.data("[DONE]")] }
            guard let chunk = try? JSONValue.decode(Data(event.data.utf8)) else { return [ServerSentEvent.data(event.data)] }
            if let content = chunk["choices"]?.array?.first?["delta"]?["content"]?.string { outcome.append(text: content) }
            if let usage = chunk["usage"], usage != .null {
                outcome.record(
                    usage: TokenUsage(
                        promptTokens: usage["prompt_tokens"]?.int ?? 0, completionTokens: usage["completion_tokens"]?.int ?? 0))
                if !callerWantsUsage, chunk["choices"]?.array?.isEmpty ?? true { return [] }
            }
            return [ServerSentEvent.data(event.data)]
        }

        mutating func finish() -> [String] { [] }
    }
}

/// A provider's error answer, told to the caller in OpenAI's terms.
enum UpstreamErrors {
    static func error(_ provider: LLMProvider, status: Int, body: Data, headers: HTTPHeaders) -> GatewayError {
        let answer = try? JSONValue.decode(body)
        let detail = String((answer?["error"]?["message"]?.string ?? "").prefix(500))
        switch status {
        case 400, 404, 413, 422:
            // The request itself was refused: the caller can fix it.
            return GatewayError(
                status: status == 413 ? 413 : 400, type: "invalid_request_error", code: "upstream_rejected_request",
                message: "\(provider.displayName) refused the request" + (detail.isEmpty ? "." : ": \(detail)"))
        case 401, 403:
            return GatewayError(
                status: 502, type: "api_error", code: "upstream_auth",
                message:
                    "\(provider.displayName) refused the API key configured for it. A company admin can check it on the providers page.")
        case 429:
            return GatewayError(
                status: 429, type: "rate_limit_error", code: "upstream_rate_limited",
                message: "\(provider.displayName) is rate limiting requests; try again shortly.",
                retryAfter: headers.first(name: "retry-after").flatMap(Int.init) ?? 1)
        default:
            return .upstreamFailed(provider, status: status)
        }
    }
}
