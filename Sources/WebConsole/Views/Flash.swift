/// One-time messages shown after a redirect. Only the code travels, in a short-lived
/// cookie, so no text from a request can be injected into the next page.
public enum Flash: String, Sendable, CaseIterable {
    case welcome
    case signedIn = "signed_in"
    case signedOut = "signed_out"
    case sessionEnded = "session_ended"
    case profileSaved = "profile_saved"
    case passwordChanged = "password_changed"
    case emailChangeRequested = "email_change_requested"
    case emailChangeCancelled = "email_change_cancelled"
    case emailChanged = "email_changed"
    case roleChanged = "role_changed"
    case memberRemoved = "member_removed"
    case invitationRevoked = "invitation_revoked"
    case lastOwner = "last_owner"
    case companySwitched = "company_switched"
    case invitationAccepted = "invitation_accepted"
    case integrationConnected = "integration_connected"
    case integrationDisconnected = "integration_disconnected"
    case integrationDisconnectedUnconfirmed = "integration_disconnected_unconfirmed"
    case integrationChecked = "integration_checked"
    case signInMethodLinked = "sign_in_method_linked"
    case apiKeyRevoked = "api_key_revoked"
    case providersSaved = "providers_saved"
    case threadRenamed = "thread_renamed"
    case threadDeleted = "thread_deleted"
    case pricesSaved = "prices_saved"
    case deletionCancelled = "deletion_cancelled"
    case deletionApproved = "deletion_approved"
    case deletionRejected = "deletion_rejected"
    case policyPublished = "policy_published"
    case policyAcknowledged = "policy_acknowledged"

    var message: String {
        switch self {
        case .welcome: "Welcome to OAG. Your company is ready."
        case .signedIn: "You are signed in."
        case .signedOut: "You are signed out."
        case .sessionEnded: "Your session ended. Sign in again to continue."
        case .profileSaved: "Your profile is saved."
        case .passwordChanged: "Your password is changed. Your other sessions were signed out."
        case .emailChangeRequested:
            "We sent a confirmation link to your new email. Your sign-in email changes when you open it; the rest is saved."
        case .emailChangeCancelled: "The email change is withdrawn; its link no longer works."
        case .emailChanged: "Your sign-in email is changed. Your other sessions were signed out."
        case .roleChanged: "The role is changed."
        case .memberRemoved: "The member was removed from the company."
        case .invitationRevoked: "The invitation was withdrawn; its link no longer works."
        case .lastOwner: "A company needs at least one owner. Make someone else an owner first."
        case .companySwitched: "You switched company."
        case .invitationAccepted: "You joined the company."
        case .integrationConnected: "The account is connected. Its tokens are stored encrypted."
        case .integrationDisconnected: "The account is disconnected: access was revoked at the provider and the tokens are deleted."
        case .integrationDisconnectedUnconfirmed:
            "The account is disconnected and its tokens are deleted, but the provider did not confirm the revocation. "
                + "You can also remove OAG's access in your account settings at the provider."
        case .integrationChecked: "The provider answered. What it returned is shown below and kept only in memory for a few minutes."
        case .signInMethodLinked: "Your account is linked: next time you can sign in with the provider."
        case .apiKeyRevoked: "The key is revoked. Programs using it are refused within a few seconds."
        case .providersSaved: "The provider settings are saved."
        case .threadRenamed: "The thread is renamed."
        case .threadDeleted: "The thread and its messages are deleted."
        case .pricesSaved: "The model is saved. New requests are priced with it within seconds; recorded ones keep their cost."
        case .deletionCancelled: "The deletion request is cancelled. Nothing was deleted."
        case .deletionApproved: "The request is approved. The deletion job carries it out within seconds."
        case .deletionRejected: "The request is rejected. The requester sees your reason."
        case .policyPublished: "The new version of the privacy policy is published."
        case .policyAcknowledged: "Thank you. Your acknowledgement of the privacy policy is recorded."
        }
    }

    var isError: Bool { self == .lastOwner || self == .integrationDisconnectedUnconfirmed }
}
