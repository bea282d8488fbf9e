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
    public func seedUsage(count: Int, progress: (Int) -> Void = { _ in }) async throws {
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
        let recorder = UsageRecorder(database: database)
        let now = Date()
        var generator = SystemRandomNumberGenerator()
        var written = 0
        while written < count {
            let batch = (0..<min(50_000, count - written)).map { _ in
                Self.randomEvent(companyID: tenant.companyID, members: members, keys: keys, models: models, now: now, using: &generator)
            }
            try await recorder.write(batch)
            written += batch.count
            progress(written)
        }
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

    static func randomEvent(
        companyID: UUID, members: [UUID], keys: [APIKey], models: [GatewayModel], now: Date,
        using generator: inout some RandomNumberGenerator
    ) -> UsageEvent {
        let model = models.randomElement(using: &generator)!
        // Keys belong to their makers; about a third of requests come from the console.
        let key = Int.random(in: 0..<3, using: &generator) == 0 ? nil : keys.randomElement(using: &generator)
        let failed = Int.random(in: 0..<40, using: &generator) == 0
        let prompt = failed ? 0 : Int.random(in: 20...3000, using: &generator)
        let completion = failed ? 0 : Int.random(in: 5...900, using: &generator)
        return UsageEvent(
            companyID: companyID, occurredAt: now.addingTimeInterval(-Double.random(in: 0..<(90 * 86_400), using: &generator)),
            userID: key?.createdBy ?? members.randomElement(using: &generator), apiKeyID: key?.id, threadID: nil, provider: model.provider,
            model: model.id, promptTokens: prompt, completionTokens: completion,
            costMicros: model.costMicros(promptTokens: prompt, completionTokens: completion),
            latencyMilliseconds: Int.random(in: 150...6000, using: &generator),
            status: failed ? [429, 502, 504].randomElement(using: &generator)! : 200)
    }
}
