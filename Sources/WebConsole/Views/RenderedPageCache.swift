import Hummingbird
import Synchronization

/// Finished HTML of pages that are the same for every anonymous visitor (the public policy),
/// so that they are rendered once, not per request: template rendering is what costs.
final class RenderedPageCache: Sendable {
    /// Keys are policy versions, so the cache stays small; past the limit it starts over.
    private let limit = 64
    private let pages = Mutex<[String: ByteBuffer]>([:])

    func page(_ key: String, orRender render: () -> ByteBuffer) -> ByteBuffer {
        if let cached = pages.withLock({ $0[key] }) { return cached }
        let rendered = render()
        pages.withLock { pages in
            if pages.count >= limit { pages.removeAll() }
            pages[key] = rendered
        }
        return rendered
    }
}
