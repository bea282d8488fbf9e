import GatewayCore
import Logging
import ServiceLifecycle

/// Periodic clean-up on every node: expired sessions, old sign-in failures, stale OAuth states,
/// past rate-limit windows, raw usage events past retention.
/// The deletes are idempotent, so several nodes doing it at once is harmless.
struct MaintenanceService: Service {
    let sessions: SessionStore
    let throttle: LoginThrottle
    let oauthStates: OAuthStateStore
    let rateLimits: RateLimiter
    let usageRetention: UsageRetention
    let logger: Logger
    var interval: Duration = .seconds(600)

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                let ended = try await sessions.purgeExpired()
                try await throttle.purgeExpired()
                _ = try await oauthStates.purgeExpired()
                try await rateLimits.purgeExpired()
                let dropped = try await usageRetention.apply()
                if dropped > 0 { logger.info("Dropped raw usage past retention", metadata: ["partitions": "\(dropped)"]) }
                if ended > 0 { logger.info("Purged expired sessions", metadata: ["count": "\(ended)"]) }
            } catch {
                logger.warning("Maintenance pass failed; will retry", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
