import Foundation
import Testing
@testable import FeatureMemory

struct MetricTests {
    @Test func namesAreStable() {
        #expect(Metric.allCases == [.l2, .cosine, .innerProduct])
        #expect(Metric.allCases.map(\.rawValue) == ["l2", "cosine", "ip"])
        #expect(Metric(rawValue: "ip") == .innerProduct)
        #expect(Metric(rawValue: "innerProduct") == nil)
    }

    @Test func storedCodesRoundTripAndAreStable() {
        #expect(Metric.allCases.map(\.storedCode) == [0, 1, 2])
        for metric in Metric.allCases { #expect(Metric(storedCode: metric.storedCode) == metric) }
        for code in UInt8(3)...UInt8(255) { #expect(Metric(storedCode: code) == nil) }
    }

    @Test func codableUsesTheRawValue() throws {
        let data = try JSONEncoder().encode([Metric.innerProduct, .l2])
        #expect(String(decoding: data, as: UTF8.self) == #"["ip","l2"]"#)
        #expect(try JSONDecoder().decode([Metric].self, from: data) == [.innerProduct, .l2])
    }
}
