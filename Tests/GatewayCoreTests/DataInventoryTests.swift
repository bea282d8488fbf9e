import Foundation
import GatewayCore
import PostgresNIO
import TestSupport
import Testing

/// The data inventory against the live schema: a column that can hold personal data and that the
/// inventory does not name fails here, and so does a declaration of something that no longer exists.
@Suite("Data inventory")
struct DataInventoryTests {
    /// Names that may hold a person's data: a user's id, an email, a name, an address, content,
    /// a token or key, an IP, free text, who did something.
    static func looksPersonal(_ column: String) -> Bool {
        let pattern =
            #"(^|_)(user|users|actor|requester|recipient|email|name|address|content|body|token|key|ip|password|subject|reason|detail|title|label|account)(_|$)|_by$"#
        return column.contains(try! Regex(pattern))
    }

    /// Every column of the app's tables (partitions of usage_events are the same table).
    func liveColumns() async throws -> [(table: String, column: String)] {
        let settings = try await TestDatabase.fresh()
        return try await settings.owner.withConnection(logger: TestDatabase.logger) { connection in
            let rows = try await connection.query(
                """
                SELECT c.table_name::text, c.column_name::text FROM information_schema.columns c
                JOIN pg_class t ON t.relname = c.table_name AND t.relkind IN ('r', 'p') AND NOT t.relispartition
                WHERE c.table_schema = 'public' ORDER BY 1, 2
                """, logger: TestDatabase.logger)
            var columns: [(String, String)] = []
            for try await (table, column) in rows.decode((String, String).self) { columns.append((table, column)) }
            return columns
        }
    }

    @Test func everyPersonalLookingColumnIsDeclared() async throws {
        let live = try await liveColumns()
        #expect(live.count > 100)
        var declared = Set<String>()
        for table in DataInventory.tables {
            for column in table.columns { declared.insert("\(table.name).\(column.name)") }
        }
        for exempt in DataInventory.notPersonal { declared.insert("\(exempt.table).\(exempt.column)") }
        let undeclared = live.filter { Self.looksPersonal($0.column) && !declared.contains("\($0.table).\($0.column)") }
        #expect(undeclared.isEmpty, "declare these in DataInventory (personal) or DataInventory.notPersonal: \(undeclared)")
    }

    @Test func everyDeclarationNamesAColumnThatExists() async throws {
        let live = Set(try await liveColumns().map { "\($0.table).\($0.column)" })
        for table in DataInventory.tables {
            for column in table.columns {
                #expect(live.contains("\(table.name).\(column.name)"), "\(table.name).\(column.name) is declared but does not exist")
            }
        }
        for exempt in DataInventory.notPersonal {
            #expect(live.contains("\(exempt.table).\(exempt.column)"), "\(exempt.table).\(exempt.column) is exempted but does not exist")
        }
    }

    @Test func theMatcherCatchesWhatItShould() {
        for name in ["user_id", "email", "actor_user_id", "invited_by", "sealed_body", "ip", "access_token", "reason", "new_email"] {
            #expect(Self.looksPersonal(name), "\(name)")
        }
        for name in ["created_at", "model", "prompt_tokens", "status", "scopes"] {
            #expect(!Self.looksPersonal(name), "\(name)")
        }
    }

    @Test func theShippedPolicyTakesTheGeneratedListAndTheEditorGetsTheMarkerBack() throws {
        let shipped = try String(contentsOfFile: TestDatabase.repositoryRoot + "/Content/privacy-policy.md", encoding: .utf8)
        #expect(shipped.contains(DataInventory.policyMarker), "the shipped policy must take the generated list")
        let published = DataInventory.expandingPolicySection(in: shipped)
        #expect(!published.contains(DataInventory.policyMarker))
        // Whatever the list said when it was published, the editor gets the marker back.
        let older = published.replacingOccurrences(of: "Account data", with: "Account data as it was")
        #expect(DataInventory.collapsingPolicySection(in: older) == shipped)
    }
}
