import CommandSupport
import FeatureMemory
import Foundation
import VectorFiles

/// The first pass of `fmdb import`: every row of the file read and checked by the rules a put
/// applies (`PutRules`, the write path's own checks), so a file with one bad row changes nothing.
struct ImportCheck {
    /// Rows in the file.
    var rows = 0
    /// Floats per row (nil for a file without rows).
    var dimension: Int?
    /// Whether every row's id is --first-id + row (no row gives its own "id"), so committed rows
    /// can be named by an id range.
    var idsAreRowNumbers = true

    /// Reads and checks every row of `file`. `rules` are an existing store's; a new store's are made
    /// from the file's dimension and `metric`.
    static func run(
        file: String, format: VectorFileFormat?, firstID: UInt64, rules existing: PutRules?, metric: Metric, encoding: VectorEncoding
    ) throws -> ImportCheck {
        let reader = try VectorFileReader(path: file, format: format)
        var checked = ImportCheck()
        var rules: PutRules?
        while let next = try reader.next() {
            let row = checked.rows
            if row == 0 {
                // the dimension is known once a row is read (JSON lines say it in their first row)
                let dimension = reader.dimension ?? next.vector.count
                if let existing, existing.dimension != dimension {
                    // as opening the store with the file's dimension would say
                    throw StoreError.configurationMismatch(field: "dimension", stored: "\(existing.dimension)", requested: "\(dimension)")
                }
                do {
                    rules = try existing ?? PutRules(dimension: dimension, metric: metric, encoding: encoding)
                } catch {
                    throw CLIError("\(file): \(error); nothing was imported")
                }
            }
            if next.id == nil {
                guard UInt64(row) <= UInt64.max - firstID else {
                    throw CLIError("\(file), row \(row): id overflows: --first-id \(firstID) + row \(row) is past \(UInt64.max); nothing was imported")
                }
            } else {
                checked.idsAreRowNumbers = false
            }
            do {
                try rules?.check(next.vector, label: next.label, userData: next.userData)
            } catch {
                throw CLIError("\(file), row \(row): \(error); nothing was imported")
            }
            checked.rows += 1
        }
        checked.dimension = reader.dimension
        return checked
    }
}
