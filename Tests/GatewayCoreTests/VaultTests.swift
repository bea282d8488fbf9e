import Crypto
import Foundation
import GatewayCore
import PostgresNIO
import TestSupport
import Testing

@Suite("Vault: envelope encryption of company secrets")
struct VaultTests {
    static func ring(_ ids: String...) throws -> MasterKeyRing {
        try MasterKeyRing(
            parsing: ids.map { "\($0):\(Data(SHA256.hash(data: Data($0.utf8))).base64EncodedString())" }.joined(separator: ","))
    }

    let companyA = UUID()
    let companyB = UUID()
    let token = Data("gho_secret-access-token-123".utf8)
    let location = SecretLocation(table: "integrations", rowID: UUID().uuidString, column: "access_token")

    func prepared() async throws -> DatabaseSettings {
        let settings = try await TestDatabase.fresh()
        try await settings.owner.withConnection(logger: TestDatabase.logger) { connection in
            try await connection.query(
                "INSERT INTO companies (id, name) VALUES (\(companyA), 'A'), (\(companyB), 'B')", logger: TestDatabase.logger)
        }
        return settings
    }

    /// Runs `body` as the app role inside a tenant transaction of `company`.
    func inTenant<T: Sendable>(
        _ settings: DatabaseSettings, _ company: UUID, _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await settings.app.withConnection(logger: TestDatabase.logger) { connection in
            try await connection.query("BEGIN", logger: TestDatabase.logger)
            try await connection.query("SELECT set_config('oag.company_id', \(company.uuidString), true)", logger: TestDatabase.logger)
            do {
                let result = try await body(connection)
                try await connection.query("COMMIT", logger: TestDatabase.logger)
                return result
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: TestDatabase.logger)
                throw error
            }
        }
    }

    @Test func aSealedSecretOpensOnlyWhereItWasSealed() async throws {
        let settings = try await prepared()
        let vault = Vault(ring: try Self.ring("k1"), logger: TestDatabase.logger)
        let sealed = try await inTenant(settings, companyA) { try await vault.seal(token, at: location, companyID: companyA, on: $0) }
        #expect(sealed.range(of: token) == nil, "the plaintext is not in the sealed value")
        #expect(try await inTenant(settings, companyA) { try await vault.open(sealed, at: location, companyID: companyA, on: $0) } == token)

        var otherRow = location
        otherRow.rowID = UUID().uuidString
        var otherColumn = location
        otherColumn.column = "refresh_token"
        for moved in [otherRow, otherColumn] {
            await #expect(throws: VaultError.cannotOpen, "a ciphertext copied to another row or column fails to open") {
                try await inTenant(settings, companyA) { try await vault.open(sealed, at: moved, companyID: companyA, on: $0) }
            }
        }
        _ = try await inTenant(settings, companyB) { try await vault.seal(Data("b".utf8), at: location, companyID: companyB, on: $0) }
        await #expect(throws: VaultError.cannotOpen, "another company's key does not open it") {
            try await inTenant(settings, companyB) { try await vault.open(sealed, at: location, companyID: companyB, on: $0) }
        }
        var altered = sealed
        altered[altered.count - 1] ^= 0x01
        await #expect(throws: VaultError.cannotOpen) {
            try await inTenant(settings, companyA) { try await vault.open(altered, at: location, companyID: companyA, on: $0) }
        }
        await #expect(throws: VaultError.malformedCiphertext) {
            try await inTenant(settings, companyA) { try await vault.open(Data("junk".utf8), at: location, companyID: companyA, on: $0) }
        }
    }

    @Test func eachSealUsesAFreshNonceAndTheCompanyKeyIsStoredOnlyWrapped() async throws {
        let settings = try await prepared()
        let vault = Vault(ring: try Self.ring("k1"), logger: TestDatabase.logger)
        let first = try await inTenant(settings, companyA) { try await vault.seal(token, at: location, companyID: companyA, on: $0) }
        let second = try await inTenant(settings, companyA) { try await vault.seal(token, at: location, companyID: companyA, on: $0) }
        #expect(first != second)
        let keys = try await TestDataRows.strings("SELECT master_key_id || ':' || length(wrapped_key) FROM company_keys", settings)
        #expect(keys == ["k1:60"], "one data key for the company, 32 bytes wrapped with nonce and tag")
    }

    @Test func rotationRewrapsCompanyKeysAndEverySecretStaysReadable() async throws {
        let settings = try await prepared()
        let old = Vault(ring: try Self.ring("k1"), logger: TestDatabase.logger)
        let sealedA = try await inTenant(settings, companyA) { try await old.seal(token, at: location, companyID: companyA, on: $0) }
        let sealedB = try await inTenant(settings, companyB) { try await old.seal(token, at: location, companyID: companyB, on: $0) }

        let rotating = Vault(ring: try Self.ring("k2", "k1"), logger: TestDatabase.logger)
        let count = try await settings.owner.withConnection(logger: TestDatabase.logger) { try await rotating.rewrapCompanyKeys(on: $0) }
        #expect(count == 2)
        #expect(try await settings.owner.withConnection(logger: TestDatabase.logger) { try await rotating.rewrapCompanyKeys(on: $0) } == 0)

        let newOnly = Vault(ring: try Self.ring("k2"), logger: TestDatabase.logger)
        #expect(
            try await inTenant(settings, companyA) { try await newOnly.open(sealedA, at: location, companyID: companyA, on: $0) } == token)
        #expect(
            try await inTenant(settings, companyB) { try await newOnly.open(sealedB, at: location, companyID: companyB, on: $0) } == token)
        await #expect(throws: VaultError.unknownMasterKey(id: "k2"), "the retired ring alone no longer opens anything") {
            try await inTenant(settings, companyA) { try await old.open(sealedA, at: location, companyID: companyA, on: $0) }
        }
    }

    @Test func destroyingTheCompanyKeyMakesItsSecretsUnreadable() async throws {
        let settings = try await prepared()
        let vault = Vault(ring: try Self.ring("k1"), logger: TestDatabase.logger)
        let sealed = try await inTenant(settings, companyA) { try await vault.seal(token, at: location, companyID: companyA, on: $0) }
        _ = try await TestDataRows.strings("DELETE FROM company_keys RETURNING 'gone'", settings)
        await #expect(throws: VaultError.companyKeyMissing) {
            try await inTenant(settings, companyA) { try await vault.open(sealed, at: location, companyID: companyA, on: $0) }
        }
    }

    @Test func theKeyRingIsParsedStrictly() throws {
        let key = Data(repeating: 7, count: 32).base64EncodedString()
        let ring = try MasterKeyRing(parsing: "new:\(key), old:\(key)")
        #expect(ring.current.id == "new")
        #expect(ring.keys.map(\.id) == ["new", "old"])
        for bad in [
            "", "nokey", "k:notbase64!", "k:\(Data(repeating: 1, count: 16).base64EncodedString())", "a b:\(key)", "k:\(key),k:\(key)",
        ] {
            #expect(throws: MasterKeyRing.ParseError.self) { try MasterKeyRing(parsing: bad) }
        }
    }

    @Test func aDevelopmentKeyIsGeneratedOncePrivately() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("oag-devkey-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try MasterKeyRing.developmentRing(dataDirectory: directory, logger: TestDatabase.logger)
        let second = try MasterKeyRing.developmentRing(dataDirectory: directory, logger: TestDatabase.logger)
        #expect(first.current.id == second.current.id)
        let mode = try FileManager.default.attributesOfItem(atPath: directory + "/master.key")[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }
}

enum TestDataRows {
    static func strings(_ sql: String, _ settings: DatabaseSettings) async throws -> [String] {
        try await settings.owner.withConnection(logger: TestDatabase.logger) { connection in
            var values: [String] = []
            for try await value in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: TestDatabase.logger).decode(
                String.self)
            {
                values.append(value)
            }
            return values
        }
    }
}
