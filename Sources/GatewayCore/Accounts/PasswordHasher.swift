import Crypto
import Foundation
import HummingbirdBcrypt
import NIOPosix

/// bcrypt (cost 12) over SHA-256 of the password, so every byte of a long password counts
/// (bcrypt itself reads only the first 72). Hashing runs on NIO's blocking pool, not on a
/// Swift concurrency thread.
public struct PasswordHasher: Sendable {
    public let cost: UInt8

    public init(cost: UInt8 = 12) {
        self.cost = cost
    }

    public func hash(_ password: String) async throws -> String {
        let prehashed = Self.prehash(password)
        let cost = cost
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(prehashed, cost: cost) }
    }

    public func verify(_ password: String, against hash: String) async throws -> Bool {
        let prehashed = Self.prehash(password)
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(prehashed, hash: hash) }
    }

    /// A hash to verify against when the email is unknown, so both answers take as long.
    public func decoyHash() async throws -> String {
        try await hash("decoy password that matches no account")
    }

    static func prehash(_ password: String) -> String {
        Data(SHA256.hash(data: Data(password.utf8))).base64EncodedString()
    }
}
