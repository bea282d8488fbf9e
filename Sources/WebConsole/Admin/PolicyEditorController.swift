import GatewayCore
import Hummingbird

/// Operators write and publish privacy-policy versions on `/admin/policy`.
struct PolicyEditorController {
    let services: ConsoleServices

    func addRoutes(to group: RouterGroup<ConsoleRequestContext>) {
        group.get(RouterPath(SitePaths.adminPolicy), use: show)
        group.post(RouterPath(SitePaths.adminPolicy), use: publish)
        group.post(RouterPath(SitePaths.adminPolicyPreview), use: preview)
    }

    @Sendable func show(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        services.renderer.render(PolicyEditorPage.make(current: try await services.policies.current(), chrome: chrome(context)))
    }

    /// Publishes, or with the form's "Preview" button (which works without JavaScript) shows the draft rendered.
    @Sendable func publish(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        let identity = try context.signedInIdentity()
        let form = context.form
        do {
            if form["preview"] != nil {
                let rendered = try services.policies.preview(markdown: form.text("markdown"), by: identity.user)
                return services.renderer.render(
                    PolicyEditorPage.make(
                        current: try await services.policies.current(), form: form, preview: rendered, chrome: chrome(context)))
            }
            let draft = PolicyDraft(
                markdown: form.text("markdown"), summary: form.text("summary"), significant: form.text("significant") == "on",
                baseVersion: Int(form.text("base_version")))
            _ = try await services.policies.publish(draft, by: identity.user)
            return .redirect(to: SitePaths.adminPolicy, flash: .policyPublished, cookies: services.cookies)
        } catch let errors as FieldErrors {
            return services.renderer.render(
                PolicyEditorPage.make(current: try await services.policies.current(), form: form, errors: errors, chrome: chrome(context)),
                status: .unprocessableContent)
        }
    }

    /// The draft rendered as a fragment, for the editor's script.
    @Sendable func preview(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        let identity = try context.signedInIdentity()
        do {
            let rendered = try services.policies.preview(markdown: context.form.text("markdown"), by: identity.user)
            return services.renderer.render(PolicyPreviewFragment(chrome: chrome(context), html: rendered.html, error: nil))
        } catch let errors as FieldErrors {
            return services.renderer.render(
                PolicyPreviewFragment(chrome: chrome(context), html: "", error: errors["markdown"]), status: .unprocessableContent)
        }
    }

    private func chrome(_ context: ConsoleRequestContext) -> PageChrome {
        services.renderer.chrome(context, path: SitePaths.adminPolicy)
    }
}
