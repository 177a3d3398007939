// `rlhf label serve`: the HTTP server (Hummingbird 2 on SwiftNIO).
//
//   GET  /signin?token=T   a rater's one-time link: sets the session cookie and redirects to /
//   GET  /                 the labelling page (401 without a session)
//   GET  /static/label.js  its script
//   GET  /api/next         the rater's state (a new assignment when they have none open)
//   POST /api/label        {"assignment", "choice", "comment", "request_id"} → the next state, once committed,
//                          with the label's id and whether the request id had been seen ("duplicate")
//   POST /api/undo         {"label"} → the state with that label's pair back
//   GET  /admin?token=T    sets the admin cookie and redirects to /admin; /admin shows the status page
//   GET  /admin/figures.json, /runs, /runs/view?run=R   admin only
//   GET  /healthz          "ok" (no access needed: for scripts waiting on the server)
//
// Access: a rater's session cookie (the database keeps its SHA-256), or the admin token in a cookie or an
// `Authorization: Bearer` header (compared by SHA-256 in constant time). POSTs must carry the header
// `X-RLHF: 1`, which a page of another site cannot send without the server's consent (no CORS here), and the
// cookies are SameSite=Strict and HttpOnly. Every page forbids inline scripts (Content-Security-Policy).

import Foundation
import HTTPTypes
import Hummingbird
import Logging
import RLHFFormats

/// How the server runs.
public struct LabelServerSettings: Sendable {
    /// Address to bind (127.0.0.1 unless told otherwise).
    public var host = "127.0.0.1"
    /// Port (0: any free port; the one bound is reported).
    public var port = 8080
    /// How pairs are handed out.
    public var policy = QueuePolicy()
    /// The admin token (a random one unless given).
    public var adminToken = makeToken()
    /// The folder whose training runs `/runs` shows.
    public var runsRoot = "output"
    /// Settings with the defaults.
    public init() {}
}

/// The labelling server of one database.
public struct LabelServer: Sendable {
    let db: LabelDatabase
    let settings: LabelServerSettings
    let adminHash: String
    let project: LabelProjectSettings

    /// A server of `db` (which must hold a project).
    ///
    /// - Throws: `LabelError.noProject`.
    public init(db: LabelDatabase, settings: LabelServerSettings) throws {
        self.db = db
        self.settings = settings
        adminHash = tokenHash(settings.adminToken)
        project = try db.requireSettings()
    }

