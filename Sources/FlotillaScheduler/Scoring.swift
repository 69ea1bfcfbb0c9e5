import FlotillaModel

extension SchedulingPass {
    /// How good `machine` is for one more instance of a stack with `facts`: the cpu and memory
    /// utilization the machine would have after the placement (0...2), positive for binpack
    /// (fullest first, as Nomad) and negative for spread (emptiest first, as Kubernetes).
    @inline(__always)
    func score(_ facts: StackFacts, machine m: Int) -> Double {
        let cpuUsed = Double(machines.allocatableCPU[m] - freeCPU[m] + facts.cpu) * machines.inverseCPU[m]
        let memoryUsed = Double(machines.allocatableMemory[m] - freeMemory[m] + facts.memory) * machines.inverseMemory[m]
        let utilization = cpuUsed + memoryUsed
        return strategy == .binpack ? utilization : -utilization
    }

    /// The machine for a counted instance without `machineOf`: visits the stack's eligible
    /// machines in a random order (random start, random stride coprime with the list length,
    /// so each machine comes up once), stops after `facts.limit` feasible machines (Nomad's
    /// log₂ N limit) and returns the best of them; -1 when the whole list has none.
    ///
    /// Ranking: for `spread: {metadata: key}` the key value holding the fewest instances of the
    /// stack wins, then the score. For such stacks the walk goes on past the limit (up to four
    /// times it) until the best candidate sits in a least-used value of the stack's machines.
    mutating func choose(_ instance: Int32, stack s: Int32) -> Int32 {
        let list = eligible[Int(s)]
        let n = list.count
        guard n > 0 else { return -1 }
        let f = facts[Int(s)]
        var position = rng.below(n)
        var step = 1
        if n > 2 {
            step = 1 + rng.below(n - 1)
            while gcd(step, n) != 1 { step = step == n - 1 ? 1 : step + 1 }
        }
        let valueOf = f.spreadKey >= 0 ? stacks.spreadKeys[Int(f.spreadKey)].valueOf : []
        let spreadCount = f.spreadKey >= 0 ? spreadCounts[Int(s)] : []
        var best: Int32 = -1
        var bestSpread = Int32.max
        var bestScore = -Double.infinity
        var found = 0
        var leastCrowd: Int32 = 0
        if f.spreadKey >= 0 {
            leastCrowd = Int32.max
            for value in presentSpreadValues[Int(s)] { leastCrowd = min(leastCrowd, spreadCount[Int(value)]) }
        }
        for _ in 0..<n {
            let m = list[position]
            position += step
            if position >= n { position -= n }
            guard case .fits = dynamicVerdict(instance, stack: s, f, machine: m, keeping: false) else { continue }
            let crowd = f.spreadKey >= 0 ? spreadCount[Int(valueOf[Int(m)])] : 0
            let value = score(f, machine: Int(m))
            if crowd < bestSpread || (crowd == bestSpread && value > bestScore) {
                best = m
                bestSpread = crowd
                bestScore = value
            }
            found += 1
            if found >= f.limit && (bestSpread <= leastCrowd || found >= 4 * f.limit) { break }
        }
        return best
    }

    private func gcd(_ a: Int, _ b: Int) -> Int {
        var (x, y) = (a, b)
        while y != 0 { (x, y) = (y, x % y) }
        return x
    }
}
