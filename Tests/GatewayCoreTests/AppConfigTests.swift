import Foundation
import GatewayCore
import TestSupport
import Testing

@Suite("Configuration from the environment")
struct AppConfigTests {
    let base = ["OAG_RESOURCES_DIR": TestDatabase.repositoryRoot]

    func config(_ variables: [String: String]) throws(ConfigError) -> AppConfig {
        try AppConfig.fromEnvironment(base.merging(variables) { $1 })
    }

    @Test func defaultsMatchTheDocumentedTable() throws {
        let config = try config([:])
        #expect(config.host == "127.0.0.1")
        #expect(config.port == 8080)
        #expect(config.baseURL == "http://localhost:8080")
        #expect(config.dataDirectory == "./.oag")
        #expect(config.databaseURL == nil)
        #expect(config.secureCookies == false)
        #expect(config.readTimeout == .seconds(30))
        #expect(config.upstreamTimeout == .seconds(120))
        #expect(config.deletionLease == .seconds(300))
    }

    @Test func faultTimingsAreReadInSeconds() throws {
        let config = try config(["OAG_UPSTREAM_TIMEOUT_SECONDS": "2", "OAG_DELETION_LEASE_SECONDS": "3"])
        #expect(config.upstreamTimeout == .seconds(2))
        #expect(config.deletionLease == .seconds(3))
    }

    @Test func theBaseURLFollowsThePortAndHTTPSTurnsOnSecureCookies() throws {
        #expect(try config(["OAG_PORT": "9000"]).baseURL == "http://localhost:9000")
        let https = try config(["OAG_BASE_URL": "https://console.example.com/"])
        #expect(https.baseURL == "https://console.example.com")
        #expect(https.secureCookies)
        #expect(try config(["OAG_BASE_URL": "https://console.example.com", "OAG_SECURE_COOKIES": "false"]).secureCookies == false)
    }

    @Test func providersAreConfiguredByTheirVariablesAndShownNotConfiguredWithout() throws {
        let config = try config([
            "OAG_GITLAB_CLIENT_ID": "gl-id", "OAG_GITLAB_CLIENT_SECRET": "gl-secret",
            "OAG_GITLAB_AUTHORIZE_URL": "https://gitlab.internal/oauth/authorize",
            "OAG_GITLAB_TOKEN_URL": "https://gitlab.internal/oauth/token",
        ])
        let catalog = ProviderCatalog(settings: config.providers)
        let gitlab = catalog[.gitlab]
        #expect(gitlab.isConfigured)
        #expect(gitlab.credentials == OAuthClientCredentials(clientID: "gl-id", clientSecret: "gl-secret"))
        #expect(gitlab.endpoints.authorize == "https://gitlab.internal/oauth/authorize")
        #expect(gitlab.endpoints.token == "https://gitlab.internal/oauth/token")
        #expect(gitlab.endpoints.userinfo == "https://gitlab.com/oauth/userinfo", "endpoints not overridden keep the real ones")
        #expect(!catalog[.google].isConfigured)
        #expect(catalog[.google].endpoints.authorize == "https://accounts.google.com/o/oauth2/v2/auth")
        #expect(catalog.authorizeOrigins == ["https://gitlab.internal"], "only configured providers may be form targets")
        #expect(throws: ConfigError(variable: "OAG_GOOGLE_CLIENT_ID", problem: "required with OAG_GOOGLE_CLIENT_SECRET")) {
            try self.config(["OAG_GOOGLE_CLIENT_SECRET": "a secret without its id"])
        }
    }

    @Test func readsAnExternalDatabaseURL() throws {
        let url = try #require(
            try config(["OAG_DATABASE_URL": "postgres://oag:p%40ss@db.internal:6432/console?sslmode=require"]).databaseURL)
        #expect(url.host == "db.internal")
        #expect(url.port == 6432)
        #expect(url.username == "oag")
        #expect(url.password == "p@ss")
        #expect(url.database == "console")
        #expect(url.tlsMode == .require)
    }

    @Test(arguments: [
        ("OAG_PORT", "eighty"), ("OAG_PORT", "70000"), ("OAG_HOST", "bad host!"),
        ("OAG_BASE_URL", "console.example.com"), ("OAG_BASE_URL", "ftp://example.com"),
        ("OAG_DATABASE_URL", "mysql://x@y/z"), ("OAG_DATABASE_URL", "postgres://db.internal/oag"),
        ("OAG_DATABASE_URL", "postgres://u@h/"), ("OAG_DATABASE_URL", "postgres://u@h/d?sslmode=maybe"),
        ("OAG_SECURE_COOKIES", "perhaps"), ("OAG_LOG_LEVEL", "loud"), ("OAG_DATABASE_OWNER_URL", "nope"),
        ("OAG_SESSION_IDLE_MINUTES", "0"), ("OAG_SESSION_MAX_HOURS", "forever"), ("OAG_READ_TIMEOUT_SECONDS", "0"),
        ("OAG_RESOURCES_DIR", "/nonexistent"), ("OAG_GITLAB_TOKEN_URL", "gitlab.internal/oauth/token"),
        ("OAG_UPSTREAM_TIMEOUT_SECONDS", "0"), ("OAG_DELETION_LEASE_SECONDS", "5 minutes"),
        ("OAG_TRUSTED_PROXIES", "10.0.0.0/33"), ("OAG_TRUSTED_PROXIES", "10.0.0.1, lb.internal"), ("OAG_TRUSTED_PROXIES", "fd00::/129"),
        ("OAG_TRUSTED_PROXIES", "10.0.0.1/8/8"), ("OAG_TRUSTED_PROXIES", "10.0.0.1/+8"),
    ])
    func aBadValueIsNamedInTheError(variable: String, value: String) {
        #expect {
            try config([variable: value])
        } throws: { error in
            guard let error = error as? ConfigError else { return false }
            return error.variable == variable && !error.problem.isEmpty && !error.description.contains("\n")
        }
    }

    @Test func productionNeedsASeparateSchemaOwner() throws {
        let url = "postgres://app@db.internal/oag"
        #expect(
            throws: ConfigError(
                variable: "OAG_DATABASE_OWNER_URL",
                problem: "required with OAG_DATABASE_URL over https: the app's role must not own the tables")
        ) {
            try config(["OAG_DATABASE_URL": url, "OAG_BASE_URL": "https://console.example.com"])
        }
        let both = try config([
            "OAG_DATABASE_URL": url, "OAG_DATABASE_OWNER_URL": "postgres://owner@db.internal/oag",
            "OAG_BASE_URL": "https://console.example.com",
        ])
        #expect(both.databaseOwnerURL?.username == "owner")
        #expect(try config(["OAG_DATABASE_URL": url]).databaseOwnerURL == nil, "development over http may use one role")
    }

    @Test func emptyValuesCountAsUnset() throws {
        #expect(try config(["OAG_PORT": "", "OAG_DATABASE_URL": " "]).port == 8080)
    }
}
