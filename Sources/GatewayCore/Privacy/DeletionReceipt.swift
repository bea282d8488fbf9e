import Foundation

/// What a carried-out deletion removed, in counts: it names no person, so the platform keeps it
/// and the requester can download it after their account is gone.
public struct DeletionReceipt: Codable, Sendable, Equatable {
    public struct Removed: Codable, Sendable, Equatable {
        public var category: String
        public var what: String
        public var count: Int
    }

    public struct Anonymised: Codable, Sendable, Equatable {
        public var category: String
        public var what: String
        public var count: Int
        public var why: String
    }

    public var request: UUID
    public var scope: DeletionScope
    public var filedAt: Date
    public var approvedAt: Date?
    public var approvedBy: String
    public var carriedOutBy: String
    public var completedAt: Date
    public var removed: [Removed]
    public var anonymised: [Anonymised]
    public var accountsDeleted: Int
    public var companiesDeleted: Int
    /// Company data keys destroyed: every remaining copy of those companies' secrets is unreadable.
    public var companyKeysDestroyed: Int
    public var tokensRevokedAtProviders: Int
    /// Tokens deleted although their provider did not confirm the revocation.
    public var revocationsUnconfirmed: Int

    enum CodingKeys: String, CodingKey {
        case request, scope, removed, anonymised
        case filedAt = "filed_at"
        case approvedAt = "approved_at"
        case approvedBy = "approved_by"
        case carriedOutBy = "carried_out_by"
        case completedAt = "completed_at"
        case accountsDeleted = "accounts_deleted"
        case companiesDeleted = "companies_deleted"
        case companyKeysDestroyed = "company_keys_destroyed"
        case tokensRevokedAtProviders = "tokens_revoked_at_providers"
        case revocationsUnconfirmed = "revocations_unconfirmed"
    }

    static func make(_ request: ClaimedDeletion, progress: DeletionProgress, completedAt: Date) -> DeletionReceipt {
        var removed: [Removed] = []
        var anonymised: [Anonymised] = []
        for table in DataInventory.tables {
            guard let count = progress.counts[table.name], count > 0 else { continue }
            switch table.deletion {
            case .anonymise(_, let why):
                anonymised.append(Anonymised(category: table.category.title, what: table.describes, count: count, why: why))
            case .deleteRows:
                removed.append(Removed(category: table.category.title, what: table.describes, count: count))
            }
        }
        return DeletionReceipt(
            request: request.id, scope: request.scope, filedAt: request.filedAt, approvedAt: request.decidedAt,
            approvedBy: "a platform operator",
            carriedOutBy: "the OAG deletion job", completedAt: completedAt, removed: removed, anonymised: anonymised,
            accountsDeleted: progress.accountsDeleted, companiesDeleted: progress.companiesDeleted,
            companyKeysDestroyed: progress.counts[DeletionJob.companyKeysCount] ?? 0, tokensRevokedAtProviders: progress.revoked,
            revocationsUnconfirmed: progress.unconfirmed)
    }

    /// One company's part of a request in words fit for its audit log, e.g. "Request 5f0c… (threads):
    /// removed thread_messages 12, threads 3". Counts and table names only: no person.
    static func auditDetail(_ request: ClaimedDeletion, counts: [String: Int]) -> String {
        var removed: [String] = []
        var anonymised: [String] = []
        for table in DataInventory.tables {
            guard let count = counts[table.name], count > 0 else { continue }
            switch table.deletion {
            case .deleteRows: removed.append("\(table.name) \(count)")
            case .anonymise: anonymised.append("\(table.name) \(count)")
            }
        }
        var parts: [String] = []
        if !removed.isEmpty { parts.append("removed " + removed.joined(separator: ", ")) }
        if !anonymised.isEmpty { parts.append("anonymised " + anonymised.joined(separator: ", ")) }
        let outcome = parts.isEmpty ? "nothing of the person was here" : parts.joined(separator: "; ")
        return "Request \(request.id.uuidString.lowercased()) (\(request.scope.rawValue)): \(outcome)"
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return encoder
    }()
}

/// A request's steps done so far and what they removed; saved with each step.
struct DeletionProgress: Codable, Sendable {
    var steps: [String] = []
    var counts: [String: Int] = [:]
    var revoked = 0
    var unconfirmed = 0
    var accountsDeleted = 0
    var companiesDeleted = 0
    /// For a company deletion: its members, kept before the company goes, to find who is left without one.
    var members: [UUID] = []
    /// The company a company-scope request deletes, kept here because the request's column is cleared with it.
    var company: UUID?

    init() {}

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        steps = try container.decodeIfPresent([String].self, forKey: .steps) ?? []
        counts = try container.decodeIfPresent([String: Int].self, forKey: .counts) ?? [:]
        revoked = try container.decodeIfPresent(Int.self, forKey: .revoked) ?? 0
        unconfirmed = try container.decodeIfPresent(Int.self, forKey: .unconfirmed) ?? 0
        accountsDeleted = try container.decodeIfPresent(Int.self, forKey: .accountsDeleted) ?? 0
        companiesDeleted = try container.decodeIfPresent(Int.self, forKey: .companiesDeleted) ?? 0
        members = try container.decodeIfPresent([UUID].self, forKey: .members) ?? []
        company = try container.decodeIfPresent(UUID.self, forKey: .company)
    }

    mutating func add(_ counts: [String: Int]) {
        self.counts.merge(counts, uniquingKeysWith: +)
    }
}
