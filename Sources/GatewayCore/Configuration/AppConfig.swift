import Foundation
import Logging

/// Everything `oag` reads from the environment, validated once at start.
public struct AppConfig: Sendable {
    public var host: String
    public var port: Int
    /// Public URL of the console, without a trailing slash.
    public var baseURL: String
    public var dataDirectory: String
    /// Where `Templates/`, `Public/`, `Migrations/` and `Content/` live.
    public var resourcesDirectory: String
    /// An external server; `nil` means the embedded PostgreSQL in `dataDirectory`.
    public var databaseURL: DatabaseURL?
    /// The role that owns the schema and runs migrations on the external server; the app's
    /// own role (`databaseURL`) then owns nothing, so row-level security applies to it.
    public var databaseOwnerURL: DatabaseURL?
    public var secureCookies: Bool
    /// `nil` in development: a key is then generated into `dataDirectory` (see `MasterKeyRing`).
    public var masterKeys: MasterKeyRing?
    public var sessionLifetime: SessionLifetime
    /// OAuth apps and endpoint overrides, from `OAG_<P>_*`.
    public var providers: [ProviderID: ProviderSettings]
    /// How long a call to an outside service (OAuth provider) may take in all.
    public var outboundTimeout: Duration
    /// LLM providers: base URLs and platform keys, from `OAG_<P>_BASE_URL` and `OAG_<P>_API_KEY`.
    public var upstreams: [LLMProvider: UpstreamSettings]
    /// How long an LLM provider may take to answer a request (a stream may then run on).
    public var upstreamTimeout: Duration
    /// How often metered usage is written to the database; a crash loses at most this much.
    public var usageFlushInterval: Duration
    /// Raw usage events are kept this many months (`OAG_USAGE_RETENTION_MONTHS`); rollups stay.
    public var usageRetentionMonths: Int
    /// How often each node looks for approved deletion requests to carry out.
    public var deletionJobInterval: Duration
    /// How long a node holds a deletion request; if it dies, another resumes the request after this.
    public var deletionLease: Duration
    public var logLevel: Logger.Level
    /// How long a client may take to send a request, head and body (`OAG_READ_TIMEOUT_SECONDS`), and
    /// how long a kept-alive connection may wait for its next one; slower connections are closed.
    public var readTimeout: Duration
    /// Load balancers whose `X-Forwarded-For` names the client (`OAG_TRUSTED_PROXIES`); none by default.
    public var trustedProxies: TrustedProxies

