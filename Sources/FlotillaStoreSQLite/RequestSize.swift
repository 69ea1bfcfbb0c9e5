import FlotillaStore

/// The request-size check (etcd `--max-request-bytes`); every other storage-free check is the
/// shared ``RequestValidation``.
enum RequestSize {
    /// Throws ``StoreError/requestTooLarge`` when the put is over the limit.
    static func check(_ put: PutRequest) throws {
        if put.key.count + put.value.count + 32 > StoreLimits.maxRequestBytes { throw StoreError.requestTooLarge }
    }

    /// Throws ``StoreError/requestTooLarge`` when the transaction is over the limit.
    static func check(_ txn: TxnRequest) throws {
        if size(txn) > StoreLimits.maxRequestBytes { throw StoreError.requestTooLarge }
    }

    /// A close estimate of the request's encoded size.
    static func size(_ txn: TxnRequest) -> Int {
        var total = 0
        for compare in txn.compare {
            total += compare.key.count + compare.rangeEnd.count + 16
            if case .value(let value) = compare.target { total += value.count }
        }
        for op in txn.success + txn.failure {
            switch op {
            case .range(let range): total += range.key.count + range.rangeEnd.count + 16
            case .put(let put): total += put.key.count + put.value.count + 16
            case .deleteRange(let delete): total += delete.key.count + delete.rangeEnd.count + 8
            case .txn(let nested): total += size(nested)
            }
        }
        return total
    }
}
