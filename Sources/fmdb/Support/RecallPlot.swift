import CommandSupport
import Foundation

/// Recall@k against queries per second as an SVG chart, one curve per series (a run of `fmdb
/// bench`, or a peer measured on the same files), the way ann-benchmarks draws them: recall on the
/// x axis, QPS on a logarithmic y axis, a point per ef.
struct RecallPlot {
    /// One measured point: recall at k, queries per second, and the ef it was measured at.
    struct Point: Decodable {
        var ef: Int
        var recall: Double
        var qps: Double
    }

    /// One curve.
    struct Series {
        var name: String
        var points: [Point]
    }

    var title: String
    var k: Int
    var series: [Series]

    private static let plotWidth = 560.0, height = 480.0
    private static let left = 70.0, top = 40.0, bottom = 50.0
    private static let colours = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]

    /// Reads a series from JSON lines with `ef`, `recall` and `qps` (what `fmdb bench --json` and
    /// `tools/peers/hnswlib-native.cpp` print); other lines are skipped.
    static func series(named name: String, jsonLinesAt path: String) throws -> Series {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw CLIError("cannot read \(path)")
        }
        var points: [Point] = []
        for line in text.split(whereSeparator: \.isNewline) where line.first == "{" && line.count <= 1 << 16 {
            if let point = try? JSONDecoder().decode(Point.self, from: Data(line.utf8)),
               point.recall.isFinite, point.qps.isFinite, point.qps > 0, (0...1).contains(point.recall) {
                points.append(point)
            }
        }
        guard !points.isEmpty else { throw CLIError("\(path) holds no lines with ef, recall (0…1) and qps (> 0)") }
        guard points.count <= 10_000 else { throw CLIError("\(path) holds more than 10,000 points") }
        return Series(name: name, points: points)
    }

    /// The chart as an SVG document.
    func svg() -> String {
        let all = series.flatMap(\.points)
        let recalls = all.map(\.recall), rates = all.map(\.qps)
        var low = max(0, (recalls.min() ?? 0) - 0.01), high = min(1, (recalls.max() ?? 1) + 0.01)
        if high - low < 0.02 { (low, high) = (max(0, low - 0.01), min(1, high + 0.01)) }
        let floor = pow(10, Foundation.floor(log10(rates.min() ?? 1))), ceiling = pow(10, ceil(log10(rates.max() ?? 10)))
        // the legend's column is as wide as its longest name (about 7 pixels a character)
        let right = max(160, 60 + 7 * Double(series.map(\.name.count).max() ?? 0))
        let plotWidth = Self.plotWidth, plotHeight = Self.height - Self.top - Self.bottom
        let width = Self.left + plotWidth + right
        func x(_ recall: Double) -> Double { Self.left + (recall - low) / (high - low) * plotWidth }
        func y(_ qps: Double) -> Double {
            let span = log10(ceiling) - log10(floor)
            return Self.top + plotHeight - (log10(qps) - log10(floor)) / (span > 0 ? span : 1) * plotHeight
        }
        var out = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(Self.height))" \
        viewBox="0 0 \(Int(width)) \(Int(Self.height))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(Self.left)" y="24" font-size="14">\(Self.escaped(title))</text>

        """
        // axes, grid and ticks: a line at 1, 2 and 5 times each power of ten
        var ticks: [Double] = []
        var decade = floor
        while decade <= ceiling * 1.0001 {
            for factor in [1.0, 2.0, 5.0] where decade * factor <= ceiling * 1.0001 { ticks.append(decade * factor) }
            decade *= 10
        }
        out += "<g stroke=\"#ddd\">"
        for tick in ticks {
            out += "<line x1=\"\(f(Self.left))\" y1=\"\(f(y(tick)))\" x2=\"\(f(Self.left + plotWidth))\" y2=\"\(f(y(tick)))\"/>"
        }
        out += "</g>\n"
        for tick in ticks {
            out += "<text x=\"\(f(Self.left - 6))\" y=\"\(f(y(tick) + 4))\" text-anchor=\"end\">\(Self.label(tick))</text>\n"
        }
        for step in 0...5 {
            let recall = low + (high - low) * Double(step) / 5
            out += "<text x=\"\(f(x(recall)))\" y=\"\(f(Self.top + plotHeight + 18))\" text-anchor=\"middle\">\(String(format: "%.3f", recall))</text>\n"
        }
        out += "<rect x=\"\(f(Self.left))\" y=\"\(f(Self.top))\" width=\"\(f(plotWidth))\" height=\"\(f(plotHeight))\" fill=\"none\" stroke=\"black\"/>\n"
        out += "<text x=\"\(f(Self.left + plotWidth / 2))\" y=\"\(f(Self.height - 10))\" text-anchor=\"middle\">recall@\(k)</text>\n"
        out += "<text transform=\"translate(16 \(f(Self.top + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\">queries per second (log)</text>\n"
        // one curve per series, points in recall order, labelled with their ef
        for (index, series) in series.enumerated() {
            let colour = Self.colours[index % Self.colours.count]
            let points = series.points.sorted { ($0.recall, $0.ef) < ($1.recall, $1.ef) }
            let path = points.map { "\(f(x($0.recall))),\(f(y($0.qps)))" }.joined(separator: " ")
            out += "<g class=\"series\" data-name=\"\(Self.escaped(series.name))\">"
            out += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\" points=\"\(path)\"/>"
            for point in points {
                out += "<circle cx=\"\(f(x(point.recall)))\" cy=\"\(f(y(point.qps)))\" r=\"3\" fill=\"\(colour)\">"
                out += "<title>\(Self.escaped(series.name)): ef \(point.ef), recall \(String(format: "%.4f", point.recall)), \(String(format: "%.1f", point.qps)) QPS</title></circle>"
            }
            out += "</g>\n"
            let legendY = Self.top + 14 + Double(index) * 18
            out += "<line x1=\"\(f(Self.left + plotWidth + 12))\" y1=\"\(f(legendY - 4))\" x2=\"\(f(Self.left + plotWidth + 32))\" y2=\"\(f(legendY - 4))\" stroke=\"\(colour)\" stroke-width=\"2\"/>"
            out += "<text x=\"\(f(Self.left + plotWidth + 38))\" y=\"\(f(legendY))\">\(Self.escaped(series.name))</text>\n"
        }
        out += "</svg>\n"
        return out
    }

    private func f(_ value: Double) -> String { String(format: "%.1f", value) }

    private static func label(_ value: Double) -> String {
        value >= 1 ? String(Int(value.rounded())) : String(format: "%g", value)
    }

    /// `text` with the characters XML gives a meaning escaped.
    static func escaped(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(character)
            }
        }
        return out
    }
}
