import Foundation
import Testing

@testable import FeatureServer

/// The fast reader of hot request bodies against JSONDecoder: whatever it accepts, JSONDecoder
/// accepts with the same values; whatever it refuses goes to JSONDecoder, which words the error.
@Suite struct FastJSONTests {
    private func both<T: Decodable & FastDecodable>(_ type: T.Type, _ text: String) -> (fast: Result<T?, any Error>, slow: Result<T, any Error>) {
        let data = Data(text.utf8)
        let fast = Result { try data.withUnsafeBytes { try T.fastDecode($0) } }
        let slow = Result { try JSONDecoder().decode(T.self, from: data) }
        return (fast, slow)
    }

    private func describe(_ search: SearchRequest) -> String {
        "\(search.vector.values.map(\.bitPattern)) \(search.vector.field) \(search.k) \(String(describing: search.ef)) \(search.label ?? "-") \(search.exact)"
    }

    private func describe(_ upsert: UpsertRequest) -> String {
        upsert.points.map { "\($0.id) \($0.vector.values.map(\.bitPattern)) \($0.vector.field) \($0.label ?? "-")" }.joined(separator: ";")
    }

    @Test func validBodiesReadTheSameBothWays() throws {
        let bodies = [
            #"{"vector":[0.1,-2.5e-3,3,1E2,-0,0.000001],"k":5,"ef":64,"label":"dog","exact":false}"#,
            #"  { "k" : 10 , "vector" : [ 1 , 2 ] }  "#,
            #"{"vector_b64":"AACAPwAAAEA=","k":3}"#,
            #"{"vector":[]}"#,
        ]
        for body in bodies {
            let (fast, slow) = both(SearchRequest.self, body)
            let fastValue = try #require(try fast.get(), "fast reader refused \(body)")
            #expect(describe(fastValue) == describe(try slow.get()))
        }
        let upsert = #"{"points":[{"id":18446744073709551615,"vector":[1.5,2],"label":"a"},{"label":"b","id":0,"vector_b64":"AACAPw=="}]}"#
        let (fast, slow) = both(UpsertRequest.self, upsert)
        #expect(describe(try #require(try fast.get())) == describe(try slow.get()))
    }

    @Test func whateverTheFastReaderAcceptsJSONDecoderAcceptsAlike() throws {
        // seeded mutations of valid bodies: a byte changed, dropped or doubled
        let seeds = [
            #"{"vector":[0.25,-1,3.5e2],"k":2,"ef":10,"label":"x","exact":true}"#,
            #"{"points":[{"id":7,"vector":[1,2.5],"label":"y"},{"id":8,"vector":[0,1e-3]}]}"#,
        ]
        let alphabet = Array(#"{}[]:,"0123456789.-+eE truefalsnl\ab"#.utf8)
        var state: UInt64 = 20_261_202
        func next() -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(truncatingIfNeeded: state >> 33)
        }
        var accepted = 0
        for round in 0..<4_000 {
            var bytes = Array(seeds[round % 2].utf8)
            let position = next() % bytes.count
            switch next() % 3 {
            case 0: bytes[position] = alphabet[next() % alphabet.count]
            case 1: bytes.remove(at: position)
            default: bytes.insert(bytes[position], at: position)
            }
            let text = String(decoding: bytes, as: UTF8.self)
            if round % 2 == 0 {
                let (fast, slow) = both(SearchRequest.self, text)
                guard case .success(let value?) = fast else { continue }
                accepted += 1
                let expected = try #require(try? slow.get(), "fast reader accepted what JSONDecoder refuses: \(text)")
                #expect(describe(value) == describe(expected), "\(text)")
            } else {
                let (fast, slow) = both(UpsertRequest.self, text)
                guard case .success(let value?) = fast else { continue }
                accepted += 1
                let expected = try #require(try? slow.get(), "fast reader accepted what JSONDecoder refuses: \(text)")
                #expect(describe(value) == describe(expected), "\(text)")
            }
        }
        #expect(accepted > 100)  // the mutations leave many bodies valid: the property was exercised
    }

    @Test func refusedBodiesFallThroughOrFailAlike() throws {
        for body in [#"{"vector":[1,2],"k":0}"#, #"{"vector_b64":"abc","k":1}"#, #"{"vector":[1],"k":2,"k":3}"#, #"{"vector":[01]}"#,
                     #"{"vector":[1e39]}"#, #"{"vector":[1],"label":"a\"b"}"#, #"{"vector":null}"#, #"{"vector":[1]} x"#] {
            let (fast, slow) = both(SearchRequest.self, body)
            switch fast {
            case .success(let value?): Issue.record("fast reader accepted \(body) as \(describe(value))")
            case .success(nil): break
            case .failure(let error):
                // a checked field: the same message as JSONDecoder's path gives
                #expect("\(error)" == slowError(slow), "\(body)")
            }
        }
    }

    private func slowError<T>(_ result: Result<T, any Error>) -> String {
        if case .failure(let error) = result { return "\(error)" }
        return "accepted"
    }
}
