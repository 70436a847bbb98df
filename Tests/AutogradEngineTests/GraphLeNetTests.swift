import Foundation
import XCTest
import Autograd

/// A LeNet-sized training step stays readable: each layer is one labelled cluster, and
/// with `depth: 1` each layer is one box.
final class GraphLeNetTests: XCTestCase {
    /// One forward and backward pass of LeNet-5 on a batch of two 28×28 images.
    private func leNetLoss() -> Tensor {
        manualSeed(0)
        let model = Sequential(
            Conv2d(inChannels: 1, outChannels: 6, kernelSize: 5, padding: 2), ReLU(), MaxPool2d(kernelSize: 2),
            Conv2d(inChannels: 6, outChannels: 16, kernelSize: 5), ReLU(), MaxPool2d(kernelSize: 2),
            Flatten(),
            Linear(inFeatures: 400, outFeatures: 120), ReLU(),
            Linear(inFeatures: 120, outFeatures: 84), ReLU(),
            Linear(inFeatures: 84, outFeatures: 10))
        let images = Tensor(shape: [2, 1, 28, 28], scalars: (0..<1568).map { Float($0 % 17) / 17 }).named("images")
        let labels = Tensor([3, 7]).named("labels")
        return tracingGraph {
            let loss = crossEntropy(model(images), labels).named("loss")
            loss.backward()
            return loss
        }
    }

    func testEachLayerIsOneClusterAndDepthOneMakesEachLayerOneBox() throws {
        let loss = leNetLoss()
        let full = loss.graph()
        XCTAssertEqual(full.clusters.filter { $0.parent == nil }.map(\.label), ["Sequential"])
        let layers = full.clusters.filter { $0.parent != nil }.map(\.label)
        XCTAssertEqual(layers.filter { $0 == "Conv2d" }.count, 2, "two calls of Conv2d are two clusters")
        XCTAssertEqual(layers.filter { $0 == "Linear" }.count, 3)

        let boxes = loss.graph(depth: 1)
        let collapsed = boxes.nodes.filter { $0.kind == .collapsed }
        XCTAssertEqual(collapsed.count, layers.count, "one box per layer call")
        XCTAssertLessThanOrEqual(boxes.nodes.count, 30, "a drawing a person can read")
        XCTAssertEqual(boxes.nodes(labelled: "loss").first?.kind, .output)
        XCTAssertTrue(boxes.edges.contains { $0.gradient != nil }, "gradients still flow between the boxes")
        if let folder = ProcessInfo.processInfo.environment["GRAPH_DRAWINGS"] {
            try Data(full.dot().utf8).write(to: URL(fileURLWithPath: "\(folder)/lenet.dot"))
            try Data(boxes.dot().utf8).write(to: URL(fileURLWithPath: "\(folder)/lenet-depth1.dot"))
            try Data(full.html(title: "LeNet").utf8).write(to: URL(fileURLWithPath: "\(folder)/lenet.html"))
        }
    }
}
