import GatewayCore

/// `/signup`: create a company and its owner.
struct SignUpPage: ConsolePage {
    static let template = "accounts/signup"

    let chrome: PageChrome
    let title = "Create your company"
    let email: FieldView
    let name: FieldView
    let companyName: FieldView
    let password: FieldView
    let minimumPasswordLength = PasswordRules.minimumLength
    let hasErrors: Bool

    static func make(form: FormFields = FormFields(), errors: FieldErrors = FieldErrors(), chrome: PageChrome) -> SignUpPage {
        SignUpPage(
            chrome: chrome,
            email: FieldView("email", from: form, errors: errors),
            name: FieldView("name", from: form, errors: errors),
            companyName: FieldView("company_name", from: form, errors: errors),
            password: .secret("password", errors: errors),
            hasErrors: !errors.isEmpty)
    }
}

/// `/login`.
struct LogInPage: ConsolePage {
    static let template = "accounts/login"

    let chrome: PageChrome
    let title = "Sign in"
    let email: String
    let next: String
    /// One message for every failure, so it does not tell whether the email has an account.
    let error: String?
    /// What happened on the way back from a provider.
    let notice: Notice?
    let providers: [ProviderButton]
    let hasProviders: Bool

    struct ProviderButton: Sendable {
        var name: String
        var href: String
    }

    static func make(
        email: String = "", next: String?, error: String? = nil, notice: Notice? = nil, providers: [ProviderID], chrome: PageChrome
    ) -> LogInPage {
        LogInPage(
            chrome: chrome, email: email, next: SitePaths.safeNext(next), error: error, notice: notice,
            providers: providers.map { ProviderButton(name: $0.displayName, href: SitePaths.providerSignInStart($0)) },
            hasProviders: !providers.isEmpty)
    }
}
