// swift-tools-version: 6.1
import PackageDescription

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
    ],
    targets: [
        // Pure values, unit-file and YAML parsing, validation, diagnostics. No IO beyond reading spec files.
        .target(name: "FlotillaModel", dependencies: [.product(name: "Yams", package: "Yams")]),
        // Pure scheduler: (cluster snapshot, stacks, assignments, seed) -> Plan.
        .target(name: "FlotillaScheduler", dependencies: ["FlotillaModel"]),
        // Test support shared by tests and benchmarks: seeded random clusters and stacks.
        .target(name: "FlotillaTesting", dependencies: ["FlotillaModel", "FlotillaScheduler"]),
        .executableTarget(name: "flotilla", dependencies: [
            "FlotillaModel", "FlotillaScheduler",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Yams", package: "Yams"),
        ]),
        .executableTarget(name: "flotilla-bench", dependencies: [
            "FlotillaModel", "FlotillaScheduler", "FlotillaTesting",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "FlotillaModelTests", dependencies: ["FlotillaModel"], resources: [.copy("Fixtures")]),
        .testTarget(name: "FlotillaSchedulerTests", dependencies: ["FlotillaScheduler", "FlotillaTesting"]),
        .testTarget(name: "FlotillaCLITests", dependencies: ["FlotillaModel"], resources: [.copy("Fixtures")]),
    ],
    swiftLanguageModes: [.v6]
)