    public var usesHTTPS: Bool { baseURL.hasPrefix("https://") }

    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        baseURL: String? = nil,
        dataDirectory: String = "./.oag",
        resourcesDirectory: String = FileManager.default.currentDirectoryPath,
        databaseURL: DatabaseURL? = nil,
        databaseOwnerURL: DatabaseURL? = nil,
        secureCookies: Bool? = nil,
        masterKeys: MasterKeyRing? = nil,
        sessionLifetime: SessionLifetime = SessionLifetime(),
        providers: [ProviderID: ProviderSettings] = [:],
        outboundTimeout: Duration = .seconds(10),
        upstreams: [LLMProvider: UpstreamSettings] = [:],
        upstreamTimeout: Duration = .seconds(120),
        usageFlushInterval: Duration = .seconds(1),
        usageRetentionMonths: Int = 13,
        deletionJobInterval: Duration = .seconds(2),
        deletionLease: Duration = .seconds(300),
        logLevel: Logger.Level = .info,
        readTimeout: Duration = .seconds(30),
        trustedProxies: TrustedProxies = .none
    ) {
        self.host = host
        self.port = port
        self.baseURL = baseURL ?? "http://localhost:\(port)"
        self.dataDirectory = dataDirectory
        self.resourcesDirectory = resourcesDirectory
        self.databaseURL = databaseURL
        self.databaseOwnerURL = databaseOwnerURL
        self.secureCookies = secureCookies ?? self.baseURL.hasPrefix("https://")
        self.masterKeys = masterKeys
        self.sessionLifetime = sessionLifetime
        self.providers = providers
        self.outboundTimeout = outboundTimeout
        self.upstreams = Dictionary(
            uniqueKeysWithValues: LLMProvider.allCases.map { ($0, upstreams[$0] ?? UpstreamSettings(baseURL: $0.defaultBaseURL)) })
        self.upstreamTimeout = upstreamTimeout
        self.usageFlushInterval = usageFlushInterval
        self.usageRetentionMonths = usageRetentionMonths
        self.deletionJobInterval = deletionJobInterval
        self.deletionLease = deletionLease
        self.logLevel = logLevel
        self.readTimeout = readTimeout
        self.trustedProxies = trustedProxies
    }

    /// The configured key ring, or in development one generated into the data directory.
    public func keyRing(logger: Logger) throws -> MasterKeyRing {
        try masterKeys ?? MasterKeyRing.developmentRing(dataDirectory: dataDirectory, logger: logger)
    }

    /// Reads and validates the `OAG_*` variables; the first bad one is reported by name.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigError)
        -> AppConfig
    {
        let reader = EnvironmentReader(environment)
        let port = try reader.port("OAG_PORT") ?? 8080
        let baseURL = try reader.httpURL("OAG_BASE_URL")
        let resources = reader.string("OAG_RESOURCES_DIR") ?? FileManager.default.currentDirectoryPath
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: resources + "/Templates", isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ConfigError(
                variable: "OAG_RESOURCES_DIR",
                problem: "no Templates/ folder in \(resources); run oag from the project folder or point OAG_RESOURCES_DIR at it"
            )
        }
        let config = AppConfig(
            host: try reader.host("OAG_HOST") ?? "127.0.0.1",
            port: port,
            baseURL: baseURL,
            dataDirectory: reader.string("OAG_DATA_DIR") ?? "./.oag",
            resourcesDirectory: resources,
            databaseURL: try reader.databaseURL("OAG_DATABASE_URL"),
            databaseOwnerURL: try reader.databaseURL("OAG_DATABASE_OWNER_URL"),
            secureCookies: try reader.bool("OAG_SECURE_COOKIES"),
            masterKeys: try reader.masterKeys("OAG_MASTER_KEYS"),
            sessionLifetime: SessionLifetime(
                idleTimeout: .seconds(60 * (try reader.positiveInteger("OAG_SESSION_IDLE_MINUTES", maximum: 24 * 60) ?? 30)),
                absoluteLifetime: .seconds(3600 * (try reader.positiveInteger("OAG_SESSION_MAX_HOURS", maximum: 24 * 30) ?? 12))),
            providers: try reader.providers(),
            upstreams: try reader.upstreams(),
            upstreamTimeout: .seconds(try reader.positiveInteger("OAG_UPSTREAM_TIMEOUT_SECONDS", maximum: 3600) ?? 120),
            usageRetentionMonths: try reader.positiveInteger("OAG_USAGE_RETENTION_MONTHS", maximum: 120) ?? 13,
            deletionLease: .seconds(try reader.positiveInteger("OAG_DELETION_LEASE_SECONDS", maximum: 86_400) ?? 300),
            logLevel: try reader.logLevel("OAG_LOG_LEVEL") ?? .info,
            readTimeout: .seconds(try reader.positiveInteger("OAG_READ_TIMEOUT_SECONDS", maximum: 3600) ?? 30),
            trustedProxies: try reader.trustedProxies("OAG_TRUSTED_PROXIES")
        )
        // In production one role for both would silently switch off the database's tenant guard.
        if config.databaseURL != nil, config.databaseOwnerURL == nil, config.usesHTTPS {
            throw ConfigError(
                variable: "OAG_DATABASE_OWNER_URL",
                problem: "required with OAG_DATABASE_URL over https: the app's role must not own the tables")
        }
        return config
    }
}

/// A configuration value that cannot be used, named so that the operator can fix it.
public struct ConfigError: Error, CustomStringConvertible, Equatable {
    public var variable: String
    public var problem: String

    public init(variable: String, problem: String) {
        self.variable = variable
        self.problem = problem
    }

    public var description: String { "\(variable): \(problem)" }
}

/// Typed reads of environment variables; empty values count as unset.
struct EnvironmentReader {
    let environment: [String: String]

    init(_ environment: [String: String]) {
        self.environment = environment
    }

