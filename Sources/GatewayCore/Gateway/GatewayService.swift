import Foundation
import Logging
import Metrics
import NIOCore
import Synchronization

/// What the gateway answers a chat completion with.
public enum GatewayReply: Sendable {
    /// A whole answer, JSON in OpenAI's shape.
    case complete(Data)
    /// Server-sent events, to be written as they come.
    case stream(GatewayStream)
}

/// A streamed answer. Writing it to the caller also meters it, however it ends: finished,
/// failed upstream, or abandoned by a caller who went away.
public struct GatewayStream: Sendable {
    let chat: StreamedChat
    let requestBytes: Int
    let finish: @Sendable (_ usage: TokenUsage?, _ text: String, _ status: Int) -> Void

    /// Writes every event to `sink`. A provider failing mid-stream ends it with an error event
    /// (the status line has long been sent); a caller going away ends it with `sink`'s error.
    public func write(to sink: (ByteBuffer) async throws -> Void) async throws {
        var status = 200
        defer { finish(chat.outcome.usageOrEstimate(requestBytes: requestBytes), chat.outcome.text, chat.outcome.failed ? 502 : status) }
        var iterator = chat.events.makeAsyncIterator()
        while true {
            let chunk: ByteBuffer?
            do {
                chunk = try await iterator.next()
            } catch {
                status = 502
                let payload = #"{"error":{"message":"The provider's stream broke off.","type":"api_error","code":"upstream_error"}}"#
                try await sink(ByteBuffer(string: ServerSentEvent.data(payload)))
                return
            }
            guard let chunk else { return }
            do {
                try await sink(chunk)
            } catch {
                status = 499
                throw error
            }
        }
    }
}

/// Who is calling the gateway: the key, and the member when the console calls on their behalf.
public struct GatewayCaller: Sendable {
    public var companyID: UUID
    public var key: AuthenticatedKey?
    public var userID: UUID?

    /// A key's usage counts as its maker's.
    public init(key: AuthenticatedKey) {
        self.companyID = key.key.companyID
        self.key = key
        self.userID = key.key.createdBy
    }

    public init(member tenant: Tenant) {
        self.companyID = tenant.companyID
        self.key = nil
        self.userID = tenant.userID
    }
}

/// Routes OpenAI-shaped chat completions to the provider of the requested model, with the
/// company's rules (allowed models, budgets, rate limits, keys), and meters every request.
public final class GatewayService: Sendable {
    let catalog: ModelCatalog
    let keys: APIKeyService
    let providers: CompanyProviders
    let upstreams: [LLMProvider: UpstreamSettings]
    let client: UpstreamClient
    let recorder: UsageRecorder
    let limiter: RateLimiter
    let threads: ThreadService
    let logger: Logger

    public init(
        database: Database, catalog: ModelCatalog, keys: APIKeyService, providers: CompanyProviders,
        upstreams: [LLMProvider: UpstreamSettings],
        client: UpstreamClient, recorder: UsageRecorder, threads: ThreadService, logger: Logger
    ) {
        self.catalog = catalog
        self.keys = keys
        self.providers = providers
        self.upstreams = upstreams
        self.client = client
        self.recorder = recorder
        self.limiter = RateLimiter(database: database)
        self.threads = threads
        self.logger = logger
    }

    /// The models this caller may use.
    public func models(for caller: GatewayCaller) async throws -> [GatewayModel] {
        var allowed: [GatewayModel] = []
        for model in try await catalog.all() where try await isAllowed(model, for: caller) { allowed.append(model) }
        return allowed
    }

