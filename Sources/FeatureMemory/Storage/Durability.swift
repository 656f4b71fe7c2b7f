/// What a commit waits for before it returns, and so what a crash may lose.
public enum Durability: String, Sendable, CaseIterable, Codable {
    /// Data and metadata are flushed to disk at every commit: nothing acknowledged is lost,
    /// even on power loss. The default.
    case full
    /// Data is flushed, the meta page is not (`MDB_NOMETASYNC`): a power loss may lose the last
    /// commit, never integrity; a process crash loses nothing.
    case noMetaSync
    /// Nothing is flushed (`MDB_NOSYNC`): a power loss may lose recent commits, and a file
    /// system without ordered writes may damage the store; a process crash loses nothing.
    case noSync
}
