import Foundation
import GatewayCore
import Hummingbird

/// A keyset cursor in a page's links: `?<key>=<seconds>.<microseconds>&id=<uuid>`, exact to the
/// microsecond. Anything a list could not hold (a malformed id, a time out of range) is no
/// cursor, and the list starts at its first page.
extension KeysetCursor {
    init?(_ query: Parameters, key: String) {
        guard let text = query.get(key), let id = query.get("id", as: UUID.self) else { return nil }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }),
            parts[0].count <= 10, let seconds = Int64(parts[0]), seconds <= 4_102_444_800,
            parts.count == 1 || parts[1].count <= 6
        else { return nil }
        let fraction = parts.count == 2 ? Int64(parts[1].padding(toLength: 6, withPad: "0", startingAt: 0)) ?? 0 : 0
        self.init(microseconds: seconds * Self.microsecondsPerSecond + fraction, id: id)
    }

    func href(_ path: String, key: String) -> String {
        let fraction = String(microseconds % Self.microsecondsPerSecond)
        let padded = String(repeating: "0", count: 6 - fraction.count) + fraction
        return "\(path)?\(key)=\(microseconds / Self.microsecondsPerSecond).\(padded)&id=\(id.uuidString.lowercased())"
    }
}
