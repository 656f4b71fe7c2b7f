/// Map and reader facts of an environment.
struct EnvironmentInfo: Sendable {
    var mapSize: Int
    var pageSize: Int
    var lastPage: Int
    var lastTransactionID: Int
    var maxReaders: Int
    var readersInUse: Int
    var fileSize: Int
    /// Bytes of the map in use: every page up to the last one written.
    var usedBytes: Int { (lastPage + 1) * pageSize }
}
