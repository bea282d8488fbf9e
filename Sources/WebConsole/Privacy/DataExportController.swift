import Foundation
import GatewayCore
import Hummingbird

/// `/account/export`: everything OAG holds about the signed-in person, as a JSON download.
struct DataExportController {
    let services: ConsoleServices

    func addRoutes(to group: RouterGroup<ConsoleRequestContext>) {
        group.get(RouterPath(SitePaths.accountExport), use: download)
    }

    /// Streams the document as the export writes it, so that a long history is never held whole.
    @Sendable func download(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        let user = try context.signedInIdentity().user
        let export = services.dataExport
        let day = ISO8601DateFormatter.string(from: Date(), timeZone: .gmt, formatOptions: [.withFullDate])
        return Response(
            status: .ok,
            headers: [
                .contentType: "application/json; charset=utf-8",
                .contentDisposition: "attachment; filename=\"oag-my-data-\(day).json\"",
                .cacheControl: "no-store",
            ],
            body: ResponseBody { writer in
                try await export.export(user) { try await writer.write($0) }
                try await writer.finish(nil)
            })
    }
}
