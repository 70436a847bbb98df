// The umbrella module: `import Autograd` gives tensors, autograd and layers.
@_exported import AutogradCore
@_exported import AutogradEngine
@_exported import AutogradNN
