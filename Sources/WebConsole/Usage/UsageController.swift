import Foundation
import GatewayCore
import Hummingbird

/// Usage pages and their CSV: a member's own, and (admins, owners) the company's.
struct UsageController {
    let services: ConsoleServices

    func addRoutes(to group: RouterGroup<ConsoleRequestContext>) {
        group.get(RouterPath(SitePaths.usage)) { request, context in try await page(request, context, isCompany: false) }
        group.get(RouterPath(SitePaths.usageCSV)) { request, context in try await csv(request, context, isCompany: false) }
        group.get(RouterPath(SitePaths.companyUsage)) { request, context in try await page(request, context, isCompany: true) }
        group.get(RouterPath(SitePaths.companyUsageCSV)) { request, context in try await csv(request, context, isCompany: true) }
        group.get(RouterPath(SitePaths.requestLog), use: requestLog)
        group.get(RouterPath(SitePaths.billing), use: billing)
    }

    @Sendable func billing(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        let tenant = try context.tenant()
        let month = request.uri.queryParameters.get("month")
        let months = try await services.billing.months(tenant)
        let chrome = services.renderer.chrome(context, path: SitePaths.billing)
        do {
            let statement = try await services.billing.statement(tenant, month: month)
            return services.renderer.render(
                BillingPage.make(companyName: tenant.companyName, statement: statement, months: months, selected: month, chrome: chrome))
        } catch let errors as FieldErrors {
            return services.renderer.render(
                BillingPage.make(
                    companyName: tenant.companyName, statement: nil, months: months, selected: month, errors: errors, chrome: chrome),
                status: .badRequest)
        }
    }

    /// Unknown filters are a 400: a link that names a model or outcome that does not exist is wrong.
    @Sendable func requestLog(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        let tenant = try context.tenant()
        let query = request.uri.queryParameters
        let models = try await services.models.all().map(\.id)
        let model = query.get("model").flatMap { $0.isEmpty ? nil : $0 }
        guard model.map(models.contains) ?? true, let outcome = RequestLogFilter.Outcome(rawValue: query.get("outcome") ?? "all") else {
            throw HTTPError(.badRequest, message: "Filter by one of the listed models and outcomes.")
        }
        let before = KeysetCursor(query, key: "before")
        if query.get("before") != nil, before == nil { throw HTTPError(.badRequest, message: "This page link is not valid.") }
        let filter = RequestLogFilter(model: model, outcome: outcome, before: before)
        let requests = try await services.usageReports.requests(tenant, filter: filter)
        return services.renderer.render(
            RequestLogPage.make(
                requests: requests, filter: filter, models: models, pageSize: UsageService.requestLogPageSize,
                chrome: services.renderer.chrome(context, path: SitePaths.requestLog)))
    }

    func page(_ request: Request, _ context: ConsoleRequestContext, isCompany: Bool) async throws -> Response {
        let tenant = try context.tenant()
        let query = (from: request.uri.queryParameters.get("from"), to: request.uri.queryParameters.get("to"))
        let chrome = services.renderer.chrome(context, path: isCompany ? SitePaths.companyUsage : SitePaths.usage)
        do {
            let report = try await report(tenant, query: query, isCompany: isCompany)
            return services.renderer.render(
                UsagePage.make(isCompany: isCompany, companyName: tenant.companyName, report: report, query: query, chrome: chrome))
        } catch let errors as FieldErrors {
            return services.renderer.render(
                UsagePage.make(
                    isCompany: isCompany, companyName: tenant.companyName, report: nil, query: query, errors: errors, chrome: chrome),
                status: .badRequest)
        }
    }

    func csv(_ request: Request, _ context: ConsoleRequestContext, isCompany: Bool) async throws -> Response {
        let tenant = try context.tenant()
        let query = (from: request.uri.queryParameters.get("from"), to: request.uri.queryParameters.get("to"))
        let range: UsageRange
        do {
            range = try UsageRange(from: query.from, to: query.to)
        } catch let errors as FieldErrors {
            throw HTTPError(.badRequest, message: errors.messages.sorted { $0.key < $1.key }.map(\.value).joined(separator: " "))
        }
        let rows =
            isCompany
            ? try await services.usageReports.companyDayModels(tenant, range: range)
            : try await services.usageReports.memberDayModels(tenant, range: range)
        let name = "\(isCompany ? "company-usage" : "my-usage")-\(range.from)-\(range.to).csv"
        return Response(
            status: .ok,
            headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"\(name)\""],
            body: .init(byteBuffer: ByteBuffer(string: UsageCSV.make(rows))))
    }

    private func report(_ tenant: Tenant, query: (from: String?, to: String?), isCompany: Bool) async throws -> UsageReport {
        let range = try UsageRange(from: query.from, to: query.to)
        return isCompany
            ? try await services.usageReports.companyReport(tenant, range: range)
            : try await services.usageReports.memberReport(tenant, range: range)
    }
}
