import Foundation
import GatewayCore

extension TestDatabase {
    /// The whole database as `pg_dump` writes it (schema and data), as the owner sees it.
    public static func dump(_ settings: DatabaseSettings) throws -> String {
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []).compactMap(Int.init).sorted(
            by: >)
        guard
            let pgDump = (versions.map { "/usr/lib/postgresql/\($0)/bin/pg_dump" } + ["/usr/bin/pg_dump"])
                .first(where: FileManager.default.isExecutableFile(atPath:))
        else { throw DumpError(description: "pg_dump not found") }
        let owner = settings.owner
        var arguments = ["--no-owner", "--username", owner.username, "--dbname", owner.database]
        switch owner.location {
        case .socket(let path):
            // The socket file is <directory>/.s.PGSQL.<port>.
            let url = URL(fileURLWithPath: path)
            arguments += [
                "--host", url.deletingLastPathComponent().path, "--port",
                String(url.lastPathComponent.split(separator: ".").last ?? "5432"),
            ]
        case .tcp(let host, let port, _):
            arguments += ["--host", host, "--port", String(port)]
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: pgDump)
        process.arguments = arguments
        if let password = owner.password { process.environment = ["PGPASSWORD": password] }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw DumpError(description: "pg_dump exited with \(process.terminationStatus)") }
        return String(decoding: data, as: UTF8.self)
    }

    struct DumpError: Error, CustomStringConvertible {
        var description: String
    }
}
