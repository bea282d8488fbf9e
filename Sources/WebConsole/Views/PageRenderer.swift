import Crypto
import Foundation
import Hummingbird
import Mustache

/// A page model: one struct per page, rendered with its template inside the layout.
public protocol ConsolePage: Sendable {
    static var template: String { get }
    var chrome: PageChrome { get }
}

/// Loads the templates once at start and turns page models into HTML responses.
public struct PageRenderer: Sendable {
    /// Every page type, so that a missing template stops the app at start, not on a request.
    static let pageTypes: [any ConsolePage.Type] = [
        PolicyPage.self, PolicyVersionsPage.self, ErrorPage.self, SignUpPage.self, LogInPage.self, AccountPage.self, DashboardPage.self,
        MembersPage.self, AuditPage.self, InvitationPage.self, AdminPage.self, IntegrationsPage.self, CompanyIntegrationsPage.self,
        APIKeysPage.self, ProvidersPage.self, ThreadsPage.self, ThreadPage.self, ModelsPage.self, UsagePage.self, RequestLogPage.self,
        BillingPage.self, PolicyDiffPage.self, PolicyEditorPage.self, PolicyPreviewFragment.self, NotificationsPage.self,
    ]

    let library: MustacheLibrary
    let assetVersion: String
    private let sharedPages = RenderedPageCache()

    public struct MissingTemplates: Error, CustomStringConvertible {
        public var names: [String]
        public var description: String { "templates not found: \(names.joined(separator: ", "))" }
    }

    public init(templatesDirectory: String, publicDirectory: String) async throws {
        let library = try await MustacheLibrary(directory: templatesDirectory)
        let missing = (["layout"] + Self.pageTypes.map { $0.template }).filter { library.getTemplate(named: $0) == nil }
        guard missing.isEmpty else { throw MissingTemplates(names: missing) }
        self.library = library
        self.assetVersion = try Self.fingerprint(of: publicDirectory)
    }

    /// The layout around a page of this request, for `path` (the current navigation entry).
    public func chrome(_ context: ConsoleRequestContext, path: String) -> PageChrome {
        PageChrome.make(assetVersion: assetVersion, context: context, path: path)
    }

    /// The layout for error pages, which may be rendered before the visitor is known.
    public func neutralChrome() -> PageChrome {
        PageChrome.make(assetVersion: assetVersion, context: nil, path: "")
    }

    public func render<Page: ConsolePage>(_ page: Page, status: HTTPResponse.Status = .ok) -> Response {
        htmlResponse(ByteBuffer(string: library.render(page, withTemplate: Page.template) ?? ""), status: status)
    }

    /// Renders a page that looks the same to every anonymous visitor once, then serves the stored bytes.
    /// Anyone signed in, or with a message pending, gets it rendered for them.
    func renderShared<Page: ConsolePage>(key: String, context: ConsoleRequestContext, _ makePage: () -> Page) -> Response {
        guard context.identity == nil, context.flash == nil else { return render(makePage()) }
        return htmlResponse(sharedPages.page(key) { ByteBuffer(string: library.render(makePage(), withTemplate: Page.template) ?? "") })
    }

    private func htmlResponse(_ body: ByteBuffer, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: body))
    }

    /// A short hash of every file under `Public/`, appended to asset URLs so browsers may cache them for long.
    static func fingerprint(of directory: String) throws -> String {
        var hasher = SHA256()
        let files = (FileManager.default.enumerator(atPath: directory)?.allObjects as? [String] ?? []).sorted()
        for file in files {
            guard let data = FileManager.default.contents(atPath: directory + "/" + file) else { continue }
            hasher.update(data: Data(file.utf8))
            hasher.update(data: data)
        }
        return hasher.finalize().prefix(6).map { String(format: "%02x", $0) }.joined()
    }
}
