import Crypto
import Foundation
import Logging

/// The master keys of `OAG_MASTER_KEYS` (`id:base64key,...`, 32-byte keys). The first one wraps
/// new and rotated company keys; the others still unwrap what they wrapped before a rotation.
public struct MasterKeyRing: Sendable {
    public struct Key: Sendable {
        public let id: String
        let key: SymmetricKey
    }

    public let keys: [Key]

    public var current: Key { keys[0] }

    public init(keys: [Key]) {
        precondition(!keys.isEmpty, "a key ring needs a key")
        self.keys = keys
    }

    public struct ParseError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Parses `id:base64key,...`; ids are letters, digits, `-` and `_`, each key exactly 32 bytes.
    public init(parsing text: String) throws(ParseError) {
        var keys: [Key] = []
        for entry in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !entry.isEmpty {
            let parts = entry.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, parts[0].count <= 32,
                parts[0].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
            else { throw ParseError(description: "each entry must be id:base64key with an id of letters, digits, - or _") }
            guard let bytes = Data(base64Encoded: parts[1]), bytes.count == 32 else {
                throw ParseError(description: "the key \"\(parts[0])\" must be 32 bytes, base64-encoded")
            }
            guard !keys.contains(where: { $0.id == parts[0] }) else {
                throw ParseError(description: "the key id \"\(parts[0])\" appears twice")
            }
            keys.append(Key(id: parts[0], key: SymmetricKey(data: bytes)))
        }
        guard !keys.isEmpty else { throw ParseError(description: "no key given") }
        self.init(keys: keys)
    }

    func key(id: String) -> Key? { keys.first { $0.id == id } }

    /// Development only: a key generated once into the data directory (mode 0600), with a warning.
    public static func developmentRing(dataDirectory: String, logger: Logger) throws -> MasterKeyRing {
        let path = dataDirectory + "/master.key"
        if let existing = try? String(contentsOfFile: path, encoding: .utf8) {
            return try MasterKeyRing(parsing: existing.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        let key = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).base64EncodedString() }
        let entry = "dev-\(UUID().uuidString.prefix(8).lowercased()):\(key)"
        guard FileManager.default.createFile(atPath: path, contents: Data((entry + "\n").utf8), attributes: [.posixPermissions: 0o600])
        else { throw ParseError(description: "cannot write \(path)") }
        logger.warning("OAG_MASTER_KEYS is not set: generated a development master key in \(path). Set OAG_MASTER_KEYS in production.")
        return try MasterKeyRing(parsing: entry)
    }
}
