import Foundation
import GatewayCore

/// A message shown at the top of a page that was rendered directly (not after a redirect).
struct Notice: Sendable {
    var message: String
    var isError: Bool
}

/// `/account/integrations`: "My Integrations".
struct IntegrationsPage: ConsolePage {
    static let template = "integrations/index"

    struct ScopeOption: Sendable {
        var key: String
        var label: String
        var fieldID: String
        var isGranted: Bool
    }

    struct CheckView: Sendable {
        var account: String
        var accountID: String
        /// Not `name`: inside the provider's section that would hide the provider's name.
        var personName: String?
        var emailVerified: Bool
        var fetchedAt: String
        var fetchedISO: String
    }

    struct ProviderCard: Sendable {
        var id: String
        var name: String
        /// The prefix of the variables that configure it, like `OAG_GOOGLE_`.
        var environmentPrefix: String
        var statusLabel: String
        var statusKind: String
        var isConfigured: Bool
        var isConnected: Bool
        var needsReconnect: Bool
        var account: String?
        var scopes: [String]
        /// What every connection asks for, shown before connecting.
        var baseScopes: [String]
        var connectedOn: String?
        var connectedISO: String?
        var lastUsed: String
        var connectAction: String
        var checkAction: String
        var disconnectAction: String
        var optionalScopes: [ScopeOption]
        var hasOptionalScopes: Bool
        var scopesError: String?
        var check: CheckView?
    }

    let chrome: PageChrome
    let title = "My Integrations"
    let companyName: String
    let notice: Notice?
    let providers: [ProviderCard]
    /// Admins and owners get a link to the company view.
    let companyViewHref: String?

    static func make(
        tenant: Tenant, connections: [ProviderConnection], checks: [ProviderCheck], notice: Notice? = nil,
        scopesError: (ProviderID, String)? = nil, chrome: PageChrome
    ) -> IntegrationsPage {
        IntegrationsPage(
            chrome: chrome, companyName: tenant.companyName, notice: notice,
            providers: connections.map { connection in
                card(connection, check: checks.first { $0.provider == connection.provider.id }, scopesError: scopesError)
            },
            companyViewHref: AccessPolicy.allows(tenant.role, .viewMembers) ? SitePaths.companyIntegrations : nil)
    }

    static func card(_ connection: ProviderConnection, check: ProviderCheck?, scopesError: (ProviderID, String)?) -> ProviderCard {
        let provider = connection.provider
        let integration = connection.integration
        let (label, kind): (String, String) =
            switch (provider.isConfigured, integration?.status) {
            case (false, _): ("Not configured", "muted")
            case (true, .connected?): ("Connected", "success")
            case (true, .needsReconnect?): ("Needs reconnect", "warning")
            case (true, nil): ("Not connected", "neutral")
            }
        let granted = integration?.status == .connected ? integration?.scopes ?? [] : []
        return ProviderCard(
            id: provider.id.rawValue, name: provider.id.displayName, environmentPrefix: provider.id.environmentPrefix, statusLabel: label,
            statusKind: kind,
            isConfigured: provider.isConfigured, isConnected: integration != nil, needsReconnect: integration?.status == .needsReconnect,
            account: integration?.accountLabel,
            scopes: provider.definition.inCatalogOrder(integration?.scopes ?? []).map { provider.definition.describe(scope: $0) },
            baseScopes: provider.definition.defaultScopes.map(\.description),
            connectedOn: integration.map { DisplayDate.day($0.connectedAt) },
            connectedISO: integration.map { DisplayDate.iso($0.connectedAt) },
            lastUsed: integration?.lastUsedAt.map(DisplayDate.dayAndTime) ?? "Never",
            connectAction: SitePaths.integrationConnect(provider.id), checkAction: SitePaths.integrationCheck(provider.id),
            disconnectAction: SitePaths.integrationDisconnect(provider.id),
            optionalScopes: provider.definition.optionalScopes.map {
                ScopeOption(
                    key: $0.key, label: $0.scope.description, fieldID: "\(provider.id.rawValue)-scope-\($0.key)",
                    isGranted: granted.contains($0.scope.value))
            },
            hasOptionalScopes: !provider.definition.optionalScopes.isEmpty,
            scopesError: scopesError.flatMap { $0.0 == provider.id ? $0.1 : nil },
            check: check.map {
                CheckView(
                    account: $0.account.label, accountID: $0.account.id, personName: $0.account.name,
                    emailVerified: $0.account.emailVerified,
                    fetchedAt: DisplayDate.dayAndTime($0.fetchedAt), fetchedISO: DisplayDate.iso($0.fetchedAt))
            })
    }
}

/// `/company/integrations`: which members connected which providers (never the tokens).
struct CompanyIntegrationsPage: ConsolePage {
    static let template = "integrations/company"

    struct Row: Sendable {
        var memberName: String
        var memberEmail: String
        var provider: String
        var account: String
        var statusLabel: String
        var statusKind: String
        var scopeCount: Int
        var connectedOn: String
        var connectedISO: String
        var lastUsed: String
    }

    let chrome: PageChrome
    let title = "Company integrations"
    let companyName: String
    let rows: [Row]
    let isEmpty: Bool

    static func make(tenant: Tenant, connections: [MemberConnection], chrome: PageChrome) -> CompanyIntegrationsPage {
        CompanyIntegrationsPage(
            chrome: chrome, companyName: tenant.companyName,
            rows: connections.map {
                let integration = $0.integration
                return Row(
                    memberName: $0.memberName, memberEmail: $0.memberEmail, provider: integration.provider.displayName,
                    account: integration.accountLabel,
                    statusLabel: integration.status == .connected ? "Connected" : "Needs reconnect",
                    statusKind: integration.status == .connected ? "success" : "warning", scopeCount: integration.scopes.count,
                    connectedOn: DisplayDate.day(integration.connectedAt), connectedISO: DisplayDate.iso(integration.connectedAt),
                    lastUsed: integration.lastUsedAt.map(DisplayDate.dayAndTime) ?? "Never")
            },
            isEmpty: connections.isEmpty)
    }
}
