import FlotillaStore

/// A conformance case's mismatch: what was expected, and where the check is.
public struct ConformanceFailure: Error, CustomStringConvertible, Sendable {
    /// What went wrong.
    public var message: String
    /// Source file of the check.
    public var file: String
    /// Source line of the check.
    public var line: Int

    public init(_ message: String, file: String = #fileID, line: Int = #line) {
        self.message = message
        self.file = file
        self.line = line
    }

    /// `file:line: message`.
    public var description: String { "\(file):\(line): \(message)" }
}

/// Throws a ``ConformanceFailure`` when `condition` is false.
func check(_ condition: Bool, _ message: @autoclosure () -> String, file: String = #fileID, line: Int = #line) throws {
    if !condition { throw ConformanceFailure(message(), file: file, line: line) }
}

/// Throws a ``ConformanceFailure`` unless `actual == expected`.
func checkEqual<T: Equatable>(_ actual: T, _ expected: T, _ what: @autoclosure () -> String,
                              file: String = #fileID, line: Int = #line) throws {
    if actual != expected {
        throw ConformanceFailure("\(what()): expected \(expected), got \(actual)", file: file, line: line)
    }
}

/// Runs `body` and checks it throws a ``StoreError`` with `expected`'s code and message.
func checkThrows<T>(_ expected: StoreError, _ what: @autoclosure () -> String,
                    file: String = #fileID, line: Int = #line, _ body: () async throws -> T) async throws {
    do {
        _ = try await body()
    } catch let error as StoreError {
        if error.code != expected.code || error.message != expected.message {
            throw ConformanceFailure("\(what()): expected error \(expected.code) \"\(expected.message)\", got \(error.code) \"\(error.message)\"",
                                     file: file, line: line)
        }
        return
    } catch {
        throw ConformanceFailure("\(what()): expected StoreError \"\(expected.message)\", got \(error)", file: file, line: line)
    }
    throw ConformanceFailure("\(what()): expected error \"\(expected.message)\", got success", file: file, line: line)
}

extension KeyValueStore {
    /// Puts a text value; returns the new revision.
    @discardableResult
    func put(_ key: String, _ value: String, lease: Int64 = 0) async throws -> Int64 {
        try await put(PutRequest(key: Bytes(utf8: key), value: Bytes(utf8: value), lease: lease)).header.revision
    }

    /// Reads one key at `revision` (0 = current).
    func get(_ key: String, revision: Int64 = 0) async throws -> KeyValue? {
        try await range(RangeRequest(key: Bytes(utf8: key), revision: revision)).kvs.first
    }

    /// The current revision.
    func currentRevision() async throws -> Int64 {
        try await range(RangeRequest(key: Bytes(utf8: "\u{1}probe"))).header.revision
    }
}

/// Shorthand for text keys and values.
func b(_ text: String) -> Bytes { Bytes(utf8: text) }

/// The keys of `kvs` as text.
func keys(_ kvs: [KeyValue]) -> [String] { kvs.map(\.key.utf8String) }
