import Foundation
import GatewayCore

/// `/threads`: a member's conversation threads and the form that starts one.
struct ThreadsPage: ConsolePage {
    static let template = "threads/index"

    struct Row: Sendable {
        var title: String
        var href: String
        var model: String
        var updated: String
    }

    let chrome: PageChrome
    let title = "Threads"
    let threads: [Row]
    let hasThreads: Bool
    let newTitle: FieldView
    let modelOptions: [OptionView]
    let modelError: String?

    static func make(
        threads: [ConversationThread], models: [GatewayModel], form: FormFields = FormFields(), errors: FieldErrors = FieldErrors(),
        chrome: PageChrome
    ) -> ThreadsPage {
        let selected = form["model"] ?? models.first?.id
        return ThreadsPage(
            chrome: chrome,
            threads: threads.map {
                Row(title: $0.title, href: SitePaths.thread($0.id), model: $0.model, updated: DisplayDate.dayAndTime($0.updatedAt))
            },
            hasThreads: !threads.isEmpty, newTitle: FieldView("title", from: form, errors: errors),
            modelOptions: models.map {
                OptionView(value: $0.id, label: "\($0.id) (\($0.provider.displayName))", isSelected: $0.id == selected)
            },
            modelError: errors["model"])
    }
}

/// `/threads/{id}`: one conversation, and the box to continue it.
struct ThreadPage: ConsolePage {
    static let template = "threads/thread"

    struct MessageView: Sendable {
        var isUser: Bool
        var speaker: String
        var content: String
        var tokens: String?
        var when: String
    }

    let chrome: PageChrome
    let title: String
    let model: String
    let messages: [MessageView]
    let hasMessages: Bool
    let messagesAction: String
    let renameAction: String
    let deleteAction: String
    let content: FieldView
    let rename: FieldView
    let notice: Notice?

    static func make(
        thread: ConversationThread, messages: [ThreadMessage], form: FormFields = FormFields(), errors: FieldErrors = FieldErrors(),
        notice: Notice? = nil, chrome: PageChrome
    ) -> ThreadPage {
        ThreadPage(
            chrome: chrome, title: thread.title, model: thread.model,
            messages: messages.map { message in
                let tokens = message.role == "user" ? message.promptTokens : message.completionTokens
                return MessageView(
                    isUser: message.role == "user", speaker: message.role == "user" ? "You" : (message.model ?? "Assistant"),
                    content: message.content, tokens: tokens > 0 ? "\(tokens) tokens" : nil, when: DisplayDate.dayAndTime(message.createdAt)
                )
            },
            hasMessages: !messages.isEmpty, messagesAction: SitePaths.threadMessages(thread.id),
            renameAction: SitePaths.threadRename(thread.id),
            deleteAction: SitePaths.threadDeletion(thread.id), content: FieldView("content", from: form, errors: errors),
            rename: FieldView(form["title"] ?? thread.title, error: errors["title"]), notice: notice)
    }
}
