import AutogradEngine
import Foundation

/// One entry of a module's state: a parameter or a buffer, under its dotted name.
public struct StateEntry {
    /// The key, as in PyTorch's `state_dict()`: `"0.weight"`, `"1.running_mean"`.
    public let name: String
    /// The module's own tensor (not a copy); checkpoints store it in its dtype.
    public let tensor: Tensor
}

extension Module {
    /// Every parameter and buffer under its dotted name, in PyTorch's `state_dict()` order:
    /// each module's parameters, then its buffers, then its submodules'.
    public func stateDict() -> [StateEntry] {
        namedModules().flatMap { prefix, module in
            let name = { (own: String) in prefix.isEmpty ? own : "\(prefix).\(own)" }
            return module.ownParameters().map { StateEntry(name: name($0.name), tensor: $0.parameter) }
                + module.ownBuffers().map { StateEntry(name: name($0.name), tensor: $0.buffer.value) }
        }
    }

    /// Copies `tensors` into the parameters and buffers of the same names, like
    /// `load_state_dict`. Everything is checked before anything is copied, so on error the
    /// module is unchanged.
    ///
    /// - Parameter strict: Require the names to match exactly (PyTorch's default); when
    ///   false, entries present on one side only are skipped.
    /// - Returns: The names the module has and `tensors` lacks, and the reverse.
    /// - Throws: ``CheckpointError`` for missing or unexpected names (when strict) and
    ///   for shape mismatches.
    @discardableResult
    public func loadStateDict(_ tensors: [String: Tensor], strict: Bool = true) throws(CheckpointError)
        -> (missingKeys: [String], unexpectedKeys: [String])
    {
        let state = stateDict()
        let names = Set(state.map(\.name))
        let missing = state.map(\.name).filter { tensors[$0] == nil }
        let unexpected = tensors.keys.filter { !names.contains($0) }.sorted()
        if strict && !missing.isEmpty { throw .missingKeys(missing) }
        if strict && !unexpected.isEmpty { throw .unexpectedKeys(unexpected) }
        for entry in state {
            if let source = tensors[entry.name], source.shape != entry.tensor.shape {
                throw .shapeMismatch(name: entry.name, checkpoint: source.shape, model: entry.tensor.shape)
            }
        }
        noGrad {
            for entry in state {
                if let source = tensors[entry.name] { entry.tensor.copy(from: source) }
            }
        }
        return (missing, unexpected)
    }

    /// Writes the module's ``stateDict()`` to `url` in the safetensors format, loadable in
    /// PyTorch with `model.load_state_dict(safetensors.torch.load_file(path))` into the
    /// same architecture. `metadata` goes into the header's `__metadata__`.
    public func save(to url: URL, metadata: [String: String] = [:]) throws(CheckpointError) {
        let entries = stateDict().map { SafetensorsEntry(name: $0.name, tensor: $0.tensor) }
        try Safetensors.write(entries, metadata: metadata, to: url)
    }

    /// Loads a safetensors checkpoint (saved here or by PyTorch's
    /// `safetensors.torch.save_file(model.state_dict(), path)`) into this module.
    ///
    /// A truncated or corrupted file, or one whose names or shapes do not fit the model,
    /// throws a ``CheckpointError`` and leaves the module unchanged.
    /// - Returns: The file's metadata.
    @discardableResult
    public func load(from url: URL, strict: Bool = true) throws(CheckpointError) -> [String: String] {
        let file = try Safetensors.read(from: url)
        try loadStateDict(file.tensors.mapValues(\.tensor), strict: strict)
        return file.metadata
    }
}
