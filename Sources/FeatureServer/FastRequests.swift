/// A request body with a fast reading for its common, plainly valid form; nil sends the body to
/// JSONDecoder (`JSONBody.decode`), which reads everything else and words every error.
protocol FastDecodable {
    /// The request read from `bytes`, or nil when the fast reader does not handle them.
    static func fastDecode(_ bytes: UnsafeRawBufferPointer) throws -> Self?
}

extension SearchRequest: FastDecodable {
    static func fastDecode(_ bytes: UnsafeRawBufferPointer) throws -> SearchRequest? {
        var reader = FastJSONReader(bytes)
        guard let search = try read(&reader, path: ""), reader.atEnd() else { return nil }
        return search
    }

    /// One search object; `path` names it in errors ("searches[2].").
    static func read(_ reader: inout FastJSONReader, path: String) throws -> SearchRequest? {
        var vector: VectorInput?
        var k: Int?, ef: Int?, label: String?, exact: Bool?
        var base64: String?
        let complete = reader.object { reader, key in
            switch key {
            case "vector": reader.floats().map { vector = VectorInput(values: $0, field: path + "vector") } != nil
            case "vector_b64": reader.string().map { base64 = $0 } != nil
            case "k": reader.integer().map { k = $0 } != nil
            case "ef": reader.integer().map { ef = $0 } != nil
            case "label": reader.string().map { label = $0 } != nil
            case "exact": reader.boolean().map { exact = $0 } != nil
            default: false
            }
        }
        guard complete else { return nil }
        switch (vector, base64) {
        case (let vector?, nil):
            return try SearchRequest(vector: vector, k: k, ef: ef, label: label, exact: exact, path: path)
        case (nil, let text?):
            let vector = try VectorInput(base64: text, field: path + "vector_b64")
            return try SearchRequest(vector: vector, k: k, ef: ef, label: label, exact: exact, path: path)
        default:
            return nil
        }
    }
}

extension BatchSearchRequest: FastDecodable {
    static func fastDecode(_ bytes: UnsafeRawBufferPointer) throws -> BatchSearchRequest? {
        var reader = FastJSONReader(bytes)
        var searches: [SearchRequest]?
        var failure: (any Error)?
        let complete = reader.object { reader, key in
            guard key == "searches" else { return false }
            var list: [SearchRequest] = []
            let read = reader.array { reader, index in
                do {
                    guard let search = try SearchRequest.read(&reader, path: "searches[\(index)].") else { return false }
                    list.append(search)
                    return true
                } catch {
                    failure = error
                    return false
                }
            }
            searches = list
            return read
        }
        if let failure { throw failure }
        guard complete, reader.atEnd(), let searches else { return nil }
        return BatchSearchRequest(searches: searches)
    }
}

extension UpsertRequest: FastDecodable {
    static func fastDecode(_ bytes: UnsafeRawBufferPointer) throws -> UpsertRequest? {
        var reader = FastJSONReader(bytes)
        var points: [PointInput]?
        var failure: (any Error)?
        let complete = reader.object { reader, key in
            guard key == "points" else { return false }
            var list: [PointInput] = []
            let read = reader.array { reader, index in
                do {
                    guard let point = try PointInput.read(&reader, path: "points[\(index)].") else { return false }
                    list.append(point)
                    return true
                } catch {
                    failure = error
                    return false
                }
            }
            points = list
            return read
        }
        if let failure { throw failure }
        guard complete, reader.atEnd(), let points else { return nil }
        return UpsertRequest(points: points)
    }
}

extension PointInput {
    /// One point object; `path` names it in errors ("points[3].").
    static func read(_ reader: inout FastJSONReader, path: String) throws -> PointInput? {
        var id: UInt64?, values: [Float]?, base64: String?, label: String?
        let complete = reader.object { reader, key in
            switch key {
            case "id": reader.unsigned().map { id = $0 } != nil
            case "vector": reader.floats().map { values = $0 } != nil
            case "vector_b64": reader.string().map { base64 = $0 } != nil
            case "label": reader.string().map { label = $0 } != nil
            default: false
            }
        }
        guard complete, let id else { return nil }
        switch (values, base64) {
        case (let values?, nil): return PointInput(id: id, vector: VectorInput(values: values, field: path + "vector"), label: label)
        case (nil, let text?): return PointInput(id: id, vector: try VectorInput(base64: text, field: path + "vector_b64"), label: label)
        default: return nil
        }
    }
}
