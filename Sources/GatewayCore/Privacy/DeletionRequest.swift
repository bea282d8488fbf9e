import Foundation

/// What a deletion request deletes.
public enum DeletionScope: String, Sendable, CaseIterable, Codable {
    /// Everything of the person's: their account, and their data in every company.
    case account
    /// Their conversation threads only; the account stays.
    case threads
    /// The whole company with all its data; members left without a company lose their account.
    case company

    public var label: String {
        switch self {
        case .account: "My account and everything in it"
        case .threads: "My conversation threads only"
        case .company: "The whole company"
        }
    }
}

public enum DeletionStatus: String, Sendable, Codable {
    case pending, approved, running, completed, rejected, cancelled

    public var label: String {
        switch self {
        case .pending: "Waiting for review"
        case .approved: "Approved, queued"
        case .running: "Being carried out"
        case .completed: "Carried out"
        case .rejected: "Rejected"
        case .cancelled: "Cancelled"
        }
    }

    /// Still to be carried out: the person may not file another of the same scope.
    public var isOpen: Bool { self == .pending || self == .approved || self == .running }
}

/// A deletion request as the pages show it.
public struct DeletionRequest: Sendable, Equatable {
    public var id: UUID
    public var scope: DeletionScope
    public var status: DeletionStatus
    public var reason: String
    public var filedAt: Date
    public var decidedAt: Date?
    public var rejectionReason: String?
    public var completedAt: Date?
    /// Gone once the request is carried out: the row then no longer names anyone.
    public var requesterName: String?
    public var requesterEmail: String?
    public var companyName: String?
}
