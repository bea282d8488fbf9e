import GatewayCore

/// `/dashboard`: where a member lands after signing in.
struct DashboardPage: ConsolePage {
    static let template = "dashboard/index"

    struct Shortcut: Sendable {
        let title: String
        let description: String
        let href: String
    }

    let chrome: PageChrome
    let title = "Dashboard"
    let userName: String
    let companyName: String
    let roleLabel: String
    /// "3 members", for admins and owners.
    let membersSummary: String?
    let shortcuts: [Shortcut]

    static func make(
        identity: Identity, tenant: Tenant, memberCount: Int?, connections: [ProviderConnection], monthUsage: UsageTotals,
        chrome: PageChrome
    ) -> DashboardPage {
        let connected = connections.compactMap(\.integration)
        let attention = connected.filter { $0.status == .needsReconnect }.map(\.provider.displayName)
        let integrations =
            connected.isEmpty
            ? "Connect Google, GitHub, GitLab or Yandex."
            : "Connected: \(connected.map(\.provider.displayName).joined(separator: ", "))."
                + (attention.isEmpty ? "" : " Needs reconnecting: \(attention.joined(separator: ", ")).")
        var shortcuts = [
            Shortcut(
                title: "My usage",
                description: monthUsage.requests == 0
                    ? "No requests yet this month."
                    : "This month: \(monthUsage.requests.formatted()) request\(monthUsage.requests == 1 ? "" : "s"), "
                        + "\(monthUsage.tokens.formatted()) tokens, "
                        + "\(Money.dollars(monthUsage.costMicros)).",
                href: SitePaths.usage),
            Shortcut(title: "Threads", description: "Chat with the company's AI models.", href: SitePaths.threads),
            Shortcut(title: "My Integrations", description: integrations, href: SitePaths.integrations),
            Shortcut(title: "Your account", description: "Name, password and the companies you belong to.", href: SitePaths.account),
        ]
        if AccessPolicy.allows(tenant.role, .viewMembers) {
            shortcuts.append(
                Shortcut(title: "Members", description: "Invite people, change roles, remove members.", href: SitePaths.members))
        }
        if AccessPolicy.allows(tenant.role, .viewAuditLog) {
            shortcuts.append(
                Shortcut(title: "Audit log", description: "Sign-ins, invitations and role changes in your company.", href: SitePaths.audit))
        }
        shortcuts.append(Shortcut(title: "Privacy Policy", description: "What OAG holds about you and why.", href: SitePaths.privacy))
        return DashboardPage(
            chrome: chrome, userName: identity.user.name, companyName: tenant.companyName, roleLabel: tenant.role.label,
            membersSummary: memberCount.map { $0 == 1 ? "1 member" : "\($0) members" }, shortcuts: shortcuts)
    }
}
