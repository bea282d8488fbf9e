import Foundation
import GatewayCore
import PostgresNIO
import TestSupport
import Testing

/// PostgreSQL itself keeps companies apart: as the app's role, with company A set, nothing of B
/// can be read or written in any tenant table, whatever the query forgets to filter.
@Suite("Row-level security")
struct RowLevelSecurityTests {
    let companyA = UUID()
    let companyB = UUID()

    /// One row per tenant table per company, written as the owner (migrations' role).
    func seed(_ settings: DatabaseSettings) async throws {
        try await settings.owner.withConnection(logger: TestDatabase.logger) { connection in
            for (company, user) in [(companyA, UUID()), (companyB, UUID())] {
                let statements: [PostgresQuery] = [
                    "INSERT INTO users (id, email, name, password_hash) VALUES (\(user), \("\(user.uuidString.lowercased())@rls.test"), 'Person', 'x')",
                    "INSERT INTO companies (id, name) VALUES (\(company), 'Company')",
                    "INSERT INTO memberships (company_id, user_id, role) VALUES (\(company), \(user), 'owner')",
                    """
                    INSERT INTO invitations (company_id, id, email, role, token_hash, expires_at)
                    VALUES (\(company), \(UUID()), 'x@rls.test', 'member', sha256(gen_random_uuid()::text::bytea), now())
                    """,
                    "INSERT INTO audit_events (company_id, id, action) VALUES (\(company), \(UUID()), 'signed_in')",
                    "INSERT INTO outbox (company_id, id, recipient, subject, sealed_body) VALUES (\(company), \(UUID()), 'x@rls.test', 's', '\\x00')",
                    "INSERT INTO company_keys (company_id, id, master_key_id, wrapped_key) VALUES (\(company), \(UUID()), 'k', '\\x00')",
                    """
                    INSERT INTO integrations (company_id, id, user_id, provider, account_id, account_label, scopes, access_token)
                    VALUES (\(company), \(UUID()), \(user), 'github', '1', 'someone', '{}', '\\x00')
                    """,
                    "INSERT INTO api_keys (company_id, id, name, prefix, key_hash) VALUES (\(company), \(UUID()), 'k', 'oag_', sha256(\(user.uuidString)::bytea))",
                    "INSERT INTO provider_settings (company_id, provider) VALUES (\(company), 'openai')",
                    "INSERT INTO threads (company_id, id, user_id, title, model) VALUES (\(company), \(company), \(user), 't', 'gpt-4o')",
                    """
                    INSERT INTO thread_messages (company_id, id, thread_id, role, content) VALUES (\(company), \(UUID()), \(company), 'user', '\\x00')
                    """,
                    """
                    INSERT INTO usage_events (company_id, id, occurred_at, provider, model, prompt_tokens, completion_tokens, cost_micros, latency_ms, status)
                    VALUES (\(company), \(UUID()), now(), 'openai', 'gpt-4o', 1, 1, 1, 1, 200)
                    """,
                    "INSERT INTO rate_limit_windows (company_id, api_key_id, window_start, requests) VALUES (\(company), \(UUID()), now(), 1)",
                    "INSERT INTO statements (company_id, month, price_version, requests, total_micros) VALUES (\(company), '2026-01-01', 1, 1, 1)",
                    """
                    INSERT INTO statement_lines (company_id, month, model, provider, requests, prompt_tokens, completion_tokens,
                        input_micros_per_million, output_micros_per_million, amount_micros)
                    VALUES (\(company), '2026-01-01', 'gpt-4o', 'openai', 1, 1, 1, 1, 1, 1)
                    """,
                    """
                    INSERT INTO usage_daily (company_id, day, model, provider, requests, failed_requests, prompt_tokens, completion_tokens, cost_micros)
                    VALUES (\(company), current_date, 'gpt-4o', 'openai', 1, 0, 1, 1, 1)
                    """,
                ]
                for statement in statements { try await connection.query(statement, logger: TestDatabase.logger) }
            }
        }
    }

