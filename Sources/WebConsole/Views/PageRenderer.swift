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
    static let pageTypes: [any ConsolePage.Type] = [PolicyPage.self, PolicyVersionsPage.self, ErrorPage.self]

    let library: MustacheLibrary
    let assetVersion: String

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

    /// The layout's site-wide part for this request.
    public func chrome() -> PageChrome {
        PageChrome(
            assetVersion: assetVersion,
            navigation: [.init(label: "Privacy", href: SitePaths.privacy, isCurrent: false)])
    }

    public func render<Page: ConsolePage>(_ page: Page, status: HTTPResponse.Status = .ok) -> Response {
        let html = library.render(page, withTemplate: Page.template) ?? ""
        return Response(
            status: status,
            headers: [.contentType: "text/html; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: html)))
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
