/// Event kinds a watch can leave out.
public enum WatchFilter: Int, Sendable, Hashable {
    /// Leave out puts.
    case noPut = 0
    /// Leave out deletes.
    case noDelete = 1
}

/// Starts a watch (etcd `WatchCreateRequest`, minus the stream-level `watch_id`).
public struct WatchCreateRequest: Sendable, Hashable {
    /// First key (required).
    public var key: Bytes
    /// Range end, as in ``RangeRequest``.
    public var rangeEnd: Bytes
    /// First revision to deliver (inclusive); 0 = changes after the current revision.
    public var startRevision: Int64
    /// Send periodic progress notifications while idle.
    public var progressNotify: Bool
    /// Event kinds to leave out.
    public var filters: Set<WatchFilter>
    /// Attach the previous key-value to each event (when still in history).
    public var prevKV: Bool

    public init(key: Bytes, rangeEnd: Bytes = [], startRevision: Int64 = 0, progressNotify: Bool = false,
                filters: Set<WatchFilter> = [], prevKV: Bool = false) {
        self.key = key
        self.rangeEnd = rangeEnd
        self.startRevision = startRevision
        self.progressNotify = progressNotify
        self.filters = filters
        self.prevKV = prevKV
    }
}

/// One change (etcd `mvccpb.Event`).
public struct Event: Sendable, Hashable {
    /// Put or delete.
    public enum Kind: Int, Sendable, Hashable { case put = 0, delete = 1 }

    /// The kind of change.
    public var type: Kind
    /// The key after the change; for a delete only `key` and `modRevision` (the delete revision).
    public var kv: KeyValue
    /// The key before the change, when asked for and known.
    public var prevKV: KeyValue?

    public init(type: Kind, kv: KeyValue, prevKV: KeyValue? = nil) {
        self.type = type
        self.kv = kv
        self.prevKV = prevKV
    }
}

/// A batch of events of one or more revisions, in revision order; no events = a progress
/// notification (everything up to `header.revision` has been delivered).
public struct WatchResponse: Sendable, Hashable {
    /// Header; for a progress notification, the revision delivered up to.
    public var header: ResponseHeader
    /// The events.
    public var events: [Event]

    public init(header: ResponseHeader, events: [Event]) {
        self.header = header
        self.events = events
    }
}

/// A running watch: an `AsyncSequence` of ``WatchResponse``. It ends when ``cancel()`` is
/// called or the consuming task is cancelled, and throws ``StoreError`` when the store ends
/// it (compacted start revision, store closed).
public struct WatchStream: AsyncSequence, Sendable {
    public typealias Element = WatchResponse

    private let responses: AsyncThrowingStream<WatchResponse, any Error>
    private let progress: @Sendable () -> Void
    private let stop: @Sendable () -> Void

    /// Wraps a backend's stream. `requestProgress` must make the backend yield a progress
    /// notification; `cancel` must finish the stream and release the watch.
    public init(responses: AsyncThrowingStream<WatchResponse, any Error>,
                requestProgress: @escaping @Sendable () -> Void,
                cancel: @escaping @Sendable () -> Void) {
        self.responses = responses
        self.progress = requestProgress
        self.stop = cancel
    }

    /// Asks for a progress notification (etcd `WatchProgressRequest`).
    public func requestProgress() { progress() }

    /// Ends the watch.
    public func cancel() { stop() }

    public func makeAsyncIterator() -> AsyncThrowingStream<WatchResponse, any Error>.AsyncIterator {
        responses.makeAsyncIterator()
    }
}
