import FlotillaModel

/// Glob patterns of a pass, numbered so that verdicts carry an integer instead of a string.
struct PatternTable {
    /// Pattern texts.
    private(set) var texts: [String] = []
    private var ids: [String: Int32] = [:]

    /// The number of `pattern`, adding it when new.
    mutating func id(_ pattern: String) -> Int32 {
        if let id = ids[pattern] { return id }
        let id = Int32(texts.count)
        ids[pattern] = id
        texts.append(pattern)
        return id
    }
}

/// Conflict globs between two stacks that match only some instance names: they are matched
/// against names while placing.
struct ByNameLink {
    /// The candidate stack's globs, matched against the name of the instance already there.
    var forward: [(glob: Glob, pattern: Int32)] = []
    /// The other stack's globs, matched against the candidate's name.
    var reverse: [(glob: Glob, pattern: Int32)] = []
}

/// Which stacks conflict with which, worked out once per pass so that a placement compares
/// stack numbers instead of matching globs against every instance of a machine.
///
/// A glob of stack S that matches stack T's name, or every instance name of T, makes every
/// instance of S conflict with every instance of T (both ways: conflicts are symmetric).
/// A glob that matches only some of T's instance names (or the names of a global stack, which
/// depend on machines) becomes a ``ByNameLink``. Candidate stacks for a glob are found from
/// its literal prefix, so a pass never compares every glob with every stack.
struct ConflictLinks {
    /// Per stack S: stack T → pattern number, when every instance of T conflicts with S.
    private(set) var always: [[Int32: Int32]]
    /// Per stack S: stack T → globs to match by name.
    private(set) var byName: [[Int32: ByNameLink]]
    /// Stacks that take part in any link.
    private(set) var linked: [Bool]
    /// True when some link must be matched by name (machines then record their instances).
    private(set) var hasByName = false

    /// Builds the links of the globs `globs` returns for each stack.
    init(stacks: StackTable, instances: InstanceTable, patterns: inout PatternTable, globs: (StackSpec) -> [Glob]) {
        let count = stacks.stacks.count
        always = Array(repeating: [:], count: count)
        byName = Array(repeating: [:], count: count)
        linked = Array(repeating: false, count: count)
        for (s, stack) in stacks.stacks.enumerated() {
            for glob in globs(stack.spec) where glob.isValid {
                let pattern = patterns.id(glob.pattern)
                for t in ConflictLinks.candidates(for: glob.pattern, stacks: stacks) {
                    let other = stacks.stacks[Int(t)]
                    switch ConflictLinks.reach(of: glob, over: other, instances: instances, stack: Int(t)) {
                    case .none: continue
                    case .all:
                        if always[s][t] == nil { always[s][t] = pattern }
                        if always[Int(t)][Int32(s)] == nil { always[Int(t)][Int32(s)] = pattern }
                    case .some:
                        byName[s][t, default: ByNameLink()].forward.append((glob, pattern))
                        byName[Int(t)][Int32(s), default: ByNameLink()].reverse.append((glob, pattern))
                        hasByName = true
                    }
                    linked[s] = true
                    linked[Int(t)] = true
                }
            }
        }
    }

    private enum Reach { case none, all, some }

    /// Whether `glob` matches stack `other` by its name, all its instance names, or some.
    private static func reach(of glob: Glob, over other: CompiledStack, instances: InstanceTable, stack: Int) -> Reach {
        if glob.matches(other.name) || glob.pattern == other.name + "@*" { return .all }
        if other.spec.naming == .single && !other.isGlobal { return .none }
        if other.isGlobal { return .some }
        var matched = 0
        let range = instances.ranges[stack]
        for id in range where glob.matches(instances.names[id]) { matched += 1 }
        return matched == 0 ? .none : matched == range.count ? .all : .some
    }

    /// Stacks whose name or instance names could match a glob with this pattern: names starting
    /// with the pattern's literal prefix, and stacks `T` where the prefix starts with `T@`.
    private static func candidates(for pattern: String, stacks: StackTable) -> [Int32] {
        var prefix = ""
        for c in pattern {
            if c == "*" || c == "?" || c == "[" || c == "\\" { break }
            prefix.append(c)
        }
        let all = stacks.stacks
        if prefix.isEmpty { return Array(0..<Int32(all.count)) }
        var low = 0, high = all.count
        while low < high {
            let mid = (low + high) / 2
            if all[mid].name < prefix { low = mid + 1 } else { high = mid }
        }
        var result: [Int32] = []
        var i = low
        while i < all.count, all[i].name.hasPrefix(prefix) { result.append(Int32(i)); i += 1 }
        var at = prefix.startIndex
        while let found = prefix[at...].firstIndex(of: "@") {
            if let t = stacks.indexByName[String(prefix[..<found])], !result.contains(t) { result.append(t) }
            at = prefix.index(after: found)
        }
        return result
    }
}