    func string(_ name: String) -> String? {
        guard let value = environment[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        return value
    }

    func port(_ name: String) throws(ConfigError) -> Int? {
        guard let raw = string(name) else { return nil }
        guard let value = Int(raw), (1...65535).contains(value) else {
            throw ConfigError(variable: name, problem: "expected a port number from 1 to 65535, got \"\(raw)\"")
        }
        return value
    }

    func positiveInteger(_ name: String, maximum: Int) throws(ConfigError) -> Int? {
        guard let raw = string(name) else { return nil }
        guard let value = Int(raw), (1...maximum).contains(value) else {
            throw ConfigError(variable: name, problem: "expected a whole number from 1 to \(maximum), got \"\(raw)\"")
        }
        return value
    }

    func trustedProxies(_ name: String) throws(ConfigError) -> TrustedProxies {
        guard let raw = string(name) else { return .none }
        switch TrustedProxies.parse(raw) {
        case .success(let proxies): return proxies
        case .failure(let problem):
            throw ConfigError(
                variable: name, problem: "expected IP addresses or CIDR networks separated by commas, got \"\(problem.entry)\"")
        }
    }

    func host(_ name: String) throws(ConfigError) -> String? {
        guard let raw = string(name) else { return nil }
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: ".-:"))
        guard raw.unicodeScalars.allSatisfy(allowed.contains) else {
            throw ConfigError(variable: name, problem: "expected a host name or IP address, got \"\(raw)\"")
        }
        return raw
    }

    func httpURL(_ name: String) throws(ConfigError) -> String? {
        guard let raw = string(name) else { return nil }
        guard let url = URL(string: raw), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = url.host, !host.isEmpty, url.query == nil, url.fragment == nil
        else {
            throw ConfigError(variable: name, problem: "expected an absolute http:// or https:// URL without query, got \"\(raw)\"")
        }
        return raw.hasSuffix("/") ? String(raw.dropLast()) : raw
    }

    func bool(_ name: String) throws(ConfigError) -> Bool? {
        guard let raw = string(name)?.lowercased() else { return nil }
        switch raw {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw ConfigError(variable: name, problem: "expected true or false, got \"\(raw)\"")
        }
    }

    func logLevel(_ name: String) throws(ConfigError) -> Logger.Level? {
        guard let raw = string(name) else { return nil }
        guard let level = Logger.Level(rawValue: raw.lowercased()) else {
            let names = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
            throw ConfigError(variable: name, problem: "expected one of \(names), got \"\(raw)\"")
        }
        return level
    }

    func masterKeys(_ name: String) throws(ConfigError) -> MasterKeyRing? {
        guard let raw = string(name) else { return nil }
        do {
            return try MasterKeyRing(parsing: raw)
        } catch {
            // The message names the entry, never the key material.
            throw ConfigError(variable: name, problem: error.description)
        }
    }

    /// `OAG_<P>_CLIENT_ID` and `_CLIENT_SECRET` come as a pair; endpoint overrides are http(s) URLs.
    func providers() throws(ConfigError) -> [ProviderID: ProviderSettings] {
        var all: [ProviderID: ProviderSettings] = [:]
        for provider in ProviderID.allCases {
            let prefix = provider.environmentPrefix
            var settings = ProviderSettings()
            switch (string(prefix + "CLIENT_ID"), string(prefix + "CLIENT_SECRET")) {
            case (let id?, let secret?): settings.credentials = OAuthClientCredentials(clientID: id, clientSecret: secret)
            case (nil, nil): break
            case (nil, _?): throw ConfigError(variable: prefix + "CLIENT_ID", problem: "required with \(prefix)CLIENT_SECRET")
            case (_?, nil): throw ConfigError(variable: prefix + "CLIENT_SECRET", problem: "required with \(prefix)CLIENT_ID")
            }
            settings.authorizeURL = try httpURL(prefix + "AUTHORIZE_URL")
            settings.tokenURL = try httpURL(prefix + "TOKEN_URL")
            settings.revokeURL = try httpURL(prefix + "REVOKE_URL")
            settings.userinfoURL = try httpURL(prefix + "USERINFO_URL")
            all[provider] = settings
        }
        return all
    }

    func upstreams() throws(ConfigError) -> [LLMProvider: UpstreamSettings] {
        var all: [LLMProvider: UpstreamSettings] = [:]
        for provider in LLMProvider.allCases {
            all[provider] = UpstreamSettings(
                baseURL: try httpURL(provider.environmentPrefix + "BASE_URL") ?? provider.defaultBaseURL,
                platformKey: string(provider.environmentPrefix + "API_KEY"))
        }
        return all
    }

    func databaseURL(_ name: String) throws(ConfigError) -> DatabaseURL? {
        guard let raw = string(name) else { return nil }
        do {
            return try DatabaseURL(raw)
        } catch {
            throw ConfigError(variable: name, problem: error.reason)
        }
    }
}
