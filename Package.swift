// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "swift-autograd",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "Autograd", targets: ["Autograd"]),
        .executable(name: "autograd", targets: ["AutogradCLI"]),
        // Well-known PyTorch programs ported line for line (Examples/<name>/README.md).
        .executable(name: "example-nanogpt", targets: ["ExampleNanoGPT"]),
        .executable(name: "example-word-language-model", targets: ["ExampleWordLanguageModel"]),
        .executable(name: "example-mnist", targets: ["ExampleMNIST"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // `swift package generate-documentation --target Autograd` builds the DocC catalog.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.4.0"),
    ],
    targets: [
        // C hot loops only: GEMM, im2col/col2im. No Swift types.
        .target(name: "CAutogradKernels"),
        // Shape, strides, storage and the CPU backend; knows nothing about gradients.
        .target(name: "AutogradCore", dependencies: ["CAutogradKernels"]),
        // Tensor, graph nodes, the derivative table, the backward engine, printing; no
        // drawing code: while `tracingGraph` runs it reports to one observer
        // (GraphTraceObserver) what drawings need.
        .target(name: "AutogradEngine", dependencies: ["AutogradCore", "CAutogradKernels"]),
        // Drawings of the graph: `tracingGraph { }` (installs the engine's observer),
        // `Tensor.graph()`, ComputationGraph and its DOT, Mermaid and HTML renderings, Graphviz.
        .target(name: "AutogradGraph", dependencies: ["AutogradEngine"]),
        // Modules, layers and losses.
        .target(
            name: "AutogradNN",
            dependencies: ["AutogradEngine"],
            resources: [
                .copy("Resources/digits.csv.gz"), .copy("Resources/DIGITS.md"),
                .copy("Resources/shakespeare.txt.gz"), .copy("Resources/SHAKESPEARE.md"),
            ]
        ),
        // The MPI calls, for a library loaded at run time with dlopen (no MPI headers needed).
        .target(
            name: "CAutogradMPI",
            linkerSettings: [.linkedLibrary("dl", .when(platforms: [.linux]))]
        ),
        // Process groups, collectives and data-parallel training over MPI.
        .target(name: "AutogradDistributed", dependencies: ["AutogradEngine", "AutogradNN", "CAutogradMPI"]),
        // The umbrella: `import Autograd` gives everything above.
        .target(name: "Autograd", dependencies: ["AutogradEngine", "AutogradGraph", "AutogradNN", "AutogradDistributed"]),
        // The seed's exercises as functions, shared by the CLI and the tests.
        .target(name: "AutogradSeed", dependencies: ["Autograd"]),
        .executableTarget(
            name: "AutogradCLI",
            dependencies: [
                "Autograd", "AutogradSeed",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "AutogradCoreTests", dependencies: ["AutogradCore"]),
        .testTarget(
            name: "AutogradEngineTests",
            dependencies: ["Autograd", "AutogradSeed"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "AutogradNNTests",
            dependencies: ["Autograd"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "AutogradSeedTests", dependencies: ["AutogradSeed"]),
        .testTarget(
            name: "AutogradDistributedTests",
            dependencies: ["Autograd", "AutogradDistributedChecks", "AutogradCLI"]
        ),
        // The programs the distributed tests start under `mpirun`, one scenario per argument.
        .executableTarget(
            name: "AutogradDistributedChecks",
            dependencies: ["Autograd"],
            path: "Tests/AutogradDistributedChecks"
        ),
        // Runs the built `autograd` executable as a user would (and unit-tests its helpers),
        // and runs each example program with its tiniest settings.
        .testTarget(
            name: "AutogradCLITests",
            dependencies: ["AutogradCLI", "Autograd", "ExampleNanoGPT", "ExampleWordLanguageModel", "ExampleMNIST"]
        ),
        // The examples: nanoGPT's train.py, pytorch/examples' word_language_model and mnist.
        .executableTarget(
            name: "ExampleNanoGPT",
            dependencies: ["Autograd", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Examples/nanoGPT", exclude: ["README.md"]
        ),
        .executableTarget(
            name: "ExampleWordLanguageModel",
            dependencies: ["Autograd", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Examples/word_language_model", exclude: ["README.md"]
        ),
        .executableTarget(
            name: "ExampleMNIST",
            dependencies: ["Autograd", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Examples/mnist", exclude: ["README.md"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
