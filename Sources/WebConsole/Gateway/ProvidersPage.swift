import Foundation
import GatewayCore

/// `/company/providers`: a company's own keys for the LLM providers and the models it allows.
struct ProvidersPage: ConsolePage {
    static let template = "gateway/providers"

    struct ModelOption: Sendable {
        var id: String
        var fieldID: String
        var isChecked: Bool
    }

    struct ProviderCard: Sendable {
        var id: String
        var name: String
        var keyStatus: String
        var keyStatusKind: String
        var hasOwnKey: Bool
        var isEnabled: Bool
        var models: [ModelOption]
        var apiKeyError: String?
        var modelsError: String?
    }

    let chrome: PageChrome
    let title = "AI providers"
    let companyName: String
    let providers: [ProviderCard]

    static func make(
        tenant: Tenant, settings: [CompanyProviderSettings], models: [GatewayModel], errors: FieldErrors = FieldErrors(),
        failedProvider: LLMProvider? = nil, chrome: PageChrome
    ) -> ProvidersPage {
        ProvidersPage(
            chrome: chrome, companyName: tenant.companyName,
            providers: settings.map { setting in
                let (status, kind): (String, String) =
                    if let hint = setting.keyHint, setting.hasOwnKey {
                        ("Your company's key (…\(hint))", "success")
                    } else if setting.platformKeyAvailable {
                        ("The platform's key", "current")
                    } else {
                        ("No key: requests to \(setting.provider.displayName) fail until you add one", "warning")
                    }
                let isFailed = failedProvider == setting.provider
                return ProviderCard(
                    id: setting.provider.rawValue, name: setting.provider.displayName, keyStatus: status, keyStatusKind: kind,
                    hasOwnKey: setting.hasOwnKey, isEnabled: setting.isEnabled,
                    models: models.filter { $0.provider == setting.provider }.map {
                        ModelOption(
                            id: $0.id, fieldID: "\(setting.provider.rawValue)-model-\($0.id)",
                            isChecked: setting.allowedModels.contains($0.id))
                    },
                    apiKeyError: isFailed ? errors["api_key"] : nil, modelsError: isFailed ? errors["allowed_models"] : nil)
            })
    }
}
