import Foundation
import Glibc
import Synchronization

/// Reports the end of every process it watches, from one thread for all of them.
///
/// Each process gets a pidfd (`pidfd_open`, Linux ≥ 5.3), and the thread `poll`s them all
/// plus a wake-up pipe. Children are reaped with `waitpid(pid)` — never `waitpid(-1)` — so
/// code elsewhere in the process that runs its own children keeps their statuses. A watched
/// process that is not our child (adopted after an agent restart) ends with
/// ``ProcessExit/unknown``. Without pidfds the thread falls back to checking
/// `/proc/<pid>/stat` every ``procPollInterval`` milliseconds.
final class ExitWatcher: Sendable {
    private struct Watch {
        var pid: Int32
        var startTime: UInt64
        var onExit: @Sendable (ProcessExit) -> Void
    }

    private struct State {
        var byDescriptor: [Int32: Watch] = [:]
        var polled: [Int32: Watch] = [:] // by pid, when no pidfd could be had
        var started = false
        var closed = false
        /// The wake-up pipe is closed: its descriptor numbers may belong to anything now.
        var pipeClosed = false
    }

    private let state = Mutex(State())
    private let wakeRead: Int32
    private let wakeWrite: Int32
    /// Interval of the `/proc` fallback.
    static let procPollInterval: Int32 = 250

    init() {
        var fds: [Int32] = [-1, -1]
        if pipe(&fds) == 0 {
            for fd in fds {
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
                _ = fcntl(fd, F_SETFL, O_NONBLOCK)
            }
        }
        wakeRead = fds[0]
        wakeWrite = fds[1]
    }

    /// Watches `pid` (which started at `startTime`); `onExit` runs once, on the watcher's
    /// thread, after the process ended (and was reaped when it is our child).
    ///
    /// With `verifying`, the pidfd is opened first and the start time checked after, so the
    /// watch cannot land on a process that reused the pid; false (and no watch) when the
    /// process is not there any more.
    @discardableResult
    func watch(_ pid: Int32, startTime: UInt64, verifying: Bool = false, onExit: @escaping @Sendable (ProcessExit) -> Void) -> Bool {
        let descriptor = Self.pidfdOpen.map { $0(pid, 0) } ?? -1
        if verifying && !ProcStat.isAlive(pid, startTime: startTime) {
            if descriptor >= 0 { Glibc.close(descriptor) }
            return false
        }
        let watch = Watch(pid: pid, startTime: startTime, onExit: onExit)
        let (startThread, closed) = state.withLock { state -> (Bool, Bool) in
            if state.closed { return (false, true) }
            if descriptor >= 0 { state.byDescriptor[descriptor] = watch } else { state.polled[pid] = watch }
            defer { state.started = true }
            return (!state.started, false)
        }
        if closed {
            if descriptor >= 0 { Glibc.close(descriptor) }
            return false
        }
        if startThread {
            let thread = Thread { [self] in run() }
            thread.name = "flotilla-exit-watcher"
            thread.start()
        }
        wake()
        return true
    }

    /// Stops the thread; watches still open are dropped without a report. Later watches
    /// are refused.
    func close() {
        let closeHere = state.withLock { state -> Bool in
            state.closed = true
            guard !state.started, !state.pipeClosed else { return false }
            state.pipeClosed = true // no thread: nobody else will close the pipe
            return true
        }
        if closeHere {
            Glibc.close(wakeRead)
            Glibc.close(wakeWrite)
        } else {
            wake()
        }
    }

    /// The wake-up pipe's descriptors (read, write), for tests.
    var wakeDescriptors: [Int32] { [wakeRead, wakeWrite] }
    /// True once the wake-up pipe is being closed (after ``close()``, when the thread ends).
    var pipeIsClosed: Bool { state.withLock { $0.pipeClosed } }

    /// Wakes the thread. The write happens under the lock, and only while the pipe is open:
    /// a write to a closed descriptor number would land in whatever file or socket reuses it.
    private func wake() {
        state.withLock { state in
            guard !state.pipeClosed else { return }
            var byte: UInt8 = 1
            _ = Glibc.write(wakeWrite, &byte, 1)
        }
    }

    private func run() {
        while true {
            let (descriptors, polling, closed) = state.withLock { (Array($0.byDescriptor.keys), !$0.polled.isEmpty, $0.closed) }
            if closed { break }
            var fds = [pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
            fds += descriptors.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let ready = poll(&fds, nfds_t(fds.count), polling ? Self.procPollInterval : -1)
            if ready < 0 { continue } // EINTR
            if fds[0].revents != 0 {
                var buffer = [UInt8](repeating: 0, count: 64)
                while Glibc.read(wakeRead, &buffer, buffer.count) > 0 {}
            }
            for fd in fds.dropFirst() where fd.revents != 0 {
                guard let watch = state.withLock({ $0.byDescriptor.removeValue(forKey: fd.fd) }) else { continue }
                Glibc.close(fd.fd)
                watch.onExit(Self.reap(watch.pid))
            }
            if polling { checkPolled() }
        }
        let leftovers = state.withLock { state in
            defer { state.byDescriptor = [:]; state.polled = [:]; state.pipeClosed = true }
            return Array(state.byDescriptor.keys)
        }
        for fd in leftovers { Glibc.close(fd) }
        Glibc.close(wakeRead)
        Glibc.close(wakeWrite)
    }

    private func checkPolled() {
        let ended = state.withLock { state -> [Watch] in
            let gone = state.polled.values.filter { !ProcStat.isAlive($0.pid, startTime: $0.startTime) }
            for watch in gone { state.polled[watch.pid] = nil }
            return gone
        }
        for watch in ended { watch.onExit(Self.reap(watch.pid)) }
    }

    /// The status of an ended process: from `waitpid` for a child, unknown otherwise.
    static func reap(_ pid: Int32) -> ProcessExit {
        var status: Int32 = 0
        while true {
            let result = waitpid(pid, &status, 0)
            if result == pid { return decode(status) }
            if result < 0 && errno == EINTR { continue }
            return .unknown // ECHILD: not our child
        }
    }

    /// `WIFEXITED`/`WEXITSTATUS`/`WTERMSIG` by hand (the C macros are not imported).
    static func decode(_ status: Int32) -> ProcessExit {
        let signal = status & 0x7f
        if signal == 0 { return .exited((status >> 8) & 0xff) }
        return .signaled(signal)
    }

    /// glibc's `pidfd_open` (2.36+), looked up at run time because Swift does not import it.
    static let pidfdOpen: (@convention(c) (pid_t, UInt32) -> Int32)? = {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "pidfd_open") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (pid_t, UInt32) -> Int32).self)
    }()
}
