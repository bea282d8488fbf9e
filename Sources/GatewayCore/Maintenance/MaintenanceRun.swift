import Foundation

/// What the maintenance job removes, one kind of row each; raw values are the keys of `maintenance_runs.purged`.
public enum MaintenanceKind: String, Sendable, CaseIterable {
    case sessions
    case loginFailures = "login_failures"
    case oauthStates = "oauth_states"
    case rateLimitWindows = "rate_limit_windows"
    case usagePartitions = "usage_partitions"
    case invitations
    case emailChanges = "email_changes"
    case maintenanceRuns = "maintenance_runs"
}

/// One pass of the maintenance job as operators see it.
public struct MaintenanceRun: Sendable, Equatable {
    public var id: UUID
    public var node: String
    public var startedAt: Date
    /// Nil while the pass runs, or when its node stopped before finishing it.
    public var finishedAt: Date?
    public var purged: [MaintenanceKind: Int]
    /// The kinds that could not be purged and why; the others were.
    public var error: String?
}
