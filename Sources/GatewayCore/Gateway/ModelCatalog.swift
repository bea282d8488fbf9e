import Foundation
import Synchronization

/// A model the gateway can route to, with its price.
public struct GatewayModel: Sendable, Equatable {
    public var id: String
    public var provider: LLMProvider
    public var upstreamName: String
    public var inputMicrosPerMillion: Int64
    public var outputMicrosPerMillion: Int64
    public var fallbackModel: String?

    /// What a request cost, in millionths of a dollar.
    public func costMicros(promptTokens: Int, completionTokens: Int) -> Int64 {
        (Int64(promptTokens) * inputMicrosPerMillion + Int64(completionTokens) * outputMicrosPerMillion) / 1_000_000
    }
}

/// The `models` table, held in memory and reloaded every few seconds, so that routing a request
/// never waits for the database and an operator's price change reaches every node quickly.
public final class ModelCatalog: Sendable {
    static let reloadInterval: TimeInterval = 10

    let database: Database
    private let cached = Mutex<(models: [String: GatewayModel], loadedAt: Date)>(([:], .distantPast))

    public init(database: Database) {
        self.database = database
    }

    public func all() async throws -> [GatewayModel] {
        try await models().values.sorted { ($0.provider.rawValue, $0.id) < ($1.provider.rawValue, $1.id) }
    }

    /// The model a request names: its id, or `provider/model`.
    public func resolve(_ name: String) async throws -> GatewayModel? {
        let models = try await models()
        if let model = models[name] { return model }
        let parts = name.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2, let provider = LLMProvider(rawValue: parts[0]) else { return nil }
        return models.values.first { $0.provider == provider && ($0.id == parts[1] || $0.upstreamName == parts[1]) }
    }

    /// Every model, inactive ones too, for the operators' price table.
    public func priceTable(for user: User) async throws -> [(model: GatewayModel, isActive: Bool)] {
        guard user.isOperator else { throw AccessDenied("Only platform operators may see the price table.") }
        return try await database.query(
            """
            SELECT id, provider, upstream_name, input_micros_per_million, output_micros_per_million, fallback_model, is_active
            FROM models ORDER BY provider, id
            """
        ).compactMap { row in
            let (id, provider, upstream, input, output, fallback, active) = try row.decode(
                (String, String, String, Int64, Int64, String?, Bool).self)
            guard let provider = LLMProvider(rawValue: provider) else { return nil }
            return (
                GatewayModel(
                    id: id, provider: provider, upstreamName: upstream, inputMicrosPerMillion: input, outputMicrosPerMillion: output,
                    fallbackModel: fallback), active
            )
        }
    }

    /// An operator changes a model's prices (US dollars per million tokens), availability or fallback.
    /// Requests already metered keep the cost they were recorded with.
    public func update(
        _ id: String, inputDollarsPerMillion: String, outputDollarsPerMillion: String, isActive: Bool, fallback: String, by user: User
    ) async throws {
        guard user.isOperator else { throw AccessDenied("Only platform operators may change prices.") }
        var errors = FieldErrors()
        let input = Self.micros(inputDollarsPerMillion, field: "input_price", into: &errors)
        let output = Self.micros(outputDollarsPerMillion, field: "output_price", into: &errors)
        let fallback = fallback.isEmpty ? nil : fallback
        if fallback == id { errors.add("fallback_model", "A model cannot be its own fallback.") }
        try errors.throwIfAny()
        try await database.withTransaction { connection in
            if let fallback, try await connection.rows("SELECT 1 FROM models WHERE id = \(fallback)", logger: self.database.logger).isEmpty
            {
                throw FieldErrors("fallback_model", "Choose a fallback among the listed models.")
            }
            let updated = try await connection.rows(
                """
                UPDATE models SET input_micros_per_million = \(input ?? 0), output_micros_per_million = \(output ?? 0),
                    is_active = \(isActive), fallback_model = \(fallback), updated_at = now()
                WHERE id = \(id) RETURNING 1
                """, logger: self.database.logger)
            if updated.isEmpty { throw NotFound() }
            try await connection.rows(
                "INSERT INTO price_versions (model, changed_by) VALUES (\(id), \(user.id))", logger: self.database.logger)
        }
        invalidate()
    }

    /// Forgets the cached table (after an operator edits it on this node; others reload within seconds).
    public func invalidate() {
        cached.withLock { $0.loadedAt = .distantPast }
    }

    /// "2.50" dollars per million tokens → 2,500,000 micros.
    static func micros(_ raw: String, field: String, into errors: inout FieldErrors) -> Int64? {
        let text = raw.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "$", with: "")
        guard !text.isEmpty, text.allSatisfy({ $0.isNumber || $0 == "." }),
            let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")),
            value >= 0, value <= 100_000
        else {
            errors.add(field, "Enter a price in dollars per million tokens, like 2.50.")
            return nil
        }
        return NSDecimalNumber(decimal: value * 1_000_000).int64Value
    }

    private func models() async throws -> [String: GatewayModel] {
        let (models, loadedAt) = cached.withLock { $0 }
        if Date().timeIntervalSince(loadedAt) < Self.reloadInterval { return models }
        let rows = try await database.query(
            """
            SELECT id, provider, upstream_name, input_micros_per_million, output_micros_per_million, fallback_model
            FROM models WHERE is_active
            """)
        var loaded: [String: GatewayModel] = [:]
        for row in rows {
            let (id, provider, upstream, input, output, fallback) = try row.decode((String, String, String, Int64, Int64, String?).self)
            guard let provider = LLMProvider(rawValue: provider) else { continue }
            loaded[id] = GatewayModel(
                id: id, provider: provider, upstreamName: upstream, inputMicrosPerMillion: input, outputMicrosPerMillion: output,
                fallbackModel: fallback)
        }
        cached.withLock { $0 = (loaded, Date()) }
        return loaded
    }
}
