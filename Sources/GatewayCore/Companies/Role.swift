/// A member's role in a company. Owners can do everything admins can, and own the company.
public enum Role: String, Sendable, CaseIterable, Comparable {
    case member, admin, owner

    public var label: String {
        switch self {
        case .owner: "Owner"
        case .admin: "Admin"
        case .member: "Member"
        }
    }

    private var rank: Int {
        switch self {
        case .member: 0
        case .admin: 1
        case .owner: 2
        }
    }

    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rank < rhs.rank }
}
