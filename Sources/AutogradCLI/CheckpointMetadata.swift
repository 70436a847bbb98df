import Autograd

/// What `autograd evaluate` reads from a checkpoint: its `__metadata__` strings, each
/// checked before it is used (a value from a file is untrusted), and its tensors' shapes.
/// Every check that fails throws a one-line ``CommandError`` naming the file, the field
/// and the value.
struct CheckpointMetadata {
    /// The checkpoint's path, for messages.
    let file: String
    /// The header's `__metadata__`.
    let metadata: [String: String]
    /// The checkpoint's tensors by name.
    let tensors: [String: Tensor]

    /// The model: `override` when given, else the checkpoint's `model`.
    func model(override: ModelKind?) throws -> ModelKind {
        if let override { return override }
        guard let value = metadata["model"] else {
            throw CommandError("\(file) does not record its model; pass --model mlp or --model cnn")
        }
        guard let model = ModelKind(rawValue: value) else {
            throw CommandError("\(file): the metadata's model '\(clipped(value))' is not \(choices(ModelKind.allCases)); pass --model")
        }
        return model
    }

    /// The data set: `override` when given, else the checkpoint's `data`, else the digits.
    func data(override: DataKind?) throws -> DataKind {
        if let override { return override }
        guard let value = metadata["data"] else { return .digits }
        guard let data = DataKind(rawValue: value) else {
            throw CommandError("\(file): the metadata's data '\(clipped(value))' is not \(choices(DataKind.allCases)); pass --data")
        }
        return data
    }

    /// Throws unless the checkpoint's `image_shape`, when it records one, is
    /// `channels,height,width` and equals `imageShape`, the shape of the data's images.
    func checkImageShape(_ imageShape: [Int], data: DataKind) throws {
        guard let value = metadata["image_shape"] else { return }
        let parts = value.split(separator: ",", omittingEmptySubsequences: false)
        let recorded = parts.compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 3, recorded.count == 3, recorded.allSatisfy({ $0 >= 1 }) else {
            throw CommandError("\(file): the metadata's image_shape '\(clipped(value))' is not three positive whole numbers such as 1,28,28")
        }
        guard recorded == imageShape else {
            throw CommandError("\(file) was trained on \(describe(shape: recorded)) images but the \(data.rawValue) images are \(describe(shape: imageShape))")
        }
    }

    /// The number of classes: the checkpoint's `classes` when it records one, which must be
    /// 2 to ``ModelKind/maximumClasses`` and agree with the shape of the output layer;
    /// else the output layer's size; else `fallback` (from the data's labels).
    func classes(model: ModelKind, fallback: Int) throws -> Int {
        let fromTensors = try outputLayerSize(model: model)
        guard let value = metadata["classes"] else { return fromTensors ?? fallback }
        let range = 2...ModelKind.maximumClasses
        guard let classes = Int(value), range.contains(classes) else {
            throw CommandError("\(file): the metadata's classes '\(clipped(value))' is not a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        if let fromTensors, fromTensors != classes {
            throw CommandError("\(file): the metadata says \(classes) classes but the output layer \(model.outputLayer) has \(fromTensors)")
        }
        return classes
    }

    /// The number of outputs of `model`'s last linear layer in the checkpoint, or nil when
    /// the checkpoint lacks that layer (loading it then names what is missing).
    private func outputLayerSize(model: ModelKind) throws -> Int? {
        let (weightName, biasName) = ("\(model.outputLayer).weight", "\(model.outputLayer).bias")
        guard let weight = tensors[weightName], let bias = tensors[biasName] else { return nil }
        let inputs = model.outputLayerInputs
        guard weight.shape.count == 2, weight.shape[1] == inputs, bias.shape == [weight.shape[0]] else {
            throw CommandError("\(file) is not a checkpoint of the \(model.rawValue): its \(weightName) is \(weight.shape) and \(biasName) \(bias.shape), where the \(model.rawValue)'s output layer has [classes, \(inputs)] and [classes]")
        }
        let range = 2...ModelKind.maximumClasses
        guard range.contains(bias.shape[0]) else {
            throw CommandError("\(file): the output layer \(model.outputLayer) has \(bias.shape[0]) classes; the \(model.rawValue) is built for \(range.lowerBound) to \(range.upperBound)")
        }
        return bias.shape[0]
    }

    /// `value`, cut to 40 characters, with line breaks shown as `\n`, for one-line messages.
    private func clipped(_ value: String) -> String {
        let shown = value.count > 40 ? String(value.prefix(40)) + "…" : value
        return shown.replacingOccurrences(of: "\r", with: "\\r").replacingOccurrences(of: "\n", with: "\\n")
    }

    /// The raw values of `cases` as `a or b`.
    private func choices<Kind: RawRepresentable<String>>(_ cases: [Kind]) -> String {
        cases.map(\.rawValue).joined(separator: " or ")
    }
}
