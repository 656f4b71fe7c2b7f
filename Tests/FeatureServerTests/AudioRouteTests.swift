import Foundation
import Testing

/// `POST .../learn?label=L` and `POST .../recognize` with WAV bodies made in the test.
struct AudioRouteTests {
    struct Learned: Decodable, Equatable {
        var label: String
        var learned: Int
        var created: Int
        var merged: Int
    }

    struct Recognized: Decodable {
        var label: String?
        var confidence: Float
    }

    static func learn(_ client: TestClient, _ collection: String, label: String, clip: Data, type: String = "audio/wav") async throws -> Reply {
        try await client.send(.POST, "/v1/collections/\(collection)/learn?label=\(label)", body: clip, contentType: type)
    }

    static func recognize(_ client: TestClient, _ collection: String, clip: Data, type: String = "audio/wav") async throws -> Reply {
        try await client.send(.POST, "/v1/collections/\(collection)/recognize", body: clip, contentType: type)
    }

    @Test func learnTwoLabelsThenRecognizeNewClipsOfEach() async throws {
        try await withServer { _, client in
            try await client.createCollection("sounds", dimension: 78, metric: "cosine")
            let examples: [(label: String, frequency: Double, seed: UInt64)] = [
                ("low", 220, 1), ("high", 2_600, 2), ("low", 230, 3), ("high", 2_500, 4),
            ]
            for (label, frequency, seed) in examples {
                let reply = try await Self.learn(client, "sounds", label: label, clip: SyntheticClips.tone(frequency: frequency, seed: seed))
                #expect(reply.status == 200, "\(reply.text)")
                let learned = try reply.decode(Learned.self)
                #expect(learned.label == label && learned.learned == 1 && learned.created + learned.merged == 1, "\(reply.text)")
            }
            #expect(try await client.count("sounds") >= 2)

            for (label, frequency, seed, type) in [("low", 225.0, UInt64(9), "audio/wav"), ("high", 2_550.0, 10, "audio/x-wav")] {
                let reply = try await Self.recognize(client, "sounds", clip: SyntheticClips.tone(frequency: frequency, seed: seed), type: type)
                #expect(reply.status == 200, "\(reply.text)")
                let answer = try reply.decode(Recognized.self)
                #expect(answer.label == label, "a \(frequency) Hz clip: \(reply.text)")
                #expect(answer.confidence > 0 && answer.confidence <= 1, "\(reply.text)")
            }
        }
    }

    @Test func aCollectionOfSpeechVectorsLearnsFramesAndAlignsThem() async throws {
        try await withServer { _, client in
            try await client.createCollection("words", dimension: 195, metric: "cosine")
            for (label, frequency, seed) in [("low", 220.0, UInt64(1)), ("high", 2_600, 2), ("low", 230, 3), ("high", 2_500, 4)] {
                let reply = try await Self.learn(client, "words", label: label, clip: SyntheticClips.tone(frequency: frequency, seed: seed))
                #expect(reply.status == 200, "\(reply.text)")
            }
            for (label, frequency, seed) in [("low", 225.0, UInt64(9)), ("high", 2_550.0, 10)] {
                let reply = try await Self.recognize(client, "words", clip: SyntheticClips.tone(frequency: frequency, seed: seed))
                #expect(reply.status == 200, "\(reply.text)")
                #expect(try reply.decode(Recognized.self).label == label, "\(reply.text)")
            }
            #expect(try await client.count("words") == 4)
        }
    }

    @Test func aCollectionOfAnotherKindRefusesLearningWith409() async throws {
        try await withServer { _, client in
            try await client.createCollection("text", dimension: 384, metric: "cosine")
            try await client.createCollection("l2sound", dimension: 78, metric: "l2")
            let clip = SyntheticClips.tone(frequency: 440, seed: 1)
            for collection in ["text", "l2sound"] {
                for reply in [try await Self.learn(client, collection, label: "a", clip: clip), try await Self.recognize(client, collection, clip: clip)] {
                    #expect(reply.status == 409, "\(collection): \(reply.text)")
                    let error = try reply.apiError()
                    #expect(error.code == "conflict")
                    #expect(error.message.contains("78") && error.message.contains("195"), "\(error.message)")
                }
                #expect(try await client.count(collection) == 0)
            }
        }
    }

    @Test func badClipsAreRefusedAndLearnNothing() async throws {
        try await withServer { _, client in
            try await client.createCollection("sounds", dimension: 78, metric: "cosine")
            let clip = SyntheticClips.tone(frequency: 440, seed: 1)

            for body in [Data(#"{"not": "a wav"}"#.utf8), Data("RIFF....WAVEfmt ".utf8), Data()] {
                let learn = try await Self.learn(client, "sounds", label: "a", clip: body)
                #expect(learn.status == 400, "\(learn.text)")
                #expect(try learn.apiError().code.hasPrefix("invalid"))
                let recognize = try await Self.recognize(client, "sounds", clip: body)
                #expect(recognize.status == 400, "\(recognize.text)")
            }
            let silent = SyntheticClips.wav(Array(repeating: 0, count: 16_000))
            #expect(try await Self.learn(client, "sounds", label: "a", clip: silent).status == 400)

            for type in ["application/json", "text/plain", "audio/mpeg"] {
                let reply = try await Self.learn(client, "sounds", label: "a", clip: clip, type: type)
                #expect(reply.status == 415, "\(type): \(reply.text)")
                #expect(try reply.apiError().code == "unsupported_media_type")
                #expect(try await Self.recognize(client, "sounds", clip: clip, type: type).status == 415)
            }

            let noLabel = try await client.send(.POST, "/v1/collections/sounds/learn", body: clip, contentType: "audio/wav")
            #expect(noLabel.status == 400)
            #expect(try noLabel.apiError().message.hasPrefix("label"))
            let emptyLabel = try await Self.learn(client, "sounds", label: "", clip: clip)
            #expect(emptyLabel.status == 400)
            let longLabel = try await Self.learn(client, "sounds", label: String(repeating: "x", count: 256), clip: clip)
            #expect(longLabel.status == 400)
            #expect(try await Self.learn(client, "missing", label: "a", clip: clip).status == 404)
            #expect(try await Self.recognize(client, "missing", clip: clip).status == 404)

            #expect(try await client.count("sounds") == 0, "no refused clip was learned")
            let octet = try await Self.learn(client, "sounds", label: "a", clip: clip, type: "application/octet-stream")
            #expect(octet.status == 200, "\(octet.text)")
        }
    }
}
