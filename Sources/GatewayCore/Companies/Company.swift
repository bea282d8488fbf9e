import Foundation

public struct Company: Sendable, Equatable {
    public var id: UUID
    public var name: String
    public var createdAt: Date

    public static let maximumNameLength = 100

    public static func problem(withName name: String) -> String? {
        DisplayName.problem(with: name, whenEmpty: "Enter your company's name.", maximumLength: maximumNameLength)
    }
}

/// A company as one of its members sees it.
public struct Membership: Sendable, Equatable {
    public var companyID: UUID
    public var companyName: String
    public var role: Role
    public var joinedAt: Date
}

/// A person in the members list.
public struct Member: Sendable, Equatable {
    public var userID: UUID
    public var name: String
    public var email: EmailAddress
    public var role: Role
    public var joinedAt: Date
}

/// Who is acting, in which company, with which role: resolved once per request.
public struct Tenant: Sendable, Equatable {
    public var companyID: UUID
    public var companyName: String
    public var userID: UUID
    public var role: Role

    public init(companyID: UUID, companyName: String, userID: UUID, role: Role) {
        self.companyID = companyID
        self.companyName = companyName
        self.userID = userID
        self.role = role
    }

    public func require(_ action: Action) throws(AccessDenied) {
        guard AccessPolicy.allows(role, action) else { throw AccessDenied(action) }
    }
}
