import Foundation
import GatewayCore
import PostgresNIO
import TestSupport
import Testing

/// The daily rollups the usage pages read always equal the sums of the raw events.
@Suite("Usage rollups")
struct UsageRollupTests {
    /// Random events around midnight UTC and month ends, in several batches, several companies.
    static func randomEvents(companies: [UUID], members: [UUID?], keys: [UUID?], count: Int, generator: inout some RandomNumberGenerator)
        -> [UsageEvent]
    {
        // 2026-01-31 23:00 UTC: batches cross midnight and the end of January.
        let start = Date(timeIntervalSince1970: 1_769_900_400)
        let models: [(String, LLMProvider)] = [("gpt-4o-mini", .openai), ("claude-haiku-4-5", .anthropic), ("deepseek-chat", .deepseek)]
        return (0..<count).map { _ in
            let (model, provider) = models.randomElement(using: &generator)!
            let failed = Int.random(in: 0..<10, using: &generator) == 0
            return UsageEvent(
                companyID: companies.randomElement(using: &generator)!,
                occurredAt: start.addingTimeInterval(Double.random(in: 0..<(3 * 3600), using: &generator)),
                userID: members.randomElement(using: &generator)!, apiKeyID: keys.randomElement(using: &generator)!, threadID: nil,
                provider: provider, model: model, promptTokens: failed ? 0 : Int.random(in: 1...4000, using: &generator),
                completionTokens: failed ? 0 : Int.random(in: 0...2000, using: &generator),
                costMicros: Int64.random(in: 0...90_000, using: &generator),
                latencyMilliseconds: Int.random(in: 5...9000, using: &generator), status: failed ? 502 : 200)
        }
    }

    @Test(arguments: [1, 7, 42])
    func rollupsEqualTheRawSums(seed: UInt64) async throws {
        try await TestDatabase.withDatabase { database, settings in
            let companies = [UUID(), UUID()]
            try await settings.owner.withConnection(logger: TestDatabase.logger) { connection in
                for company in companies {
                    try await connection.query("INSERT INTO companies (id, name) VALUES (\(company), 'C')", logger: TestDatabase.logger)
                }
            }
            var generator = SeededGenerator(seed: seed)
            let recorder = UsageRecorder(database: database)
            let events = Self.randomEvents(
                companies: companies, members: [nil, UUID(), UUID()], keys: [nil, UUID()], count: 1_500, generator: &generator)
            var start = 0
            while start < events.count {
                let size = Int.random(in: 1...400, using: &generator)
                try await recorder.write(Array(events[start..<min(start + size, events.count)]))
                start += size
            }

            let query = """
                SELECT company_id, day::text, COALESCE(user_id::text, '-'), COALESCE(api_key_id::text, '-'), model,
                    sum(n)::bigint, sum(f)::bigint, sum(pt)::bigint, sum(ct)::bigint, sum(co)::bigint
                FROM (%@) AS t GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
                """
            let raw = """
                SELECT company_id, (occurred_at AT TIME ZONE 'UTC')::date AS day, user_id, api_key_id, model, 1 AS n,
                    (status >= 400)::int AS f, prompt_tokens AS pt, completion_tokens AS ct, cost_micros AS co FROM usage_events
                """
            let rolled = """
                SELECT company_id, day, user_id, api_key_id, model, requests AS n, failed_requests AS f, prompt_tokens AS pt,
                    completion_tokens AS ct, cost_micros AS co FROM usage_daily
                """
            let (fromEvents, fromRollups) = try await settings.owner.withConnection(logger: TestDatabase.logger) { connection in
                func rows(_ source: String) async throws -> [String] {
                    try await connection.query(
                        PostgresQuery(unsafeSQL: query.replacingOccurrences(of: "%@", with: source)), logger: TestDatabase.logger
                    )
                    .collect().map { row in
                        let c = try row.decode((UUID, String, String, String, String, Int64, Int64, Int64, Int64, Int64).self)
                        return "\(c.0) \(c.1) \(c.2) \(c.3) \(c.4) \(c.5) \(c.6) \(c.7) \(c.8) \(c.9)"
                    }
                }
                return (try await rows(raw), try await rows(rolled))
            }
            #expect(fromEvents.count > 10)
            #expect(fromRollups == fromEvents)
            #expect(Set(fromEvents.map { $0.split(separator: " ")[1] }).count >= 2, "events span midnight")
            #expect(
                fromEvents.contains { $0.contains("2026-02-01") } && fromEvents.contains { $0.contains("2026-01-31") }, "and a month end")
        }
    }
}

