import Foundation
import GatewayCore
import Hummingbird
import HummingbirdTesting
import Logging
import OAGServer
import Synchronization
import TestSupport

/// Builds the real application on a fresh database and drives it in-process.
func withApp(
    baseURL: String? = nil,
    database: DatabaseSettings? = nil,
    logger: Logger = TestDatabase.logger,
    configure: @Sendable (inout AppConfig) -> Void = { _ in },
    _ test: @Sendable (any TestClientProtocol) async throws -> Void
) async throws {
    var config = AppConfig(baseURL: baseURL, resourcesDirectory: TestDatabase.repositoryRoot, masterKeys: TestDatabase.masterKeys)
    configure(&config)
    let settings: DatabaseSettings
    if let database {
        settings = database
    } else {
        settings = try await TestDatabase.fresh()
    }
    let app = try await buildApplication(config: config, database: settings, logger: logger)
    try await app.test(.router, test)
}

extension TestResponse {
    var text: String { String(buffer: body) }
}

/// Keeps every log line, with its metadata, so tests can check what is (not) logged.
final class LogRecorder: Sendable {
    private let lines = Mutex<[String]>([])

    var all: String { lines.withLock { $0.joined(separator: "\n") } }

    var logger: Logger {
        var logger = Logger(label: "recorded") { _ in Handler(recorder: self) }
        logger.logLevel = .info
        return logger
    }

    struct Handler: LogHandler {
        let recorder: LogRecorder
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .info

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            let rendered = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            recorder.lines.withLock { $0.append("\(event.level) \(event.message) \(rendered)") }
        }
    }
}
