import GatewayCore
import Logging
import ServiceLifecycle

/// Schedules the maintenance job on this node; the job itself makes sure one node at a time runs a pass.
struct MaintenanceService: Service {
    let job: MaintenanceJob
    let logger: Logger
    var interval = MaintenanceJob.interval

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                // Shutdown does not wait for a pass: each purge is one statement, and a pass cut short
                // only leaves rows for the next one (a pass meeting a restarting database can otherwise
                // hold shutdown up to its deadline of minutes).
                if let run = try await cancelWhenGracefulShutdown({ try await job.runPass() }) {
                    let removed = run.purged.filter { $0.value > 0 }.map { "\($0.key.rawValue)=\($0.value)" }.sorted().joined(
                        separator: " ")
                    if let error = run.error {
                        logger.warning("Maintenance pass left some rows for the next one", metadata: ["error": "\(error)"])
                    }
                    if !removed.isEmpty { logger.info("Maintenance pass", metadata: ["removed": "\(removed)"]) }
                } else {
                    logger.debug("Maintenance pass skipped: another node is running one")
                }
            } catch is CancellationError {
                break
            } catch {
                logger.warning("Maintenance pass failed; will retry", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
