import Foundation
import GatewayCore
import Hummingbird
import HummingbirdTesting
import TestSupport
import Testing

/// The OpenAI-compatible gateway against a fake of OpenAI, Anthropic and DeepSeek.
@Suite("Gateway")
struct GatewayTests {
    static let models: [FakeLLMProvider: (id: String, input: Int64, output: Int64)] = [
        .openai: ("gpt-4o-mini", 150_000, 600_000),
        .anthropic: ("claude-haiku-4-5", 1_000_000, 5_000_000),
        .deepseek: ("deepseek-chat", 270_000, 1_100_000),
    ]
    static let reply = "Paris is the capital of France and its largest city."
    static let messages = [("system", "You answer briefly."), ("user", "What is the capital of France?")]

    @Test(arguments: FakeLLMProvider.allCases)
    func aCompletionIsRoutedTranslatedAndMeteredExactly(_ provider: FakeLLMProvider) async throws {
        try await withGateway { fake, world, data, client in
            fake.setReply(Self.reply)
            let keyID = UUID()
            let api = APIClient(client: client, key: try await data.apiKey(company: world.companyA, id: keyID))
            let model = try #require(Self.models[provider])

            let response = try await api.chat(model: model.id, messages: Self.messages)
            #expect(response.status == .ok, "\(response.text)")
            let answer = try #require(response.json)
            #expect(answer["object"]?.string == "chat.completion")
            #expect(answer["choices"]?.array?.first?["message"]?["content"]?.string == Self.reply)
            #expect(answer["choices"]?.array?.first?["finish_reason"]?.string == "stop")

            let sent = try #require(fake.requests(provider).last)
            let upstream = try JSONValue.decode(Data(sent.body.utf8))
            #expect(upstream["model"]?.string == model.id)
            let prompt: Int
            if provider == .anthropic {
                #expect(sent.headers["x-api-key"] == fake.apiKey)
                #expect(sent.headers["anthropic-version"] == "2023-06-01")
                #expect(upstream["system"]?.string == "You answer briefly.")
                #expect(upstream["messages"]?.array?.count == 1, "the system prompt moves out of the messages")
                #expect(upstream["max_tokens"]?.int == 4096)
                prompt = FakeLLMUpstream.promptTokens(
                    messages: [(role: "user", content: "What is the capital of France?")], system: "You answer briefly.")
            } else {
                #expect(sent.headers["authorization"] == "Bearer \(fake.apiKey)")
                prompt = FakeLLMUpstream.promptTokens(messages: Self.messages.map { (role: $0.0, content: $0.1) }, system: nil)
            }
            let completion = FakeLLMUpstream.completionTokens(Self.reply)
            #expect(answer["usage"]?["prompt_tokens"]?.int == prompt)
            #expect(answer["usage"]?["completion_tokens"]?.int == completion)

            let events = try await data.usageEvents(1)
            let cost = (Int64(prompt) * model.input + Int64(completion) * model.output) / 1_000_000
            #expect(
                events == [
                    UsageRow(
                        model: model.id, provider: provider.rawValue, promptTokens: prompt, completionTokens: completion, costMicros: cost,
                        status: 200, apiKeyID: keyID, userID: nil, threadID: nil)
                ])
            let lastUsed = try await data.rows("SELECT last_used_at FROM api_keys WHERE id = \(keyID)").first?.decode(Date?.self)
            #expect(lastUsed != nil)
        }
    }

    @Test(arguments: FakeLLMProvider.allCases)
    func streamsArriveAsEventsAndAreMeteredExactly(_ provider: FakeLLMProvider) async throws {
        try await withGateway { fake, world, data, client in
            fake.setReply(Self.reply, chunkSize: 7)
            let api = APIClient(client: client, key: try await data.apiKey(company: world.companyA))
            let model = try #require(Self.models[provider]).id

            for wantsUsage in [false, true] {
                let extra = #","stream":true"# + (wantsUsage ? #","stream_options":{"include_usage":true}"# : "")
                let response = try await api.chat(model: model, messages: [("user", "Say hello to the team today")], extra: extra)
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/event-stream")
                let events = response.events
                #expect(events.last == "[DONE]")
                let chunks = events.dropLast().compactMap { try? JSONValue.decode(Data($0.utf8)) }
                #expect(chunks.allSatisfy { $0["object"]?.string == "chat.completion.chunk" })
                let text = chunks.compactMap { $0["choices"]?.array?.first?["delta"]?["content"]?.string }.joined()
                #expect(text == Self.reply)
                #expect(chunks.count > 3, "the reply comes in several chunks")
                let usageChunks = chunks.filter { $0["usage"] != nil && $0["usage"] != .null }
                #expect(usageChunks.count == (wantsUsage ? 1 : 0))
                #expect(chunks.contains { $0["choices"]?.array?.first?["finish_reason"]?.string == "stop" })
            }
            let prompt = FakeLLMUpstream.promptTokens(messages: [(role: "user", content: "Say hello to the team today")], system: nil)
            let events = try await data.usageEvents(2)
            #expect(events.map(\.promptTokens) == [prompt, prompt])
            #expect(events.map(\.completionTokens) == Array(repeating: FakeLLMUpstream.completionTokens(Self.reply), count: 2))
            if provider != .anthropic {
                let sent = try JSONValue.decode(Data(try #require(fake.requests(provider).first).body.utf8))
                #expect(sent["stream_options"]?["include_usage"]?.bool == true, "the gateway always asks for usage")
            }
        }
    }

    @Test func badRequestsGetOpenAIErrorsAndReachNoProvider() async throws {
        try await withGateway { fake, world, data, client in
            let key = try await data.apiKey(company: world.companyA, allowedModels: ["gpt-4o-mini"])
            let api = APIClient(client: client, key: key)
            let cases: [(String, Int, String)] = [
                ("not json", 400, "invalid_request_error"),
                (#"["a list"]"#, 400, "invalid_request_error"),
                (#"{"messages":[{"role":"user","content":"hi"}]}"#, 400, "invalid_request_error"),
                (#"{"model":"gpt-4o-mini","messages":[]}"#, 400, "invalid_request_error"),
                (#"{"model":"gpt-4o-mini","messages":[{"content":"no role"}]}"#, 400, "invalid_request_error"),
                (#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"stream":"yes"}"#, 400, "invalid_request_error"),
                (#"{"model":"no-such-model","messages":[{"role":"user","content":"hi"}]}"#, 404, "invalid_request_error"),
                (#"{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}"#, 403, "invalid_request_error"),
            ]
            for (body, status, type) in cases {
                let response = try await api.chat(body)
                #expect(response.status.code == status, "\(body)")
                #expect(response.json?["error"]?["type"]?.string == type, "\(body): \(response.text)")
                #expect(response.json?["error"]?["message"]?.string?.isEmpty == false)
            }
            let huge =
                #"{"model":"gpt-4o-mini","messages":[{"role":"user","content":""# + String(repeating: "x", count: 1_100_000) + #""}]}"#
            #expect(try await api.chat(huge).status == .contentTooLarge)

            #expect(
                try await APIClient(client: client, key: nil).chat(model: "gpt-4o-mini", messages: [("user", "hi")]).status == .unauthorized
            )
            let wrong = APIClient(client: client, key: "oag_" + SecretToken().value)
            let refused = try await wrong.chat(model: "gpt-4o-mini", messages: [("user", "hi")])
            #expect(refused.status == .unauthorized)
            #expect(refused.json?["error"]?["code"]?.string == "invalid_api_key")
            #expect(refused.json?["error"]?["param"] == .null, "OpenAI's shape: param present, null")
            #expect(FakeLLMProvider.allCases.allSatisfy { fake.requests($0).isEmpty })
            #expect(try await data.count("usage_events") == 0)
        }
    }

    @Test func aRevokedKeyStopsWorking() async throws {
        try await withGateway { fake, world, data, client in
            let keyID = UUID()
            let api = APIClient(client: client, key: try await data.apiKey(company: world.companyA, id: keyID))
            try await data.rows("UPDATE api_keys SET revoked_at = now() WHERE id = \(keyID)")
            #expect(try await api.chat(model: "gpt-4o-mini", messages: [("user", "hi")]).status == .unauthorized)
            #expect(try await api.models().status == .unauthorized)
        }
    }

    @Test func modelsListWhatTheKeyMayUse() async throws {
        try await withGateway { fake, world, data, client in
            let all = try await APIClient(client: client, key: try await data.apiKey(company: world.companyA)).models()
            #expect(all.status == .ok)
            let ids = all.json?["data"]?.array?.compactMap { $0["id"]?.string } ?? []
            #expect(ids.contains("gpt-4o-mini") && ids.contains("claude-haiku-4-5") && ids.contains("deepseek-chat"))
            let limited = try await APIClient(
                client: client, key: try await data.apiKey(company: world.companyA, allowedModels: ["deepseek-chat"])
            )
            .models()
            #expect(limited.json?["data"]?.array?.compactMap { $0["id"]?.string } == ["deepseek-chat"])
        }
    }

    @Test func providerSlashModelNamesAreAccepted() async throws {
        try await withGateway { fake, world, data, client in
            let api = APIClient(client: client, key: try await data.apiKey(company: world.companyA))
            #expect(try await api.chat(model: "anthropic/claude-haiku-4-5", messages: [("user", "hi")]).status == .ok)
            #expect(try await api.chat(model: "openai/claude-haiku-4-5", messages: [("user", "hi")]).status == .notFound)
            // OpenAI's temperature goes up to 2, Anthropic's to 1: the gateway clamps rather than fail.
            #expect(try await api.chat(model: "claude-haiku-4-5", messages: [("user", "hi")], extra: #","temperature":1.7"#).status == .ok)
            #expect(try await api.chat(model: "claude-haiku-4-5", messages: [("user", "hi")], extra: #","n":2"#).status == .badRequest)
            #expect(fake.requests(.anthropic).count == 2)
            let clamped = try JSONValue.decode(Data(try #require(fake.requests(.anthropic).last).body.utf8))
            #expect(clamped["temperature"]?.number == 1)
        }
    }

    @Test func tokenBudgetsAndRateLimitsAreEnforcedBeforeTheProviderIsCalled() async throws {
        try await withGateway { fake, world, data, client in
            let budgeted = APIClient(client: client, key: try await data.apiKey(company: world.companyA, tokenBudget: 5))
            #expect(try await budgeted.chat(model: "gpt-4o-mini", messages: [("user", "use more than five tokens please")]).status == .ok)
            let over = try await budgeted.chat(model: "gpt-4o-mini", messages: [("user", "again")])
            #expect(over.status == .tooManyRequests)
            #expect(over.json?["error"]?["code"]?.string == "budget_exceeded")
            #expect(Int(over.headers[.retryAfter] ?? "") ?? 0 > 0)

            let limitedKey = UUID()
            let limited = APIClient(
                client: client, key: try await data.apiKey(company: world.companyA, requestsPerMinute: 2, id: limitedKey))
            #expect(try await limited.chat(model: "gpt-4o-mini", messages: [("user", "hi")]).status == .ok)
            // This minute's and the next one's windows are full, so the test does not depend on the clock.
            try await data.rows(
                """
                INSERT INTO rate_limit_windows (company_id, api_key_id, window_start, requests)
                SELECT \(world.companyA), \(limitedKey), date_trunc('minute', now()) + m * interval '1 minute', 2 FROM generate_series(0, 1) AS m
                ON CONFLICT (company_id, api_key_id, window_start) DO UPDATE SET requests = 2
                """)
            let third = try await limited.chat(model: "gpt-4o-mini", messages: [("user", "hi")])
            #expect(third.status == .tooManyRequests)
            #expect(third.json?["error"]?["code"]?.string == "rate_limit_exceeded")
            #expect((1...60).contains(Int(third.headers[.retryAfter] ?? "") ?? 0))
            #expect(fake.requests(.openai).count == 2, "refused requests never reach the provider")
        }
    }

    @Test func aKeyLookedUpAgainCountsUsageNotWrittenYetOnce() async throws {
        let settings = try await TestDatabase.fresh()
        let data = TestData(settings: settings)
        let world = World()
        try await world.seed(data)
        let keyID = UUID()
        let secret = try await data.apiKey(company: world.companyA, tokenBudget: 5, id: keyID)
        try await TestDatabase.withDatabase(on: settings) { database, _ in
            let recorder = UsageRecorder(database: database)
            // Every lookup reloads, as happens once a cached entry is older than its lifetime.
            let keys = APIKeyService(database: database, recorder: recorder, cacheLifetime: 0)
            #expect(try await keys.authenticate(bearer: secret, from: nil).monthTokens == 0)
            recorder.record(
                UsageEvent(
                    companyID: world.companyA, userID: nil, apiKeyID: keyID, threadID: nil, provider: .openai, model: "gpt-4o-mini",
                    promptTokens: 7, completionTokens: 3, costMicros: 12, latencyMilliseconds: 5, status: 200))
            #expect(try await keys.authenticate(bearer: secret, from: nil).monthTokens == 10, "buffered, not written yet")
            #expect(try await recorder.flush() == 1)
            let written = try await keys.authenticate(bearer: secret, from: nil)
            #expect(written.monthTokens == 10 && written.monthCostMicros == 12, "written: counted once")
        }
    }

    @Test func upstreamFailuresBecomeCleanErrorsAndAreRecorded() async throws {
        try await withGateway { fake, world, data, client in
            let api = APIClient(client: client, key: try await data.apiKey(company: world.companyA))
            fake.failNext(.serverError, provider: .openai)
            let failed = try await api.chat(model: "gpt-4o-mini", messages: [("user", "hi")])
            #expect(failed.status == .badGateway)
            #expect(failed.json?["error"]?["code"]?.string == "upstream_error")

            fake.failNext(.hang, provider: .deepseek)
            let slow = try await api.chat(model: "deepseek-chat", messages: [("user", "hi")])
            #expect(slow.status == .gatewayTimeout)

            // A connection that breaks before any answer is tried once more.
            fake.failNext(.resetBeforeResponse, provider: .anthropic)
            #expect(try await api.chat(model: "claude-haiku-4-5", messages: [("user", "hi")]).status == .ok)
            #expect(fake.requests(.anthropic).count == 2)

            fake.failNext(.rateLimited, provider: .openai)
            let limited = try await api.chat(model: "gpt-4o-mini", messages: [("user", "hi")])
            #expect(limited.status == .tooManyRequests)
            #expect(limited.headers[.retryAfter] == "1")

            let events = try await data.usageEvents(4)
            #expect(events.map(\.status) == [502, 504, 200, 429])
            #expect(events.filter { $0.status != 200 }.allSatisfy { $0.promptTokens == 0 && $0.completionTokens == 0 })
        }
    }

    @Test func aFallbackModelAnswersWhenTheProviderFails() async throws {
        try await withGateway { fake, world, data, client in
            try await data.rows("UPDATE models SET fallback_model = 'claude-haiku-4-5' WHERE id = 'gpt-4o-mini'")
            let api = APIClient(client: client, key: try await data.apiKey(company: world.companyA))
            fake.failNext(.serverError, provider: .openai)
            let response = try await api.chat(model: "gpt-4o-mini", messages: [("user", "hi")])
            #expect(response.status == .ok)
            #expect(response.json?["model"]?.string == "claude-haiku-4-5")
            let events = try await data.usageEvents(2)
            #expect(events.map(\.model) == ["gpt-4o-mini", "claude-haiku-4-5"])
            #expect(events.map(\.status) == [502, 200])
        }
    }

    @Test func aKeyOfAnotherCompanyCannotReachThisCompanysThreads() async throws {
        try await withGateway { fake, world, data, client in
            let thread = UUID()
            try await data.rows(
                "INSERT INTO threads (company_id, id, user_id, title, model) VALUES (\(world.companyA), \(thread), \(world.member), 'Plans', 'gpt-4o-mini')"
            )
            let theirs = APIClient(client: client, key: try await data.apiKey(company: world.companyB))
            let refused = try await theirs.chat(
                #"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"read it"}]}"#,
                headers: [.init("X-OAG-Thread")!: thread.uuidString])
            #expect(refused.status == .notFound)
            #expect(fake.requests(.openai).isEmpty)

            let adminsKey = APIClient(client: client, key: try await data.apiKey(company: world.companyA, createdBy: world.admin))
            let intoMembersThread = try await adminsKey.chat(
                #"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"read it"}]}"#,
                headers: [.init("X-OAG-Thread")!: thread.uuidString])
            #expect(intoMembersThread.status == .notFound, "threads are private to their member, keys included")

            let ours = APIClient(client: client, key: try await data.apiKey(company: world.companyA, createdBy: world.member))
            fake.setReply("Noted.")
            let accepted = try await ours.chat(
                #"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"remember this"}]}"#,
                headers: [.init("X-OAG-Thread")!: thread.uuidString])
            #expect(accepted.status == .ok)
            #expect(try await data.count("thread_messages", where: "thread_id = '\(thread)'") == 2)
            let sealed = try await data.rows("SELECT content FROM thread_messages").map { try $0.decode(Data.self) }
            #expect(sealed.allSatisfy { $0.range(of: Data("remember this".utf8)) == nil && $0.range(of: Data("Noted.".utf8)) == nil })
            #expect(try await data.usageEvents(1, where: "thread_id = '\(thread)'").count == 1)
        }
    }

    @Test func metricsCountRequestsAndTokensAndLogsKeepNoContentOrKeys() async throws {
        let recorder = LogRecorder()
        try await withGateway(logger: recorder.logger) { fake, world, data, client in
            fake.setReply("A confidential answer about the merger.")
            let key = try await data.apiKey(company: world.companyA)
            let api = APIClient(client: client, key: key)
            #expect(try await api.chat(model: "deepseek-chat", messages: [("user", "Summarise the secret merger plan")]).status == .ok)
            #expect(
                try await api.chat(model: "deepseek-chat", messages: [("user", "Stream the secret merger plan")], extra: #","stream":true"#)
                    .status == .ok)
            fake.failNext(.serverError, provider: .deepseek)
            #expect(try await api.chat(model: "deepseek-chat", messages: [("user", "fail please")]).status == .badGateway)

            let metrics = try await client.execute(uri: "/metrics", method: .get).text
            #expect(metrics.contains(#"oag_gateway_requests_total{provider="deepseek",model="deepseek-chat",status="200"}"#))
            #expect(metrics.contains(#"oag_gateway_requests_total{provider="deepseek",model="deepseek-chat",status="502"}"#))
            #expect(metrics.contains(#"oag_gateway_tokens_total{provider="deepseek",model="deepseek-chat",kind="completion"}"#))
            #expect(metrics.contains("oag_gateway_upstream_errors_total"))
            #expect(metrics.contains("oag_gateway_request_duration_seconds"))

            let logs = recorder.all
            #expect(logs.contains("/v1/chat/completions"), "requests are logged")
            for secret in [key, fake.apiKey, "merger", "confidential"] {
                #expect(!logs.contains(secret), "the log holds \(secret.prefix(8))…")
            }
        }
    }

    @Test func shuttingDownWritesBufferedUsage() async throws {
        let fake = try await FakeLLMUpstream.start()
        let settings = try await TestDatabase.fresh()
        let data = TestData(settings: settings)
        try await World().seed(data)
        let company = try await data.rows("SELECT id FROM companies LIMIT 1")[0].decode(UUID.self)
        let key = try await data.apiKey(company: company)
        try await withApp(
            database: settings,
            configure: {
                $0.upstreams = fake.upstreamSettings
                $0.usageFlushInterval = .seconds(3600)
            }
        ) { client in
            let response = try await APIClient(client: client, key: key).chat(model: "deepseek-chat", messages: [("user", "hi")])
            let written = try await data.count("usage_events")
            #expect(response.status == .ok)
            #expect(written == 0, "nothing is written before the flush")
        }
        #expect(try await data.count("usage_events") == 1, "the shutdown wrote it")
        await fake.shutdown()
    }
}
