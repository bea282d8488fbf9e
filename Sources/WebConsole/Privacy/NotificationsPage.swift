import GatewayCore

/// `/account/notifications`: every policy version published while the user had an account.
struct NotificationsPage: ConsolePage {
    static let template = "privacy/notifications"

    struct Row: Sendable {
        let version: Int
        let href: String
        let changesHref: String?
        let publishedOn: String
        let publishedISO: String
        let summary: String
        let significant: Bool
        /// What the user did about it, in words.
        let status: String
        let acknowledgedISO: String?
        let isAwaiting: Bool
    }

    let chrome: PageChrome
    let title = "Notifications"
    let rows: [Row]

    static func make(_ notifications: [PolicyNotification], chrome: PageChrome) -> NotificationsPage {
        NotificationsPage(
            chrome: chrome,
            rows: notifications.map { notification in
                var acknowledgedISO: String?
                let status: String
                switch notification.status {
                case .inForceAtSignUp: status = "In force when you joined"
                case .informational: status = "Minor change, nothing to acknowledge"
                case .acknowledged(let date):
                    status = "You acknowledged it on \(DisplayDate.dayAndTime(date))"
                    acknowledgedISO = DisplayDate.iso(date)
                case .awaitingAcknowledgement: status = "Waiting for your acknowledgement"
                case .replaced: status = "Not acknowledged; a later version replaced it"
                }
                return Row(
                    version: notification.version, href: SitePaths.privacyVersion(notification.version),
                    changesHref: notification.version > 1
                        ? SitePaths.privacyDiff(from: notification.version - 1, to: notification.version) : nil,
                    publishedOn: DisplayDate.day(notification.publishedAt), publishedISO: DisplayDate.iso(notification.publishedAt),
                    summary: notification.summary, significant: notification.significant, status: status,
                    acknowledgedISO: acknowledgedISO, isAwaiting: notification.status == .awaitingAcknowledgement)
            })
    }
}
