import Foundation
import PostgresNIO

/// One request as the company's request log shows it.
public struct LoggedRequest: Sendable, Equatable {
    public var id: UUID
    public var occurredAt: Date
    public var memberName: String?
    public var keyName: String?
    public var model: String
    public var promptTokens: Int
    public var completionTokens: Int
    public var costMicros: Int64
    public var latencyMilliseconds: Int
    public var status: Int
}

/// Which requests to list.
public struct RequestLogFilter: Sendable, Equatable {
    public enum Outcome: String, Sendable, CaseIterable {
        case all, succeeded, failed
    }

    public var model: String?
    public var outcome: Outcome
    /// Keyset pagination: list requests older than this one.
    public var before: KeysetCursor?

    public init(model: String?, outcome: Outcome, before: KeysetCursor?) {
        self.model = model
        self.outcome = outcome
        self.before = before
    }
}

extension UsageService {
    public static let requestLogPageSize = 50

    /// The company's latest requests, newest first, a page at a time; for admins and owners.
    /// Keyset pagination reads the same few index entries however long the history.
    public func requests(_ tenant: Tenant, filter: RequestLogFilter, limit: Int = requestLogPageSize) async throws -> [LoggedRequest] {
        try tenant.require(.viewCompanyUsage)
        // A bound even on the first page keeps the condition a plain index range, however deep the page.
        let before =
            filter.before
            ?? KeysetCursor(
                microseconds: 253_402_300_799 * KeysetCursor.microsecondsPerSecond,  // 9999-12-31 23:59:59 UTC
                id: UUID(uuid: (255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255)))
        let (minimumStatus, maximumStatus) =
            switch filter.outcome {
            case .all: (0, 999)
            case .succeeded: (0, 399)
            case .failed: (400, 999)
            }
        return try await database.withTenant(tenant.companyID) { connection in
            try await connection.rows(
                """
                SELECT e.id, e.occurred_at, u.name, k.name, e.model, e.prompt_tokens, e.completion_tokens, e.cost_micros, e.latency_ms, e.status
                FROM usage_events e
                LEFT JOIN users u ON u.id = e.user_id
                LEFT JOIN api_keys k ON k.company_id = e.company_id AND k.id = e.api_key_id
                WHERE e.company_id = \(tenant.companyID)
                    AND (\(filter.model)::text IS NULL OR e.model = \(filter.model))
                    AND e.status BETWEEN \(minimumStatus) AND \(maximumStatus)
                    AND (e.occurred_at, e.id) < (to_timestamp(0) + \(before.microseconds) * interval '1 microsecond', \(before.id))
                ORDER BY e.occurred_at DESC, e.id DESC
                LIMIT \(limit)
                """, logger: database.logger
            ).map { row in
                let (id, at, member, key, model, prompt, completion, cost, latency, status) = try row.decode(
                    (UUID, Date, String?, String?, String, Int, Int, Int64, Int, Int).self)
                return LoggedRequest(
                    id: id, occurredAt: at, memberName: member, keyName: key, model: model, promptTokens: prompt,
                    completionTokens: completion,
                    costMicros: cost, latencyMilliseconds: latency, status: status)
            }
        }
    }
}
