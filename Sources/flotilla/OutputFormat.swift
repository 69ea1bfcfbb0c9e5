import ArgumentParser
import Foundation
import Yams

/// How a command prints its result: a table for people, JSON or YAML for tools.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json, yaml

    /// Prints `value` as JSON or YAML (sorted keys, stable output, times in RFC 3339).
    func print<T: Encodable>(_ value: T) throws {
        let json = JSONEncoder()
        json.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let tree = OutputTimes.rfc3339(try JSONDecoder().decode(JSONValue.self, from: json.encode(value)))
        switch self {
        case .json:
            Swift.print(String(decoding: try json.encode(tree), as: UTF8.self))
        case .yaml:
            let encoder = YAMLEncoder()
            encoder.options.sortKeys = true
            Swift.print(try encoder.encode(tree), terminator: "")
        case .table:
            preconditionFailure("tables are printed by each command")
        }
    }
}

/// Writes to standard error (diagnostics, progress).
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Aligned columns separated by two spaces; the last column is not padded.
struct Table {
    var header: [String]
    var rows: [[String]] = []

    /// The table as lines of text.
    func render() -> String {
        let all = [header] + rows
        var widths = [Int](repeating: 0, count: header.count)
        for row in all { for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) } }
        return all.map { row in
            row.enumerated().map { i, cell in
                i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}

/// Writes a line to standard output at once (unbuffered, also through a pipe).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
