import Logging
import ServiceLifecycle

/// Runs the deletion job on every node: each looks for approved requests every few seconds, and
/// the lease in the request keeps two nodes from carrying out the same one.
public struct DeletionJobService: Service {
    let job: DeletionJob
    let interval: Duration
    let logger: Logger

    public init(job: DeletionJob, interval: Duration = .seconds(2), logger: Logger) {
        self.job = job
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                // A request under way is finished before shutdown; one cut short resumes on a node after its lease.
                while try await job.runNext() {}
            } catch {
                logger.error("A deletion request failed part way; it resumes when its lease ends", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
