import Foundation

/// Reading the files extractors take (WAV, .npy).
enum FileBytes {
    /// The bytes of the file at `url`, mapped when safe; an unreadable file is an `AudioError`.
    static func contents(of url: URL) throws(AudioError) -> Data {
        do {
            return try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            throw .unreadableFile(path: url.path, reason: (error as NSError).localizedDescription)
        }
    }
}
