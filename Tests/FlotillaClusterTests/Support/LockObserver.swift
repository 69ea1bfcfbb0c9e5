import Foundation

/// The outside observer of an `exclusive` unit. Every copy of the unit runs ``script``: it
/// takes a non-blocking exclusive flock on one shared file and logs `acquire`, and `release`
/// when it is stopped with SIGTERM; a copy that finds the lock held logs `conflict` and exits
/// 1 — two copies were running at the same moment. Lines are `KIND UNIXTIME MACHINE PID`.
struct LockObserver {
    /// One log line.
    struct Entry: CustomStringConvertible {
        enum Kind: String { case acquire, release, conflict }
        var kind: Kind
        var time: Double
        var machine: String
        var pid: Int32
        var description: String { "\(kind.rawValue) \(String(format: "%.3f", time)) \(machine) \(pid)" }
    }

    /// The directory holding `lock`, `lock.log` and `lock.sh`.
    let directory: String

    var scriptPath: String { directory + "/lock.sh" }
    var logPath: String { directory + "/lock.log" }

    /// The unit script.
    var script: String {
        """
        #!/bin/sh
        # An exclusive unit watched from outside: it holds an exclusive flock on a shared file
        # while it runs. "conflict": another copy held the lock at that moment.
        log='\(logPath)'
        exec 9>>'\(directory)/lock'
        if ! flock -x -n 9; then
          echo "conflict $(date +%s.%N) $FLOTILLA_MACHINE $$" >> "$log"
          exit 1
        fi
        echo "acquire $(date +%s.%N) $FLOTILLA_MACHINE $$" >> "$log"
        trap 'echo "release $(date +%s.%N) $FLOTILLA_MACHINE $$" >> "$log"; exit 0' TERM INT
        while :; do sleep 0.1 9>&-; done

        """
    }

    /// Every line logged so far.
    func entries() -> [Entry] {
        guard let text = try? String(contentsOfFile: logPath, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: " ")
            guard parts.count == 4, let kind = Entry.Kind(rawValue: String(parts[0])), let time = Double(parts[1]),
                  let pid = Int32(parts[3]) else { return nil }
            return Entry(kind: kind, time: time, machine: String(parts[2]), pid: pid)
        }
    }

    /// The log as text, for failure messages.
    func transcript() -> String { entries().map(\.description).joined(separator: "\n") }

    /// Overlaps seen: every `conflict`, and every `acquire` while an earlier copy (another pid)
    /// had acquired and neither released nor was killed (`killed`: machine → when the test
    /// SIGKILLed it and its units, seconds since 1970) before it.
    func overlaps(killed: [String: Double] = [:]) -> [String] {
        var problems: [String] = []
        var holder: Entry?
        for entry in entries().sorted(by: { $0.time < $1.time }) {
            switch entry.kind {
            case .conflict:
                problems.append("\(entry): the lock was held by " + (holder.map { "\($0.machine) (pid \($0.pid))" } ?? "another copy"))
            case .release:
                if holder?.pid == entry.pid { holder = nil }
            case .acquire:
                if let previous = holder, previous.pid != entry.pid,
                   !(killed[previous.machine].map { $0 <= entry.time } ?? false) {
                    problems.append("\(entry) while \(previous) had not released")
                }
                holder = entry
            }
        }
        return problems
    }
}
