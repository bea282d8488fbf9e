import Foundation
import GatewayCore
import HummingbirdTesting
import TestSupport
import Testing

/// Conversation threads in the console, through the same gateway as the API.
@Suite("Threads")
struct ThreadsTests {
    /// Starts a thread through the form and returns its path.
    static func start(_ browser: Browser, title: String = "Launch plan", model: String = "claude-haiku-4-5") async throws -> String {
        let created = try await browser.post("/threads", ["title": title, "model": model], tokenFrom: "/threads")
        try #require(created.status == .seeOther, "\(created.status): \(created.text.prefix(400))")
        return try #require(created.location)
    }

    @Test func aMemberChatsInAThreadAndTheMessagesAreSealedAndMetered() async throws {
        try await withGateway { fake, world, data, client in
            fake.setReply("Start with the landing page.")
            let member = Browser(client)
            try await world.signIn(member, as: .member)
            #expect(try await member.get("/threads").text.contains("No threads yet"))
            let path = try await Self.start(member)

            let sent = try await member.post(path + "/messages", ["content": "What comes first?"], tokenFrom: path)
            #expect(sent.status == .seeOther)
            let page = try await member.get(path).text
            #expect(page.contains("What comes first?") && page.contains("Start with the landing page."))
            let sentUpstream = try JSONValue.decode(Data(try #require(fake.requests(.anthropic).last).body.utf8))
            #expect(sentUpstream["messages"]?.array?.count == 1)

            fake.setReply("Then the pricing page.")
            #expect(try await member.post(path + "/messages", ["content": "And then?"], tokenFrom: path).status == .seeOther)
            let history = try JSONValue.decode(Data(try #require(fake.requests(.anthropic).last).body.utf8))
            #expect(
                history["messages"]?.array?.map { $0["content"]?.string ?? "" } == [
                    "What comes first?", "Start with the landing page.", "And then?",
                ])

            #expect(try await data.count("thread_messages") == 4)
            let sealed = try await data.rows("SELECT content FROM thread_messages").map { try $0.decode(Data.self) }
            #expect(sealed.allSatisfy { $0.range(of: Data("landing".utf8)) == nil && $0.range(of: Data("first".utf8)) == nil })
            let events = try await data.usageEvents(2)
            #expect(events.allSatisfy { $0.userID == world.member && $0.apiKeyID == nil && $0.threadID != nil && $0.status == 200 })
            #expect(try await member.get("/threads").text.contains("Launch plan"))
        }
    }

    @Test func aStreamedReplyIsWrittenToTheThreadToo() async throws {
        try await withGateway { fake, world, data, client in
            fake.setReply("Streaming works fine here.", chunkSize: 4)
            let member = Browser(client)
            try await world.signIn(member, as: .member)
            let path = try await Self.start(member, model: "gpt-4o-mini")
            let streamed = try await member.post(
                path + "/messages", ["content": "Stream it"], tokenFrom: path, headers: [.accept: "text/event-stream"])
            #expect(streamed.status == .ok)
            #expect(streamed.headers[.contentType] == "text/event-stream")
            let text = streamed.events.dropLast().compactMap { try? JSONValue.decode(Data($0.utf8)) }
                .compactMap { $0["choices"]?.array?.first?["delta"]?["content"]?.string }.joined()
            #expect(text == "Streaming works fine here.")
            for _ in 0..<100 where try await data.count("thread_messages") < 2 { try await Task.sleep(for: .milliseconds(50)) }
            #expect(try await member.get(path).text.contains("Streaming works fine here."))
        }
    }

    @Test func renamingDeletingAndBadInput() async throws {
        try await withGateway { fake, world, data, client in
            let member = Browser(client)
            try await world.signIn(member, as: .member)
            let badStart = try await member.post("/threads", ["title": "", "model": "gpt-4o-mini"], tokenFrom: "/threads")
            #expect(badStart.status == .unprocessableContent)
            #expect(badStart.text.contains("Give the thread a title."))
            #expect(
                try await member.post("/threads", ["title": "x", "model": "gpt-99"], tokenFrom: "/threads").status == .unprocessableContent)

            let path = try await Self.start(member)
            let empty = try await member.post(path + "/messages", ["content": "   "], tokenFrom: path)
            #expect(empty.status == .unprocessableContent)
            #expect(empty.text.contains("Write a message first."))
            #expect(fake.requests(.anthropic).isEmpty)

            #expect(try await member.post(path + "/rename", ["title": "Renamed plan"], tokenFrom: path).status == .seeOther)
            #expect(try await member.get(path).text.contains("Renamed plan"))
            #expect(try await member.post(path + "/rename", ["title": ""], tokenFrom: path).status == .unprocessableContent)

            fake.failNext(.serverError, provider: .anthropic)
            let failed = try await member.post(path + "/messages", ["content": "Will this fail?"], tokenFrom: path)
            #expect(failed.status == .badGateway)
            #expect(failed.text.contains("Anthropic failed to answer"))
            #expect(failed.text.contains("Will this fail?"), "the message stays in the box")
            #expect(try await data.count("thread_messages") == 0)

            #expect(try await member.post(path + "/delete", tokenFrom: path).status == .seeOther)
            #expect(try await member.get(path).status == .notFound)
            #expect(try await data.count("threads") == 0)
        }
    }

    @Test func threadsArePrivateToTheirMember() async throws {
        try await withGateway { fake, world, data, client in
            let member = Browser(client)
            try await world.signIn(member, as: .member)
            let path = try await Self.start(member, title: "Private notes")
            for actor in [World.Actor.admin, .otherOwner] {
                let other = Browser(client)
                try await world.signIn(other, as: actor)
                #expect(try await other.get(path).status == .notFound)
                #expect(try await other.post(path + "/messages", ["content": "peek"], tokenFrom: "/threads").status == .notFound)
                #expect(try await other.post(path + "/delete", tokenFrom: "/threads").status == .notFound)
                #expect(try await !other.get("/threads").text.contains("Private notes"))
            }
            #expect(try await data.count("threads") == 1)
        }
    }
}
