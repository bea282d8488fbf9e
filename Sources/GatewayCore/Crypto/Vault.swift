import Crypto
import Foundation
import Logging
import PostgresNIO

/// Where a sealed secret is stored. It is bound into the ciphertext as associated data, so a
/// ciphertext copied to another row, column or company fails to open.
public struct SecretLocation: Sendable, Equatable {
    public var table: String
    public var rowID: String
    public var column: String

    public init(table: String, rowID: String, column: String) {
        self.table = table
        self.rowID = rowID
        self.column = column
    }
}

/// Why a secret could not be sealed or opened. Never carries key material or plaintext.
public enum VaultError: Error, Equatable, CustomStringConvertible {
    case malformedCiphertext
    case companyKeyMissing
    case unknownMasterKey(id: String)
    case cannotOpen

    public var description: String {
        switch self {
        case .malformedCiphertext: "the sealed value is not in the vault's format"
        case .companyKeyMissing: "the company's data key does not exist (it was destroyed, or never made)"
        case .unknownMasterKey(let id): "the company key is wrapped by master key \"\(id)\", which is not in OAG_MASTER_KEYS"
        case .cannotOpen: "the sealed value does not open here: wrong key, wrong place, or altered"
        }
    }
}

/// Envelope encryption: every company has a random 256-bit data key, stored wrapped by the
/// master key ring; secrets are sealed with AES-256-GCM under that data key, a fresh 96-bit
/// nonce per seal, and their location as associated data.
///
/// Sealed format: version (1 byte) · data key id (16 bytes) · nonce, ciphertext and tag.
public struct Vault: Sendable {
    static let formatVersion: UInt8 = 1

    let ring: MasterKeyRing
    let logger: Logger

    public init(ring: MasterKeyRing, logger: Logger) {
        self.ring = ring
        self.logger = logger
    }

    /// Seals inside the caller's tenant transaction, making the company's data key on first use.
    public func seal(_ secret: Data, at location: SecretLocation, companyID: UUID, on connection: PostgresConnection) async throws -> Data {
        let (keyID, key) = try await dataKey(of: companyID, creatingIfMissing: true, on: connection)
        let box = try AES.GCM.seal(secret, using: key, authenticating: Self.associatedData(location, companyID: companyID))
        guard let combined = box.combined else { throw VaultError.malformedCiphertext }
        return Data([Self.formatVersion]) + Self.bytes(of: keyID) + combined
    }

    public func open(_ sealed: Data, at location: SecretLocation, companyID: UUID, on connection: PostgresConnection) async throws -> Data {
        guard sealed.count > 1 + 16 + 12 + 16, sealed.first == Self.formatVersion else { throw VaultError.malformedCiphertext }
        let keyID = Self.uuid(from: sealed.dropFirst().prefix(16))
        let (storedID, key) = try await dataKey(of: companyID, creatingIfMissing: false, on: connection)
        guard storedID == keyID else { throw VaultError.cannotOpen }
        do {
            let box = try AES.GCM.SealedBox(combined: sealed.dropFirst(17))
            return try AES.GCM.open(box, using: key, authenticating: Self.associatedData(location, companyID: companyID))
        } catch {
            throw VaultError.cannotOpen
        }
    }

    /// Re-wraps every company key not yet under the ring's current master key; returns how many.
    /// Runs as the schema owner (it crosses companies) while the app keeps serving: each row
    /// changes in one statement, and the app's ring still holds the old key until this is done.
    public func rewrapCompanyKeys(on ownerConnection: PostgresConnection) async throws -> Int {
        let stale = try await ownerConnection.query(
            "SELECT company_id, id, master_key_id, wrapped_key FROM company_keys WHERE master_key_id <> \(ring.current.id)",
            logger: logger
        ).collect()
        var rewrapped = 0
        for row in stale {
            let (companyID, keyID, masterID, wrapped) = try row.decode((UUID, UUID, String, Data).self)
            let key = try unwrap(wrapped, companyID: companyID, keyID: keyID, masterKeyID: masterID)
            let rewrappedKey = try wrap(key, companyID: companyID, keyID: keyID, with: ring.current)
            let updated = try await ownerConnection.query(
                """
                UPDATE company_keys SET master_key_id = \(ring.current.id), wrapped_key = \(rewrappedKey), rewrapped_at = now()
                WHERE company_id = \(companyID) AND id = \(keyID) AND master_key_id = \(masterID)
                RETURNING 1
                """, logger: logger
            ).collect()
            rewrapped += updated.count
        }
        return rewrapped
    }

