import Hummingbird

/// Names and attributes of the console's cookies, per the security rules:
/// `__Host-` prefixed and `Secure` over https, always `HttpOnly`, `SameSite=Lax`, `Path=/`.
public struct CookieSettings: Sendable {
    public let secure: Bool

    public init(secure: Bool) {
        self.secure = secure
    }

    private var prefix: String { secure ? "__Host-" : "" }
    public var sessionName: String { prefix + "oag_session" }
    /// Anonymous visitors' forms (sign-in, sign-up) use a double-submit token kept here.
    public var csrfName: String { prefix + "oag_csrf" }
    public var flashName: String { prefix + "oag_flash" }

    func session(_ token: String) -> Cookie { make(sessionName, token, maxAge: nil) }
    func csrf(_ token: String) -> Cookie { make(csrfName, token, maxAge: nil) }
    func flash(_ flash: Flash) -> Cookie { make(flashName, flash.rawValue, maxAge: 60) }
    func expired(_ name: String) -> Cookie { make(name, "", maxAge: 0) }

    private func make(_ name: String, _ value: String, maxAge: Int?) -> Cookie {
        Cookie(name: name, value: value, maxAge: maxAge, path: "/", secure: secure, httpOnly: true, sameSite: .lax)
    }
}

extension Response {
    /// A 303 to `path` that leaves a message for the next page.
    static func redirect(to path: String, flash: Flash?, cookies: CookieSettings) -> Response {
        var response = Response.redirect(to: path, type: .normal)
        if let flash { response.setCookie(cookies.flash(flash)) }
        return response
    }
}
