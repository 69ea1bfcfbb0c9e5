import FlotillaModel
import Foundation

/// Any JSON value, for rewriting an answer before it is printed as JSON or YAML.
enum JSONValue: Codable, Equatable {
    case null, bool(Bool), integer(Int64), number(Double), string(String)
    case array([JSONValue]), object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let value = try? c.decode(Bool.self) { self = .bool(value) }
        else if let value = try? c.decode(Int64.self) { self = .integer(value) }
        else if let value = try? c.decode(Double.self) { self = .number(value) }
        else if let value = try? c.decode(String.self) { self = .string(value) }
        else if let value = try? c.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let value): try c.encode(value)
        case .integer(let value): try c.encode(value)
        case .number(let value): try c.encode(value)
        case .string(let value): try c.encode(value)
        case .array(let value): try c.encode(value)
        case .object(let value): try c.encode(value)
        }
    }
}

/// Times in printed answers: records and the wire carry seconds since 1970 (compact, and
/// what older agents read); what `-o json|yaml` prints carries RFC 3339 UTC times
/// (`2026-12-06T20:07:19.123Z`) under the same keys.
enum OutputTimes {
    /// The keys whose numbers are times: `since` (status, unplaced, reboot holders and
    /// waiters), `at` (events, usage), `startedAt` (machines), `rebootingSince` and `now`
    /// (reboot status).
    static let keys: Set<String> = ["since", "at", "startedAt", "rebootingSince", "now"]

    /// `value` with every time under ``keys`` written as RFC 3339.
    static func rfc3339(_ value: JSONValue) -> JSONValue {
        switch value {
        case .array(let items): return .array(items.map(rfc3339))
        case .object(let fields):
            var result: [String: JSONValue] = [:]
            for (key, field) in fields {
                switch field {
                case .number(let seconds) where keys.contains(key): result[key] = .string(time(seconds))
                case .integer(let seconds) where keys.contains(key): result[key] = .string(time(Double(seconds)))
                default: result[key] = rfc3339(field)
                }
            }
            return .object(result)
        default: return value
        }
    }

    /// `seconds` since 1970 as RFC 3339 UTC with milliseconds.
    static func time(_ seconds: Double) -> String {
        LogTimestamp.string(Date(timeIntervalSince1970: seconds), fractionDigits: 3)
    }
}
