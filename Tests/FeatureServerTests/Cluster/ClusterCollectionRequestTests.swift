import FeatureMemory
import Foundation
import Testing

@testable import FeatureServer

/// A clustered collection's settings: its replicas pre-check writes by f32 rules, so a stored
/// precision other than f32 is refused by name rather than half-supported.
@Suite struct ClusterCollectionRequestTests {
    func decode(_ json: String) throws -> ClusterCollectionRequest {
        try JSONDecoder().decode(ClusterCollectionRequest.self, from: Data(json.utf8))
    }

    @Test func settingsShardsAndReplicasAreRead() throws {
        let request = try decode(#"{"dimension": 4, "metric": "l2", "shards": 3, "replicas": 2}"#)
        #expect(request.settings == CollectionSettings(dimension: 4, metric: .l2, m: 16, efConstruction: 200))
        #expect(request.settings.encoding == .f32)
        #expect((request.shards, request.replicas) == (3, 2))
    }

    @Test func anEncodingIsRefused() {
        #expect(throws: (any Error).self) { try decode(#"{"dimension": 4, "encoding": "f16"}"#) }
        #expect(throws: (any Error).self) { try decode(#"{"dimension": 4, "encoding": "f32"}"#) }
    }
}
