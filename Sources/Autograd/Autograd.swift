// The umbrella module: `import Autograd` gives tensors, autograd, graph drawings, layers and
// distributed training.
@_exported import AutogradCore
@_exported import AutogradEngine
@_exported import AutogradGraph
@_exported import AutogradNN
@_exported import AutogradDistributed
