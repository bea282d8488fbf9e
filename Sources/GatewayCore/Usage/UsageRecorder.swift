import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// Collects usage events in memory and writes them to PostgreSQL in batches, so that metering
/// never adds latency to a response. A crash loses at most the events of the last flush
/// interval; a graceful shutdown writes everything first.
public final class UsageRecorder: Sendable {
    /// Events held while the database is away; beyond this new ones are dropped, counted and logged.
    static let maximumBuffered = 1_000_000
    /// Events written per flush: a backlog after an outage drains in bounded transactions.
    static let maximumPerFlush = 50_000
    static let rowsPerStatement = 5_000
    /// Stands for "none" in id arrays (postgres-nio arrays have no NULL elements); no id is ever nil.
    static let noID = UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))

    let database: Database
    /// `events` wait for a flush; `writing` are taken by the flush under way until their company's write commits.
    private let buffer = Mutex<(events: [UsageEvent], dropped: Int, writing: [UsageEvent])>(([], 0, []))
    private let partitions = Mutex<Set<String>>([])

    public init(database: Database) {
        self.database = database
    }

    private var logger: Logger { database.logger }

    public func record(_ event: UsageEvent) {
        buffer.withLock { buffer in
            // Dropping the newest keeps this O(1) under the lock while the database is away.
            guard buffer.events.count < Self.maximumBuffered else {
                buffer.dropped += 1
                return
            }
            buffer.events.append(event)
        }
    }

    public var pendingCount: Int { buffer.withLock { $0.events.count } }

    /// Tokens and cost of a key's events not in the database yet (buffered, or in a write not committed).
    public func pendingUsage(ofKey keyID: UUID) -> (tokens: Int64, costMicros: Int64) {
        buffer.withLock { buffer in
            var tokens: Int64 = 0
            var cost: Int64 = 0
            for event in [buffer.events, buffer.writing].joined() where event.apiKeyID == keyID {
                tokens += Int64(event.promptTokens + event.completionTokens)
                cost += event.costMicros
            }
            return (tokens, cost)
        }
    }

    /// Writes what is buffered (at most `maximumPerFlush` events), company by company; the
    /// companies whose write failed go back to the buffer for the next try, the others are done.
    @discardableResult
    public func flush() async throws -> Int {
        let (events, dropped) = buffer.withLock { buffer in
            let taken = Array(buffer.events.prefix(Self.maximumPerFlush))
            buffer.events.removeFirst(taken.count)
            buffer.writing = taken
            defer { buffer.dropped = 0 }
            return (taken, buffer.dropped)
        }
        defer { buffer.withLock { $0.writing = [] } }
        if dropped > 0 { logger.error("Usage events dropped: the buffer was full", metadata: ["dropped": "\(dropped)"]) }
        guard !events.isEmpty else { return 0 }
        do {
            // The first flush of a process, or of a month, may meet the database away: keep them all.
            try await ensurePartitions(for: events)
        } catch {
            putBack(events)
            throw error
        }
        var failed: [UsageEvent] = []
        var firstError: (any Error)?
        for (companyID, ofCompany) in Dictionary(grouping: events, by: \.companyID) {
            do {
                try await write(ofCompany, of: companyID)
                buffer.withLock { $0.writing.removeAll { $0.companyID == companyID } }
            } catch {
                failed += ofCompany
                firstError = firstError ?? error
            }
        }
        if let firstError {
            putBack(failed)
            throw firstError
        }
        return events.count
    }

    /// Returns events whose write failed to the front of the buffer, for the next flush.
    private func putBack(_ events: [UsageEvent]) {
        buffer.withLock { buffer in buffer.events.insert(contentsOf: events.prefix(Self.maximumBuffered - buffer.events.count), at: 0) }
    }

    /// Inserts events at once, grouped by company (each in its tenant transaction).
    public func write(_ events: [UsageEvent]) async throws {
        try await ensurePartitions(for: events)
        for (companyID, ofCompany) in Dictionary(grouping: events, by: \.companyID) {
            try await write(ofCompany, of: companyID)
        }
    }

    /// One company's events, their rollups and their keys' last use, all or nothing.
    private func write(_ events: [UsageEvent], of companyID: UUID) async throws {
        try await database.withTenant(companyID) { connection in
            let events = try await Self.forgettingDeletedPeople(in: events, on: connection, logger: self.logger)
            var inserted: Set<UUID> = []
            var start = 0
            while start < events.count {
                let batch = events[start..<min(start + Self.rowsPerStatement, events.count)]
                inserted.formUnion(try await Self.insert(batch, on: connection, logger: self.logger))
                start += Self.rowsPerStatement
            }
            // Events back from a write whose commit went unanswered (the database went down, or the
            // deadline passed) may be stored already: they are counted once, and never block the rest.
            let new = events.filter { inserted.contains($0.id) }
            guard !new.isEmpty else { return }
            try await Self.roll(new, into: companyID, on: connection, logger: self.logger)
            try await Self.touchKeys(of: new, companyID: companyID, on: connection, logger: self.logger)
        }
    }

    /// Events of someone whose account was deleted while they were on their way (buffered, or
    /// charged to a key through a cached lookup) are kept without the person, as the deletion did.
    static func forgettingDeletedPeople(in events: [UsageEvent], on connection: PostgresConnection, logger: Logger) async throws
        -> [UsageEvent]
    {
        let people = Array(Set(events.compactMap(\.userID)))
        guard !people.isEmpty else { return events }
        let existing = Set(
            try await connection.rows("SELECT id FROM users WHERE id = ANY(\(people))", logger: logger).map { try $0.decode(UUID.self) })
        guard existing.count < people.count else { return events }
        return events.map { event in
            var event = event
            if let user = event.userID, !existing.contains(user) { event.userID = nil }
            return event
        }
    }

    /// One statement per batch: columns as arrays, unnested by the server. Returns the ids of the
    /// events it stored, leaving out those stored before.
    static func insert(_ batch: ArraySlice<UsageEvent>, on connection: PostgresConnection, logger: Logger) async throws -> Set<UUID> {
        let rows = try await connection.rows(
            """
            INSERT INTO usage_events (company_id, id, occurred_at, user_id, api_key_id, thread_id, provider, model, prompt_tokens,
                completion_tokens, cost_micros, latency_ms, status)
            SELECT c, i, t, NULLIF(u, \(noID)), NULLIF(k, \(noID)), NULLIF(th, \(noID)), p, m, pt, ct, co, l, s
            FROM unnest(\(batch.map(\.companyID))::uuid[], \(batch.map(\.id))::uuid[], \(batch.map(\.occurredAt))::timestamptz[],
                \(batch.map { $0.userID ?? noID })::uuid[], \(batch.map { $0.apiKeyID ?? noID })::uuid[],
                \(batch.map { $0.threadID ?? noID })::uuid[], \(batch.map(\.provider.rawValue))::text[], \(batch.map(\.model))::text[],
                \(batch.map { Int32($0.promptTokens) })::int4[], \(batch.map { Int32($0.completionTokens) })::int4[],
                \(batch.map(\.costMicros))::int8[], \(batch.map { Int32($0.latencyMilliseconds) })::int4[],
                \(batch.map { Int32($0.status) })::int4[])
                AS e (c, i, t, u, k, th, p, m, pt, ct, co, l, s)
            ON CONFLICT DO NOTHING
            RETURNING id
            """, logger: logger)
        return Set(try rows.map { try $0.decode(UUID.self) })
    }

    /// Adds a company's batch to the daily rollups, in the transaction that inserts the events,
    /// so that the rollups always equal the sums of the events.
    static func roll(_ events: [UsageEvent], into companyID: UUID, on connection: PostgresConnection, logger: Logger) async throws {
        struct Key: Hashable {
            var day: Int
            var userID: UUID?
            var apiKeyID: UUID?
            var model: String
            var provider: String
        }
        var totals: [Key: (requests: Int64, failed: Int64, prompt: Int64, completion: Int64, cost: Int64)] = [:]
        for event in events {
            let key = Key(
                day: UsageDay.number(of: event.occurredAt), userID: event.userID, apiKeyID: event.apiKeyID, model: event.model,
                provider: event.provider.rawValue)
            let current = totals[key] ?? (0, 0, 0, 0, 0)
            totals[key] = (
                current.requests + 1, current.failed + (event.status >= 400 ? 1 : 0), current.prompt + Int64(event.promptTokens),
                current.completion + Int64(event.completionTokens), current.cost + event.costMicros
            )
        }
        let rows = Array(totals)
        try await connection.rows(
            """
            INSERT INTO usage_daily AS d (company_id, day, user_id, api_key_id, model, provider, requests, failed_requests, prompt_tokens,
                completion_tokens, cost_micros)
            SELECT \(companyID), DATE '1970-01-01' + r.day, NULLIF(r.u, \(noID)), NULLIF(r.k, \(noID)), r.m, r.p, r.n, r.f, r.pt, r.ct, r.co
            FROM unnest(\(rows.map { Int32($0.key.day) })::int4[], \(rows.map { $0.key.userID ?? noID })::uuid[],
                \(rows.map { $0.key.apiKeyID ?? noID })::uuid[], \(rows.map(\.key.model))::text[], \(rows.map(\.key.provider))::text[],
                \(rows.map(\.value.requests))::int8[], \(rows.map(\.value.failed))::int8[], \(rows.map(\.value.prompt))::int8[],
                \(rows.map(\.value.completion))::int8[], \(rows.map(\.value.cost))::int8[]) AS r (day, u, k, m, p, n, f, pt, ct, co)
            ON CONFLICT ON CONSTRAINT usage_daily_key DO UPDATE SET
                requests = d.requests + EXCLUDED.requests, failed_requests = d.failed_requests + EXCLUDED.failed_requests,
                prompt_tokens = d.prompt_tokens + EXCLUDED.prompt_tokens, completion_tokens = d.completion_tokens + EXCLUDED.completion_tokens,
                cost_micros = d.cost_micros + EXCLUDED.cost_micros
            """, logger: logger)
    }

    /// Keys' "last used" moves with the batch, not with every request.
    static func touchKeys(of events: [UsageEvent], companyID: UUID, on connection: PostgresConnection, logger: Logger) async throws {
        var latest: [UUID: Date] = [:]
        for event in events {
            guard let key = event.apiKeyID else { continue }
            latest[key] = max(latest[key] ?? .distantPast, event.occurredAt)
        }
        guard !latest.isEmpty else { return }
        // Locked in one order, so that two writers touching the same keys wait rather than deadlock.
        try await connection.rows(
            "SELECT 1 FROM api_keys WHERE company_id = \(companyID) AND id = ANY(\(Array(latest.keys))::uuid[]) ORDER BY id FOR UPDATE",
            logger: logger)
        try await connection.rows(
            """
            UPDATE api_keys k SET last_used_at = GREATEST(k.last_used_at, u.latest)
            FROM unnest(\(Array(latest.keys))::uuid[], \(Array(latest.values))::timestamptz[]) AS u (id, latest)
            WHERE k.company_id = \(companyID) AND k.id = u.id
            """, logger: logger)
    }

    /// Each month gets its own partition before its first event, made once per process.
    private func ensurePartitions(for events: [UsageEvent]) async throws {
        let days = Set(events.map { UsageDay.number(of: $0.occurredAt) })
        try await ensurePartitions(months: Set(days.map(UsageDay.monthStart(ofDay:))))
    }

    /// The partitions of these months ("2026-11-01"), made one after the other: concurrent writers
    /// prepare them first, as two creations of one partition would collide.
    func ensurePartitions(months: Set<String>) async throws {
        for month in months.subtracting(partitions.withLock { $0 }).sorted() {
            try await database.query("SELECT ensure_usage_partition(\(month)::date)")
            _ = partitions.withLock { $0.insert(month) }
        }
    }
}

/// Flushes the recorder every `interval`, and once more when the app shuts down.
public struct UsageFlushService: Service {
    let recorder: UsageRecorder
    let interval: Duration
    let logger: Logger

    public init(recorder: UsageRecorder, interval: Duration = .seconds(1), logger: Logger) {
        self.recorder = recorder
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            await drain()
        }
        await drain()
    }

    /// Flushes until the buffer is empty or a write fails (the next round retries).
    private func drain() async {
        while await flush(), recorder.pendingCount > 0 {}
    }

    private func flush() async -> Bool {
        do {
            return try await recorder.flush() > 0
        } catch {
            logger.warning(
                "Writing usage events failed; they stay buffered for the next try",
                metadata: ["pending": "\(recorder.pendingCount)", "error": "\(String(reflecting: type(of: error)))"])
            return false
        }
    }
}
