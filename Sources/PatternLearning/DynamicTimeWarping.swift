/// Alignment of two frame sequences spoken at different paces: the least total frame distance
/// (Euclidean) along a monotone path from both starts to both ends, divided by the two lengths'
/// sum so that long and short words compare. The path keeps within `band` frames of the diagonal
/// scaled to the two lengths (Sakoe–Chiba), which bounds the work to frames × band.
public enum DynamicTimeWarping {
    /// The alignment distance of `a` and `b` (row-major frames of the same `dimension`); infinity
    /// when either is empty or the dimensions differ.
    public static func distance(_ a: FrameSequence, _ b: FrameSequence, band: Int = 10) -> Float {
        guard a.dimension == b.dimension else { return .infinity }
        return distance(a.values, frames: a.frameCount, b.values, frames: b.frameCount, dimension: a.dimension, band: band)
    }

    /// The alignment distance of row-major `a` (`n` frames) and `b` (`m` frames) of `dimension` values.
    public static func distance(_ a: [Float], frames n: Int, _ b: [Float], frames m: Int, dimension: Int, band: Int) -> Float {
        guard n > 0, m > 0, dimension > 0, a.count >= n * dimension, b.count >= m * dimension else { return .infinity }
        // wide enough that each row's window touches the last one's, so a path always exists
        let width = max(band, 1, (m + n - 1) / n)
        var rows = [Float](repeating: .infinity, count: 2 * (m + 1))
        // the window the row being overwritten held two rows ago: its cells are cleared before
        // reuse, so cells outside this row's window stay unreachable for the next row
        var stale = 1..<1, last = 1..<1
        var result = Float.infinity
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                rows.withUnsafeMutableBufferPointer { rows in
                    var previous = UnsafeMutableBufferPointer(rebasing: rows[0...m])
                    var current = UnsafeMutableBufferPointer(rebasing: rows[(m + 1)...])
                    previous[0] = 0
                    for i in 1...n {
                        let centre = i * m / n
                        let low = max(1, centre - width), high = min(m, centre + width)
                        current[0] = .infinity
                        for j in stale { current[j] = .infinity }
                        let rowA = (i - 1) * dimension
                        for j in low...high {
                            let rowB = (j - 1) * dimension
                            var sum: Float = 0
                            for k in 0..<dimension {
                                let d = a[rowA + k] - b[rowB + k]
                                sum += d * d
                            }
                            current[j] = sum.squareRoot() + min(previous[j], current[j - 1], previous[j - 1])
                        }
                        swap(&previous, &current)
                        stale = last
                        last = low..<(high + 1)
                    }
                    result = previous[m]
                }
            }
        }
        return result / Float(n + m)
    }
}
