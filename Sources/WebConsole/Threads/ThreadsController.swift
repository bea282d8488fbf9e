import Foundation
import GatewayCore
import Hummingbird

/// Conversation threads in the console: start one, chat through the gateway, rename, delete.
/// A message posted with `Accept: text/event-stream` (the page's script) gets the reply streamed.
struct ThreadsController {
    let services: ConsoleServices

    func addRoutes(to group: RouterGroup<ConsoleRequestContext>) {
        group.get(RouterPath(SitePaths.threads), use: list)
        group.post(RouterPath(SitePaths.threads), use: create)
        group.get("/threads/:id", use: show)
        group.post("/threads/:id/messages", use: send)
        group.post("/threads/:id/rename", use: rename)
        group.post("/threads/:id/delete", use: delete)
    }

    @Sendable func list(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        try await listPage(context)
    }

    @Sendable func create(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        let tenant = try context.tenant()
        let models = try await services.gateway.models(for: GatewayCaller(member: tenant))
        let model = context.form.text("model")
        do {
            guard models.contains(where: { $0.id == model }) else { throw FieldErrors("model", "Choose one of the models offered.") }
            let thread = try await services.threads.create(title: context.form.text("title"), model: model, by: tenant)
            return .redirect(to: SitePaths.thread(thread.id))
        } catch let errors as FieldErrors {
            return try await listPage(context, form: context.form, errors: errors, status: .unprocessableContent)
        }
    }

    @Sendable func show(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        try await threadPage(context, id: try Self.threadID(context))
    }

    @Sendable func send(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        let tenant = try context.tenant()
        let id = try Self.threadID(context)
        let content = context.form.text("content").trimmingCharacters(in: .whitespacesAndNewlines)
        let (thread, history) = try await services.threads.thread(id, of: tenant)
        guard !content.isEmpty, content.count <= ThreadService.maximumMessageLength else {
            let message =
                content.isEmpty ? "Write a message first." : "Keep a message under \(ThreadService.maximumMessageLength) characters."
            return try await threadPage(
                context, id: id, form: context.form, errors: FieldErrors("content", message), status: .unprocessableContent)
        }
        let streams = request.headers[.accept]?.contains("text/event-stream") == true
        let messages = history.map { JSONValue.object(["role": .string($0.role), "content": .string($0.content)]) }
        let body = JSONValue.object([
            "model": .string(thread.model),
            "messages": .array(messages + [.object(["role": .string("user"), "content": .string(content)])]),
            "stream": .bool(streams),
        ])
        do {
            let (reply, _) = try await services.gateway.chat(body.encoded(), caller: GatewayCaller(member: tenant), threadID: id)
            if case .stream(let stream) = reply {
                return Response(
                    status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"],
                    body: ResponseBody { writer in
                        try await stream.write { try await writer.write($0) }
                        try await writer.finish(nil)
                    })
            }
            return .redirect(to: SitePaths.thread(id) + "#latest")
        } catch let error as GatewayError {
            return try await threadPage(
                context, id: id, form: context.form, notice: Notice(message: error.message, isError: true),
                status: HTTPResponse.Status(code: error.status))
        }
    }

    @Sendable func rename(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        let id = try Self.threadID(context)
        do {
            try await services.threads.rename(id, to: context.form.text("title"), by: try context.tenant())
            return .redirect(to: SitePaths.thread(id), flash: .threadRenamed, cookies: services.cookies)
        } catch let errors as FieldErrors {
            return try await threadPage(context, id: id, form: context.form, errors: errors, status: .unprocessableContent)
        }
    }

    @Sendable func delete(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        try await services.threads.delete(try Self.threadID(context), by: try context.tenant())
        return .redirect(to: SitePaths.threads, flash: .threadDeleted, cookies: services.cookies)
    }

    private func listPage(
        _ context: ConsoleRequestContext, form: FormFields = FormFields(), errors: FieldErrors = FieldErrors(),
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let tenant = try context.tenant()
        return services.renderer.render(
            ThreadsPage.make(
                threads: try await services.threads.threads(of: tenant),
                models: try await services.gateway.models(for: GatewayCaller(member: tenant)),
                form: form, errors: errors, chrome: services.renderer.chrome(context, path: SitePaths.threads)),
            status: status)
    }

    private func threadPage(
        _ context: ConsoleRequestContext, id: UUID, form: FormFields = FormFields(), errors: FieldErrors = FieldErrors(),
        notice: Notice? = nil,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let (thread, messages) = try await services.threads.thread(id, of: try context.tenant())
        return services.renderer.render(
            ThreadPage.make(
                thread: thread, messages: messages, form: form, errors: errors, notice: notice,
                chrome: services.renderer.chrome(context, path: SitePaths.threads)),
            status: status)
    }

    static func threadID(_ context: ConsoleRequestContext) throws -> UUID {
        guard let id = context.parameters.get("id", as: UUID.self) else { throw NotFound() }
        return id
    }
}
