import AsyncHTTPClient
import Foundation
import NIOCore
import Synchronization

/// Tokens of one request, as the provider counted them.
public struct TokenUsage: Sendable, Equatable {
    public var promptTokens: Int
    public var completionTokens: Int

    public init(promptTokens: Int, completionTokens: Int) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
    }
}

/// A chat completion on its way to a provider.
struct UpstreamCall: Sendable {
    var model: GatewayModel
    var baseURL: String
    var apiKey: String
    /// The caller's OpenAI-shaped request, as sent.
    var request: [String: JSONValue]
    var stream: Bool
    /// Whether the caller asked for the usage chunk at the end of a stream.
    var callerWantsStreamUsage: Bool
}

/// A finished, non-streamed completion in OpenAI's shape.
struct CompletedChat: Sendable {
    var body: Data
    var usage: TokenUsage
    /// The assistant's reply, for conversation threads.
    var text: String
}

/// Filled in while a stream runs; read when it ends.
final class StreamOutcome: Sendable {
    private let state = Mutex<(usage: TokenUsage?, text: String)>((nil, ""))

    var usage: TokenUsage? { state.withLock { $0.usage } }
    var text: String { state.withLock { $0.text } }

    func record(usage: TokenUsage) { state.withLock { $0.usage = usage } }
    func append(text: String) { state.withLock { $0.text += text } }
}

/// A streamed completion: OpenAI-shaped server-sent events, produced as the provider's arrive.
struct StreamedChat: Sendable {
    var events: TranslatedStream
    var outcome: StreamOutcome
}

/// Speaks one provider's API in OpenAI's chat completions terms.
protocol ChatAdapter: Sendable {
    func complete(_ call: UpstreamCall, client: UpstreamClient) async throws -> CompletedChat
    func stream(_ call: UpstreamCall, client: UpstreamClient) async throws -> StreamedChat
}

/// Turns a provider's events into the events the caller gets.
protocol StreamTranslator: Sendable {
    /// Payloads (full `data: …\n\n` texts) to write for this provider event.
    mutating func translate(_ event: ServerSentEvent) -> [String]
    /// Payloads to write when the provider's stream has ended.
    mutating func finish() -> [String]
}

/// The provider's response body, parsed into events and translated, one read at a time: the
/// caller gets each event as soon as the provider sent it, and a slow caller slows the read.
struct TranslatedStream: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    let body: HTTPClientResponse.Body
    let translator: any StreamTranslator

    struct AsyncIterator: AsyncIteratorProtocol {
        var upstream: HTTPClientResponse.Body.AsyncIterator
        var translator: any StreamTranslator
        var parser = ServerSentEventParser()
        var finished = false

        mutating func next() async throws -> ByteBuffer? {
            while !finished {
                guard let chunk = try await upstream.next() else {
                    finished = true
                    let payloads = parser.finish().flatMap { translator.translate($0) } + translator.finish()
                    return payloads.isEmpty ? nil : ByteBuffer(string: payloads.joined())
                }
                let payloads = parser.feed(chunk).flatMap { translator.translate($0) }
                if !payloads.isEmpty { return ByteBuffer(string: payloads.joined()) }
            }
            return nil
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(upstream: body.makeAsyncIterator(), translator: translator)
    }
}
