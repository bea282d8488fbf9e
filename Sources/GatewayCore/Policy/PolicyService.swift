import Foundation
import Logging
import Synchronization

/// The privacy policy as pages need it, served from memory, and its publication and acknowledgement.
///
/// Versions never change once published, so each is cached for good; only
/// "which versions are newest" is re-read, at most once per `refreshInterval`,
/// so that a version published on another node shows up here soon after.
public final class PolicyService: Sendable {
    private struct Cache {
        var versions: [Int: PolicyVersion] = [:]
        var latest: PolicyRepository.LatestNumbers?
        var checkedAt: ContinuousClock.Instant?
    }

    private let repository: PolicyRepository
    private let refreshInterval: Duration
    private let logger: Logger
    private let cache = Mutex(Cache())

    public init(repository: PolicyRepository, refreshInterval: Duration = .seconds(10), logger: Logger = Logger(label: "oag.policy")) {
        self.repository = repository
        self.refreshInterval = refreshInterval
        self.logger = logger
    }

    /// On first start, publishes the policy shipped in the repository as version 1.
    public func publishInitialVersionIfNone(markdownFile path: String) async throws {
        let markdown = DataInventory.expandingPolicySection(in: try String(contentsOfFile: path, encoding: .utf8))
        try await repository.insertFirstVersion(markdown: markdown, rendered: MarkdownRenderer.render(markdown))
    }

    public func current() async throws -> PolicyVersion? {
        guard let latest = try await latestNumbers() else { return nil }
        return try await version(latest.current)
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

    private func latestNumbers() async throws -> PolicyRepository.LatestNumbers? {
        let now = ContinuousClock.now
        let cached = cache.withLock { cache in
            cache.checkedAt.flatMap { now - $0 < refreshInterval ? cache.latest : nil }
        }
        if let cached { return cached }
        let latest = try await repository.latestNumbers()
        cache.withLock { cache in
            cache.latest = latest
            cache.checkedAt = now
        }
        return latest
    }

    // MARK: Publishing

    /// The HTML a draft would publish, for the operator's preview.
    public func preview(markdown: String, by user: User) throws -> RenderedMarkdown {
        guard user.isOperator else { throw AccessDenied("Only platform operators may edit the privacy policy.") }
        let markdown = PolicyRules.normalizedMarkdown(markdown)
        if let problem = PolicyRules.problem(withMarkdown: markdown) { throw FieldErrors("markdown", problem) }
        return MarkdownRenderer.render(DataInventory.expandingPolicySection(in: markdown))
    }

    /// Publishes the draft as the version after `draft.baseVersion`, rendered once, here.
    ///
    /// The version number is the primary key, so two operators publishing at once cannot
    /// both get it: the second is told that a version appeared while they were editing.
    public func publish(_ draft: PolicyDraft, by user: User) async throws -> PolicyVersion {
        guard user.isOperator else { throw AccessDenied("Only platform operators may publish the privacy policy.") }
        let markdown = DataInventory.expandingPolicySection(in: PolicyRules.normalizedMarkdown(draft.markdown))
        let summary = draft.summary.trimmingCharacters(in: .whitespacesAndNewlines)
        var errors = FieldErrors()
        if let problem = PolicyRules.problem(withMarkdown: markdown) { errors.add("markdown", problem) }
        if let problem = PolicyRules.problem(withSummary: summary) { errors.add("summary", problem) }
        try errors.throwIfAny()

        let latest = try await repository.latestNumbers()?.current ?? 0
        let base = draft.baseVersion ?? latest
        if base != latest { throw publishedMeanwhile(latest) }
        if let current = try await version(latest), current.markdown == markdown {
            throw FieldErrors("markdown", "This is the text of version \(latest) already. Change the policy before publishing.")
        }
        let number = base + 1
        guard
            try await repository.insert(
                number: number, markdown: markdown, rendered: MarkdownRenderer.render(markdown), summary: summary,
                significant: draft.significant, publishedBy: user.id)
        else { throw publishedMeanwhile(number) }

        logger.notice(
            "Privacy policy published", metadata: ["version": "\(number)", "significant": "\(draft.significant)", "operator": "\(user.id)"])
        let published = try await version(number)
        cache.withLock { cache in
            let significant = draft.significant ? number : cache.latest?.significant
            cache.latest = .init(current: number, significant: significant)
            cache.checkedAt = .now
        }
        guard let published else { throw NotFound() }
        return published
    }

    /// Under `base_version`, the form's hidden field: the form starts over from the version that won.
    private func publishedMeanwhile(_ version: Int) -> FieldErrors {
        cache.withLock { $0.checkedAt = nil }
        return FieldErrors(
            "base_version",
            "Another operator published version \(version) while you were editing. Read it on the privacy page, "
                + "then publish again: this form now builds on it.")
    }

    // MARK: Notices

    /// The newest significant change `user` has not acknowledged, if their account is older than it.
    ///
    /// Costs no query when there is nothing to acknowledge (known from the cache), else one primary-key lookup.
    /// Version 1 is the policy people sign up under, never a change to acknowledge.
    public func pendingNotice(for user: User) async throws -> PolicyNotice? {
        guard let number = try await latestNumbers()?.significant, number > 1, let version = try await version(number),
            version.publishedAt > user.createdAt
        else { return nil }
        if try await repository.hasAcknowledged(user: user.id, version: number) { return nil }
        return PolicyNotice(version: number, summary: version.summary, publishedAt: version.publishedAt)
    }

    /// Records, with the time, that `user` has read version `number`.
    public func acknowledge(version number: Int, by user: User) async throws {
        guard number > 0, try await version(number) != nil else { throw NotFound() }
        try await repository.acknowledge(user: user.id, version: number)
        logger.info("Privacy policy acknowledged", metadata: ["version": "\(number)", "user": "\(user.id)"])
    }

    /// Every version published since `user` joined, and the one in force then, newest first.
    public func notifications(for user: User) async throws -> [PolicyNotification] {
        let history = try await repository.history(of: user.id, joinedAt: user.createdAt)
        let owed = history.filter { $0.version.significant && !$0.inForceAtSignUp && $0.version.number > 1 }
        let newestOwed = owed.first?.version.number
        return history.map { entry in
            let version = entry.version
            let status: PolicyNotification.Status
            if let acknowledgedAt = entry.acknowledgedAt {
                status = .acknowledged(acknowledgedAt)
            } else if entry.inForceAtSignUp || version.number == 1 {
                status = .inForceAtSignUp
            } else if !version.significant {
                status = .informational
            } else {
                status = version.number == newestOwed ? .awaitingAcknowledgement : .replaced
            }
            return PolicyNotification(
                version: version.number, publishedAt: version.publishedAt, summary: version.summary, significant: version.significant,
                status: status)
        }
    }
}