    /// Serves until SIGINT or SIGTERM; `onStart` gets the bound port once the server listens.
    public func run(onStart: @escaping @Sendable (Int) -> Void) async throws {
        var logger = Logger(label: "rlhf-label")
        logger.logLevel = .warning
        let app = Application(
            router: makeRouter(), configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "rlhf-label"),
            onServerRunning: { channel in onStart(channel.localAddress?.port ?? settings.port) }, logger: logger)
        try await app.runService()
    }

    // MARK: routes

    func makeRouter() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.get("/healthz") { _, _ in text("ok\n", type: "text/plain; charset=utf-8") }
        router.get("/static/label.js") { _, _ in text(labelPageScript, type: "application/javascript; charset=utf-8") }
        router.get("/signin") { request, _ -> Response in
            guard let token = request.uri.queryParameters["token"].map(String.init), let (session, _) = try await db.signIn(token: token) else {
                return text(
                    page(
                        title: "rlhf label",
                        body:
                            "<h1>This sign-in link is not valid</h1><p>Links work once. Ask for a new one (<code>rlhf label add-rater NAME</code>).</p>"
                    ),
                    status: .forbidden)
            }
            var response = Response(status: .seeOther, headers: [.location: "/", .cacheControl: "no-store"])
            response.setCookie(Cookie(name: "rlhf_session", value: session, path: "/", httpOnly: true, sameSite: .strict))
            return response
        }
        router.get("/") { request, _ -> Response in
            guard try await rater(request) != nil else {
                return text(
                    page(title: "rlhf label", body: "<h1>Sign in first</h1><p>Open the sign-in link you were given.</p>"), status: .unauthorized)
            }
            return text(labelPageHTML)
        }
        router.get("/api/next") { request, _ -> Response in
            try await api(request) { r in (try await db.next(for: r, policy: settings.policy), [:]) }
        }
        router.post("/api/label") { request, _ -> Response in
            var request = request
            let body = try await bodyText(&request)
            return try await api(request) { r in
                let q = try LabelRequest(json: body)
                let (receipt, state) = try await db.record(
                    rater: r, assignment: q.assignment, choice: q.choice, comment: q.comment, requestId: q.requestId, policy: settings.policy)
                return (state, ["label": "\(receipt.label)", "duplicate": "\(receipt.duplicate)"])
            }
        }
        router.post("/api/undo") { request, _ -> Response in
            var request = request
            let body = try await bodyText(&request)
            return try await api(request) { r in
                (try await db.undo(rater: r, label: try UndoRequest(json: body).label, policy: settings.policy), [:])
            }
        }
        router.get("/admin") { request, _ -> Response in
            if let token = request.uri.queryParameters["token"].map(String.init) {
                guard isAdminToken(token) else { return text(page(title: "rlhf label", body: "<h1>Not the admin token</h1>"), status: .forbidden) }
                var response = Response(status: .seeOther, headers: [.location: "/admin", .cacheControl: "no-store"])
                response.setCookie(Cookie(name: "rlhf_admin", value: token, path: "/", httpOnly: true, sameSite: .strict))
                return response
            }
            if let denied = adminDenied(request) { return denied }
            return text(adminPageHTML(try await db.figures(), settings: project, overlap: settings.policy.overlap))
        }
        router.get("/admin/figures.json") { request, _ -> Response in
            if let denied = adminDenied(request) { return denied }
            return text(figuresJSON(try await db.figures()), type: "application/json")
        }
        router.get("/runs") { request, _ -> Response in
            if let denied = adminDenied(request) { return denied }
            return text(runsIndexHTML(root: settings.runsRoot, runs: findRuns(root: settings.runsRoot)))
        }
        router.get("/runs/view") { request, _ -> Response in
            if let denied = adminDenied(request) { return denied }
            let name = request.uri.queryParameters["run"].map(String.init) ?? ""   // already percent-decoded
            guard findRuns(root: settings.runsRoot).contains(name) else {
                return text(page(title: "rlhf: runs", body: "<h1>No such run</h1><p><a href=\"/runs\">runs</a></p>"), status: .notFound)
            }
            return text(runPageHTML(root: settings.runsRoot, run: name))
        }
        return router
    }

    // MARK: access

    /// The signed-in rater of the request's session cookie, or nil.
    func rater(_ request: Request) async throws -> Rater? {
        guard let session = request.cookies["rlhf_session"]?.value, !session.isEmpty else { return nil }
        return try await db.rater(session: session)
    }

    func isAdminToken(_ token: String) -> Bool { constantTimeEqual(tokenHash(token), adminHash) }

    /// nil when the request carries the admin token; otherwise the 401 (no token) or 403 (a wrong one) answer.
    func adminDenied(_ request: Request) -> Response? {
        var given = request.cookies["rlhf_admin"]?.value
        if let auth = request.headers[.authorization], auth.hasPrefix("Bearer ") { given = String(auth.dropFirst(7)) }
        guard let given else {
            return text(
                page(title: "rlhf label", body: "<h1>Admin only</h1><p>Open the admin link printed by <code>serve</code>.</p>"), status: .unauthorized
            )
        }
        return isAdminToken(given) ? nil : text(page(title: "rlhf label", body: "<h1>Not the admin token</h1>"), status: .forbidden)
    }

    /// A JSON API call of a signed-in rater: 401 without a session, 403 for a POST without `X-RLHF: 1`,
    /// `LabelError.request`'s status for a bad request; otherwise the rater's state as JSON, with `extra`
    /// members (raw JSON values: a label's id and whether the request was a repeat).
    func api(_ request: Request, _ body: (Rater) async throws -> (RaterState, [String: String])) async throws -> Response {
        if request.method == .post && request.headers[HeaderName.csrf] != "1" {
            return errorJSON(403, "a POST must carry the header X-RLHF: 1")
        }
        guard let r = try await rater(request) else { return errorJSON(401, "not signed in") }
        do {
            let (state, extra) = try await body(r)
            return text(stateJSON(state, extra: extra), type: "application/json")
        } catch LabelError.request(let status, let reason) {
            return errorJSON(status, reason)
        }
    }

    /// The request's body as text (at most 64 KiB; a larger one is answered 413).
    func bodyText(_ request: inout Request) async throws -> String {
        String(buffer: try await request.collectBody(upTo: 64 * 1024))
    }
}

/// Header names that HTTPTypes does not name.
enum HeaderName {
    // swift-format-ignore: NeverForceUnwrap
    static let csrf = HTTPField.Name("X-RLHF")!   // a constant, valid name
    static let noSniff = HTTPField.Name("X-Content-Type-Options")!
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    static let csp = HTTPField.Name("Content-Security-Policy")!
}

/// A response with `body` as its text.
func text(_ body: String, type: String = "text/html; charset=utf-8", status: HTTPResponse.Status = .ok) -> Response {
    Response(
        status: status,
        headers: [
            .contentType: type, .cacheControl: "no-store", HeaderName.noSniff: "nosniff", HeaderName.referrerPolicy: "no-referrer",
            HeaderName.csp: "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:"
        ],
        body: .init(byteBuffer: ByteBuffer(string: body)))
}

/// `{"error": reason}` with `status`.
func errorJSON(_ status: Int, _ reason: String) -> Response {
    text("{\"error\": \(jsonQuoted(reason))}", type: "application/json", status: HTTPResponse.Status(code: status))
}

/// The rater's state as the page reads it, with `extra` members (raw JSON values) after it.
func stateJSON(_ s: RaterState, extra: [String: String] = [:]) -> String {
    let pair = s.pair.map {
        "{\"assignment\": \($0.assignment), \"prompt\": \(jsonQuoted($0.prompt)), \"left\": \(jsonQuoted($0.left)), \"right\": \(jsonQuoted($0.right))}"
    }
    return "{\"rater\": \(jsonQuoted(s.rater)), \"pair\": \(pair ?? "null"), \"done\": \(s.done), \"assigned\": \(s.assigned), "
        + "\"last_label\": \(s.lastLabel.map { "\($0)" } ?? "null")"
        + extra.sorted { $0.key < $1.key }.map { ", \(jsonQuoted($0.key)): \($0.value)" }.joined() + "}"
}
