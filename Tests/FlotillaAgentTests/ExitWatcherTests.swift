@testable import FlotillaAgent
import Glibc
import Testing

/// The thread that reports process ends.
@Suite("Supervisor: exit watcher", .serialized)
struct ExitWatcherTests {
    @Test("a child's exit status is reported once it ends")
    func reportsExit() async throws {
        let watcher = ExitWatcher()
        defer { watcher.close() }
        var pid: pid_t = 0
        let arguments = ["/bin/sh", "-c", "exit 7"]
        var argv = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        try #require(posix_spawn(&pid, "/bin/sh", nil, nil, &argv, environ) == 0)
        let (reports, sink) = AsyncStream.makeStream(of: ProcessExit.self)
        watcher.watch(pid, startTime: 0) { sink.yield($0); sink.finish() }
        var iterator = reports.makeAsyncIterator()
        #expect(await iterator.next() == .exited(7))
    }

    @Test("once closed, it never writes to its old wake-up descriptor: by then the number may be another file's or socket's")
    func closedWatcherWritesNowhere() async throws {
        let watcher = ExitWatcher()
        watcher.watch(getpid(), startTime: 0) { _ in } // starts the thread; this process does not end
        watcher.close()
        let oldWrite = watcher.wakeDescriptors[1]
        #expect(await eventually { watcher.pipeIsClosed && fcntl(oldWrite, F_GETFD) < 0 })
        // Give the old number to a new pipe's write end, as the next open file or socket would get it.
        var fds: [Int32] = [-1, -1]
        try #require(pipe(&fds) == 0)
        try #require(dup2(fds[1], oldWrite) == oldWrite)
        defer { close(fds[0]); close(fds[1]); close(oldWrite) }
        _ = fcntl(fds[0], F_SETFL, O_NONBLOCK)
        watcher.close()
        #expect(!watcher.watch(getpid(), startTime: 0) { _ in }, "a closed watcher refuses new watches")
        var byte: UInt8 = 0
        #expect(read(fds[0], &byte, 1) < 0, "nothing may arrive through the reused descriptor")
    }
}
