import FlotillaEtcd

/// Tests hold etcd clients and servers the way a program holds a service, without a
/// `ServiceGroup`: these start ``EtcdStore/run()`` and ``EtcdServer/run()`` in a task of their
/// own, ended by `close()` and `stop()`. Only for tests; the agent runs both in its group.
extension EtcdStore {
    /// A client of `endpoints` (plaintext) whose connections already run; `close()` ends them.
    package static func running(endpoints: [String]) throws -> EtcdStore {
        try running(configuration: Configuration(endpoints: endpoints))
    }

    /// A client of `configuration` whose connections already run; `close()` ends them.
    package static func running(configuration: Configuration) throws -> EtcdStore {
        let store = try EtcdStore(configuration: configuration)
        Task { await store.run() }
        return store
    }
}

extension EtcdServer {
    /// Runs the server in a task of its own and returns the bound port (throws the bind
    /// error); `stop()` ends it.
    @discardableResult
    package func start() async throws -> Int {
        let serving = Task { try await self.run() }
        do {
            return try await listeningPort()
        } catch {
            _ = try? await serving.value
            throw error
        }
    }
}
