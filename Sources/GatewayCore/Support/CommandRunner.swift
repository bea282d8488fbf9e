import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a program to completion without blocking a Swift concurrency thread.
///
/// Foundation's `Process` notices a child's exit only when every inheritor of a
/// private socket has closed it, and `pg_ctl start` leaves a daemon behind that
/// would hold it for good. So this spawns with `posix_spawn`, closes every
/// descriptor above stderr in the child (the daemon must not inherit our
/// listening socket either), sends output to a file, and reaps with `waitpid`
/// on a thread of its own.
enum CommandRunner {
    struct Result {
        var status: Int32
        var output: String
    }

    struct Failure: Error, CustomStringConvertible {
        var command: [String]
        var status: Int32
        var output: String

        var description: String {
            let tail = output.split(separator: "\n").suffix(5).joined(separator: " | ")
            return "\(command.first.map { URL(fileURLWithPath: $0).lastPathComponent } ?? "command") exited with status \(status): \(tail)"
        }
    }

    struct SpawnError: Error, CustomStringConvertible {
        var program: String
        var code: Int32
        var description: String { "cannot run \(program): \(String(cString: strerror(code)))" }
    }

    static func run(_ arguments: [String]) async throws -> Result {
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("oag-cmd-\(UUID().uuidString).log").path
        defer { unlink(outputPath) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        closeInheritedDescriptors(&actions)

        var spawned: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let code = posix_spawn(&spawned, arguments[0], &actions, nil, argv, environ)
        guard code == 0 else { throw SpawnError(program: arguments[0], code: code) }
        let pid = spawned

        let status = await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                var status: Int32 = 0
                while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
                continuation.resume(returning: status)
            }
        }
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        // Exit code when the program exited, 128 + signal when a signal ended it.
        let exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Result(status: exitStatus, output: output)
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+) is not in Swift's Glibc module, so it is
    /// looked up at run time; our own descriptors are close-on-exec anyway, this also covers libraries'.
    private static func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) {
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return }
        _ = unsafeBitCast(symbol, to: CloseFrom.self)(&actions, 3)
    }

    /// Runs and throws `Failure` unless the program exits with status 0.
    @discardableResult
    static func check(_ arguments: [String]) async throws -> String {
        let result = try await run(arguments)
        guard result.status == 0 else {
            throw Failure(command: arguments, status: result.status, output: result.output)
        }
        return result.output
    }
}
