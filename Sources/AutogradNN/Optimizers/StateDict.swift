import AutogradCore
import AutogradEngine
import Foundation

/// The state of an optimizer or a learning-rate scheduler, like the dictionary that
/// PyTorch's `state_dict()` returns, flattened into named tensors and named numbers so that
/// it fits a safetensors file.
///
/// Keys follow PyTorch's nesting with dots: an Adam's first-moment estimate of its first
/// parameter is the tensor `state.0.exp_avg`, its step count the scalar `state.0.step`,
/// the learning rate of its second group the scalar `param_groups.1.lr`; a scheduler's
/// epoch is `last_epoch`.
/// ```swift
/// try optimizer.stateDict().save(to: URL(fileURLWithPath: "optimizer.safetensors"))
/// // later, with an optimizer made the same way:
/// try optimizer.load(stateDict: StateDict(contentsOf: URL(fileURLWithPath: "optimizer.safetensors")))
/// ```
/// The tensors of a state dict that an optimizer returns are copies: later steps do not
/// change them.
public struct StateDict {
    /// The tensors by key, such as `state.0.exp_avg`.
    public var tensors: [String: Tensor]
    /// The numbers by key, such as `state.0.step` or `param_groups.0.lr`. Counts and flags
    /// are whole numbers (a flag is 0 or 1).
    public var scalars: [String: Double]

    /// A state dict holding `tensors` and `scalars`.
    public init(tensors: [String: Tensor] = [:], scalars: [String: Double] = [:]) {
        self.tensors = tensors
        self.scalars = scalars
    }

    /// Every key, tensors and scalars together, sorted.
    public var keys: [String] { (Array(tensors.keys) + Array(scalars.keys)).sorted() }

    /// The same entries under `prefix` and a dot: `prefixed("optimizer")` turns `state.0.step`
    /// into `optimizer.state.0.step`. With ``merging(_:)`` this puts several states in one file.
    public func prefixed(_ prefix: String) -> StateDict {
        StateDict(tensors: Dictionary(uniqueKeysWithValues: tensors.map { ("\(prefix).\($0.key)", $0.value) }),
                  scalars: Dictionary(uniqueKeysWithValues: scalars.map { ("\(prefix).\($0.key)", $0.value) }))
    }

    /// The entries whose keys start with `prefix` and a dot, with that part removed: the
    /// inverse of ``prefixed(_:)``.
    public func scoped(to prefix: String) -> StateDict {
        let start = prefix + "."
        func strip<Value>(_ entries: [String: Value]) -> [String: Value] {
            Dictionary(uniqueKeysWithValues: entries.compactMap { key, value in
                key.hasPrefix(start) ? (String(key.dropFirst(start.count)), value) : nil
            })
        }
        return StateDict(tensors: strip(tensors), scalars: strip(scalars))
    }

    /// This state dict with the entries of `other` added; keys present in both must not occur.
    public func merging(_ other: StateDict) -> StateDict {
        let repeated = Set(keys).intersection(other.keys)
        checkUsage(repeated.isEmpty, "StateDict.merging: both state dicts have \(repeated.sorted().joined(separator: ", "))")
        return StateDict(tensors: tensors.merging(other.tensors) { first, _ in first },
                         scalars: scalars.merging(other.scalars) { first, _ in first })
    }
}

extension StateDict {
    /// The tensors as safetensors entries, each in its own dtype.
    public var safetensorsEntries: [SafetensorsEntry] {
        tensors.keys.sorted().map { SafetensorsEntry(name: $0, tensor: tensors[$0]!) }
    }

    /// The scalars as the strings of a safetensors header's `__metadata__`: each number in
    /// the shortest form that reads back as the same `Double` (`inf`, `-inf` and `nan` too).
    public var safetensorsMetadata: [String: String] { scalars.mapValues { "\($0)" } }

    /// The state dict stored in a safetensors file: its tensors, and its metadata read as
    /// numbers (see ``safetensorsMetadata``).
    ///
    /// - Throws: ``CheckpointError/invalidHeader(_:)`` when a metadata value is not a number.
    public init(_ file: SafetensorsFile) throws(CheckpointError) {
        var scalars: [String: Double] = [:]
        for (key, text) in file.metadata {
            guard let value = Double(text) else {
                throw .invalidHeader("metadata '\(key)' is '\(text)', not a number of an optimizer or scheduler state")
            }
            scalars[key] = value
        }
        self.init(tensors: file.tensors.mapValues(\.tensor), scalars: scalars)
    }

    /// Reads a state dict that ``save(to:)`` wrote.
    ///
    /// - Throws: ``CheckpointError`` when the file cannot be read or is not such a file.
    public init(contentsOf url: URL) throws(CheckpointError) {
        try self.init(Safetensors.read(from: url))
    }

    /// Writes the tensors and scalars to `url` in the safetensors format: tensors as
    /// tensors, scalars as header metadata.
    public func save(to url: URL) throws(CheckpointError) {
        try Safetensors.write(safetensorsEntries, metadata: safetensorsMetadata, to: url)
    }
}

