import FlotillaStore
import GRDB
import Logging
import ServiceLifecycle

extension SQLiteStore {
    /// Runs the store's housekeeping until the task is cancelled, a graceful shutdown begins
    /// (inside a `ServiceGroup`) or ``close()`` is called, then closes the store:
    /// - lease expiry (due leases are revoked, deleting their keys),
    /// - automatic compaction (``Options/autoCompaction``),
    /// - the removal of rows below a compaction revision recorded by a non-physical Compact,
    ///   an automatic compaction, or an interrupted earlier run, followed by space reuse.
    ///
    /// Run it once per store; a second call, or a call after ``close()``, throws `unavailable`.
    /// In a `ServiceGroup`, list the store before the services that use it (such as an
    /// `EtcdServer`), so it shuts down after them.
    public func run() async throws {
        let start = lifecycle.withLock { state -> Bool in
            if state.closed || state.running { return false }
            state.running = true
            return true
        }
        guard start else { throw StoreError.unavailable("flotilla: the store is closed or already running") }
        await cancelWhenGracefulShutdown { [self] in
            await withDiscardingTaskGroup { group in
                group.addTask { await self.runLeaseExpiry() }
                group.addTask { await self.runRowRemoval() }
                group.addTask { await self.runAutoCompaction() }
                for await _ in closingSignal {}
                group.cancelAll()
            }
        }
        let waiting = lifecycle.withLock { state in
            state.running = false
            defer { state.stopped = [] }
            return state.stopped
        }
        for waiter in waiting { waiter.resume() }
        await close()
    }

    /// Removes the rows of each requested compaction revision (the newest pending one).
    private func runRowRemoval() async {
        for await revision in compactionRequests {
            await compactPhysically(revision)
        }
    }

    /// The automatic compactor of ``Options/autoCompaction``.
    private func runAutoCompaction() async {
        switch options.autoCompaction {
        case .off:
            return
        case .revision(let keep):
            let slack = max(keep / 10, 1)
            for await revision in committedRevisions {
                if revision - writer.compacted > keep + slack { await compactAutomatically(to: revision - keep) }
            }
        case .periodic(let retention):
            let interval = options.autoCompaction.samplingInterval
            let samplesKept = Int((retention / interval).rounded(.up))
            var samples = [writer.revision]
            while true {
                do { try await options.clock.sleep(for: interval) } catch { return }
                samples.append(writer.revision)
                if samples.count > samplesKept { await compactAutomatically(to: samples.removeFirst()) }
            }
        }
    }

    /// Compacts to `revision` through the Compact path, then removes the rows; nothing when
    /// history is already compacted that far.
    private func compactAutomatically(to revision: Int64) async {
        guard revision > writer.compacted else { return }
        do {
            _ = try await submit(.compact(revision: revision))
        } catch {
            if !Task.isCancelled {
                options.logger.warning("automatic compaction failed", metadata: ["revision": "\(revision)", "error": "\(error)"])
            }
            return
        }
        options.logger.debug("compacted automatically", metadata: ["revision": "\(revision)", "policy": "\(options.autoCompaction)"])
        await compactPhysically(revision)
    }

    /// Removes superseded history ≤ `revision` chunk by chunk through the writer (other writes
    /// interleave), then reuses the space (``StoreDatabase/reclaimSpace(_:)``).
    func compactPhysically(_ revision: Int64) async {
        var cursor: Bytes? = nil
        repeat {
            if Task.isCancelled { return }
            guard case .compactChunk(let next)? = try? await writer.submit(.compactChunk(revision: revision, after: cursor)) else { return }
            cursor = next
        } while cursor != nil
        do {
            try await pool.writeWithoutTransaction { db in try StoreDatabase.reclaimSpace(db) }
        } catch {
            if !Task.isCancelled {
                options.logger.warning("reclaiming space after compaction failed", metadata: ["revision": "\(revision)", "error": "\(error)"])
            }
        }
    }
}
