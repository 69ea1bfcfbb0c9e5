// swift-tools-version: 6.1
import PackageDescription

/// The release `flotilla` is one self-contained binary laid out for a small resident set
/// (docs/benchmarks.md, "Idle RSS"): the Swift runtime and Foundation linked in statically, a
/// fixed load address (no start-up relocation of the Swift metadata), no dynamic symbol table
/// of its own, and unreferenced sections dropped. `swift build -c release` is the whole
/// release build.
let releaseLinkFlags = [
    "-static-stdlib", "-use-ld=lld",
    // What the shared Foundation names as its own dependencies, its static archive doesn't.
    "-lCoreFoundation", "-l_FoundationICU", "-l_FoundationCShims", "-l_FoundationCollections", "-lswiftSynchronization",
    "-Xlinker", "-no-pie",
    "-Xlinker", "--no-export-dynamic",
    "-Xlinker", "--gc-sections",
]

/// The logging, metrics and lifecycle libraries every long-running module uses.
let observability: [Target.Dependency] = [
    .product(name: "Logging", package: "swift-log"),
    .product(name: "Metrics", package: "swift-metrics"),
]
let lifecycle: [Target.Dependency] = [.product(name: "ServiceLifecycle", package: "swift-service-lifecycle")]

let package = Package(
    name: "flotilla",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "flotilla", targets: ["flotilla"]),
        .executable(name: "flotilla-bench", targets: ["flotilla-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/grpc/grpc-swift-2", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport", from: "2.9.2"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.0.0"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-http2.git", from: "1.46.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
    ],
    targets: [
        // Pure values, unit-file and YAML parsing, validation, diagnostics. No IO beyond reading spec files.
        .target(name: "FlotillaModel", dependencies: [.product(name: "Yams", package: "Yams")]),
        // Pure scheduler: (cluster snapshot, stacks, assignments, seed) -> Plan.
        .target(name: "FlotillaScheduler", dependencies: ["FlotillaModel"]),
        // The KeyValueStore protocol (etcd v3 semantics) and the in-memory reference store.
        .target(name: "FlotillaStore", dependencies: observability),
        // The embedded store: SQLite (GRDB) underneath, MVCC history, leases, watch hub.
        .target(name: "FlotillaStoreSQLite", dependencies: [
            "FlotillaStore", .product(name: "GRDB", package: "GRDB.swift"),
        ] + observability + lifecycle),
        // etcd v3 gRPC: generated protocol code (scripts/generate-protos), client and server.
        .target(name: "FlotillaEtcd", dependencies: [
            "FlotillaStore",
            .product(name: "GRPCCore", package: "grpc-swift-2"),
            .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
            .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
            .product(name: "NIOHTTP2", package: "swift-nio-http2"),
            .product(name: "NIOHPACK", package: "swift-nio-http2"),
            .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            .product(name: "Crypto", package: "swift-crypto"),
        ] + observability + lifecycle),
        // The cluster's PKI and credentials: the CA, machine certificates, join and access
        // tokens, TLS configurations (swift-certificates, swift-nio-ssl).
        .target(name: "FlotillaSecurity", dependencies: [
            "FlotillaModel",
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "NIOCore", package: "swift-nio"),
        ]),
        // One machine's side: membership under a lease, the supervisor and its drivers,
        // per-unit journals, self-fencing, the assignment watch.
        .target(name: "FlotillaNetwork", dependencies: [
            "FlotillaModel", "FlotillaStore",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOExtras", package: "swift-nio-extras"),
        ] + observability + lifecycle),
        .target(name: "FlotillaAgent", dependencies: ["FlotillaModel", "FlotillaStore", "FlotillaNetwork"] + observability + lifecycle),
        // The leader's side: election, the level-triggered reconcile loop over the pure
        // scheduler, plan commits guarded by the leader key, events.
        .target(name: "FlotillaController", dependencies: ["FlotillaModel", "FlotillaScheduler", "FlotillaStore"] + observability + lifecycle),
        // The HTTP/JSON API every agent serves (Hummingbird) and its client.
        .target(name: "FlotillaAPI", dependencies: [
            "FlotillaModel", "FlotillaScheduler", "FlotillaStore", "FlotillaAgent", "FlotillaController", "FlotillaSecurity",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTLS", package: "hummingbird"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ] + observability + lifecycle),
        // One machine's whole agent wired together (store, membership, supervisor, controller,
        // API): used by `flotilla agent`, `flotilla dev`, the cluster tests and benchmarks.
        .target(name: "FlotillaNode", dependencies: [
            "FlotillaModel", "FlotillaStore", "FlotillaStoreSQLite", "FlotillaEtcd",
            "FlotillaAgent", "FlotillaController", "FlotillaAPI", "FlotillaSecurity", "FlotillaNetwork",
            .product(name: "Prometheus", package: "swift-prometheus"),
        ] + observability + lifecycle),
        // Test support shared by tests and benchmarks: seeded random clusters and stacks,
        // the store conformance suite.
        .target(name: "FlotillaTesting", dependencies: ["FlotillaModel", "FlotillaScheduler", "FlotillaStore", "FlotillaEtcd", "FlotillaNetwork", "FlotillaAgent", "FlotillaAPI", "FlotillaSecurity"] + observability),
        .executableTarget(name: "flotilla", dependencies: [
            "FlotillaModel", "FlotillaScheduler", "FlotillaStore", "FlotillaStoreSQLite", "FlotillaEtcd", "FlotillaNetwork",
            "FlotillaAgent", "FlotillaController", "FlotillaAPI", "FlotillaNode", "FlotillaSecurity",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Yams", package: "Yams"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
        ] + observability + lifecycle, linkerSettings: [.unsafeFlags(releaseLinkFlags, .when(configuration: .release))]),
        .executableTarget(name: "flotilla-bench", dependencies: [
            "FlotillaModel", "FlotillaScheduler", "FlotillaTesting", "FlotillaStore", "FlotillaEtcd",
            "FlotillaStoreSQLite", "FlotillaAgent", "FlotillaNode", "FlotillaNetwork", "FlotillaAPI",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ] + observability + lifecycle),
        .testTarget(name: "FlotillaModelTests", dependencies: ["FlotillaModel"], resources: [.copy("Fixtures")]),
        .testTarget(name: "FlotillaSchedulerTests", dependencies: ["FlotillaScheduler", "FlotillaTesting"]),
        .testTarget(name: "FlotillaStoreTests", dependencies: ["FlotillaStore", "FlotillaStoreSQLite", "FlotillaEtcd", "FlotillaTesting",
                                                          .product(name: "NIOHPACK", package: "swift-nio-http2")]),
        .testTarget(name: "FlotillaNetworkTests", dependencies: ["FlotillaNetwork", "FlotillaStore", "FlotillaEtcd", "FlotillaTesting"]),
        .testTarget(name: "FlotillaAgentTests", dependencies: ["FlotillaAgent", "FlotillaModel", "FlotillaStore", "FlotillaTesting"] + observability),
        .testTarget(name: "FlotillaControllerTests", dependencies: ["FlotillaController", "FlotillaModel", "FlotillaScheduler", "FlotillaStore", "FlotillaTesting"]),
        .testTarget(name: "FlotillaCLITests", dependencies: ["FlotillaModel", "FlotillaStore", "FlotillaEtcd", "FlotillaAPI", "FlotillaSecurity", "FlotillaTesting"], resources: [.copy("Fixtures")]),
        .testTarget(name: "FlotillaAPITests", dependencies: ["FlotillaAPI", "FlotillaModel", "FlotillaStore", "FlotillaController", "FlotillaTesting", "FlotillaSecurity",
                                                        .product(name: "X509", package: "swift-certificates"),
                                                        .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "FlotillaSecurityTests", dependencies: ["FlotillaSecurity", "FlotillaModel"]),
        // End-to-end: several real `flotilla agent` processes on loopback, embedded store and a 3-member etcd cluster.
        .testTarget(name: "FlotillaClusterTests", dependencies: ["FlotillaAPI", "FlotillaModel", "FlotillaStore", "FlotillaEtcd", "FlotillaNode", "FlotillaTesting", "FlotillaSecurity"]),
    ],
    swiftLanguageModes: [.v6]
)
