import Logging
import ServiceLifecycle

/// Starts the embedded PostgreSQL again when it has been down for a while: without it, a server
/// that crashed or was killed would leave `oag` answering 503 until someone restarted it by hand.
///
/// It waits `grace` first, so that an operator restarting the server themselves is not raced.
public struct EmbeddedPostgresWatchdog: Service {
    let server: EmbeddedPostgres
    let interval: Duration
    let grace: Duration
    let logger: Logger

    public init(server: EmbeddedPostgres, interval: Duration = .seconds(5), grace: Duration = .seconds(30), logger: Logger) {
        self.server = server
        self.interval = interval
        self.grace = grace
        self.logger = logger
    }

    public func run() async throws {
        let clock = ContinuousClock()
        var downSince: ContinuousClock.Instant?
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            if server.runningServerPID() != nil {
                downSince = nil
            } else if let since = downSince {
                if since.duration(to: clock.now) >= grace {
                    await startAgain()
                    downSince = nil
                }
            } else {
                downSince = clock.now
                logger.warning(
                    "The embedded PostgreSQL is not running; it is started again if it stays down", metadata: ["after": "\(grace)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }

    private func startAgain() async {
        do {
            if try await server.startAgainIfDown() { logger.warning("Started the embedded PostgreSQL again") }
        } catch {
            logger.error("Could not start the embedded PostgreSQL again; will retry", metadata: ["error": "\(error)"])
        }
    }
}
