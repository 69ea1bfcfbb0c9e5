import Dispatch
import Glibc
import Synchronization

/// Wakes a journal follower when its file is written: an inotify watch on the file (and on
/// its directory, for a file that does not exist yet), read by a dispatch source, so a
/// follower sleeps until there is something to read instead of polling.
///
/// Changes are sticky: one that arrives while nobody waits makes the next ``wait(upTo:)``
/// return at once, so a follower that arms the watch *before* reading never misses a line.
/// Wakeups may be spurious (another file of the directory was created); callers read again.
///
/// `@unchecked Sendable`: the dispatch source is thread-safe but not marked `Sendable`; the
/// mutable state lives in the `Mutex`.
package final class JournalChange: @unchecked Sendable {
    private struct State {
        var changed = false
        var waiter: CheckedContinuation<Void, Never>?
        var fileWatched = false
    }

    private static let queue = DispatchQueue(label: "flotilla.journal-change")
    private let path: String
    private let descriptor: Int32
    private let source: any DispatchSourceRead
    private let state = Mutex(State())

    /// Watches `path`; nil when inotify is not available (callers then re-check on a timer).
    package init?(path: String) {
        let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else { return nil }
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[..<$0]) } ?? "."
        guard inotify_add_watch(fd, directory.isEmpty ? "/" : directory, UInt32(IN_CREATE | IN_MOVED_TO)) >= 0 else {
            close(fd)
            return nil
        }
        self.path = path
        descriptor = fd
        source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: Self.queue)
        source.setEventHandler { [weak self] in self?.fire() }
        source.setCancelHandler { close(fd) }
        source.resume()
        watchFile()
    }

    deinit { source.cancel() }

    /// Returns once the file changed since the last wait (or since the watch was made), after
    /// `limit`, or when the task is cancelled, whichever is first.
    package func wait(upTo limit: Duration) async {
        watchFile()
        let (seconds, attoseconds) = limit.components
        let delay = Double(max(0, seconds)) + Double(max(0, attoseconds)) * 1e-18
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    if state.changed || Task.isCancelled { return true }
                    state.waiter = continuation
                    return false
                }
                if now { continuation.resume(); return }
                Self.queue.asyncAfter(deadline: .now() + delay) { [weak self] in self?.wake(changed: false) }
            }
        } onCancel: {
            self.wake(changed: false)
        }
        state.withLock { $0.changed = false }
    }

    /// Adds the watch on the file itself once it exists (appends and truncations are
    /// `IN_MODIFY` on it).
    private func watchFile() {
        guard !state.withLock({ $0.fileWatched }) else { return }
        let mask = UInt32(IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_MOVE_SELF | IN_DELETE_SELF)
        if inotify_add_watch(descriptor, path, mask) >= 0 { state.withLock { $0.fileWatched = true } }
    }

    /// Drains the inotify events and wakes the waiter.
    private func fire() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while read(descriptor, &buffer, buffer.count) > 0 {}
        wake(changed: true)
    }

    private func wake(changed: Bool) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if changed { state.changed = true }
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }
}
