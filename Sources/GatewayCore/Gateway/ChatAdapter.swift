import AsyncHTTPClient
import Foundation
import NIOCore
import Synchronization

/// Tokens of one request, as the provider counted them.
public struct TokenUsage: Sendable, Equatable {
    public var promptTokens: Int
    public var completionTokens: Int

    /// Counts are what a provider reported; absurd ones are clamped so that they cannot overflow
    /// the meter (no request uses a hundred million tokens).
    public init(promptTokens: Int, completionTokens: Int) {
        self.promptTokens = min(max(promptTokens, 0), Self.maximum)
        self.completionTokens = min(max(completionTokens, 0), Self.maximum)
    }

    static let maximum = 100_000_000
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
    private struct State {
        var usage: TokenUsage?
        var promptTokens: Int?
        var text = ""
        var failed = false
    }

    private let state = Mutex(State())

    var usage: TokenUsage? { state.withLock { $0.usage } }
    var text: String { state.withLock { $0.text } }
    /// The provider reported an error inside the stream.
    var failed: Bool { state.withLock { $0.failed } }

    func record(usage: TokenUsage) { state.withLock { $0.usage = usage } }
    func record(promptTokens: Int) { state.withLock { $0.promptTokens = promptTokens } }
    func append(text: String) { state.withLock { $0.text += text } }
    func markFailed() { state.withLock { $0.failed = true } }

    /// The provider's count, or, for a stream cut short before it came, an estimate (about four
    /// characters a token) so that an abandoned stream is never metered as free.
    func usageOrEstimate(requestBytes: Int) -> TokenUsage {
        state.withLock { state in
            state.usage
                ?? TokenUsage(promptTokens: state.promptTokens ?? requestBytes / 4, completionTokens: (state.text.utf8.count + 3) / 4)
        }
    }
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