/// A write that fails for one company leaves the others written, and only its events buffered.
@Suite("Usage recorder")
struct UsageRecorderTests {
    @Test func aFailingCompanyDoesNotHoldBackTheOthers() async throws {
        try await TestDatabase.withDatabase { database, settings in
            let company = UUID()
            try await settings.owner.withConnection(logger: TestDatabase.logger) { connection in
                try await connection.query("INSERT INTO companies (id, name) VALUES (\(company), 'C')", logger: TestDatabase.logger)
            }
            let recorder = UsageRecorder(database: database)
            func event(_ companyID: UUID) -> UsageEvent {
                UsageEvent(
                    companyID: companyID, userID: nil, apiKeyID: nil, threadID: nil, provider: .openai, model: "gpt-4o", promptTokens: 1,
                    completionTokens: 1, costMicros: 1, latencyMilliseconds: 1, status: 200)
            }
            // A company that no longer exists: its rollup cannot be written, so its transaction fails.
            let gone = UUID()
            for _ in 0..<3 { recorder.record(event(company)) }
            recorder.record(event(gone))
            await #expect(throws: (any Error).self) { try await recorder.flush() }
            #expect(recorder.pendingCount == 1, "only the failing company's event waits")
            await #expect(throws: (any Error).self) { try await recorder.flush() }
            let written = try await settings.owner.withConnection(logger: TestDatabase.logger) { connection in
                try await connection.query("SELECT count(*)::int FROM usage_events", logger: TestDatabase.logger).collect()[0].decode(
                    Int.self)
            }
            #expect(written == 3, "written once, not again on the retry")
        }
    }

    @Test func usageOfADeletedAccountIsKeptWithoutThePerson() async throws {
        try await TestDatabase.withDatabase { database, settings in
            let (company, person, deleted) = (UUID(), UUID(), UUID())
            try await settings.owner.withConnection(logger: TestDatabase.logger) { connection in
                try await connection.query("INSERT INTO companies (id, name) VALUES (\(company), 'C')", logger: TestDatabase.logger)
                try await connection.query(
                    "INSERT INTO users (id, email, name) VALUES (\(person), 'still@here.test', 'Still Here')", logger: TestDatabase.logger)
            }
            // `deleted` stands for an account removed while its usage waited in the buffer.
            try await UsageRecorder(database: database).write(
                [person, deleted].map { user in
                    UsageEvent(
                        companyID: company, userID: user, apiKeyID: nil, threadID: nil, provider: .openai, model: "gpt-4o", promptTokens: 1,
                        completionTokens: 1, costMicros: 1, latencyMilliseconds: 1, status: 200)
                })
            let stored = try await settings.owner.withConnection(logger: TestDatabase.logger) { connection in
                let events = try await connection.query(
                    "SELECT user_id FROM usage_events ORDER BY user_id NULLS LAST", logger: TestDatabase.logger
                )
                .collect().map { try $0.decode(UUID?.self) }
                let daily = try await connection.query(
                    "SELECT user_id FROM usage_daily ORDER BY user_id NULLS LAST", logger: TestDatabase.logger
                )
                .collect().map { try $0.decode(UUID?.self) }
                return (events, daily)
            }
            #expect(stored.0 == [person, nil])
            #expect(stored.1 == [person, nil])
        }
    }
}

/// Raw events past retention go a month at a time; rollups stay.
@Suite("Usage retention")
struct UsageRetentionTests {
    @Test func monthsPastRetentionAreDroppedWholeAndRollupsStay() async throws {
        try await TestDatabase.withDatabase { database, settings in
            let company = UUID()
            try await settings.owner.withConnection(logger: TestDatabase.logger) { connection in
                try await connection.query("INSERT INTO companies (id, name) VALUES (\(company), 'C')", logger: TestDatabase.logger)
            }
            func event(_ day: String) -> UsageEvent {
                UsageEvent(
                    companyID: company, occurredAt: UsageRange.parse(day)!.addingTimeInterval(3600), userID: nil, apiKeyID: nil,
                    threadID: nil,
                    provider: .openai, model: "gpt-4o", promptTokens: 1, completionTokens: 1, costMicros: 1, latencyMilliseconds: 1,
                    status: 200)
            }
            try await UsageRecorder(database: database).write(["2024-01-10", "2025-09-30", "2025-10-01", "2026-11-20"].map(event))
            func count(_ table: String) async throws -> Int {
                try await settings.owner.withConnection(logger: TestDatabase.logger) { connection in
                    try await connection.query(PostgresQuery(unsafeSQL: "SELECT count(*)::int FROM \(table)"), logger: TestDatabase.logger)
                        .collect()[0]
                        .decode(Int.self)
                }
            }
            let now = UsageRange.parse("2026-11-23")!
            let dropped = try await UsageRetention(database: database, months: 13).apply(now: now)
            #expect(dropped == 2, "January 2024 and September 2025")
            #expect(try await count("usage_events") == 2)
            #expect(try await count("usage_daily") == 4, "the rollups stay")
            #expect(try await UsageRetention(database: database, months: 13).apply(now: now) == 0, "idempotent")
        }
    }
}

/// A small deterministic generator (SplitMix64), so a failing seed can be replayed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
