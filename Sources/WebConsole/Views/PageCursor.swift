import Foundation
import Hummingbird

/// Where a keyset-paginated list continues: the sort time and id of the last row shown.
///
/// In links it is `?<key>=<seconds>&id=<uuid>`; anything a list could not hold (a malformed
/// id, a time out of range) is no cursor, and the list starts at its first page.
struct PageCursor: Sendable {
    let time: Date
    let id: UUID

    init(time: Date, id: UUID) {
        self.time = time
        self.id = id
    }

    init?(_ query: Parameters, key: String) {
        guard let seconds = query.get(key, as: Double.self), seconds.isFinite, (0...4_102_444_800).contains(seconds),
            let id = query.get("id", as: UUID.self)
        else { return nil }
        self.init(time: Date(timeIntervalSince1970: seconds), id: id)
    }

    func href(_ path: String, key: String) -> String {
        "\(path)?\(key)=\(time.timeIntervalSince1970)&id=\(id.uuidString.lowercased())"
    }
}
