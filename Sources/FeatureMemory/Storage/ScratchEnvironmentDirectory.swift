import Foundation

/// A directory beside a store for a temporary environment (a renumbered copy on its way to
/// becoming the store's file), owned by a staged file of the same name: a directory whose owner
/// is gone (the process was killed) is removed by `removeAbandoned(in:)`. On the store's
/// filesystem, so that the copy neither fills memory (as /tmp may) nor crosses devices.
final class ScratchEnvironmentDirectory {
    /// Names of the directories start with this.
    static let prefix = ".fm-scratch-"
    /// The directory's path.
    let path: String
    private let owner: StagedFile

    /// Creates an empty directory in `directory`; `purpose` goes into its name.
    init(in directory: String, purpose: String) throws(StoreError) {
        owner = try StagedFile(directory: directory, purpose: "scratch-" + purpose)
        let token = String(owner.path.dropFirst(directory.count + 1 + StagedFile.prefix.count + "scratch-".count))
        path = directory + "/" + Self.prefix + token
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        } catch {
            throw .io(path: path, reason: "cannot create a scratch directory: \(error.localizedDescription)")
        }
    }

    deinit { remove() }

    /// Deletes the directory and what is in it, and gives up ownership.
    func remove() {
        try? FileManager.default.removeItem(atPath: path)
        owner.discard()
    }

    /// Deletes scratch directories in `directory` whose owner file is gone (after
    /// `StagedFile.removeAbandoned` removed the files no live process holds).
    static func removeAbandoned(in directory: String) {
        StagedFile.removeAbandoned(in: directory, purpose: nil)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for name in names where name.hasPrefix(prefix) {
            let owner = directory + "/" + StagedFile.prefix + "scratch-" + name.dropFirst(prefix.count)
            if !FileManager.default.fileExists(atPath: owner) { try? FileManager.default.removeItem(atPath: directory + "/" + name) }
        }
    }
}
