/// The one list of every place OAG keeps personal data: what it is, which part of the privacy
/// policy it belongs to, how it is exported and how it is deleted. The export
/// (`PersonalDataExport`), the deletion job (`DeletionJob`) and the policy's "Data we hold"
/// section (`DataInventory.policySection`) all read it, so they cannot drift apart; a test compares
/// it with the live schema and fails on any personal-looking column it does not name.
public enum DataInventory {}

/// The headings of the policy's "Data we hold" section.
public enum DataCategory: String, Sendable, CaseIterable, Codable {
    case account
    case connectedServices = "connected_services"
    case usage
    case threads
    case security
    case messages
    case privacy
    case operatorActions = "operator_actions"

    public var title: String {
        switch self {
        case .account: "Account data"
        case .connectedServices: "Connected services"
        case .usage: "Usage records"
        case .threads: "Conversation threads"
        case .security: "Sessions and audit entries"
        case .messages: "Messages to you"
        case .privacy: "Your privacy requests"
        case .operatorActions: "Operator actions (platform operators only)"
        }
    }
}

/// How a column leaves in the export.
public enum ExportRule: Sendable, Equatable {
    /// As stored.
    case value
    /// Sealed by the vault at this table, row id and column; opened for the export.
    case opened
    /// Never exported, for the reason given (secrets, hashes).
    case omitted(because: String)
}

/// A column that holds personal data.
public struct PersonalColumn: Sendable {
    public let name: String
    /// In plain words, as the policy says it.
    public let holds: String
    public let export: ExportRule

    public init(_ name: String, holds: String, export: ExportRule = .value) {
        self.name = name
        self.holds = holds
        self.export = export
    }
}

/// What a deletion does to a table's rows of the person.
public enum DeletionRule: Sendable {
    case deleteRows
    /// The rows stay (they are the company's, or its billing record); these statements, run with
    /// the same parameters as the row filter, take the person out of them.
    case anonymise(statements: [String], why: String)
}

/// Whether rows belong to one company (read inside its tenant transaction) or to the platform.
public enum TableScope: Sendable, Equatable {
    case tenant
    case platform
}

/// How the export reads a table a page at a time.
public enum PageOrder: Sendable {
    /// Seek past the last row's key: cheap at any depth, for tables that grow with use.
    /// Each column is named with its SQL type, so the key can travel as text.
    case keyset([(column: String, type: String)])
    /// Skip rows: for tables that stay small per person.
    case offset(orderBy: String)
}

/// One table with personal data.
///
/// `rowsOfPerson` is a SQL condition on the table (alias-free) with fixed parameters:
/// `$1` the user's id, `$2` every email address they have had (text[]), `$3` the company
/// (tenant tables only), `$4` the sign-in throttle's subjects for those addresses (hex text[]).
public struct InventoryTable: Sendable {
    public let name: String
    public let category: DataCategory
    public let scope: TableScope
    /// Plain words for the export and the receipt ("conversation threads").
    public let describes: String
    public let rowsOfPerson: String
    /// The row's id column, when it has one that locates sealed values.
    public let idColumn: String?
    public let columns: [PersonalColumn]
    public let deletion: DeletionRule
    public let order: PageOrder

    public init(
        _ name: String, category: DataCategory, scope: TableScope, describes: String, rowsOfPerson: String, idColumn: String? = "id",
        order: PageOrder? = nil, columns: [PersonalColumn], deletion: DeletionRule
    ) {
        self.name = name
        self.category = category
        self.scope = scope
        self.describes = describes
        self.rowsOfPerson = rowsOfPerson
        self.idColumn = idColumn
        self.columns = columns
        self.deletion = deletion
        self.order = order ?? (idColumn.map { .keyset([($0, "uuid")]) } ?? .offset(orderBy: "1"))
    }

    /// Columns the export writes as they are stored (everything but the opened and omitted ones).
    public var exportedColumns: [String] {
        columns.filter { $0.export == .value }.map(\.name)
    }
}

/// A column that looks personal by its name but is not, and why.
public struct NotPersonalColumn: Sendable {
    public let table: String
    public let column: String
    public let because: String

    public init(_ table: String, _ column: String, because: String) {
        self.table = table
        self.column = column
        self.because = because
    }
}