    private func dataKey(of companyID: UUID, creatingIfMissing: Bool, on connection: PostgresConnection) async throws -> (
        UUID, SymmetricKey
    ) {
        let select: PostgresQuery = "SELECT id, master_key_id, wrapped_key FROM company_keys WHERE company_id = \(companyID)"
        if let row = try await connection.query(select, logger: logger).collect().first {
            let (keyID, masterID, wrapped) = try row.decode((UUID, String, Data).self)
            return (keyID, try unwrap(wrapped, companyID: companyID, keyID: keyID, masterKeyID: masterID))
        }
        guard creatingIfMissing else { throw VaultError.companyKeyMissing }
        let keyID = UUID()
        let wrapped = try wrap(SymmetricKey(size: .bits256), companyID: companyID, keyID: keyID, with: ring.current)
        // Two first seals at once: one insert wins and both use its key.
        try await connection.query(
            """
            INSERT INTO company_keys (company_id, id, master_key_id, wrapped_key) VALUES (\(companyID), \(keyID), \(ring.current.id), \(wrapped))
            ON CONFLICT (company_id) DO NOTHING
            """, logger: logger)
        guard let row = try await connection.query(select, logger: logger).collect().first else { throw VaultError.companyKeyMissing }
        let (storedID, masterID, storedWrapped) = try row.decode((UUID, String, Data).self)
        return (storedID, try unwrap(storedWrapped, companyID: companyID, keyID: storedID, masterKeyID: masterID))
    }

    private func wrap(_ key: SymmetricKey, companyID: UUID, keyID: UUID, with master: MasterKeyRing.Key) throws -> Data {
        let bytes = key.withUnsafeBytes { Data($0) }
        let box = try AES.GCM.seal(bytes, using: master.key, authenticating: Self.wrapAssociatedData(companyID: companyID, keyID: keyID))
        guard let combined = box.combined else { throw VaultError.malformedCiphertext }
        return combined
    }

    private func unwrap(_ wrapped: Data, companyID: UUID, keyID: UUID, masterKeyID: String) throws -> SymmetricKey {
        guard let master = ring.key(id: masterKeyID) else { throw VaultError.unknownMasterKey(id: masterKeyID) }
        do {
            let box = try AES.GCM.SealedBox(combined: wrapped)
            return SymmetricKey(
                data: try AES.GCM.open(box, using: master.key, authenticating: Self.wrapAssociatedData(companyID: companyID, keyID: keyID)))
        } catch {
            throw VaultError.cannotOpen
        }
    }

    static func associatedData(_ location: SecretLocation, companyID: UUID) -> Data {
        Data("oag-secret|v1|\(location.table)|\(location.rowID)|\(location.column)|\(companyID.uuidString.lowercased())".utf8)
    }

    static func wrapAssociatedData(companyID: UUID, keyID: UUID) -> Data {
        Data("oag-company-key|v1|\(companyID.uuidString.lowercased())|\(keyID.uuidString.lowercased())".utf8)
    }

    static func bytes(of uuid: UUID) -> Data {
        withUnsafeBytes(of: uuid.uuid) { Data($0) }
    }

    static func uuid(from bytes: Data) -> UUID {
        var value = UUID().uuid
        withUnsafeMutableBytes(of: &value) { $0.copyBytes(from: bytes.prefix(16)) }
        return UUID(uuid: value)
    }
}
