extension NPYHeader {
    /// A value in the header's Python-literal dictionary.
    enum Value: Equatable {
        case string(String)
        case bool(Bool)
        case tuple([Int])
    }

    /// Reads the header dictionary: `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`.
    ///
    /// A real tokenizer rather than substring search, so a key inside a string or an odd spacing cannot mislead it.
    struct HeaderParser {
        private let scalars: [Unicode.Scalar]
        private var index = 0

        init(_ text: String) { scalars = Array(text.unicodeScalars) }

        mutating func dictionary() throws(NPYError) -> [String: Value] {
            try expect("{")
            var result: [String: Value] = [:]
            while true {
                skipSpace()
                if peek() == "}" { index += 1; return result }
                let key = try string()
                try expect(":")
                skipSpace()
                result[key] = try value()
                skipSpace()
                if peek() == "," { index += 1; continue }
                try expect("}")
                return result
            }
        }

        private mutating func value() throws(NPYError) -> Value {
            switch peek() {
            case "'", "\"": return .string(try string())
            case "(": return .tuple(try tuple())
            default:
                let word = identifier()
                switch word {
                case "True": return .bool(true)
                case "False": return .bool(false)
                default: throw .malformedHeader("unexpected value '\(word)'")
                }
            }
        }

        private mutating func string() throws(NPYError) -> String {
            skipSpace()
            guard let quote = peek(), quote == "'" || quote == "\"" else { throw .malformedHeader("expected a quoted key") }
            index += 1
            var text = String.UnicodeScalarView()
            while let c = peek(), c != quote { text.append(c); index += 1 }
            guard peek() == quote else { throw .malformedHeader("unterminated string") }
            index += 1
            return String(text)
        }

        private mutating func tuple() throws(NPYError) -> [Int] {
            try expect("(")
            var sizes: [Int] = []
            while true {
                skipSpace()
                if peek() == ")" { index += 1; return sizes }
                // Python writes long integers as e.g. 3L in old pickles of shape; accept a trailing L.
                let word = identifier()
                guard let size = Int(word.hasSuffix("L") ? String(word.dropLast()) : word) else {
                    throw .malformedHeader("shape entry '\(word)' is not an integer")
                }
                sizes.append(size)
                skipSpace()
                if peek() == "," { index += 1; continue }
                try expect(")")
                return sizes
            }
        }

        private mutating func identifier() -> String {
            var text = String.UnicodeScalarView()
            while let c = peek(), c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "-" || c == "_" {
                text.append(c)
                index += 1
            }
            return String(text)
        }

        private mutating func expect(_ c: Unicode.Scalar) throws(NPYError) {
            skipSpace()
            guard peek() == c else { throw .malformedHeader("expected '\(c)'") }
            index += 1
        }

        private mutating func skipSpace() {
            while let c = peek(), c == " " || c == "\n" || c == "\t" || c == "\r" { index += 1 }
        }

        private func peek() -> Unicode.Scalar? { index < scalars.count ? scalars[index] : nil }
    }
}
