import Crypto
import Foundation

/// Proof Key for Code Exchange (RFC 7636), S256 only.
public struct PKCE: Sendable {
    /// 43 characters of base64url: 256 random bits.
    public let verifier: String

    public init(verifier: String = SecretToken().value) {
        self.verifier = verifier
    }

    public var challenge: String { Self.challenge(for: verifier) }

    public static func challenge(for verifier: String) -> String {
        Data(SHA256.hash(data: Data(verifier.utf8))).base64URLEncoded
    }
}
