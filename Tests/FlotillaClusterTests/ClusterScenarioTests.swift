import Testing

/// End-to-end scenarios (issue 4, point 6): several real `flotilla agent` processes on
/// loopback, each with its own state directory, API port, machine ID and `machine=K`
/// metadata, TTL 3 s; every scenario runs against the embedded store (served by agent 1)
/// and against a 3-member etcd 3.4 cluster (started once for the suite).
///
/// The scenarios are in the extensions next to this file. They run one at a time: each
/// starts several processes, and the machine has two cores.
@Suite("Cluster scenarios", .serialized, .sharedEtcdCluster)
struct ClusterScenarioTests {}
