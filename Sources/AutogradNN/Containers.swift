import AutogradCore
import AutogradEngine

/// Submodules held in a list, like `torch.nn.ModuleList`: they are named `0`, `1`, ... so a
/// model keeping its transformer blocks in a list property `h` has the parameter names
/// `h.0.attn.weight`, `h.1.attn.weight`, as in PyTorch. The list has no forward of its own;
/// the owning module runs its layers.
/// ```swift
/// final class Stack: Module {
///     let h = ModuleList((0..<4).map { _ in Linear(inFeatures: 8, outFeatures: 8) })
///     override func forward(_ input: Tensor) -> Tensor {
///         h.reduce(input) { $1($0) }
///     }
/// }
/// ```
/// Indices may be negative, counting from the end (`h[-1]`), as in Python.
public final class ModuleList: Module, RandomAccessCollection {
    /// The modules, in order.
    public private(set) var modules: [Module]

    /// An empty list.
    public override init() { modules = [] }

    /// A list of `modules`, in order.
    public init(_ modules: [Module]) { self.modules = modules }

    /// The first index, 0.
    public var startIndex: Int { 0 }

    /// One past the last index: the number of modules.
    public var endIndex: Int { modules.count }

    /// The module at `index` (negative indices count from the end); assigning replaces it.
    public subscript(index: Int) -> Module {
        get { modules[position(index)] }
        set { modules[position(index)] = newValue }
    }

    /// Adds `module` at the end, like `append`.
    public func append(_ module: Module) { modules.append(module) }

    /// Adds `newModules` at the end, in order, like `extend`.
    public func extend(_ newModules: [Module]) { modules += newModules }

    /// Inserts `module` before position `index` (negative counts from the end), like `insert`.
    public func insert(_ module: Module, at index: Int) {
        let i = index < 0 ? Swift.max(index + modules.count, 0) : Swift.min(index, modules.count)
        modules.insert(module, at: i)
    }

    /// Removes and returns the module at `index` (negative counts from the end), like `pop`.
    @discardableResult
    public func remove(at index: Int) -> Module { modules.remove(at: position(index)) }

    /// The modules named by their positions.
    public override func namedChildren() -> [(name: String, module: Module)] {
        modules.enumerated().map { (String($0.offset), $0.element) }
    }

    /// PyTorch's `repr` of a `ModuleList`: runs of modules that print the same are shown
    /// once, as `(0-3): 4 x Block(...)`.
    public override var description: String {
        guard !modules.isEmpty else { return "ModuleList()" }
        var runs: [(start: Int, end: Int, text: String)] = []
        for (index, module) in modules.enumerated() {
            let text = module.description
            if let last = runs.last, last.text == text {
                runs[runs.count - 1].end = index
            } else {
                runs.append((index, index, text))
            }
        }
        let lines = runs.map { run in
            let label = run.start == run.end ? "(\(run.start)): " : "(\(run.start)-\(run.end)): \(run.end - run.start + 1) x "
            return indentingFollowingLines(label + run.text)
        }
        return "ModuleList(\n  " + lines.joined(separator: "\n  ") + "\n)"
    }

    /// `index` made non-negative and checked, with Python's message.
    private func position(_ index: Int) -> Int {
        let i = index < 0 ? index + modules.count : index
        checkUsage(i >= 0 && i < modules.count, "index \(index) is out of range")
        return i
    }
}

/// Submodules held under string keys in insertion order, like `torch.nn.ModuleDict`: a key
/// is the submodule's name, so nanoGPT's `transformer` dictionary gives the parameter names
/// `transformer.wte.weight` and `transformer.h.0.ln_1.weight`.
/// ```swift
/// let transformer = ModuleDict([
///     "wte": Embedding(numEmbeddings: 65, embeddingDim: 128),
///     "h": ModuleList((0..<4).map { _ in Block() }),
///     "ln_f": LayerNorm(normalizedShape: [128], bias: false),
/// ])
/// let wte = transformer["wte"] as! Embedding
/// ```
/// Iterating gives `(key, value)` pairs in order, like `items()`.
public final class ModuleDict: Module, Sequence {
    /// The entries, in insertion order.
    private var entries: [(key: String, value: Module)] = []

    /// An empty dictionary.
    public override init() {}

    /// A dictionary of `modules`, in the order written.
    public init(_ modules: KeyValuePairs<String, Module>) {
        super.init()
        for (key, module) in modules { self[key] = module }
    }

    /// A dictionary of `modules`, in order.
    public init(_ modules: [(String, Module)]) {
        super.init()
        for (key, module) in modules { self[key] = module }
    }

    /// The module under `key`, or nil. Assigning a module adds it at the end, or replaces
    /// the one under `key` in place; assigning nil removes the entry.
    public subscript(key: String) -> Module? {
        get { entries.first { $0.key == key }?.value }
        set {
            guard let newValue else {
                remove(key)
                return
            }
            checkUsage(!key.contains("."), "module name can't contain \".\", got: \(key)")
            checkUsage(!key.isEmpty, "module name can't be empty string \"\"")
            if let index = entries.firstIndex(where: { $0.key == key }) {
                entries[index].value = newValue
            } else {
                entries.append((key, newValue))
            }
        }
    }

    /// The keys, in order.
    public var keys: [String] { entries.map(\.key) }

    /// The modules, in order.
    public var values: [Module] { entries.map(\.value) }

    /// The number of entries.
    public var count: Int { entries.count }

    /// Whether there is a module under `key`, like `key in module_dict`.
    public func contains(_ key: String) -> Bool { entries.contains { $0.key == key } }

    /// Removes and returns the module under `key` (nil if there is none), like `pop`.
    @discardableResult
    public func remove(_ key: String) -> Module? {
        guard let index = entries.firstIndex(where: { $0.key == key }) else { return nil }
        return entries.remove(at: index).value
    }

    /// Adds or replaces the entries of `modules`, in order, like `update`.
    public func update(_ modules: KeyValuePairs<String, Module>) {
        for (key, module) in modules { self[key] = module }
    }

    /// Removes every entry, like `clear`.
    public func removeAll() { entries.removeAll() }

    /// The `(key, value)` pairs in insertion order.
    public func makeIterator() -> IndexingIterator<[(key: String, value: Module)]> { entries.makeIterator() }

    /// The modules named by their keys.
    public override func namedChildren() -> [(name: String, module: Module)] {
        entries.map { ($0.key, $0.value) }
    }
}

/// A layer that returns its input unchanged, like `torch.nn.Identity`: a placeholder where
/// an architecture optionally has a layer (`useNorm ? LayerNorm(...) : Identity()`).
public final class Identity: Module {
    /// The layer (it has no settings).
    public override init() {}

    /// `input` itself.
    public override func forward(_ input: Tensor) -> Tensor { input }
}

/// `text` with every line after the first indented by two spaces, like PyTorch's
/// `_addindent`, for nesting one module's repr in another's.
func indentingFollowingLines(_ text: String) -> String {
    text.split(separator: "\n", omittingEmptySubsequences: false)
        .enumerated().map { $0.offset == 0 ? String($0.element) : "  " + $0.element }
        .joined(separator: "\n")
}