    /// One chat completion. `body` is the caller's JSON; `threadID` is metered with the request.
    public func chat(_ body: Data, caller: GatewayCaller, threadID: UUID? = nil) async throws -> (reply: GatewayReply, model: GatewayModel)
    {
        let started = ContinuousClock.now
        let request = try ChatRequest(parsing: body)
        guard let model = try await catalog.resolve(request.model) else { throw GatewayError.unknownModel(request.model) }
        guard try await isAllowed(model, for: caller) else { throw GatewayError.modelNotAllowed(request.model) }
        if let key = caller.key {
            try Self.checkBudgets(key)
            if let limit = key.key.requestsPerMinute { try await limiter.admit(key.key, limit: limit) }
        }

        var candidates = [model]
        if let fallback = model.fallbackModel, let alternative = try await catalog.resolve(fallback),
            try await isAllowed(alternative, for: caller)
        {
            candidates.append(alternative)
        }
        var lastError: any Error = GatewayError.upstreamFailed(model.provider)
        for candidate in candidates {
            let meter = Meter(caller: caller, model: candidate, threadID: threadID, started: started, gateway: self)
            do {
                let call = try await upstreamCall(request, model: candidate, caller: caller)
                let adapter = Self.adapter(for: candidate.provider)
                if request.stream {
                    let chat = try await adapter.stream(call, client: client)
                    let stream = GatewayStream(chat: chat, requestBytes: body.count) { usage, text, status in
                        meter.record(usage, status: status)
                        guard let threadID, status == 200, let usage else { return }
                        // The caller has its answer; the thread is written after it, off the response path.
                        Task { await self.keep(text, usage: usage, of: request, in: threadID, caller: caller, model: candidate) }
                    }
                    return (.stream(stream), candidate)
                }
                let completed = try await adapter.complete(call, client: client)
                meter.record(completed.usage, status: 200)
                if let threadID {
                    await keep(completed.text, usage: completed.usage, of: request, in: threadID, caller: caller, model: candidate)
                }
                return (.complete(completed.body), candidate)
            } catch let failure as UpstreamClient.Failure {
                let error = failure == .timedOut ? GatewayError.upstreamTimedOut(candidate.provider) : .upstreamFailed(candidate.provider)
                meter.record(nil, status: error.status)
                lastError = error
            } catch let error as GatewayError where error.status >= 500 {
                meter.record(nil, status: error.status)
                lastError = error
            } catch let error as GatewayError {
                meter.record(nil, status: error.status)
                throw error
            }
        }
        throw lastError
    }

    /// Adds the exchange to its thread; a failure costs the thread an entry, never the caller its answer.
    private func keep(
        _ reply: String, usage: TokenUsage, of request: ChatRequest, in threadID: UUID, caller: GatewayCaller, model: GatewayModel
    ) async {
        do {
            try await threads.append(
                to: threadID, companyID: caller.companyID, userMessage: request.lastUserMessage, reply: reply, model: model.id, usage: usage
            )
        } catch {
            logger.error("Could not add an exchange to its thread", metadata: ["thread": "\(threadID)", "error": "\(type(of: error))"])
        }
    }

    /// Records one request's usage as it ends (in the buffer, written in the next batch).
    struct Meter: Sendable {
        let caller: GatewayCaller
        let model: GatewayModel
        let threadID: UUID?
        let started: ContinuousClock.Instant
        let gateway: GatewayService

        func record(_ usage: TokenUsage?, status: Int) {
            let usage = usage ?? TokenUsage(promptTokens: 0, completionTokens: 0)
            let elapsed = ContinuousClock.now - started
            let cost = model.costMicros(promptTokens: usage.promptTokens, completionTokens: usage.completionTokens)
            gateway.recorder.record(
                UsageEvent(
                    companyID: caller.companyID, userID: caller.userID, apiKeyID: caller.key?.key.id, threadID: threadID,
                    provider: model.provider, model: model.id, promptTokens: usage.promptTokens, completionTokens: usage.completionTokens,
                    costMicros: cost,
                    latencyMilliseconds: Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000),
                    status: status))
            if let key = caller.key {
                gateway.keys.charge(key.key, tokens: Int64(usage.promptTokens + usage.completionTokens), costMicros: cost)
            }
            GatewayMetrics.record(model: model, status: status, usage: usage, elapsed: elapsed)
        }
    }

    private func isAllowed(_ model: GatewayModel, for caller: GatewayCaller) async throws -> Bool {
        if let key = caller.key, !key.key.allows(model) { return false }
        let route = try await providers.route(companyID: caller.companyID, provider: model.provider)
        return route.isEnabled && (route.allowedModels.isEmpty || route.allowedModels.contains(model.id))
    }

    private func upstreamCall(_ request: ChatRequest, model: GatewayModel, caller: GatewayCaller) async throws -> UpstreamCall {
        let route = try await providers.route(companyID: caller.companyID, provider: model.provider)
        guard let apiKey = route.apiKey, let upstream = upstreams[model.provider] else {
            throw GatewayError.providerNotConfigured(model.provider)
        }
        return UpstreamCall(
            model: model, baseURL: upstream.baseURL, apiKey: apiKey, request: request.fields, stream: request.stream,
            callerWantsStreamUsage: request.wantsStreamUsage)
    }

    static func adapter(for provider: LLMProvider) -> any ChatAdapter {
        switch provider {
        case .openai, .deepseek: OpenAIChatAdapter()
        case .anthropic: AnthropicChatAdapter()
        }
    }

    /// Budgets are checked before the provider is called; the month resets on the 1st (UTC).
    static func checkBudgets(_ key: AuthenticatedKey) throws {
        let untilNextMonth = secondsUntilNextMonth()
        if let budget = key.key.monthlyTokenBudget, key.monthTokens >= budget {
            throw GatewayError.budgetExceeded("token", retryAfter: untilNextMonth)
        }
        if let budget = key.key.monthlySpendBudgetMicros, key.monthCostMicros >= budget {
            throw GatewayError.budgetExceeded("spend", retryAfter: untilNextMonth)
        }
    }

    static func secondsUntilNextMonth(now: Date = Date()) -> Int {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let start = calendar.date(from: calendar.dateComponents([.year, .month], from: now)) ?? now
        let next = calendar.date(byAdding: .month, value: 1, to: start) ?? now
        return max(1, Int(next.timeIntervalSince(now).rounded(.up)))
    }
}

