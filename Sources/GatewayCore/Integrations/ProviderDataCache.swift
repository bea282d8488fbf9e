import Foundation
import Synchronization

/// What a provider returned when a member asked OAG to call it on their behalf.
public struct ProviderCheck: Sendable, Equatable {
    public var provider: ProviderID
    public var account: ProviderAccount
    public var fetchedAt: Date
}

/// Data fetched from providers lives only here: in memory, per session, for a few minutes.
/// The privacy policy promises it is never written to the database.
public final class ProviderDataCache: Sendable {
    public static let timeToLive: TimeInterval = 5 * 60
    static let maximumEntries = 10_000

    struct Key: Hashable {
        var session: Data
        var provider: ProviderID
    }

    struct Entry {
        var check: ProviderCheck
        var companyID: UUID
        var userID: UUID
    }

    private let entries = Mutex<[Key: Entry]>([:])

    public init() {}

    func store(_ check: ProviderCheck, session: Data, companyID: UUID, userID: UUID) {
        entries.withLock { entries in
            Self.dropExpired(&entries, now: Date())
            // A flood of sessions must not grow memory without bound: the oldest go first.
            if entries.count >= Self.maximumEntries, let oldest = entries.min(by: { $0.value.check.fetchedAt < $1.value.check.fetchedAt }) {
                entries[oldest.key] = nil
            }
            entries[Key(session: session, provider: check.provider)] = Entry(check: check, companyID: companyID, userID: userID)
        }
    }

    /// This session's fresh results in the given company.
    public func checks(session: Data, companyID: UUID, now: Date = Date()) -> [ProviderCheck] {
        entries.withLock { entries in
            entries.filter { $0.key.session == session && $0.value.companyID == companyID && Self.isFresh($0.value, now: now) }
                .map(\.value.check)
        }
    }

    /// Forgets what was fetched with a member's integration, in every session (on disconnect).
    func forget(provider: ProviderID, companyID: UUID, userID: UUID) {
        entries.withLock { entries in
            entries = entries.filter { !($0.key.provider == provider && $0.value.companyID == companyID && $0.value.userID == userID) }
        }
    }

    /// Forgets everything of a session (on sign-out).
    public func forget(session: Data) {
        entries.withLock { entries in entries = entries.filter { $0.key.session != session } }
    }

    var count: Int { entries.withLock { $0.count } }

    private static func isFresh(_ entry: Entry, now: Date) -> Bool {
        now.timeIntervalSince(entry.check.fetchedAt) < timeToLive
    }

    private static func dropExpired(_ entries: inout [Key: Entry], now: Date) {
        entries = entries.filter { isFresh($0.value, now: now) }
    }
}