    /// Tables with a company_id column, and `companies` itself (keyed by id).
    func tenantTables(_ settings: DatabaseSettings) async throws -> [(table: String, key: String)] {
        try await settings.owner.withConnection(logger: TestDatabase.logger) { connection in
            var tables: [(String, String)] = [("companies", "id")]
            let rows = try await connection.query(
                "SELECT table_name::text FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'company_id' ORDER BY 1",
                logger: TestDatabase.logger)
            for try await table in rows.decode(String.self) { tables.append((table, "company_id")) }
            return tables
        }
    }

    @Test func everyTenantTableHasForcedRowLevelSecurity() async throws {
        let settings = try await TestDatabase.fresh()
        let tables = try await tenantTables(settings)
        #expect(tables.count >= 5)
        try await settings.owner.withConnection(logger: TestDatabase.logger) { connection in
            for (table, _) in tables {
                let rows = try await connection.query(
                    "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = \(table) AND relkind IN ('r', 'p')",
                    logger: TestDatabase.logger)
                for try await (enabled, forced) in rows.decode((Bool, Bool).self) {
                    #expect(enabled && forced, "\(table) must enable and force row-level security")
                }
            }
        }
    }

    @Test func theAppRoleSeesAndChangesOnlyTheCompanyOfItsTransaction() async throws {
        let settings = try await TestDatabase.fresh()
        guard settings.appRole != nil else { return }  // an external test server has a single role
        try await seed(settings)
        let tables = try await tenantTables(settings)
        try await settings.app.withConnection(logger: TestDatabase.logger) { connection in
            let logger = TestDatabase.logger
            func count(_ sql: String) async throws -> Int {
                let rows = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
                for try await value in rows.decode(Int.self) { return value }
                return -1
            }

            for (table, _) in tables {
                #expect(try await count("SELECT count(*)::int FROM \(table)") == 0, "\(table): nothing without a company set")
            }

            try await connection.query("BEGIN", logger: logger)
            try await connection.query("SELECT set_config('oag.company_id', \(companyA.uuidString), true)", logger: logger)
            for (table, key) in tables {
                #expect(try await count("SELECT count(*)::int FROM \(table)") == 1, "\(table): exactly company A's row, no filter needed")
                #expect(try await count("SELECT count(*)::int FROM \(table) WHERE \(key) = '\(companyB)'") == 0, "\(table): B is invisible")
                #expect(
                    try await count(
                        "WITH changed AS (UPDATE \(table) SET \(key) = \(key) WHERE \(key) = '\(companyB)' RETURNING 1) SELECT count(*)::int FROM changed"
                    ) == 0, "\(table): B cannot be updated")
                #expect(
                    try await count(
                        "WITH gone AS (DELETE FROM \(table) WHERE \(key) = '\(companyB)' RETURNING 1) SELECT count(*)::int FROM gone") == 0,
                    "\(table): B cannot be deleted")
            }
            try await connection.query("COMMIT", logger: logger)

            try await connection.query("BEGIN", logger: logger)
            try await connection.query("SELECT set_config('oag.company_id', \(companyA.uuidString), true)", logger: logger)
            await #expect(throws: PSQLError.self, "writing a row for company B is refused") {
                try await connection.query(
                    "INSERT INTO audit_events (company_id, id, action) VALUES (\(companyB), \(UUID()), 'signed_in')", logger: logger)
            }
            try await connection.query("ROLLBACK", logger: logger)
        }
        try await settings.owner.withConnection(logger: TestDatabase.logger) { connection in
            let rows = try await connection.query(
                "SELECT count(*)::int FROM memberships WHERE company_id = \(companyB)", logger: TestDatabase.logger)
            for try await count in rows.decode(Int.self) { #expect(count == 1, "company B's data is intact") }
        }
    }

    @Test func theAppRoleOwnsNothingAndCannotBypass() async throws {
        let settings = try await TestDatabase.fresh()
        guard settings.appRole != nil else { return }
        try await settings.app.withConnection(logger: TestDatabase.logger) { connection in
            let rows = try await connection.query(
                """
                SELECT r.rolsuper OR r.rolbypassrls, (SELECT count(*)::int FROM pg_tables t WHERE t.schemaname = 'public' AND t.tableowner = current_user)
                FROM pg_roles r WHERE r.rolname = current_user
                """, logger: TestDatabase.logger)
            for try await (privileged, owned) in rows.decode((Bool, Int).self) {
                #expect(!privileged)
                #expect(owned == 0)
            }
        }
    }
}
