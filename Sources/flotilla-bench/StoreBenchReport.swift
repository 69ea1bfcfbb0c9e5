import Foundation

/// Every figure measured against one endpoint.
struct StoreBenchFigures: Codable, Sendable {
    /// The name given with `--labels`, else the endpoint as given.
    var label: String
    /// `host:port` as given.
    var endpoint: String
    /// Each phase's figures; nil when left out with `--phases`.
    var sequentialPuts: StoreBenchPhase?
    var concurrentPuts: StoreBenchPhase?
    var ranges: StoreBenchPhase?
    var createTxns: StoreBenchPhase?
    var watch: StoreBenchWatch?

    /// Figures of an endpoint before any phase ran.
    init(label: String, endpoint: String) {
        self.label = label
        self.endpoint = endpoint
    }
}

/// One compared line: the first endpoint's figure over the second's.
struct StoreBenchRatio: Codable, Sendable {
    /// The table line.
    var line: String
    /// first / second; nil when one of them skipped the phase.
    var ratio: Double?
    /// `higher` for throughput lines, `lower` for latency lines.
    var better: String
}

/// The whole run, as printed by `-o json`.
struct StoreBenchReport: Codable, Sendable {
    var keySize: Int
    var valueSize: Int
    /// The load shape: concurrent clients, connections, watchers, watch puts.
    var clients: Int
    var connections: Int
    var watchers: Int
    var watchPuts: Int
    var endpoints: [StoreBenchFigures]
    /// Present when at least two endpoints were measured.
    var ratios: [StoreBenchRatio]?

    /// One table line: its name, how to read the figure, and whether higher is better.
    private struct Line {
        var name: String
        var figure: (StoreBenchFigures) -> Double?
        var higherIsBetter: Bool
    }

    private var lines: [Line] {
        let load = "\(clients) clients/\(connections) conns"
        let watch = "\(watchers) watchers/\(connections) conns, \(watchPuts) puts"
        return [
            Line(name: "sequential puts/s (1 client, 1 conn)", figure: { $0.sequentialPuts?.perSecond }, higherIsBetter: true),
            Line(name: "concurrent puts/s (\(load))", figure: { $0.concurrentPuts?.perSecond }, higherIsBetter: true),
            Line(name: "ranges/s (1 key, linearizable, \(load))", figure: { $0.ranges?.perSecond }, higherIsBetter: true),
            Line(name: "create-if-absent txns/s (\(load))", figure: { $0.createTxns?.perSecond }, higherIsBetter: true),
            Line(name: "watch latency p50 ms (\(watch))", figure: { $0.watch?.p50Ms }, higherIsBetter: false),
            Line(name: "watch latency p99 ms (\(watch))", figure: { $0.watch?.p99Ms }, higherIsBetter: false),
        ].filter { line in endpoints.contains { line.figure($0) != nil } }
    }

    /// Fills ``ratios`` from the first two endpoints.
    mutating func compare() {
        guard endpoints.count >= 2 else { ratios = nil; return }
        let (first, second) = (endpoints[0], endpoints[1])
        ratios = lines.map { line in
            let ratio = line.figure(first).flatMap { a in line.figure(second).map { b in a / max(b, 1e-9) } }
            return StoreBenchRatio(line: line.name, ratio: ratio, better: line.higherIsBetter ? "higher" : "lower")
        }
    }

    /// The aligned table: one row per line, one column per endpoint, and the ratio column.
    func table() -> String {
        var header = ["store benchmark"] + endpoints.map(\.label)
        if let ratios, !ratios.isEmpty { header.append("\(endpoints[0].label)/\(endpoints[1].label)") }
        var rows = [header]
        for (index, line) in lines.enumerated() {
            var row = [line.name]
            for figures in endpoints {
                guard let value = line.figure(figures) else { row.append("-"); continue }
                row.append(line.higherIsBetter ? storeBenchGrouped(Int(value.rounded())) : String(format: "%.2f", value))
            }
            if let ratios, index < ratios.count {
                let r = ratios[index]
                row.append(r.ratio.map { String(format: "%.2f×", $0) + (r.better == "lower" ? " (lower is better)" : "") } ?? "-")
            }
            rows.append(row)
        }
        let widths = (0..<header.count).map { column in rows.map { $0[column].count }.max() ?? 0 }
        var text = ""
        for (number, row) in rows.enumerated() {
            let cells = row.enumerated().map { column, cell in
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                return column == 0 ? cell + pad : (column == row.count - 1 && ratios != nil ? cell + pad : pad + cell)
            }
            text += cells.joined(separator: "   ").trimmingTrailingSpaces() + "\n"
            if number == 0 { text += widths.map { String(repeating: "-", count: $0) }.joined(separator: "   ") + "\n" }
        }
        for figures in endpoints {
            guard let missing = figures.watch?.missing, missing > 0 else { continue }
            text += "warning: \(figures.label): \(missing) watch events never arrived (within 10 s of their put)\n"
        }
        text += "key \(keySize) B, value \(valueSize) B; ratio = \(endpoints.first?.label ?? "first")/"
            + "\(endpoints.count > 1 ? endpoints[1].label : "second"): above 1 is better for the /s lines, below 1 for latency.\n"
        return text
    }

    /// Pretty JSON with sorted keys.
    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self) + "\n"
    }
}

/// `1234567` → `1,234,567`.
func storeBenchGrouped(_ n: Int) -> String {
    var digits = String(abs(n))
    var result = ""
    while digits.count > 3 {
        result = "," + digits.suffix(3) + result
        digits.removeLast(3)
    }
    return (n < 0 ? "-" : "") + digits + result
}

extension String {
    fileprivate func trimmingTrailingSpaces() -> String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
