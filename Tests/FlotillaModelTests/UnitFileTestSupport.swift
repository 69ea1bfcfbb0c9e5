import Foundation
import Testing
@testable import FlotillaModel

/// Shared helpers for the unit-file suites.
enum UnitFileTest {
    /// Parses `text` as unit `name` in file `t.service`.
    static func parse(_ text: String, name: String = "web.service", resolving: Bool = true) -> (FleetUnit?, [Diagnostic]) {
        FleetUnitFile.parse(text: text, unitName: name, file: "t.service", resolvingSpecifiers: resolving)
    }

    /// The unit, which must parse without errors.
    static func unit(_ text: String, name: String = "web.service", resolving: Bool = true,
                     sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> FleetUnit {
        let (unit, diagnostics) = parse(text, name: name, resolving: resolving)
        #expect(!diagnostics.hasErrors, "\(diagnostics)", sourceLocation: sourceLocation)
        return try #require(unit, sourceLocation: sourceLocation)
    }

    /// The errors of `text` (which must fail), as `LINE:COL: MESSAGE`.
    static func errors(_ text: String, name: String = "web.service", sourceLocation: Testing.SourceLocation = #_sourceLocation) -> [String] {
        let (unit, diagnostics) = parse(text, name: name)
        #expect(unit == nil, sourceLocation: sourceLocation)
        return diagnostics.filter { $0.severity == .error }.map { "\($0.location.line):\($0.location.column): \($0.message)" }
    }

    /// The warnings of a successful parse, as `LINE:COL: MESSAGE`.
    static func warnings(_ text: String, name: String = "web.service") -> [String] {
        parse(text, name: name).1.filter { $0.severity == .warning }.map { "\($0.location.line):\($0.location.column): \($0.message)" }
    }

    /// Checks that exactly one error is reported at `line:column` and that it contains `fragment`.
    static func expectError(_ text: String, name: String = "web.service", at line: Int, _ column: Int, _ fragment: String,
                            sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        let found = errors(text, name: name, sourceLocation: sourceLocation)
        #expect(found.count == 1, "\(found)", sourceLocation: sourceLocation)
        let first = found.first ?? ""
        #expect(first.hasPrefix("\(line):\(column): "), "\(found)", sourceLocation: sourceLocation)
        #expect(first.contains(fragment), "\(found)", sourceLocation: sourceLocation)
    }

    /// `[Service]` with one ExecStart, followed by `extra` lines.
    static func service(_ extra: String) -> String {
        "[Service]\nExecStart=/bin/true\n" + extra
    }

    /// The directory of unit fixtures.
    static var fixtures: String {
        Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("units").path
    }
}
