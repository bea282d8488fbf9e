import Foundation
import Synchronization

/// The privacy policy as pages need it, served from memory.
///
/// Versions never change once published, so each is cached for good; only
/// "which version is current" is re-read, at most once per `refreshInterval`,
/// so that a version published on another node shows up here soon after.
public final class PolicyService: Sendable {
    private struct Cache {
        var versions: [Int: PolicyVersion] = [:]
        var currentNumber: Int?
        var checkedAt: ContinuousClock.Instant?
    }

    private let repository: PolicyRepository
    private let refreshInterval: Duration
    private let cache = Mutex(Cache())

    public init(repository: PolicyRepository, refreshInterval: Duration = .seconds(10)) {
        self.repository = repository
        self.refreshInterval = refreshInterval
    }

    /// On first start, publishes the policy shipped in the repository as version 1.
    public func publishInitialVersionIfNone(markdownFile path: String) async throws {
        let markdown = DataInventory.expandingPolicySection(in: try String(contentsOfFile: path, encoding: .utf8))
        try await repository.insertFirstVersion(markdown: markdown, rendered: MarkdownRenderer.render(markdown))
    }

    public func current() async throws -> PolicyVersion? {
        let now = ContinuousClock.now
        let cached: PolicyVersion? = cache.withLock { cache in
            guard let checkedAt = cache.checkedAt, now - checkedAt < refreshInterval, let number = cache.currentNumber else {
                return nil
            }
            return cache.versions[number]
        }
        if let cached { return cached }
        guard let number = try await repository.latestNumber() else { return nil }
        let current = try await version(number)
        cache.withLock { cache in
            cache.currentNumber = number
            cache.checkedAt = now
        }
        return current
    }

    public func version(_ number: Int) async throws -> PolicyVersion? {
        if let cached = cache.withLock({ $0.versions[number] }) { return cached }
        guard let loaded = try await repository.version(number) else { return nil }
        cache.withLock { $0.versions[number] = loaded }
        return loaded
    }

    public func versions() async throws -> [PolicyVersionSummary] {
        try await repository.summaries()
    }
}
