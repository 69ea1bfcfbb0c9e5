import Foundation
import FlotillaAgent
import FlotillaController
import FlotillaModel
import FlotillaStore

/// The long-running services of one node, run side by side in one task group until cancelled.
struct NodeServices: Sendable {
    let configuration: NodeConfiguration
    let layout: StoreLayout
    let store: any KeyValueStore
    /// The machine record, completed with the API URL once the API listens.
    let record: MachineRecord
    let supervisor: Supervisor
    let gate: AssignmentGate
    let api: NodeAPI
    /// Shared with the fence watchdog, when there is one.
    let fenceFiles: FenceFiles?

    func run() async {
        let log = configuration.log
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await api.run(log: log) }
            guard let url = try? await api.url() else { return }
            var record = self.record
            record.apiURL = url
            await runServices(record: record)
        }
    }

    private func runServices(record: MachineRecord) async {
        let log = configuration.log
        let publisher = StatusPublisher(store: store, layout: layout, machineID: record.id)
        let feed = AssignmentFeed(store: store, layout: layout, machineID: record.id)
        let membership = Membership(
            store: store, layout: layout, record: record, settings: .init(ttl: configuration.ttl),
            unitsRunning: { [supervisor] in await supervisor.statuses().filter { $0.state == .running }.count },
            leaseAliveUntil: { [fenceFiles] deadline in fenceFiles?.writeDeadline(deadline, agent: getpid()) })
        let controller = Controller(store: store, layout: layout, machineID: record.id, ttl: configuration.ttl)
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await supervisor.run() }
            group.addTask { await publisher.run() }
            group.addTask {
                for await change in supervisor.changes {
                    switch change {
                    case .updated(let status): await publisher.publish(status)
                    case .removed(let instance, let unit): await publisher.remove(instance: instance, unit: unit)
                    }
                }
            }
            group.addTask {
                await membership.run(
                    onLeaseChange: { lease, revision in
                        await publisher.leaseChanged(to: lease)
                        await resync(gate: gate, after: revision, record: record, log: log)
                    },
                    onFence: {
                        log("agent: lease not renewed in time; stopping exclusive units (self-fencing)")
                        await supervisor.fence()
                    },
                    onRecover: {
                        log("agent: lease renewed again before expiry; exclusive units may run")
                        await supervisor.unfence()
                    })
            }
            group.addTask {
                await feed.run(deliver: { assignments, revision in await gate.deliver(assignments, at: revision) },
                               onError: log)
            }
            group.addTask { try? await controller.run() }
            await group.waitForAll()
        }
    }

    /// After (re-)registering at `revision`: apply this machine's assignments as of at least
    /// that revision, then lift any fence. A move the controller committed while our lease was
    /// gone is then seen (our assignment deleted) before anything exclusive starts; after our
    /// registration the controller can no longer move our instances (it checks that dead
    /// machines are still unregistered).
    private func resync(gate: AssignmentGate, after revision: Int64, record: MachineRecord,
                        log: @Sendable (String) -> Void) async {
        let prefix = Bytes(utf8: layout.assignments(of: record.id))
        while !Task.isCancelled {
            do {
                let response = try await store.range(.prefix(prefix))
                var assignments: [Assignment] = []
                for kv in response.kvs {
                    var a = try RecordCodec.decode(Assignment.self, from: kv.value, key: kv.key.utf8String)
                    a.fencingToken = kv.modRevision
                    assignments.append(a)
                }
                await gate.deliver(assignments.sorted { $0.instance < $1.instance }, at: max(response.header.revision, revision))
                await supervisor.unfence()
                return
            } catch {
                log("agent: reading assignments after registration failed: \(error); retrying")
                try? await Task.sleep(for: .milliseconds(500))
            }
        }
    }
}
