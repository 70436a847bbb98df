/// Why a checkpoint could not be read, written or loaded into a model. Its description is
/// one line naming the file's problem, such as
/// `truncated checkpoint: tensor '0.weight' needs bytes 0..<1024 but the data section has 512`.
public enum CheckpointError: Error, CustomStringConvertible, Equatable {
    /// The file could not be opened or read.
    case unreadable(path: String, reason: String)
    /// The file could not be written.
    case unwritable(path: String, reason: String)
    /// The file ends before the data its header describes.
    case truncated(String)
    /// The header is not a valid safetensors header.
    case invalidHeader(String)
    /// A tensor's entry in the header is not valid: `field` (`dtype`, `shape` or
    /// `data_offsets`, nil for the entry as a whole) is missing or wrong, as `reason` says.
    case invalidEntry(name: String, field: String?, reason: String)
    /// A tensor is stored in a type this library does not read.
    case unsupportedDType(name: String, dtype: String)
    /// The model has entries the checkpoint lacks.
    case missingKeys([String])
    /// The checkpoint has entries the model lacks.
    case unexpectedKeys([String])
    /// An entry's shape differs between the checkpoint and the model.
    case shapeMismatch(name: String, checkpoint: [Int], model: [Int])

    /// The one-line message.
    public var description: String {
        switch self {
        case .unreadable(let path, let reason): return "cannot read checkpoint '\(path)': \(reason)"
        case .unwritable(let path, let reason): return "cannot write checkpoint '\(path)': \(reason)"
        case .truncated(let detail): return "truncated checkpoint: \(detail)"
        case .invalidHeader(let detail): return "corrupted checkpoint header: \(detail)"
        case .invalidEntry(let name, let field, let reason):
            return "corrupted checkpoint header: tensor '\(name)'\(field.map { " field '\($0)'" } ?? ""): \(reason)"
        case .unsupportedDType(let name, let dtype): return "checkpoint tensor '\(name)' has unsupported dtype \(dtype)"
        case .missingKeys(let keys): return "checkpoint lacks entries the model has: \(keys.joined(separator: ", "))"
        case .unexpectedKeys(let keys): return "checkpoint has entries the model lacks: \(keys.joined(separator: ", "))"
        case .shapeMismatch(let name, let checkpoint, let model):
            return "size mismatch for \(name): copying a param with shape \(checkpoint) from checkpoint, the shape in current model is \(model)"
        }
    }
}
