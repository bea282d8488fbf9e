/// What the layout shows around every page: navigation, flash messages, asset version.
public struct PageChrome: Sendable {
    public struct NavigationLink: Sendable {
        var label: String
        var href: String
        var isCurrent: Bool
    }

    public struct Flash: Sendable {
        enum Kind: String, Sendable { case success, error, info }
        var kind: Kind
        var message: String
        /// Errors are announced at once by screen readers (role="alert"); stored, as templates read stored fields.
        var isError: Bool

        init(kind: Kind, message: String) {
            self.kind = kind
            self.message = message
            self.isError = kind == .error
        }
    }

    var assetVersion: String
    var navigation: [NavigationLink]
    var flashes: [Flash]

    init(assetVersion: String, navigation: [NavigationLink] = [], flashes: [Flash] = []) {
        self.assetVersion = assetVersion
        self.navigation = navigation
        self.flashes = flashes
    }

    /// Marks the navigation entry that leads to `path` (or a page under it) as current.
    func highlighting(_ path: String) -> PageChrome {
        var copy = self
        copy.navigation = navigation.map { link in
            var link = link
            link.isCurrent = path == link.href || path.hasPrefix(link.href + "/")
            return link
        }
        return copy
    }
}
