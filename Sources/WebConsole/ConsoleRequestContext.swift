import Hummingbird

/// Per-request state of the console. Signed-in user and tenant join it with the accounts feature.
public struct ConsoleRequestContext: RequestContext {
    /// Forms and JSON bodies are small; anything larger is refused before it is read.
    public static let maxBodySize = 1024 * 1024

    public var coreContext: CoreRequestContextStorage

    public init(source: Source) {
        self.coreContext = .init(source: source)
    }

    public var maxUploadSize: Int { Self.maxBodySize }
}