/// Why a state dict could not be loaded into an optimizer or a scheduler. Loading checks
/// everything first, so after this error the optimizer or scheduler is unchanged.
public enum StateDictError: Error, CustomStringConvertible, Equatable {
    /// Entries the optimizer or scheduler needs are absent.
    case missingKeys([String])
    /// Entries that the optimizer or scheduler does not have.
    case unexpectedKeys([String])
    /// The state dict has `stateDict` parameter groups, the optimizer `optimizer`.
    case groupCountMismatch(stateDict: Int, optimizer: Int)
    /// Group `group` has `stateDict` parameters in the state dict, `optimizer` in the optimizer.
    case groupSizeMismatch(group: Int, stateDict: Int, optimizer: Int)
    /// A state tensor's shape differs from its parameter's.
    case shapeMismatch(name: String, stateDict: [Int], parameter: [Int])
    /// A value that is out of range or of the wrong kind (a fractional count, a negative step).
    case invalidValue(name: String, reason: String)
    /// A setting of the scheduler (or a kind of optimizer) differs from the one that saved the state.
    case configurationMismatch(name: String, stateDict: String, current: String)

    /// The one-line message.
    public var description: String {
        switch self {
        case .missingKeys(let keys): return "state dict lacks entries: \(keys.joined(separator: ", "))"
        case .unexpectedKeys(let keys): return "state dict has unexpected entries: \(keys.joined(separator: ", "))"
        case .groupCountMismatch(let saved, let current):
            return "loaded state dict has a different number of parameter groups (\(saved), the optimizer has \(current))"
        case .groupSizeMismatch(let group, let saved, let current):
            return "loaded state dict contains a parameter group that doesn't match the size of optimizer's group "
                + "(group \(group): \(saved) parameters, the optimizer's has \(current))"
        case .shapeMismatch(let name, let saved, let parameter):
            return "size mismatch for \(name): the state dict has shape \(saved), the parameter has shape \(parameter)"
        case .invalidValue(let name, let reason): return "invalid state dict entry \(name): \(reason)"
        case .configurationMismatch(let name, let saved, let current):
            return "state dict was saved with \(name) \(saved), this one has \(current)"
        }
    }
}

/// Reads a state dict's entries for a load, remembering which were read so that the rest
/// can be reported as unexpected.
struct StateDictReader {
    let dict: StateDict
    private(set) var used: Set<String> = []
    private(set) var missing: [String] = []

    init(_ dict: StateDict) { self.dict = dict }

    /// The scalar at `key`, or nil (noted as missing) when absent.
    mutating func scalar(_ key: String) -> Double? {
        used.insert(key)
        guard let value = dict.scalars[key] else {
            missing.append(key)
            return nil
        }
        return value
    }

    /// The scalar at `key` when present; its absence is not an error.
    mutating func optionalScalar(_ key: String) -> Double? {
        used.insert(key)
        return dict.scalars[key]
    }

    /// The whole number at `key`, nil when absent (noted as missing).
    mutating func integer(_ key: String, minimum: Int = 0) throws(StateDictError) -> Int? {
        guard let value = scalar(key) else { return nil }
        guard value.rounded() == value, value >= Double(minimum), value < 1e15 else {
            throw .invalidValue(name: key, reason: "expected a whole number of at least \(minimum), got \(value)")
        }
        return Int(value)
    }

    /// The flag (0 or 1) at `key`, nil when absent (noted as missing).
    mutating func flag(_ key: String) throws(StateDictError) -> Bool? {
        guard let value = scalar(key) else { return nil }
        guard value == 0 || value == 1 else { throw .invalidValue(name: key, reason: "expected 0 or 1, got \(value)") }
        return value == 1
    }

    /// The tensor at `key` when present.
    mutating func tensor(_ key: String) -> Tensor? {
        used.insert(key)
        return dict.tensors[key]
    }

    /// Throws for missing keys, then for keys nothing read.
    func finish() throws(StateDictError) {
        if !missing.isEmpty { throw .missingKeys(missing.sorted()) }
        let unexpected = dict.keys.filter { !used.contains($0) }
        if !unexpected.isEmpty { throw .unexpectedKeys(unexpected) }
    }
}

extension Double {
    /// A `Float` argument widened through its shortest decimal form, so that `0.1` becomes
    /// the `Double` 0.1 that Python's `0.1` is (not 0.100000001490116): the hyperparameters
    /// then enter the update formulas as the same doubles PyTorch uses.
    init(decimal value: Float) {
        self = value.isFinite ? Double("\(value)") ?? Double(value) : Double(value)
    }
}

/// An independent copy of `tensor`'s values in `dtype`, outside any graph.
func stateCopy(_ tensor: Tensor, dtype: DType? = nil) -> Tensor {
    let converted = dtype.map { tensor.dtype == $0 ? tensor : tensor.to($0) } ?? tensor
    return Tensor(converted.array.copy())
}
