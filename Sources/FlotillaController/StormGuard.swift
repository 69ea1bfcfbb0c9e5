/// Keeps a mass lease loss from moving everything at once (pure; the reconcile loop keeps
/// one across its passes and hands its ``held`` machines to ``Reconciler``).
///
/// When the store was unreachable for longer than the TTL, or paused, every machine's lease
/// can expire together, although the machines and their units are fine: the agents register
/// again within seconds. Moving everything in that moment would restart the whole cluster
/// for nothing (Kubernetes' node controller has the same guard: the unhealthy-zone
/// threshold). So when more than ``Settings/share`` of the machines are found dead within one
/// TTL, the guard declares a storm: no instance leaves a dead machine for ``Settings/grace``
/// seconds; after that, one dead machine's instances are released every TTL, the
/// longest-dead first. A machine that registers
/// again keeps its instances and leaves the storm; the storm ends when no dead machine holds
/// an instance.
///
/// A machine counts as lost from the pass that first saw its lease gone (it was alive in the
/// pass before, or it holds instances); a loss counts towards a storm for one TTL, also after
/// its instances moved (machines cut off together are seen dying one or two passes apart). A
/// new leader starts with no memory, so it sees every dead machine holding instances at once,
/// which is the careful side.
public struct StormGuard: Sendable, Hashable {
    /// The thresholds.
    public struct Settings: Sendable, Hashable {
        /// A storm is more than this share of the machines (alive, plus dead ones holding
        /// instances) found dead within one TTL. 1 turns the guard off.
        public var share: Double
        /// Seconds nothing moves after a storm starts; nil: three TTLs (an agent retries its
        /// lease every third of a TTL, so every live one is back well within it).
        public var graceSetting: Double?
        /// The machines' lease TTL, seconds: the window losses are counted in, and the interval
        /// between two dead machines released after the grace.
        public var ttl: Double

        /// Settings; every argument has the default described above.
        public init(share: Double = 0.5, grace: Double? = nil, ttl: Double = 5) {
            self.share = share; self.graceSetting = grace; self.ttl = ttl
        }

        /// Seconds nothing moves after a storm starts.
        public var grace: Double { graceSetting ?? 3 * ttl }
        /// Seconds between two dead machines released after the grace.
        public var releaseInterval: Double { ttl }
    }

    public let settings: Settings
    /// Dead machines holding instances, with when a pass first saw them dead.
    public private(set) var lostAt: [String: Double] = [:]
    /// When the current storm started; nil when there is none.
    public private(set) var stormSince: Double?
    /// Dead machines whose instances may move (released one by one after the grace).
    public private(set) var released: Set<String> = []
    /// When the last machine was released.
    private var lastRelease: Double?
    /// Machines lost within the last TTL, with when: what a storm is counted from.
    private var losses: [String: Double] = [:]
    /// The machines alive in the previous pass.
    private var lastAlive: Set<String> = []

    public init(settings: Settings = Settings()) { self.settings = settings }

    /// Brings the guard up to date with one pass's view: `alive` machines, `dead` ones
    /// (lease gone, still holding instances), and `lapsing`: alive machines that lost their
    /// lease in the last TTL and registered again (quicker than this pass), or whose lease is
    /// running out because they stopped renewing it (leases of machines cut off together
    /// expire up to a renewal interval apart). Returns whether a storm started in this pass.
    @discardableResult
    public mutating func observe(alive: Set<String>, dead: Set<String>, lapsing: Set<String> = [], now: Double) -> Bool {
        for id in lostAt.keys where !dead.contains(id) { lostAt[id] = nil }
        released.formIntersection(dead)
        var lost = lastAlive.subtracting(alive)
        for id in dead where lostAt[id] == nil {
            lostAt[id] = now
            lost.insert(id)
        }
        lastAlive = alive
        for id in lost where losses[id] == nil { losses[id] = now }
        losses = losses.filter { !alive.contains($0.key) && $0.value > now - settings.ttl }
        if dead.isEmpty {
            stormSince = nil
            lastRelease = nil
            return false
        }
        guard stormSince == nil else { releaseDue(now: now); return false }
        let recent = losses.count + lapsing.intersection(alive).count
        let total = alive.union(dead).union(losses.keys).count
        guard settings.share < 1, total > 0, Double(recent) > settings.share * Double(total) else {
            released = dead   // no storm: dead machines' instances move at once
            return false
        }
        stormSince = now
        released = []
        return true
    }

    /// Dead machines whose instances must stay where they are in this pass.
    public var held: Set<String> { Set(lostAt.keys).subtracting(released) }

    /// After the grace, releases the longest-dead held machine every release interval.
    private mutating func releaseDue(now: Double) {
        guard let since = stormSince, now >= since + settings.grace else { return }
        if let last = lastRelease, now < last + settings.releaseInterval { return }
        guard let next = held.min(by: { (lostAt[$0]!, $0) < (lostAt[$1]!, $1) }) else { return }
        released.insert(next)
        lastRelease = now
    }
}
