import Hummingbird

/// The page for any 4xx or 5xx answer.
struct ErrorPage: ConsolePage {
    static let template = "errors/error"

    let chrome: PageChrome
    let title: String
    let status: Int
    let message: String

    static func make(status: HTTPResponse.Status, message: String?, chrome: PageChrome) -> ErrorPage {
        let (title, fallback): (String, String) =
            switch status.code {
            case 404: ("Page not found", "There is nothing at this address. Check the link, or go back to where you came from.")
            case 403: ("Not allowed", "You do not have permission to do that.")
            case 413: ("Request too large", "What you sent is larger than this server accepts.")
            case 400..<500: ("Request not accepted", "The request could not be understood.")
            case 503: ("Temporarily unavailable", "The service is briefly unavailable. Please try again in a moment.")
            default: ("Something went wrong", "An unexpected error happened on our side. It has been logged; please try again.")
            }
        return ErrorPage(chrome: chrome, title: title, status: status.code, message: message ?? fallback)
    }
}
