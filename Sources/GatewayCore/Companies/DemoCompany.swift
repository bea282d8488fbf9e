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

    /// Adds `count` realistic usage events to the demo company: its three members, a few keys and
    /// the console, every model, spread over the last three months, in large batches.
    public func seedUsage(count: Int) async throws {
        let ownerEmail = EmailAddress(trusted: Self.accounts[0].email)
        guard let owner = try await UserRepository(database: database).find(email: ownerEmail),
            let membership = try await MembershipService(database: database, vault: vault, baseURL: baseURL).memberships(of: owner.id)
                .first(where: { $0.companyName == Self.companyName })
        else { return }
        let tenant = Tenant(companyID: membership.companyID, companyName: Self.companyName, userID: owner.id, role: .owner)
        let keys = try await demoKeys(tenant)
        var members: [UUID] = []
        for account in Self.accounts {
            if let user = try await UserRepository(database: database).find(email: EmailAddress(trusted: account.email)) {
                members.append(user.id)
            }
        }
        let models = try await ModelCatalog(database: database).all()
        guard !models.isEmpty, !members.isEmpty else { return }
        let usage = DemoUsage(companyID: tenant.companyID, members: members, keys: keys, models: models)
        try await usage.write(count: count, with: UsageRecorder(database: database))
    }

    /// The demo company's keys, made once.
    private func demoKeys(_ tenant: Tenant) async throws -> [APIKey] {
        let service = APIKeyService(database: database)
        let existing = try await service.keys(of: tenant)
        if !existing.isEmpty { return existing }
        var made: [APIKey] = []
        for name in ["Reporting bot", "Support assistant", "Data pipeline"] {
            let form = APIKeyForm(
                name: name, allowedModels: [], monthlyTokenBudget: "", monthlySpendBudgetDollars: "", requestsPerMinute: "")
            made.append(try await service.create(form, by: tenant, models: [], ip: nil).0)
        }
        return made
    }
}
