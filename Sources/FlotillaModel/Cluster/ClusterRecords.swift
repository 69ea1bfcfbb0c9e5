import Foundation

/// A machine as its agent registers it at `machines/<id>` (under the machine's lease).
public struct MachineRecord: Sendable, Hashable, Codable {
    /// Record schema; readers ignore fields they don't know.
    public var schema: Int = 1
    /// Persisted machine ID.
    public var id: String
    /// Host name, for people.
    public var hostname: String
    /// Base URL of the agent's HTTP API (`http://127.0.0.1:4880`).
    public var apiURL: String
    /// Labels for placement.
    public var metadata: Metadata
    /// What the scheduler may hand out.
    public var capacity: Resources
    /// When the agent started (seconds since 1970).
    public var startedAt: Double
    /// The agent's version.
    public var version: String
    /// Which registration of this agent run the record is: 1 after it started, one more
    /// every time it registered again after its lease was lost. Nil in older records.
    public var registration: Int?
    /// When this registration was written (seconds since 1970).
    public var registeredAt: Double?
    /// In the copy at `members/<id>` only: when the controller found the machine's lease gone
    /// (nil while it is registered).
    public var downSince: Double?

    /// Creates a machine record.
    public init(id: String, hostname: String, apiURL: String, metadata: Metadata, capacity: Resources,
                startedAt: Double, version: String) {
        self.id = id; self.hostname = hostname; self.apiURL = apiURL; self.metadata = metadata
        self.capacity = capacity; self.startedAt = startedAt; self.version = version
    }

    /// The scheduler's view of this machine.
    public var machine: Machine { Machine(id: id, metadata: metadata, capacity: capacity) }
}

/// What a machine uses, reported every few seconds at `usage/<id>`.
public struct MachineUsage: Sendable, Hashable, Codable {
    /// Record schema.
    public var schema: Int = 1
    /// 1-minute load average.
    public var load1: Double
    /// CPU busy share over the last interval, 0...1 per core summed (2.0 = two cores busy).
    public var cpuBusy: Double
    /// Memory in use, bytes (total - available).
    public var memoryUsed: Int64
    /// Memory installed, bytes.
    public var memoryTotal: Int64
    /// Bytes used on the state directory's file system.
    public var diskUsed: Int64
    /// Size of that file system, bytes.
    public var diskTotal: Int64
    /// Units running now.
    public var unitsRunning: Int
    /// When measured (seconds since 1970).
    public var at: Double

    /// Creates a usage report.
    public init(load1: Double, cpuBusy: Double, memoryUsed: Int64, memoryTotal: Int64, diskUsed: Int64,
                diskTotal: Int64, unitsRunning: Int, at: Double) {
        self.load1 = load1; self.cpuBusy = cpuBusy; self.memoryUsed = memoryUsed; self.memoryTotal = memoryTotal
        self.diskUsed = diskUsed; self.diskTotal = diskTotal; self.unitsRunning = unitsRunning; self.at = at
    }
}

/// A stack as the user applied it, at `stacks/<name>`.
public struct StackRecord: Sendable, Hashable, Codable {
    /// Record schema.
    public var schema: Int = 1
    /// The compiled stack.
    public var spec: StackSpec
    /// What the user wants of it.
    public var desired: DesiredState
    /// Files it came from, for `cat` and messages.
    public var sources: [String]
    /// The original text of a fleet unit file, when the stack is one (for `cat`).
    public var unitFileText: String?
    /// The stack's version number: 1 for its first apply, one more for every change written
    /// (an apply, a rollback, an automatic revert). Nil in records written before versions
    /// existed, and in a record not stored yet.
    public var version: Int?

    /// Creates a stack record.
    public init(spec: StackSpec, desired: DesiredState = .launched, sources: [String] = [], unitFileText: String? = nil,
                version: Int? = nil) {
        self.spec = spec; self.desired = desired; self.sources = sources; self.unitFileText = unitFileText
        self.version = version
    }
}

/// One thing that happened and why, at `events/…` (under a lease, so old events age out).
public struct EventRecord: Sendable, Hashable, Codable {
    /// Record schema.
    public var schema: Int = 1
    /// When (seconds since 1970).
    public var at: Double
    /// What kind of thing: `placed`, `moved`, `unplaced`, `stopped`, `machine-joined`,
    /// `machine-lost`, `leader`, `unit-failed`, `applied`, `destroyed`…
    public var kind: String
    /// The stack concerned, if any.
    public var stack: String?
    /// The instance concerned, if any.
    public var instance: String?
    /// The machine concerned, if any.
    public var machine: String?
    /// The sentence for people, with the reason.
    public var message: String
    /// Who decided: a machine ID (the leader, or the agent reporting).
    public var source: String

    public init(at: Double, kind: String, stack: String? = nil, instance: String? = nil, machine: String? = nil,
                message: String, source: String) {
        self.at = at; self.kind = kind; self.stack = stack; self.instance = instance; self.machine = machine
        self.message = message; self.source = source
    }
}

/// Encodes and decodes cluster records as the JSON stored in values.
public enum RecordCodec {
    /// The record as stored bytes (sorted keys, so equal records are equal bytes).
    public static func encode<Record: Encodable>(_ record: Record) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Records are plain values: encoding cannot fail.
        return Array((try? encoder.encode(record)) ?? Data())
    }

    /// The record's top-level stored fields, each as its JSON text (to tell which differ).
    public static func fields<Record: Encodable>(of record: Record) -> [String: String] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(encode(record))) as? [String: Any] else { return [:] }
        var fields: [String: String] = [:]
        for (key, value) in object {
            let text = (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed]))
            fields[key] = text.map { String(decoding: $0, as: UTF8.self) } ?? "\(value)"
        }
        return fields
    }

    /// The record stored at `key`; the error names the key and what is wrong.
    public static func decode<Record: Decodable>(_ type: Record.Type, from bytes: [UInt8], key: String) throws -> Record {
        do {
            return try JSONDecoder().decode(type, from: Data(bytes))
        } catch {
            throw RecordError(key: key, expected: String(describing: type), detail: "\(error)")
        }
    }
}

/// A stored value that is not the record its key promises.
public struct RecordError: Error, Sendable, CustomStringConvertible {
    /// The key read.
    public var key: String
    /// The record type expected there.
    public var expected: String
    /// The decoder's complaint.
    public var detail: String

    /// Creates the error.
    public init(key: String, expected: String, detail: String) {
        self.key = key; self.expected = expected; self.detail = detail
    }

    /// "value at KEY is not a valid TYPE: DETAIL".
    public var description: String { "value at \(key) is not a valid \(expected): \(detail)" }
}
