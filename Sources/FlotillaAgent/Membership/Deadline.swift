/// A store call that took longer than its deadline.
public struct DeadlineExceeded: Error, Sendable, CustomStringConvertible {
    /// What was being done.
    public var operation: String
    /// "OPERATION took longer than its deadline".
    public var description: String { "\(operation) took longer than its deadline" }
}

/// Runs `body`, throwing ``DeadlineExceeded`` when it has not finished within `limit`.
/// The body is cancelled then; membership uses this so a hung store call can't stop the
/// fencing check from running.
public func withDeadline<T: Sendable>(_ limit: Duration, _ operation: String,
                                      _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            throw DeadlineExceeded(operation: operation)
        }
        return value
    }
}
