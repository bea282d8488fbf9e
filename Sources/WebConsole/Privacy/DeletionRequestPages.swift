import Foundation
import GatewayCore

/// A deletion request as a table row, for the person, their company's admins and operators.
struct DeletionRequestRow: Sendable {
    let scopeLabel: String
    let statusLabel: String
    let statusClass: String
    let filedOn: String
    let reason: String
    let rejectionReason: String?
    let completedOn: String?
    let requester: String
    let companyName: String
    let cancelAction: String?
    let receiptHref: String?
    let approveAction: String?
    let rejectAction: String?
    let rejectFieldID: String

    init(_ request: DeletionRequest, cancellable: Bool = false, withReceipt: Bool = false, decidable: Bool = false) {
        scopeLabel = request.scope.label
        statusLabel = request.status.label
        statusClass =
            switch request.status {
            case .completed: "badge--current"
            case .rejected, .cancelled: "badge--danger"
            case .pending, .approved, .running: ""
            }
        filedOn = DisplayDate.dayAndTime(request.filedAt)
        reason = request.reason
        rejectionReason = request.rejectionReason
        completedOn = request.completedAt.map(DisplayDate.dayAndTime)
        requester = request.requesterName.map { "\($0) (\(request.requesterEmail ?? ""))" } ?? "A deleted account"
        companyName = request.companyName ?? "—"
        cancelAction = cancellable && request.status == .pending ? SitePaths.deletionRequestCancel(request.id) : nil
        receiptHref = withReceipt && request.status == .completed ? SitePaths.deletionRequestReceipt(request.id) : nil
        approveAction = decidable && request.status == .pending ? SitePaths.adminDeletionDecision(request.id, "approve") : nil
        rejectAction = decidable && request.status == .pending ? SitePaths.adminDeletionDecision(request.id, "reject") : nil
        rejectFieldID = "reject-\(request.id.uuidString.lowercased())"
    }
}

/// `/account/deletion-requests`: file a request, follow and cancel one's own.
struct DeletionRequestsPage: ConsolePage {
    static let template = "privacy/deletion-requests"

    let chrome: PageChrome
    let title = "Deletion requests"
    let scopes: [OptionView]
    let scopeError: String?
    /// Why the account cannot go yet (the last owner of a company with other members).
    let accountBlocker: String?
    let reason: FieldView
    let maximumReasonLength = DeletionRequestService.maximumReasonLength
    let requests: [DeletionRequestRow]
    let hasRequests: Bool
    /// The receipt link of the request just filed, shown this once.
    let receiptLink: String?

    static func make(
        identity: Identity, requests: [DeletionRequest], accountBlocker: String?, baseURL: String, form: FormFields = FormFields(),
        errors: FieldErrors = FieldErrors(), receiptToken: String? = nil, chrome: PageChrome
    ) -> DeletionRequestsPage {
        let allowed = DeletionScope.allCases.filter { $0 != .company || identity.tenant?.role == .owner }
        let chosen = DeletionScope(rawValue: form.text("scope"))
        return DeletionRequestsPage(
            chrome: chrome,
            scopes: allowed.map {
                OptionView(
                    value: $0.rawValue,
                    label: $0 == .company ? "The whole company \(identity.tenant?.companyName ?? "")" : $0.label,
                    isSelected: $0 == chosen)
            },
            scopeError: errors["scope"], accountBlocker: errors["scope"] == nil ? accountBlocker : nil,
            reason: FieldView("reason", from: form, errors: errors),
            requests: requests.map { DeletionRequestRow($0, cancellable: true, withReceipt: true) }, hasRequests: !requests.isEmpty,
            receiptLink: receiptToken.map { baseURL + SitePaths.deletionReceipt(token: $0) })
    }
}

/// `/company/deletion-requests`: the requests filed in the company, for its admins and owners.
struct CompanyDeletionRequestsPage: ConsolePage {
    static let template = "privacy/company-deletion-requests"

    let chrome: PageChrome
    let title = "Deletion requests"
    let companyName: String
    let requests: [DeletionRequestRow]
    let hasRequests: Bool

    static func make(tenant: Tenant, requests: [DeletionRequest], chrome: PageChrome) -> CompanyDeletionRequestsPage {
        CompanyDeletionRequestsPage(
            chrome: chrome, companyName: tenant.companyName, requests: requests.map { DeletionRequestRow($0) },
            hasRequests: !requests.isEmpty)
    }
}

/// `/admin/deletion-requests`: the operators' queue.
struct AdminDeletionRequestsPage: ConsolePage {
    static let template = "admin/deletion-requests"

    let chrome: PageChrome
    let title = "Deletion requests"
    let requests: [DeletionRequestRow]
    let hasRequests: Bool
    let error: String?

    static func make(requests: [DeletionRequest], error: String? = nil, chrome: PageChrome) -> AdminDeletionRequestsPage {
        AdminDeletionRequestsPage(
            chrome: chrome, requests: requests.map { DeletionRequestRow($0, decidable: true) }, hasRequests: !requests.isEmpty,
            error: error)
    }
}
