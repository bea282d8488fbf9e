import GatewayCore

/// `/admin`: the platform operator's overview.
struct AdminPage: ConsolePage {
    static let template = "admin/index"

    struct CompanyRow: Sendable {
        let name: String
        let createdOn: String
        let memberCount: Int
    }

    let chrome: PageChrome
    let title = "Operator console"
    let companyCount: Int
    let companies: [CompanyRow]

    static func make(companies: [(company: Company, memberCount: Int)], chrome: PageChrome) -> AdminPage {
        AdminPage(
            chrome: chrome, companyCount: companies.count,
            companies: companies.map {
                CompanyRow(name: $0.company.name, createdOn: DisplayDate.day($0.company.createdAt), memberCount: $0.memberCount)
            })
    }
}
