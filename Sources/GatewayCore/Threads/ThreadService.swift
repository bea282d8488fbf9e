import Foundation
import Logging
import PostgresNIO

/// A conversation thread of a member (or of API callers that name it).
public struct ConversationThread: Sendable, Equatable {
    public var id: UUID
    public var companyID: UUID
    public var userID: UUID?
    public var title: String
    public var model: String
    public var createdAt: Date
    public var updatedAt: Date
}

/// One message of a thread, opened from the vault.
public struct ThreadMessage: Sendable, Equatable {
    public var id: UUID
    public var role: String
    public var content: String
    public var model: String?
    public var promptTokens: Int
    public var completionTokens: Int
    public var createdAt: Date
}

/// Conversation threads: their messages are sealed at rest by the company's data key, like
/// other secrets, so a copy of the database alone does not reveal them.
public struct ThreadService: Sendable {
    public static let maximumTitleLength = 120
    public static let maximumMessageLength = 100_000

    let database: Database
    let vault: Vault

    public init(database: Database, vault: Vault) {
        self.database = database
        self.vault = vault
    }

    private var logger: Logger { database.logger }

    public func threads(of tenant: Tenant, limit: Int = 100) async throws -> [ConversationThread] {
        try await database.withTenant(tenant.companyID) { connection in
            try await connection.rows(
                """
                SELECT id, company_id, user_id, title, model, created_at, updated_at FROM threads
                WHERE company_id = \(tenant.companyID) AND user_id = \(tenant.userID)
                ORDER BY updated_at DESC LIMIT \(limit)
                """, logger: logger
            ).map(Self.thread)
        }
    }

    /// A member's own thread; another member's or another company's answers as not found.
    public func thread(_ id: UUID, of tenant: Tenant) async throws -> (ConversationThread, [ThreadMessage]) {
        try await database.withTenant(tenant.companyID) { connection in
            guard
                let row = try await connection.rows(
                    """
                    SELECT id, company_id, user_id, title, model, created_at, updated_at FROM threads
                    WHERE company_id = \(tenant.companyID) AND id = \(id) AND user_id = \(tenant.userID)
                    """, logger: logger
                ).first
            else { throw NotFound() }
            let thread = try Self.thread(from: row)
            var messages: [ThreadMessage] = []
            for row in try await connection.rows(
                """
                SELECT id, role, content, model, prompt_tokens, completion_tokens, created_at FROM thread_messages
                WHERE company_id = \(tenant.companyID) AND thread_id = \(id) ORDER BY created_at, id
                """, logger: logger)
            {
                let (messageID, role, sealed, model, prompt, completion, createdAt) = try row.decode(
                    (UUID, String, Data, String?, Int, Int, Date).self)
                let content = try await vault.open(sealed, at: Self.location(messageID), companyID: tenant.companyID, on: connection)
                messages.append(
                    ThreadMessage(
                        id: messageID, role: role, content: String(decoding: content, as: UTF8.self), model: model, promptTokens: prompt,
                        completionTokens: completion, createdAt: createdAt))
            }
            return (thread, messages)
        }
    }

    public func create(title: String, model: String, by tenant: Tenant) async throws -> ConversationThread {
        let title = try Self.checkedTitle(title)
        let thread = ConversationThread(
            id: UUID(), companyID: tenant.companyID, userID: tenant.userID, title: title, model: model, createdAt: Date(), updatedAt: Date()
        )
        _ = try await database.withTenant(tenant.companyID) { connection in
            try await connection.rows(
                "INSERT INTO threads (company_id, id, user_id, title, model) VALUES (\(thread.companyID), \(thread.id), \(tenant.userID), \(title), \(model))",
                logger: logger)
        }
        return thread
    }

    public func rename(_ id: UUID, to title: String, by tenant: Tenant) async throws {
        let title = try Self.checkedTitle(title)
        let updated = try await database.withTenant(tenant.companyID) { connection in
            try await connection.rows(
                """
                UPDATE threads SET title = \(title), updated_at = now()
                WHERE company_id = \(tenant.companyID) AND id = \(id) AND user_id = \(tenant.userID) RETURNING 1
                """, logger: logger)
        }
        if updated.isEmpty { throw NotFound() }
    }

    public func delete(_ id: UUID, by tenant: Tenant) async throws {
        let deleted = try await database.withTenant(tenant.companyID) { connection in
            try await connection.rows(
                "DELETE FROM threads WHERE company_id = \(tenant.companyID) AND id = \(id) AND user_id = \(tenant.userID) RETURNING 1",
                logger: logger)
        }
        if deleted.isEmpty { throw NotFound() }
    }

    /// Whether an API key may add to a thread: only to the threads of the member who made the key,
    /// since threads are private to their member.
    public func isWritable(_ id: UUID, by key: APIKey) async throws -> Bool {
        guard let owner = key.createdBy else { return false }
        return try await database.withTenant(key.companyID) { connection in
            try await !connection.rows(
                "SELECT 1 FROM threads WHERE company_id = \(key.companyID) AND id = \(id) AND user_id = \(owner)", logger: logger
            ).isEmpty
        }
    }

    /// Stores one exchange: the caller's message and the model's answer, sealed, with token counts.
    func append(
        to threadID: UUID, companyID: UUID, userMessage: String, reply: String, model: String, usage: TokenUsage
    ) async throws {
        try await database.withTenant(companyID) { connection in
            let now = Date()
            for (role, content, tokens) in [
                ("user", userMessage, (usage.promptTokens, 0)), ("assistant", reply, (0, usage.completionTokens)),
            ] {
                let id = UUID()
                let sealed = try await vault.seal(Data(content.utf8), at: Self.location(id), companyID: companyID, on: connection)
                try await connection.rows(
                    """
                    INSERT INTO thread_messages (company_id, id, thread_id, role, content, model, prompt_tokens, completion_tokens, created_at)
                    VALUES (\(companyID), \(id), \(threadID), \(role), \(sealed), \(model), \(tokens.0), \(tokens.1),
                        \(now) + make_interval(secs => \(role == "user" ? 0.0 : 0.001)))
                    """, logger: logger)
            }
            try await connection.rows(
                "UPDATE threads SET updated_at = now(), model = \(model) WHERE company_id = \(companyID) AND id = \(threadID)",
                logger: logger)
        }
    }

    static func checkedTitle(_ raw: String) throws -> String {
        let title = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        if let problem = DisplayName.problem(with: title, whenEmpty: "Give the thread a title.", maximumLength: maximumTitleLength) {
            throw FieldErrors("title", problem)
        }
        return title
    }

    static func location(_ messageID: UUID) -> SecretLocation {
        SecretLocation(table: "thread_messages", rowID: messageID.uuidString.lowercased(), column: "content")
    }

    static func thread(from row: PostgresRow) throws -> ConversationThread {
        let (id, companyID, userID, title, model, createdAt, updatedAt) = try row.decode(
            (UUID, UUID, UUID?, String, String, Date, Date).self)
        return ConversationThread(
            id: id, companyID: companyID, userID: userID, title: title, model: model, createdAt: createdAt, updatedAt: updatedAt)
    }
}
