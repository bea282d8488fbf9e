import Foundation
import Logging
import PostgresNIO

/// Everything the data inventory says is a person's, as one JSON document written piece by
/// piece: each table is read a page at a time in short transactions, so a long history never has
/// to fit in memory. Secrets and hashes are left out (the inventory says which, and the document
/// says why); sealed content is opened.
public struct PersonalDataExport: Sendable {
    public static let format = "oag-personal-data-export/1"
    static let pageSize = 1000
    /// Sealed rows can be large (a message is up to 100,000 characters).
    static let sealedPageSize = 100
    static let chunkSize = 64 * 1024

    let database: Database
    let vault: Vault

    public init(database: Database, vault: Vault) {
        self.database = database
        self.vault = vault
    }

    private var logger: Logger { database.logger }

    /// Writes the document for `user` through `write`, in chunks of about 64 KiB.
    public func export(_ user: User, to write: (ByteBuffer) async throws -> Void) async throws {
        var buffer = ByteBuffer()
        var needsComma = false
        func emit(_ piece: String, opens: Bool = false, closes: Bool = false) async throws {
            if needsComma && !closes { buffer.writeString(",") }
            buffer.writeString(piece)
            needsComma = !opens
            if buffer.readableBytes >= Self.chunkSize {
                try await write(buffer)
                buffer = ByteBuffer()
            }
        }

        guard let person = try await DeletionJob.person(user.id, in: database) else { throw NotFound() }
        let companies = try await DeletionJob.companiesHolding(person, in: database)
        let exportedAt = ISO8601DateFormatter().string(from: Date())
        try await emit(
            "{\"format\":\(json(Self.format)),\"exported_at\":\(json(exportedAt)),\"user_id\":\(json(user.id.uuidString.lowercased())),\"categories\":[",
            opens: true)
        for category in DataCategory.allCases {
            try await emit("{\"category\":\(json(category.rawValue)),\"title\":\(json(category.title)),\"tables\":[", opens: true)
            for table in DataInventory.tables where table.category == category {
                try await emit(header(of: table), opens: true)
                for company in table.scope == .tenant ? companies.map(Optional.some) : [nil] {
                    var position: PagePosition? = .start
                    while let current = position {
                        let page = try await page(of: table, person: person, company: company, at: current)
                        for row in page.rows { try await emit(row) }
                        position = page.next
                    }
                }
                try await emit("]}", closes: true)
            }
            try await emit("]}", closes: true)
        }
        try await emit("]}\n", closes: true)
        if buffer.readableBytes > 0 { try await write(buffer) }
    }

    /// What the table is, what each column holds, and which columns are left out and why.
    private func header(of table: InventoryTable) -> String {
        let holds = table.columns.map { "\(json($0.name)):\(json($0.holds))" }.joined(separator: ",")
        let omitted = table.columns.compactMap { column -> String? in
            guard case .omitted(let reason) = column.export else { return nil }
            return "\(json(column.name)):\(json(reason))"
        }.joined(separator: ",")
        return
            "{\"table\":\(json(table.name)),\"holds\":\(json(table.describes)),\"columns\":{\(holds)},\"left_out\":{\(omitted)},\"rows\":["
    }

    enum PagePosition: Sendable {
        case start
        case after(key: [String])
        case skipping(Int)
    }

    /// One page of the person's rows in a table (of one company), each a JSON object built by
    /// PostgreSQL, sealed columns opened here; `next` is nil after the last page.
    private func page(of table: InventoryTable, person: DeletionJob.Person, company: UUID?, at position: PagePosition) async throws
        -> (rows: [String], next: PagePosition?)
    {
        let opened = company == nil ? [] : table.columns.filter { $0.export == .opened }.map(\.name)
        let limit = opened.isEmpty ? Self.pageSize : Self.sealedPageSize
        var binds = try DeletionJob.personBinds(person, company)
        var condition = "(\(table.rowsOfPerson))"
        let orderBy: String
        var offset = 0
        var keyColumns: [(column: String, type: String)] = []
        switch table.order {
        case .keyset(let key):
            keyColumns = key
            orderBy = key.map(\.column).joined(separator: ", ")
            if case .after(let values) = position {
                for value in values { binds.append(value) }
                let placeholders = key.indices.map { "$\($0 + 5)::\(key[$0].type)" }.joined(separator: ", ")
                condition += " AND (\(orderBy)) > (\(placeholders))"
            }
        case .offset(let order):
            orderBy = order
            if case .skipping(let rows) = position { offset = rows }
        }
        let object = "json_build_object(" + table.exportedColumns.map { "'\($0)', \($0)" }.joined(separator: ", ") + ")::text"
        var selected = [object] + keyColumns.enumerated().map { "\($0.element.column)::text AS page_key_\($0.offset)" }
        if !opened.isEmpty { selected += [table.idColumn ?? "id"] + opened }
        let query = PostgresQuery(
            unsafeSQL: """
                SELECT \(selected.joined(separator: ", ")) FROM \(table.name) WHERE \(condition)
                ORDER BY \(orderBy) LIMIT \(limit) OFFSET \(offset)
                """, binds: binds)
        let keyCount = keyColumns.count
        let read: @Sendable (PostgresConnection) async throws -> ([String], [String]) = { connection in
            var objects: [String] = []
            var lastKey: [String] = []
            for row in try await connection.rows(query, logger: logger) {
                let cells = row.makeRandomAccess()
                var object = try cells[0].decode(String.self)
                lastKey = try (0..<keyCount).map { try cells[$0 + 1].decode(String.self) }
                if let company, !opened.isEmpty {
                    let id = try cells[1 + keyCount].decode(UUID.self)
                    var fields: [String] = []
                    for (index, column) in opened.enumerated() {
                        let sealed = try cells[2 + keyCount + index].decode(Data.self)
                        let location = SecretLocation(table: table.name, rowID: id.uuidString.lowercased(), column: column)
                        let plain = try await vault.open(sealed, at: location, companyID: company, on: connection)
                        fields.append("\(json(column)):\(json(String(decoding: plain, as: UTF8.self)))")
                    }
                    // The opened fields go in front of the other members of PostgreSQL's object.
                    object = "{" + fields.joined(separator: ",") + (object == "{}" ? "}" : "," + object.dropFirst())
                }
                objects.append(object)
            }
            return (objects, lastKey)
        }
        let (rows, lastKey) =
            if let company {
                try await database.withTenant(company, read)
            } else {
                try await database.withTransaction(read)
            }
        guard rows.count == limit else { return (rows, nil) }
        return (rows, keyColumns.isEmpty ? .skipping(offset + rows.count) : .after(key: lastKey))
    }

    private func json(_ text: String) -> String {
        String(decoding: JSONValue.string(text).serialized(), as: UTF8.self)
    }
}
