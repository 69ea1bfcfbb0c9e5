import FlotillaModel
import FlotillaStore
import Foundation
import Hummingbird

/// An error answer of the API: an HTTP status and `{"error": "…"}` with a sentence that says
/// what to do, plus the diagnostics when spec files were rejected.
struct APIError: Error, HTTPResponseError, CustomStringConvertible {
    /// HTTP status.
    var status: HTTPResponse.Status
    /// The sentence.
    var message: String
    /// Rejected spec files' problems.
    var diagnostics: [Diagnostic]?

    init(_ status: HTTPResponse.Status, _ message: String, diagnostics: [Diagnostic]? = nil) {
        self.status = status; self.message = message; self.diagnostics = diagnostics
    }

    var description: String { "\(status.code): \(message)" }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        JSONResponse.make(ErrorBody(error: message, diagnostics: diagnostics), status: status)
    }

    /// 400.
    static func badRequest(_ message: String, diagnostics: [Diagnostic]? = nil) -> APIError {
        APIError(.badRequest, message, diagnostics: diagnostics)
    }

    /// 404.
    static func notFound(_ message: String) -> APIError { APIError(.notFound, message) }

    /// Any other error, as the right status with a sentence.
    static func wrapping(_ error: any Error) -> APIError {
        switch error {
        case let error as APIError: return error
        case let error as StoreError where error == .tooManyOperations:
            return APIError(.badRequest, "the change needs more than etcd's \(StoreLimits.maxTxnOps) operations in one transaction; send fewer stacks at once")
        case let error as StoreError where error == .requestTooLarge:
            return APIError(.contentTooLarge, "the change is larger than etcd's request limit of \(StoreLimits.maxRequestBytes) bytes; send fewer or smaller files at once")
        case let error as StoreError:
            return APIError(.serviceUnavailable, "the store did not answer (\(error.message)); check that the agent's store (embedded or etcd) is up, then retry")
        case let error as RecordError:
            return APIError(.internalServerError, "a stored record is damaged: \(error.description); rewrite or delete that key (etcdctl) and retry")
        case is DecodingError:
            return APIError(.badRequest, "the request body is not the JSON this route expects: \(error)")
        default:
            return APIError(.internalServerError, "the API failed: \(error); see the agent's log")
        }
    }
}

/// JSON bodies as the API writes them: sorted keys, slashes unescaped.
enum JSONResponse {
    /// `value` as a JSON response.
    static func make<Value: Encodable>(_ value: Value, status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? encoder.encode(value)) ?? Data("{\"error\":\"the answer could not be encoded\"}".utf8)
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
