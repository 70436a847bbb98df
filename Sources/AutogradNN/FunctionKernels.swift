/// Activations and losses written as custom functions (an exact forward, a backward made
/// of tensor ops so it can be differentiated again). Each type's name makes its graph
/// node's name (`SoftplusBackward`), as close to PyTorch's as a custom function gets.
enum FunctionKernels {}
