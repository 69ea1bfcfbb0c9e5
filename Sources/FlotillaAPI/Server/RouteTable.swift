import Hummingbird

/// Registers routes on a router and remembers which methods each path has, so that the other
/// methods on a known path can answer `405 Method Not Allowed` (with `Allow`) in the API's
/// JSON error form instead of an empty 404.
final class RouteTable: RouterMethods {
    typealias Context = APIRequestContext
    private let router: Router<APIRequestContext>
    private var methods: [(path: RouterPath, methods: Set<HTTPRequest.Method>)] = []

    init(router: Router<APIRequestContext>) { self.router = router }

    /// Every registered method and path.
    var served: [(method: String, path: String)] {
        methods.flatMap { entry in entry.methods.map { (method: $0.rawValue, path: entry.path.description.hasPrefix("/") ? entry.path.description : "/" + entry.path.description) } }
            .sorted { ($0.path, $0.method) < ($1.path, $1.method) }
    }

    @discardableResult
    func on<Responder: HTTPResponder>(_ path: RouterPath, method: HTTPRequest.Method,
                                      responder: Responder) -> Self where Responder.Context == APIRequestContext {
        if let index = methods.firstIndex(where: { $0.path.description == path.description }) {
            methods[index].methods.insert(method)
        } else {
            methods.append((path, [method]))
        }
        router.on(path, method: method, responder: responder)
        return self
    }

    @discardableResult
    func add(middleware: any MiddlewareProtocol<Request, Response, APIRequestContext>) -> Self {
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
