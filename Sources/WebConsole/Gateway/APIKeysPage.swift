import Foundation
import GatewayCore

/// `/company/api-keys`: the company's gateway keys, and the form that makes one.
struct APIKeysPage: ConsolePage {
    static let template = "gateway/api-keys"

    struct KeyRow: Sendable {
        var name: String
        var prefix: String
        var models: String
        var limits: String
        var createdOn: String
        var lastUsed: String
        var isRevoked: Bool
        var revokeAction: String
    }

    struct ModelOption: Sendable {
        var id: String
        var label: String
        var fieldID: String
        var isChecked: Bool
    }

    let chrome: PageChrome
    let title = "API keys"
    let companyName: String
    let keys: [KeyRow]
    let hasKeys: Bool
    /// The secret of the key just made, shown this once.
    let createdSecret: String?
    let createdName: String?
    let baseURL: String
    let name: FieldView
    let tokenBudget: FieldView
    let spendBudget: FieldView
    let requestsPerMinute: FieldView
    let modelOptions: [ModelOption]
    let modelsError: String?

    static func make(
        tenant: Tenant, keys: [APIKey], models: [GatewayModel], baseURL: String, form: FormFields = FormFields(),
        errors: FieldErrors = FieldErrors(),
        created: (APIKey, String)? = nil, chrome: PageChrome
    ) -> APIKeysPage {
        let chosen = Set(form.all("allowed_models"))
        return APIKeysPage(
            chrome: chrome, companyName: tenant.companyName,
            keys: keys.map { key in
                KeyRow(
                    name: key.name, prefix: key.prefix + "…",
                    models: key.allowedModels.isEmpty ? "All allowed models" : key.allowedModels.joined(separator: ", "),
                    limits: limits(of: key), createdOn: DisplayDate.day(key.createdAt),
                    lastUsed: key.lastUsedAt.map(DisplayDate.dayAndTime) ?? "Never", isRevoked: key.isRevoked,
                    revokeAction: SitePaths.apiKeyRevocation(key.id))
            },
            hasKeys: !keys.isEmpty, createdSecret: created?.1, createdName: created?.0.name, baseURL: baseURL + "/v1",
            name: FieldView("name", from: form, errors: errors),
            tokenBudget: FieldView("monthly_token_budget", from: form, errors: errors),
            spendBudget: FieldView(form.text("monthly_spend_budget"), error: errors["monthly_spend_budget"]),
            requestsPerMinute: FieldView("requests_per_minute", from: form, errors: errors),
            modelOptions: models.map {
                ModelOption(
                    id: $0.id, label: "\($0.id) (\($0.provider.displayName))", fieldID: "model-\($0.id)", isChecked: chosen.contains($0.id))
            },
            modelsError: errors["allowed_models"])
    }

    static func limits(of key: APIKey) -> String {
        var parts: [String] = []
        if let tokens = key.monthlyTokenBudget { parts.append("\(tokens.formatted()) tokens a month") }
        if let micros = key.monthlySpendBudgetMicros { parts.append(Money.dollars(micros) + " a month") }
        if let rpm = key.requestsPerMinute { parts.append("\(rpm) requests a minute") }
        return parts.isEmpty ? "None" : parts.joined(separator: "; ")
    }
}

/// Amounts in millionths of a dollar, as people read them.
enum Money {
    static func dollars(_ micros: Int64) -> String {
        let value = Double(micros) / 1_000_000
        return value >= 0.01 || value == 0 ? String(format: "$%.2f", value) : String(format: "$%.4f", value)
    }
}
