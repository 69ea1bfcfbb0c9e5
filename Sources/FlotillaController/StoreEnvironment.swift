import FlotillaModel
import FlotillaStore

/// `env_from`, resolved by the controller (pure): which store keys and prefixes the stacks
/// read, and the variables each unit gets from their values. The values go into the
/// assignment (``UnitSpec/storeEnvironment``), so a changed value is a changed assignment:
/// the agent replaces the instance, and a unit never starts with a variable missing.
public enum StoreEnvironment {
    /// Every `env_from` entry of the stacks that run (not `inactive`), sorted.
    public static func entries(in stacks: [String: ClusterState.StoredStack]) -> [String] {
        Set(stacks.values.filter { $0.record.desired != .inactive }
            .flatMap { $0.record.spec.units.flatMap(\.environmentFromStore) }).sorted()
    }

    /// The store range an entry reads: the keys under a prefix (ending in `/`), or one key.
    public static func range(of entry: String) -> RangeRequest {
        let key = Bytes(utf8: entry)
        return entry.hasSuffix("/") ? .prefix(key) : RangeRequest(key: key)
    }

    /// The variables `unit` reads from `values` (entry → key → value), and the entries that
    /// have no value yet (a key that does not exist, a prefix with no key under it). Later
    /// entries win over earlier ones for the same name.
    public static func resolve(_ unit: UnitSpec, values: [String: [String: String]]) -> (variables: [String: String], missing: [String]) {
        var variables: [String: String] = [:]
        var missing: [String] = []
        for entry in unit.environmentFromStore {
            guard let found = values[entry], !found.isEmpty else {
                missing.append(entry)
                continue
            }
            for (key, value) in found.sorted(by: { $0.key < $1.key }) { variables[name(of: key, entry: entry)] = value }
        }
        return (variables, missing)
    }

    /// The variable a key becomes: the rest of the key after a prefix entry (`/` between
    /// levels becomes `_`), or the key's last component for a one-key entry; any character
    /// outside `[A-Za-z0-9_]` becomes `_`, and a leading digit gets a `_` in front.
    public static func name(of key: String, entry: String) -> String {
        let raw = entry.hasSuffix("/") ? String(key.dropFirst(entry.count)) : String(key.split(separator: "/").last ?? "")
        var name = String(raw.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") ? $0 : "_" })
        if name.first?.isNumber ?? true { name = "_" + name }
        return name
    }

    /// The sentence for an instance that waits for store keys.
    public static func waiting(for missing: [String]) -> String {
        let described = missing.map { $0.hasSuffix("/") ? "a key under \($0)" : $0 }
        return "waiting for store key\(missing.count == 1 ? "" : "s") \(described.joined(separator: ", ")) (env_from); write \(missing.count == 1 ? "it" : "them") and the instance starts"
    }
}
