import Foundation
import GatewayCore

/// `/admin/models`: the model catalog and its price table, edited by operators.
struct ModelsPage: ConsolePage {
    static let template = "admin/models"

    struct Row: Sendable {
        var id: String
        var provider: String
        var fieldPrefix: String
        var action: String
        var input: FieldView
        var output: FieldView
        var isActive: Bool
        var fallbackOptions: [OptionView]
        var fallbackError: String?
    }

    let chrome: PageChrome
    let title = "Models and prices"
    let rows: [Row]

    static func make(
        table: [(model: GatewayModel, isActive: Bool)], form: FormFields? = nil, failedModel: String? = nil,
        errors: FieldErrors = FieldErrors(),
        chrome: PageChrome
    ) -> ModelsPage {
        ModelsPage(
            chrome: chrome,
            rows: table.map { entry in
                let model = entry.model
                let failed = failedModel == model.id ? form : nil
                let fallback = failed?["fallback_model"] ?? model.fallbackModel ?? ""
                return Row(
                    id: model.id, provider: model.provider.displayName, fieldPrefix: "model-\(model.id)",
                    action: SitePaths.adminModel(model.id),
                    input: FieldView(
                        failed?["input_price"] ?? dollars(model.inputMicrosPerMillion), error: failed == nil ? nil : errors["input_price"]),
                    output: FieldView(
                        failed?["output_price"] ?? dollars(model.outputMicrosPerMillion),
                        error: failed == nil ? nil : errors["output_price"]),
                    isActive: entry.isActive,
                    fallbackOptions: [OptionView(value: "", label: "None", isSelected: fallback.isEmpty)]
                        + table.map(\.model.id).filter { $0 != model.id }.map {
                            OptionView(value: $0, label: $0, isSelected: $0 == fallback)
                        },
                    fallbackError: failed == nil ? nil : errors["fallback_model"])
            })
    }

    /// Micros per million tokens as the dollars an operator types.
    static func dollars(_ micros: Int64) -> String {
        var text = String(format: "%.6f", Double(micros) / 1_000_000)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text += "00" }
        return text
    }
}
