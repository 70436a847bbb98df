/// Why a data set could not be loaded. Its description is one line naming the file.
public enum DataError: Error, CustomStringConvertible, Equatable {
    /// No file at the path (or none of the names a loader looks for).
    case fileNotFound(path: String)
    /// The file exists but could not be read.
    case unreadable(path: String, reason: String)
    /// The file's contents are not what its format requires.
    case corrupted(path: String, reason: String)
    /// The file decompresses to more than `limit` bytes, the most the caller allows.
    case tooLarge(path: String, limit: Int)

    /// The one-line message.
    public var description: String {
        switch self {
        case .fileNotFound(let path): return "data file not found: \(path)"
        case .unreadable(let path, let reason): return "cannot read data file \(path): \(reason)"
        case .corrupted(let path, let reason): return "corrupted data file \(path): \(reason)"
        case .tooLarge(let path, let limit): return "data file \(path) decompresses to more than the limit of \(limit) bytes"
        }
    }
}
