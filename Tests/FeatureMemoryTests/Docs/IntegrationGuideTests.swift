import Foundation
import Testing

/// docs/integration.md quotes Examples/QuickStart, which `make test` runs: every Swift block of the
/// guide must still be in the example, line for line, or the guide shows code nobody runs.
struct IntegrationGuideTests {
    /// The repository's root, from this file's place in it.
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The lines of `text` without their indentation, blank ones dropped.
    static func lines(_ text: Substring) -> [Substring] {
        text.split(separator: "\n").map { $0.drop { $0 == " " } }.filter { !$0.isEmpty }
    }

    /// The ```swift blocks of `markdown`.
    static func swiftBlocks(_ markdown: String) -> [Substring] {
        var blocks: [Substring] = []
        var rest = markdown[...]
        while let open = rest.range(of: "```swift\n"), let close = rest[open.upperBound...].range(of: "```") {
            blocks.append(rest[open.upperBound..<close.lowerBound])
            rest = rest[close.upperBound...]
        }
        return blocks
    }

    @Test func everySwiftBlockOfTheGuideIsInTheExample() throws {
        let guide = try String(contentsOf: Self.root.appendingPathComponent("docs/integration.md"), encoding: .utf8)
        let example = try ["Examples/QuickStart/Package.swift", "Examples/QuickStart/Sources/QuickStart/QuickStart.swift"]
            .map { try String(contentsOf: Self.root.appendingPathComponent($0), encoding: .utf8) }
            .joined(separator: "\n")
        let source = Self.lines(example[...])
        let blocks = Self.swiftBlocks(guide)
        #expect(blocks.count >= 10)
        for block in blocks {
            let quoted = Self.lines(block)
            let found = source.indices.contains { start in
                start + quoted.count <= source.count && Array(source[start..<(start + quoted.count)]) == quoted
            }
            #expect(found, "not in Examples/QuickStart:\n\(block)")
        }
    }
}
