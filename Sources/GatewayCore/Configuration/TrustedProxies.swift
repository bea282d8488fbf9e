import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The proxies (load balancers) whose `X-Forwarded-For` header tells the client's address
/// (`OAG_TRUSTED_PROXIES`). Without any, the header is ignored: anyone could write it, and the
/// per-address limits would then be theirs to choose.
public struct TrustedProxies: Sendable, Equatable {
    /// A network: its address bytes (4 or 16) and how many leading bits must match.
    struct Network: Sendable, Equatable {
        let bytes: [UInt8]
        let prefixLength: Int

        func contains(_ address: [UInt8]) -> Bool {
            guard address.count == bytes.count else { return false }
            var remaining = prefixLength
            for (mine, theirs) in zip(bytes, address) where remaining > 0 {
                let bits = min(remaining, 8)
                let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
                if mine & mask != theirs & mask { return false }
                remaining -= bits
            }
            return true
        }
    }

    let networks: [Network]

    public static let none = TrustedProxies(networks: [])

    public var isEmpty: Bool { networks.isEmpty }

    /// Parses a comma-separated list of addresses and CIDR networks (`10.0.0.0/8`, `fd00::/8`, `192.0.2.7`),
    /// or names the first entry that is neither.
    public static func parse(_ list: String) -> Result<TrustedProxies, ListProblem> {
        var networks: [Network] = []
        for entry in list.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !entry.isEmpty {
            let parts = entry.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count <= 2, let bytes = addressBytes(String(parts[0])) else {
                return .failure(ListProblem(entry: entry))
            }
            let maximum = bytes.count * 8
            let length: Int
            if parts.count == 2 {
                guard parts[1].allSatisfy({ $0.isASCII && $0.isNumber }), let given = Int(parts[1]), (0...maximum).contains(given) else {
                    return .failure(ListProblem(entry: entry))
                }
                length = given
            } else {
                length = maximum
            }
            networks.append(Network(bytes: bytes, prefixLength: length))
        }
        return .success(TrustedProxies(networks: networks))
    }

    public struct ListProblem: Error, Equatable {
        public let entry: String
    }

    public func contains(_ address: String) -> Bool {
        guard let bytes = Self.addressBytes(address) else { return false }
        return networks.contains { $0.contains(bytes) }
    }

    /// The client's address: the TCP peer's, unless the peer is a trusted proxy; then the nearest
    /// address in `X-Forwarded-For` (read from the right, each proxy appending the one it saw)
    /// that is not itself a trusted proxy. Entries left of it may be forged by the client and
    /// are never read; a malformed entry ends the walk at the last address known to be sound.
    public func clientAddress(peer: String?, forwardedFor headerValues: [String]) -> String? {
        guard let peer, !isEmpty, contains(peer) else { return peer }
        var client = peer
        let hops = headerValues.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
        for hop in hops.reversed() {
            guard let address = Self.canonical(hop) else { break }
            client = address
            if !contains(address) { break }
        }
        return client
    }

    /// The address written the one way `inet_ntop` writes it, so that limits count one client once.
    static func canonical(_ text: String) -> String? {
        guard let bytes = addressBytes(text) else { return nil }
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let written = bytes.withUnsafeBytes { raw in inet_ntop(family, raw.baseAddress, &buffer, socklen_t(buffer.count)) }
        guard written != nil else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func addressBytes(_ text: String) -> [UInt8]? {
        guard !text.isEmpty, text.count <= 64 else { return nil }
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }
}
