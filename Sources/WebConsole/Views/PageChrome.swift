import GatewayCore

/// What the layout shows around every page: navigation, account menu, flash messages.
public struct PageChrome: Sendable {
    struct NavigationLink: Sendable {
        var label: String
        var href: String
        var isCurrent: Bool
    }

    struct FlashView: Sendable {
        var kind: String
        var message: String
        /// Errors are announced at once by screen readers (role="alert").
        var isError: Bool
    }

    struct CompanyOption: Sendable {
        var id: String
        var name: String
        var isActive: Bool
    }

    /// The signed-in part of the header: who, which company, sign out.
    struct AccountMenu: Sendable {
        var userName: String
        var companyName: String?
        var roleLabel: String?
        /// Offered only when the user belongs to more than one company.
        var otherCompanies: [CompanyOption]
        var hasOtherCompanies: Bool
    }

    /// "Our privacy policy changed", until the user acknowledges it.
    struct PolicyNoticeView: Sendable {
        var version: Int
        var summary: String
        var changesHref: String
        /// Where acknowledging returns to: this page.
        var returnPath: String
    }

    var assetVersion: String
    var navigation: [NavigationLink]
    var flashes: [FlashView]
    var csrfToken: String
    var account: AccountMenu?
    var policyNotice: PolicyNoticeView?
    /// Flashes or a policy notice: the band above the page is drawn.
    var hasMessages: Bool
    var isSignedOut: Bool
    /// Error pages (drawn without the request's context) have no links: the layout then draws no empty list.
    var hasNavigation: Bool

    static func make(assetVersion: String, context: ConsoleRequestContext?, path: String) -> PageChrome {
        let identity = context?.identity
        var links: [NavigationLink] = []
        if let identity {
            if let tenant = identity.tenant {
                links.append(.init(label: "Dashboard", href: SitePaths.dashboard, isCurrent: false))
                links.append(.init(label: "Threads", href: SitePaths.threads, isCurrent: false))
                links.append(
                    .init(
                        label: "Usage",
                        href: AccessPolicy.allows(tenant.role, .viewCompanyUsage) ? SitePaths.companyUsage : SitePaths.usage,
                        isCurrent: false))
                links.append(.init(label: "Integrations", href: SitePaths.integrations, isCurrent: false))
                if AccessPolicy.allows(tenant.role, .viewMembers) {
                    links.append(.init(label: "Members", href: SitePaths.members, isCurrent: false))
                }
                if AccessPolicy.allows(tenant.role, .manageAPIKeys) {
                    links.append(.init(label: "API keys", href: SitePaths.apiKeys, isCurrent: false))
                    links.append(.init(label: "Providers", href: SitePaths.companyProviders, isCurrent: false))
                }
            }
            if identity.user.isOperator {
                links.append(.init(label: "Operator", href: SitePaths.admin, isCurrent: false))
                links.append(.init(label: "Models", href: SitePaths.adminModels, isCurrent: false))
                links.append(.init(label: "Deletions", href: SitePaths.adminDeletionRequests, isCurrent: false))
                links.append(.init(label: "Maintenance", href: SitePaths.adminMaintenance, isCurrent: false))
            }
        }
        // The most specific link is current: /account/integrations is "Integrations", not "Account".
        let current = links.filter { path == $0.href || path.hasPrefix($0.href + "/") }.max { $0.href.count < $1.href.count }
        for index in links.indices {
            links[index].isCurrent = links[index].href == current?.href
        }
        let others = (identity?.memberships ?? []).filter { $0.companyID != identity?.tenant?.companyID }.map {
            CompanyOption(id: $0.companyID.uuidString, name: $0.companyName, isActive: false)
        }
        let flashes =
            context?.flash.map { [FlashView(kind: $0.isError ? "error" : "success", message: $0.message, isError: $0.isError)] } ?? []
        let notice = identity?.policyNotice.map {
            PolicyNoticeView(
                version: $0.version, summary: $0.summary, changesHref: SitePaths.privacyDiff(from: $0.version - 1, to: $0.version),
                returnPath: path.isEmpty ? SitePaths.dashboard : path)
        }
        return PageChrome(
            assetVersion: assetVersion,
            navigation: links,
            flashes: flashes,
            csrfToken: context?.csrfToken ?? "",
            account: identity.map {
                AccountMenu(
                    userName: $0.user.name, companyName: $0.tenant?.companyName, roleLabel: $0.tenant?.role.label,
                    otherCompanies: others, hasOtherCompanies: !others.isEmpty)
            },
            policyNotice: notice,
            hasMessages: !flashes.isEmpty || notice != nil,
            isSignedOut: context != nil && identity == nil,
            hasNavigation: !links.isEmpty || (context != nil && identity == nil)
        )
    }
}
