import FlotillaController
import FlotillaModel
import FlotillaStore
import Foundation
import Hummingbird
import NIOCore

/// The route handlers, over the store and this machine's journals.
struct APIRoutes: Sendable {
    let store: any KeyValueStore
    let layout: StoreLayout
    let machineID: String
    let logs: any LogSource
    let access: AccessRoutes
    /// Reboot slots (``RebootLocks``), shared by every request.
    let reboots: RebootLocks
    /// How long a request body may take to arrive (``APITimeouts/body``).
    var bodyTimeout: Duration
    var security: APISecurity { access.security }

    /// Largest request body accepted (etcd takes at most 1.5 MiB per request anyway).
    static let maxBody = 8 << 20
    /// Header set on a logs request forwarded from another agent, so it is never forwarded again.
    static let forwardedHeader = "x-flotilla-forwarded"

    func register(on router: some RouterMethods<APIRequestContext>) {
        let v1 = router.group("v1")
        v1.get("health") { _, _ in await health() }
        v1.post("apply") { request, _ in try await answer { try await apply(body(request, ApplyRequest.self)) } }
        v1.post("plan") { request, _ in try await answer { try await plan(body(request, PlanRequest.self)) } }
        v1.get("status") { request, _ in
            try await answer { let parameters = query(request); return try await status(stack: parameters["stack"], query: parameters) }
        }
        v1.get("machines") { _, _ in try await answer { try await machines() } }
        v1.post("machines/:id/cordon") { _, context in try await answer { try await setCordon(parameter(context, "id"), draining: false) } }
        v1.post("machines/:id/drain") { _, context in try await answer { try await setCordon(parameter(context, "id"), draining: true) } }
        v1.delete("machines/:id") { _, context in try await answer { try await forgetMachine(parameter(context, "id")) } }
        v1.post("machines/:id/uncordon") { _, context in try await answer { try await setCordon(parameter(context, "id"), draining: nil) } }
        v1.get("logs/:instance/:unit") { request, context in
            try await answer {
                try await logs(instance: parameter(context, "instance"), unit: parameter(context, "unit"),
                               query: query(request),
                               forwarded: request.headers.contains { $0.name.canonicalName == Self.forwardedHeader })
            }
        }
        v1.post("stacks/:name/start") { _, context in try await answer { try await setDesired(parameter(context, "name"), .launched) } }
        v1.post("stacks/:name/stop") { _, context in try await answer { try await setDesired(parameter(context, "name"), .loaded) } }
        v1.post("stacks/:name/unload") { _, context in try await answer { try await setDesired(parameter(context, "name"), .inactive) } }
        v1.get("stacks/:name/history") { _, context in try await answer { try await history(parameter(context, "name")) } }
        v1.post("stacks/:name/rollback") { request, context in
            try await answer { try await rollback(parameter(context, "name"), body(request, RollbackRequest.self)) }
        }
        v1.post("stacks/:name/promote") { _, context in try await answer { try await promote(parameter(context, "name")) } }
        v1.delete("stacks/:name") { _, context in try await answer { try await destroy(parameter(context, "name")) } }
        v1.get("events") { request, _ in
            try await answer { try await events(query: query(request)) }
        }
        v1.post("tokens") { request, context in
            try await answer { try await access.create(body(request, TokenCreateRequest.self), caller: context.caller) }
        }
        v1.get("tokens") { _, _ in try await answer { try await access.list() } }
        v1.delete("tokens/:name") { _, context in try await answer { try await access.revoke(parameter(context, "name")) } }
        v1.post("join") { request, _ in try await answer { try await access.join(body(request, JoinRequest.self)) } }
        v1.post("renew") { request, context in
            try await answer { try await access.renew(body(request, JoinRequest.self), caller: context.caller) }
        }
        v1.get("reboot") { _, _ in try await answer { try await rebootStatus(nil) } }
        v1.get("reboot/:group") { _, context in try await answer { try await rebootStatus(parameter(context, "group")) } }
        v1.post("reboot/:group/lock") { request, context in
            try await answer { try await rebootLock(parameter(context, "group"), body(request, RebootLockRequest.self)) }
        }
        v1.post("reboot/:group/unlock") { request, context in
            try await answer { try await rebootUnlock(parameter(context, "group"), body(request, RebootLockRequest.self)) }
        }
        v1.post("reboot/:group/slots") { request, context in
            try await answer { try await rebootSlots(parameter(context, "group"), body(request, RebootSlotsRequest.self)) }
        }
        v1.get("reboot-history") { request, _ in try await answer { try await rebootHistory(query: query(request)) } }
        v1.get("units/:stack") { _, context in try await answer { try await stack(parameter(context, "stack")) } }
    }

    /// Runs a handler and turns its result into JSON, and any error into an error answer.
    private func answer<Value: Encodable>(_ handler: () async throws -> Value) async throws -> Response {
        do {
            return JSONResponse.make(try await handler())
        } catch {
            throw APIError.wrapping(error)
        }
    }

    /// The JSON body as `type`.
    private func body<Body: Decodable>(_ request: Request, _ type: Body.Type) async throws -> Body {
        let buffer = try await collect(request)
        if JSONDepth.exceeds(buffer.readableBytesView, limit: JSONDepth.limit) {
            throw APIError.badRequest("the request body is too deeply nested (more than \(JSONDepth.limit) levels of arrays and objects)")
        }
        do {
            return try JSONDecoder().decode(type, from: Data(buffer.readableBytesView))
        } catch {
            throw APIError.badRequest("the request body is not a valid \(type) JSON document (\(error)); see docs for the /v1 API")
        }
    }

    /// The whole request body: 413 when it is larger than ``maxBody``, 408 when it has not
    /// arrived within ``bodyTimeout`` (the connection is then closed by ``RequestDeadline``).
    private func collect(_ request: Request) async throws -> ByteBuffer {
        let collected = try await withThrowingTaskGroup(of: ByteBuffer?.self) { group in
            group.addTask {
                var request = request
                do {
                    return try await request.collectBody(upTo: Self.maxBody)
                } catch is NIOTooManyBytesError {
                    throw APIError(.contentTooLarge, "the request body is larger than \(Self.maxBody >> 20) MiB; send fewer files at once")
                }
            }
            group.addTask {
                try await Task.sleep(for: bodyTimeout)
                return nil
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
        guard let collected else {
            throw APIError(.requestTimeout, "the request body did not arrive within \(bodyTimeout); send it faster or in smaller requests")
        }
        return collected
    }

    /// The query parameters (the last value of a repeated name wins).
    private func query(_ request: Request) -> [String: String] {
        var result: [String: String] = [:]
        for (key, value) in request.uri.queryParameters { result[String(key)] = String(value) }
        return result
    }

    /// A path parameter, percent-decoded, checked against the one name grammar
    /// (``RequestName``): no `/`, no `..`, at most 253 characters.
    private func parameter(_ context: APIRequestContext, _ name: String) throws -> String {
        guard let raw = context.parameters.get(name) else { throw APIError.badRequest("the path needs a \(name)") }
        let value = raw.removingPercentEncoding ?? raw
        let what = name == "id" ? "machine" : name == "name" ? "stack or token" : name
        if let problem = RequestName.problem(value, what: what) { throw APIError.badRequest(problem) }
        return value
    }
}
