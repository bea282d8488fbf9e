// swift-tools-version: 6.1
// A fake OpenAI upstream for Benchmarks/gateway/run.sh: answers every chat completion at once
// with the same small completion, so that what the benchmark measures is the gateway in front.
import PackageDescription

let package = Package(
    name: "FakeUpstream",
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2")
    ],
    targets: [
        .executableTarget(
            name: "FakeUpstream",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        )
    ]
)
