import FlotillaAgent

/// Serves journal files at `<directory>/<instance>+<unit>.log`, with rotated copies at
/// `….log.1` (newest) to `….log.<keep>`: the layout the agent's supervisor writes
/// (``Journal``), read through the agent's own ``JournalReader`` (one tail reader for the
/// whole project). A unit without a journal file yet has no lines.
public struct JournalLogSource: LogSource {
    /// The journal directory (`<state>/journal`).
    public let directory: String
    /// Rotated copies to look into for ``lines(instance:unit:last:)``.
    public let keep: Int

    /// Journals under `directory`.
    public init(directory: String, keep: Int = 3) {
        self.directory = directory
        self.keep = keep
    }

    /// The live journal file of a unit.
    public func path(instance: String, unit: String) -> String { Journal(directory: directory).path(instance: instance, unit: unit) }

    /// The last `last` lines; a last line without its newline yet is included.
    public func lines(instance: String, unit: String, last: Int) async throws -> LogChunk {
        let (lines, next) = reader(instance, unit).tail(last)
        return LogChunk(lines: lines, nextOffset: next)
    }

    /// Complete lines from `offset` on.
    public func read(instance: String, unit: String, from offset: Int64) async throws -> LogChunk {
        let (lines, next) = reader(instance, unit).lines(from: offset)
        return LogChunk(lines: lines, nextOffset: next)
    }

    /// Complete lines from `offset` on, waiting up to `limit` (woken by inotify) when there are none yet.
    public func follow(instance: String, unit: String, from offset: Int64, waitingUpTo limit: Duration) async throws -> LogChunk {
        let (lines, next) = await reader(instance, unit).lines(from: offset, waitingUpTo: limit)
        return LogChunk(lines: lines, nextOffset: next)
    }

    private func reader(_ instance: String, _ unit: String) -> JournalReader {
        JournalReader(path: path(instance: instance, unit: unit), keep: keep)
    }
}
