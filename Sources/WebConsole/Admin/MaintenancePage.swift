import Foundation
import GatewayCore

/// `/admin/maintenance`: the last passes of the maintenance job, newest first.
struct MaintenancePage: ConsolePage {
    static let template = "admin/maintenance"

    struct Row: Sendable {
        let started: String
        let startedISO: String
        let node: String
        let duration: String
        let removed: String
        let error: String?
    }

    let chrome: PageChrome
    let title = "Maintenance"
    let rows: [Row]
    let limit: Int
    let retentionDays = Int(MaintenanceJob.runRetention / 86400)
    let intervalMinutes = MaintenanceJob.interval.components.seconds / 60

    static func make(runs: [MaintenanceRun], limit: Int, chrome: PageChrome) -> MaintenancePage {
        MaintenancePage(
            chrome: chrome,
            rows: runs.map { run in
                Row(
                    started: DisplayDate.dayAndTime(run.startedAt), startedISO: DisplayDate.iso(run.startedAt), node: run.node,
                    duration: run.finishedAt.map { duration(from: run.startedAt, to: $0) } ?? "Did not finish",
                    removed: summary(of: run.purged), error: run.error)
            },
            limit: limit)
    }

    static func duration(from start: Date, to end: Date) -> String {
        let seconds = end.timeIntervalSince(start)
        return seconds < 1 ? "under a second" : "\(Int(seconds.rounded())) s"
    }

    /// "3 expired sessions, 1 OAuth state", in the job's order; kinds with nothing removed are left out.
    static func summary(of purged: [MaintenanceKind: Int]) -> String {
        let parts = MaintenanceKind.allCases.compactMap { kind -> String? in
            guard let count = purged[kind], count > 0 else { return nil }
            let (one, many) = label(kind)
            return "\(count) \(count == 1 ? one : many)"
        }
        return parts.isEmpty ? "Nothing to remove" : parts.joined(separator: ", ")
    }

    static func label(_ kind: MaintenanceKind) -> (String, String) {
        switch kind {
        case .sessions: ("expired session", "expired sessions")
        case .loginFailures: ("old sign-in failure", "old sign-in failures")
        case .oauthStates: ("OAuth state", "OAuth states")
        case .rateLimitWindows: ("rate-limit window", "rate-limit windows")
        case .usagePartitions: ("month of raw usage", "months of raw usage")
        case .invitations: ("expired invitation", "expired invitations")
        case .emailChanges: ("expired email-change link", "expired email-change links")
        case .maintenanceRuns: ("old run record", "old run records")
        }
    }
}
