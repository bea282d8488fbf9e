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

    /// Forgets the cached table (after an operator edits it on this node).
    public func invalidate() {
        cached.withLock { $0.loadedAt = .distantPast }
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
