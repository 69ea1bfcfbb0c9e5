/// Where the API reads the journals of the units this machine runs. The agent implements it
/// over its per-unit journal files; ``JournalLogSource`` reads them straight from disk.
///
/// Offsets are byte offsets in the live journal file; a follower passes the `nextOffset` of
/// one answer to the next ``read(instance:unit:from:)``.
public protocol LogSource: Sendable {
    /// The last `last` lines of a unit's journal, oldest first (reaching into rotated files),
    /// and the offset where output written afterwards starts.
    func lines(instance: String, unit: String, last: Int) async throws -> LogChunk
    /// The complete lines written at or after byte `offset`, and the offset after the last
    /// of them. When the file was rotated (it is now shorter than `offset`), the rest of the
    /// rotated copy comes first, then the new file from its start.
    func read(instance: String, unit: String, from offset: Int64) async throws -> LogChunk
    /// As ``read(instance:unit:from:)``, but when no complete line is there yet, waits for one
    /// to be written (a file-change wakeup, not a poll) for at most `limit`, then answers with
    /// what is there, possibly nothing. Ends early when the task is cancelled.
    func follow(instance: String, unit: String, from offset: Int64, waitingUpTo limit: Duration) async throws -> LogChunk
}
