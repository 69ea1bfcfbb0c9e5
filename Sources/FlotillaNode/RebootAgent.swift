import FlotillaController
import FlotillaModel
import FlotillaStore
import Foundation
import Logging
import ServiceLifecycle

/// The agent's reboot strategy (`reboot:` in its config), a `Service`: every ``interval``
/// (``waitingInterval`` while it waits for a slot or its window) it
/// gathers the facts (the needed file, its marker of a reboot under way, its registration,
/// its slot), asks ``RebootStep`` what to do and does it. With `lock`: needed → window →
/// slot (granted with room in the cluster, then drained) → the command; at the next start,
/// once registered again, it uncordons and gives the slot back. The needed file is the OS's:
/// it is never removed here.
struct RebootAgent<C: Clock>: Service where C.Duration == Duration {
    let settings: RebootSettings
    let machineID: String
    let store: any KeyValueStore
    let layout: StoreLayout
    let locks: RebootLocks
    /// `<state>/reboot-pending`: written just before the command runs, removed once the slot
    /// is given back after the reboot.
    let marker: String
    let logger: Logger
    let clock: C
    /// How often the facts are gathered again.
    var interval: Duration = .seconds(2)
    /// How often while the machine waits (slots held, no room, window closed): each request
    /// reads the whole cluster, and many machines may wait at once.
    var waitingInterval: Duration = .seconds(5)

    init(settings: RebootSettings, machineID: String, stateDirectory: String, store: any KeyValueStore, layout: StoreLayout,
         logger: Logger, clock: C) {
        self.settings = settings; self.machineID = machineID; self.store = store; self.layout = layout
        self.logger = logger; self.clock = clock
        marker = stateDirectory + "/reboot-pending"
        locks = RebootLocks(store: store, layout: layout, source: machineID)
    }

    func run() async throws {
        var commandRan = false
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            var pause = interval
            if !commandRan {
                do {
                    let next = try await step()
                    commandRan = next == .commandRan
                    if next == .waiting { pause = waitingInterval }
                } catch {
                    logger.warning("reboot step failed; trying again", metadata: ["error": "\(error)"])
                }
            }
            do {
                let sleep = pause
                try await cancelWhenGracefulShutdown { try await clock.sleep(for: sleep) }
            } catch {
                return
            }
        }
    }

    /// What a step leaves the agent doing.
    enum Next: Equatable {
        /// Looking again after ``interval``.
        case again
        /// Waiting for a slot or the window: looking again after ``waitingInterval``.
        case waiting
        /// The command ran: the machine goes down; nothing more to do.
        case commandRan
    }

    /// One step.
    private func step() async throws -> Next {
        let now = Date().timeIntervalSince1970
        // Reading through `status` also takes back slots held past the hold timeout.
        let group = try await locks.status(group: settings.group, now: now).first ?? RebootGroup(name: settings.group)
        let registered = try await store.range(RangeRequest(key: Bytes(utf8: layout.machine(machineID)))).kvs.isEmpty == false
        let facts = RebootStep.Facts(needed: FileManager.default.fileExists(atPath: settings.neededFile),
                                     rebooted: FileManager.default.fileExists(atPath: marker),
                                     registered: registered, holdsSlot: group.holds(machineID), now: Date(timeIntervalSince1970: now))
        // A wait recorded earlier (also by an earlier run of the agent) ends unless the step
        // records it again.
        let waiting = group.waiters.contains { $0.machine == machineID }
        let action = RebootStep.next(settings, facts)
        switch action {
        case .idle, .awaitRegistration, .reboot:
            if waiting { try await locks.wait(machine: machineID, group: settings.group, reasons: nil, now: now) }
        default: break
        }
        switch action {
        case .idle, .awaitRegistration:
            return .again
        case .finish:
            let released = try await locks.release(machine: machineID, group: settings.group, why: "back from its reboot and registered", now: now)
            try? FileManager.default.removeItem(atPath: marker)
            logger.info("back from a reboot", metadata: ["slot released": "\(released)"])
            return .again
        case .release(let why):
            _ = try await locks.release(machine: machineID, group: settings.group, why: why, now: now)
            return .again
        case .waitForWindow(let why):
            if facts.holdsSlot { _ = try await locks.release(machine: machineID, group: settings.group, why: why, now: now) }
            try await locks.wait(machine: machineID, group: settings.group, reasons: [why], now: now)
            return .waiting
        case .reboot:
            try await locks.record("reboot-started", machine: machineID,
                                   message: "\(machineID) reboots (strategy reboot: no slot, no drain): \(settings.command.joined(separator: " "))", now: now)
            return try await reboot(now: now) ? .commandRan : .again
        case .request:
            let outcome = try await locks.request(machine: machineID, group: settings.group, reason: "reboot needed: \(settings.neededFile)", now: now)
            switch outcome {
            case .ready:
                _ = try await locks.rebooting(machine: machineID, group: settings.group, command: settings.command.joined(separator: " "), now: now)
                return try await reboot(now: now) ? .commandRan : .again
            case .draining: return .again
            case .waiting, .full: return .waiting
            }
        }
    }

    /// Writes the marker and runs the command; true when it succeeded (the machine goes down
    /// now). A failed command gives the slot back and removes the marker.
    private func reboot(now: Double) async throws -> Bool {
        FileManager.default.createFile(atPath: marker, contents: Data("\(now)\n".utf8))
        logger.notice("rebooting", metadata: ["command": "\(settings.command.joined(separator: " "))"])
        let process = Process()
        process.executableURL = URL(fileURLWithPath: settings.command[0].hasPrefix("/") ? settings.command[0] : "/usr/bin/env")
        process.arguments = settings.command[0].hasPrefix("/") ? Array(settings.command.dropFirst()) : settings.command
        let status: Int32
        do {
            status = try await withCheckedThrowingContinuation { continuation in
                process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
                do { try process.run() } catch {
                    process.terminationHandler = nil
                    continuation.resume(throwing: error)
                }
            }
        } catch {
            status = -1
            logger.error("cannot run the reboot command", metadata: ["error": "\(error)"])
        }
        guard status != 0 else { return true }
        try? FileManager.default.removeItem(atPath: marker)
        _ = try await locks.release(machine: machineID, group: settings.group,
                                    why: "the reboot command \(settings.command.joined(separator: " ")) failed (exit \(status))", now: now)
        return false
    }
}
