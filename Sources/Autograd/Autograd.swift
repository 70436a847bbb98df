// The umbrella module: `import Autograd` gives tensors, autograd, layers and distributed training.
@_exported import AutogradCore
@_exported import AutogradEngine
@_exported import AutogradNN
@_exported import AutogradDistributed
