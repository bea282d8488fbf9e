import Crypto
import Foundation

/// A 256-bit random token for session ids and one-time links; only its SHA-256 is stored.
public struct SecretToken: Sendable, Equatable {
    public let value: String

    public init() {
        self.value = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }.base64URLEncoded
    }

    public init(_ value: String) {
        self.value = value
    }

    public var hash: Data { Self.hash(value) }

    public static func hash(_ value: String) -> Data {
        Data(SHA256.hash(data: Data(value.utf8)))
    }

    /// Tokens we hand out are 43 URL-safe characters; anything else cannot be one of ours.
    public var isWellFormed: Bool {
        value.utf8.count == 43 && value.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
    }
}
