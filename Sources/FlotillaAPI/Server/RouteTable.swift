import Hummingbird

/// Registers routes on a router and remembers which methods each path has, so that the other
/// methods on a known path can answer `405 Method Not Allowed` (with `Allow`) in the API's
/// JSON error form instead of an empty 404.
final class RouteTable: RouterMethods {
    typealias Context = BasicRequestContext
    private let router: Router<BasicRequestContext>
    private var methods: [(path: RouterPath, methods: Set<HTTPRequest.Method>)] = []

    init(router: Router<BasicRequestContext>) { self.router = router }

    @discardableResult
    func on<Responder: HTTPResponder>(_ path: RouterPath, method: HTTPRequest.Method,
                                      responder: Responder) -> Self where Responder.Context == BasicRequestContext {
        if let index = methods.firstIndex(where: { $0.path.description == path.description }) {
            methods[index].methods.insert(method)
        } else {
            methods.append((path, [method]))
        }
        router.on(path, method: method, responder: responder)
        return self
    }

    @discardableResult
    func add(middleware: any MiddlewareProtocol<Request, Response, BasicRequestContext>) -> Self {
        router.add(middleware: middleware)
        return self
    }

    /// Answers every method a registered path does not serve with 405.
    func refuseOtherMethods() {
        let all: [HTTPRequest.Method] = [.get, .post, .put, .delete, .patch]
        for (path, served) in methods {
            let allowed = all.filter(served.contains).map(\.rawValue).joined(separator: ", ")
            for method in all where !served.contains(method) {
                router.on(path, method: method) { request, context -> Response in
                    var response = try APIError(.methodNotAllowed, "\(request.method) is not allowed on \(request.uri.path); use \(allowed)")
                        .response(from: request, context: context)
                    response.headers[.allow] = allowed
                    return response
                }
            }
        }
    }
}