/// A chat completions request, checked as far as routing needs; the rest passes through.
struct ChatRequest: Sendable {
    var fields: [String: JSONValue]
    var model: String
    var stream: Bool
    var wantsStreamUsage: Bool
    /// What a thread keeps of the request: the caller's latest message.
    var lastUserMessage: String

    init(parsing body: Data) throws {
        guard let value = try? JSONValue.decode(body) else {
            throw GatewayError.invalidRequest("The request body is not valid JSON. Send a JSON object with model and messages.")
        }
        guard let fields = value.object else { throw GatewayError.invalidRequest("The request body must be a JSON object.") }
        guard let model = fields["model"]?.string, !model.isEmpty, model.utf8.count <= 200 else {
            throw GatewayError.invalidRequest("You must provide a model parameter.", param: "model")
        }
        guard let messages = fields["messages"]?.array, !messages.isEmpty else {
            throw GatewayError.invalidRequest("'messages' must be a non-empty array.", param: "messages")
        }
        for message in messages where message["role"]?.string == nil {
            throw GatewayError.invalidRequest("Each message needs a 'role'.", param: "messages")
        }
        switch fields["stream"] {
        case nil, .null?, .bool?: break
        default: throw GatewayError.invalidRequest("'stream' must be true or false.", param: "stream")
        }
        self.fields = fields
        self.model = model
        let lastUser = messages.last { $0["role"]?.string == "user" }
        self.lastUserMessage = (try? AnthropicChatAdapter.text(of: lastUser?["content"])) ?? ""
        self.stream = fields["stream"]?.bool ?? false
        self.wantsStreamUsage = fields["stream_options"]?["include_usage"]?.bool ?? false
    }
}

/// Prometheus series of the gateway, by provider and model. Never labelled with keys or content.
/// Handles are made once per series: asking the metrics factory on every request costs more
/// than the counting.
enum GatewayMetrics {
    struct Series: Sendable {
        let requests: Counter
        let promptTokens: Counter
        let completionTokens: Counter
        let duration: Timer
        let upstreamErrors: Counter
    }

    private static let series = Mutex<[String: Series]>([:])

    static func record(model: GatewayModel, status: Int, usage: TokenUsage, elapsed: Duration) {
        let key = "\(model.provider.rawValue)|\(model.id)|\(status)"
        let handles =
            series.withLock { $0[key] }
            ?? {
                let dimensions = [("provider", model.provider.rawValue), ("model", model.id)]
                let made = Series(
                    requests: Counter(label: "oag_gateway_requests_total", dimensions: dimensions + [("status", String(status))]),
                    promptTokens: Counter(label: "oag_gateway_tokens_total", dimensions: dimensions + [("kind", "prompt")]),
                    completionTokens: Counter(label: "oag_gateway_tokens_total", dimensions: dimensions + [("kind", "completion")]),
                    duration: Timer(label: "oag_gateway_request_duration_seconds", dimensions: dimensions),
                    upstreamErrors: Counter(label: "oag_gateway_upstream_errors_total", dimensions: dimensions))
                series.withLock { $0[key] = made }
                return made
            }()
        handles.requests.increment()
        handles.duration.recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
        if usage.promptTokens > 0 { handles.promptTokens.increment(by: usage.promptTokens) }
        if usage.completionTokens > 0 { handles.completionTokens.increment(by: usage.completionTokens) }
        if status >= 500 { handles.upstreamErrors.increment() }
    }
}
