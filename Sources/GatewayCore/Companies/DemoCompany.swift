import Foundation

/// The demo company `make run` and `oag demo seed` create, through the same services real users go through.
public struct DemoCompany: Sendable {
    public struct Account: Sendable {
        public var role: Role
        public var name: String
        public var email: String
        public var password: String
    }

    public static let companyName = "Demo Company"
    /// Well known on purpose: this is demo data, printed at every start.
    public static let accounts = [
        Account(role: .owner, name: "Olivia Owner", email: "owner@demo.oag.test", password: "demo owner password"),
        Account(role: .admin, name: "Adam Admin", email: "admin@demo.oag.test", password: "demo admin password"),
        Account(role: .member, name: "Mia Member", email: "member@demo.oag.test", password: "demo member password"),
    ]

    let database: Database
    let vault: Vault
    let baseURL: String

    public init(database: Database, vault: Vault, baseURL: String) {
        self.database = database
        self.vault = vault
        self.baseURL = baseURL
    }

    /// Creates what is missing and returns the sign-in details.
    public func seed() async throws -> [Account] {
        let accounts = AccountService(database: database, throttle: LoginThrottle(database: database))
        let memberships = MembershipService(database: database, vault: vault, baseURL: baseURL)
        let owner = Self.accounts[0]
        guard let ownerEmail = EmailAddress(owner.email) else { return Self.accounts }
        if try await !accounts.users.exists(ownerEmail) {
            let (user, companyID) = try await accounts.signUp(
                SignUpForm(email: owner.email, password: owner.password, name: owner.name, companyName: Self.companyName), ip: nil)
            let tenant = Tenant(companyID: companyID, companyName: Self.companyName, userID: user.id, role: .owner)
            for account in Self.accounts.dropFirst() {
                let link = try await memberships.invite(email: account.email, role: account.role.rawValue, by: tenant, ip: nil)
                let token = String(link.split(separator: "/").last ?? "")
                _ = try await memberships.acceptAsNewAccount(
                    token: token, name: account.name, password: account.password, hasher: PasswordHasher(), ip: nil)
            }
        }
        return Self.accounts
    }
}
