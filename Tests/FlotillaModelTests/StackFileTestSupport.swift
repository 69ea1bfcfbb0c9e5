import Foundation
@testable import FlotillaModel

/// Parses inline YAML as `lamp.yaml` and returns the printed diagnostics.
func stackMessages(_ yaml: String, file: String = "lamp.yaml") -> [String] {
    StackFile.parse(text: yaml, file: file).diagnostics.map(\.description)
}

/// The directory holding the stack fixtures (`haproxy.service`, `broken.service`, …).
func stackFixturesDirectory() -> String {
    Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("stacks").path
}

/// The repository's `examples/` directory.
func examplesDirectory() -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("examples").path
}
