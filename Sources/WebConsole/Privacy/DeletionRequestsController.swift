import Foundation
import GatewayCore
import Hummingbird

/// Deletion requests: filed and followed by the person, seen by their company's admins, decided
/// by operators; the receipt opens with its link even after the account is gone.
struct DeletionRequestsController {
    let services: ConsoleServices
    /// The receipt link shown after filing is absolute: it is meant to be kept.
    let baseURL: String

    func addAccountRoutes(to group: RouterGroup<ConsoleRequestContext>) {
        group.get(RouterPath(SitePaths.deletionRequests), use: list)
        group.post(RouterPath(SitePaths.deletionRequests), use: file)
        group.post("/account/deletion-requests/:id/cancel", use: cancel)
        group.get("/account/deletion-requests/:id/receipt", use: ownReceipt)
    }

    func addPublicRoutes(to group: RouterGroup<ConsoleRequestContext>) {
        group.get("/deletion-receipts/:token", use: receiptByLink)
    }

    func addCompanyRoutes(to group: RouterGroup<ConsoleRequestContext>) {
        group.get(RouterPath(SitePaths.companyDeletionRequests), use: companyList)
    }

    func addAdminRoutes(to group: RouterGroup<ConsoleRequestContext>) {
        group.get(RouterPath(SitePaths.adminDeletionRequests), use: queue)
        group.post("/admin/deletion-requests/:id/approve", use: approve)
        group.post("/admin/deletion-requests/:id/reject", use: reject)
    }

    @Sendable func list(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        try await page(context)
    }

    /// The receipt link is in this response only: the page is rendered, not redirected to.
    @Sendable func file(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        let identity = try context.signedInIdentity()
        do {
            let (_, token) = try await services.deletionRequests.file(
                scope: context.form.text("scope"), reason: context.form.text("reason"), by: identity.user, in: identity.tenant,
                ip: context.clientIP)
            return try await page(context, receiptToken: token, status: .created)
        } catch let errors as FieldErrors {
            return try await page(context, form: context.form, errors: errors, status: .unprocessableContent)
        }
    }

    @Sendable func cancel(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        guard let id = context.parameters.get("id", as: UUID.self) else { throw NotFound() }
        try await services.deletionRequests.cancel(id, by: try context.signedInIdentity().user)
        return .redirect(to: SitePaths.deletionRequests, flash: .deletionCancelled, cookies: services.cookies)
    }

    @Sendable func ownReceipt(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        guard let id = context.parameters.get("id", as: UUID.self) else { throw NotFound() }
        return receipt(try await services.deletionRequests.receipt(of: id, for: try context.signedInIdentity().user.id), id: id)
    }

    @Sendable func receiptByLink(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        let token = context.parameters.get("token") ?? ""
        return receipt(try await services.deletionRequests.receipt(token: token), id: nil)
    }

    @Sendable func companyList(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        let tenant = try context.tenant()
        return services.renderer.render(
            CompanyDeletionRequestsPage.make(
                tenant: tenant, requests: try await services.deletionRequests.requests(ofCompany: tenant),
                chrome: services.renderer.chrome(context, path: SitePaths.companyDeletionRequests)))
    }

    @Sendable func queue(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        try await adminPage(context)
    }

    @Sendable func approve(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        guard let id = context.parameters.get("id", as: UUID.self) else { throw NotFound() }
        do {
            try await services.deletionRequests.approve(id, by: try context.signedInIdentity().user)
            return .redirect(to: SitePaths.adminDeletionRequests, flash: .deletionApproved, cookies: services.cookies)
        } catch let errors as FieldErrors {
            return try await adminPage(context, error: errors["decision"], status: .conflict)
        }
    }

    @Sendable func reject(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        guard let id = context.parameters.get("id", as: UUID.self) else { throw NotFound() }
        do {
            try await services.deletionRequests.reject(id, reason: context.form.text("reason"), by: try context.signedInIdentity().user)
            return .redirect(to: SitePaths.adminDeletionRequests, flash: .deletionRejected, cookies: services.cookies)
        } catch let errors as FieldErrors {
            return try await adminPage(context, error: errors["reason"], status: .unprocessableContent)
        }
    }

    private func receipt(_ json: Data, id: UUID?) -> Response {
        let name = id.map { "oag-deletion-receipt-\($0.uuidString.lowercased()).json" } ?? "oag-deletion-receipt.json"
        return Response(
            status: .ok,
            headers: [
                .contentType: "application/json; charset=utf-8", .contentDisposition: "attachment; filename=\"\(name)\"",
                .cacheControl: "no-store",
            ],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: json)))
    }

    private func page(
        _ context: ConsoleRequestContext, form: FormFields = FormFields(), errors: FieldErrors = FieldErrors(), receiptToken: String? = nil,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let identity = try context.signedInIdentity()
        async let requests = services.deletionRequests.requests(of: identity.user.id)
        async let accountBlocker = services.deletionRequests.accountDeletionBlocker(of: identity.user.id)
        return services.renderer.render(
            DeletionRequestsPage.make(
                identity: identity, requests: try await requests, accountBlocker: try await accountBlocker, baseURL: baseURL,
                form: form, errors: errors, receiptToken: receiptToken,
                chrome: services.renderer.chrome(context, path: SitePaths.deletionRequests)),
            status: status)
    }

    private func adminPage(_ context: ConsoleRequestContext, error: String? = nil, status: HTTPResponse.Status = .ok) async throws
        -> Response
    {
        services.renderer.render(
            AdminDeletionRequestsPage.make(
                requests: try await services.deletionRequests.queue(), error: error,
                chrome: services.renderer.chrome(context, path: SitePaths.adminDeletionRequests)),
            status: status)
    }
}
