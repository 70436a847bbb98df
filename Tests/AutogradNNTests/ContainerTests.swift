import XCTest
import Autograd

// nanoGPT's module tree, as the fixture script builds it in PyTorch: a ModuleDict holding a
// ModuleList of blocks, and the output layer's weight tied to the token embedding.
private final class CausalSelfAttention: Module {
    let cAttn = Linear(inFeatures: 8, outFeatures: 24, bias: false)
    let cProj = Linear(inFeatures: 8, outFeatures: 8, bias: false)
}

private final class MLP: Module {
    let cFc = Linear(inFeatures: 8, outFeatures: 32, bias: false)
    let gelu = GELU()
    let cProj = Linear(inFeatures: 32, outFeatures: 8, bias: false)
}

private final class Block: Module {
    let ln_1 = LayerNorm(normalizedShape: [8], bias: false)
    let attn = CausalSelfAttention()
    let ln_2 = LayerNorm(normalizedShape: [8], bias: false)
    let mlp = MLP()
}

private final class GPT: Module {
    let transformer: ModuleDict
    let lmHead = Linear(inFeatures: 8, outFeatures: 10, bias: false)

    override init() {
        let wte = Embedding(numEmbeddings: 10, embeddingDim: 8)
        transformer = ModuleDict([
            "wte": wte,
            "wpe": Embedding(numEmbeddings: 4, embeddingDim: 8),
            "drop": Dropout(p: 0),
            "h": ModuleList((0..<2).map { _ in Block() }),
            "ln_f": LayerNorm(normalizedShape: [8], bias: false),
        ])
        super.init()
        wte.weight = lmHead.weight
    }
}

/// A stack of layers kept in a ModuleList and run in order.
private final class Stack: Module {
    let layers = ModuleList([Linear(inFeatures: 3, outFeatures: 4), Linear(inFeatures: 4, outFeatures: 2)])
    let activation = Tanh()
    override func forward(_ input: Tensor) -> Tensor {
        layers.reduce(input) { activation($1($0)) }
    }
}

/// ModuleList, ModuleDict, Identity and Module.apply: PyTorch's names, order and printing.
final class ContainerTests: XCTestCase {
    func testNanoGPTsTreeHasPyTorchsNamesOrderAndRepr() {
        let model = GPT()
        let fixture = LayerFixtures.shared.containers
        XCTAssertEqual(model.namedParameters().map(\.name), fixture.namedParameters)
        XCTAssertEqual(model.stateDict().map(\.name), fixture.stateDict)
        XCTAssertEqual(model.namedModules().map(\.name), fixture.namedModules)
        let names = Dictionary(uniqueKeysWithValues: model.namedModules().map { (ObjectIdentifier($0.module), $0.name) })
        var visited: [String] = []
        let returned = model.apply { visited.append(names[ObjectIdentifier($0)]!) }
        XCTAssertTrue(returned === model)
        XCTAssertEqual(visited, fixture.applyOrder)
        XCTAssertEqual(model.description, fixture.repr)
        XCTAssertTrue(model.stateDict().first { $0.name == "transformer.wte.weight" }!.tensor === model.lmHead.weight)
    }

    func testApplyInitialisesEveryMatchingLayer() {
        let model = GPT()
        model.apply { module in
            if let linear = module as? Linear { Init.normal(linear.weight, mean: 0, std: 0.02, generator: RandomGenerator(seed: 1)) }
            if let embedding = module as? Embedding { Init.zeros(embedding.weight) }
        }
        let head = model.lmHead.weight.asArray(Double.self)
        let block = (model.transformer["h"] as! ModuleList)[0] as! Block
        XCTAssertTrue(block.attn.cAttn.weight.asArray(Double.self).allSatisfy { abs($0) < 0.2 })
        // The tied weight is zeroed as the embedding, then drawn again as the head, which
        // comes after the transformer (children first, in order).
        XCTAssertTrue(head.allSatisfy { abs($0) < 0.2 } && head.contains { $0 != 0 })
        XCTAssertTrue((model.transformer["wpe"] as! Embedding).weight.asArray(Double.self).allSatisfy { $0 == 0 })
    }

    func testModuleListBehavesLikeAPythonList() {
        let list = ModuleList()
        XCTAssertEqual(list.description, "ModuleList()")
        XCTAssertTrue(list.isEmpty)
        let first = Linear(inFeatures: 2, outFeatures: 2), second = ReLU(), third = Linear(inFeatures: 2, outFeatures: 2)
        list.append(first)
        list.extend([second, third])
        XCTAssertEqual(list.count, 3)
        XCTAssertTrue(list[0] === first && list[-1] === third && list[-2] === second)
        XCTAssertEqual(list.map(\.typeName), ["Linear", "ReLU", "Linear"])
        XCTAssertEqual(list.namedParameters().map(\.name), ["0.weight", "0.bias", "2.weight", "2.bias"])
        XCTAssertEqual(list.description, """
            ModuleList(
              (0): Linear(in_features=2, out_features=2, bias=True)
              (1): ReLU()
              (2): Linear(in_features=2, out_features=2, bias=True)
            )
            """)
        let identity = Identity()
        list[1] = identity
        XCTAssertTrue(list[1] === identity)
        list.insert(Tanh(), at: 0)
        XCTAssertEqual(list.map(\.typeName), ["Tanh", "Linear", "Identity", "Linear"])
        XCTAssertTrue(list.remove(at: -1) === third)
        var visited: [Module] = []
        for module in list { visited.append(module) }
        XCTAssertEqual(visited.count, 3)
        XCTAssertEqual(list.namedChildren().map(\.name), ["0", "1", "2"])
    }

    func testModuleListRunsInAForward() {
        let model = Stack()
        XCTAssertEqual(model.namedParameters().map(\.name),
                       ["layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"])
        let output = model(Tensor([[1, 2, 3]], dtype: .float32))
        XCTAssertEqual(output.shape, [1, 2])
        output.sum().backward()
        XCTAssertTrue(model.parameters().allSatisfy { $0.grad != nil })
    }

    func testModuleDictKeepsInsertionOrder() {
        let dict = ModuleDict()
        dict["encoder"] = Linear(inFeatures: 2, outFeatures: 3)
        dict["act"] = ReLU()
        dict["decoder"] = Linear(inFeatures: 3, outFeatures: 2)
        XCTAssertEqual(dict.keys, ["encoder", "act", "decoder"])
        XCTAssertEqual(dict.count, 3)
        XCTAssertTrue(dict.contains("act") && !dict.contains("missing"))
        XCTAssertNil(dict["missing"])
        let replacement = Tanh()
        dict["act"] = replacement
        XCTAssertEqual(dict.keys, ["encoder", "act", "decoder"])
        XCTAssertTrue(dict["act"] === replacement)
        XCTAssertEqual(dict.namedParameters().map(\.name), ["encoder.weight", "encoder.bias", "decoder.weight", "decoder.bias"])
        XCTAssertEqual(dict.map(\.key), ["encoder", "act", "decoder"])
        XCTAssertTrue(dict.remove("act") === replacement)
        dict["decoder"] = nil
        XCTAssertEqual(dict.keys, ["encoder"])
        dict.update(["extra": Identity(), "encoder": Identity()])
        XCTAssertEqual(dict.keys, ["encoder", "extra"])
        XCTAssertEqual(dict.values.map(\.typeName), ["Identity", "Identity"])
        XCTAssertEqual(dict.description, "ModuleDict(\n  (encoder): Identity()\n  (extra): Identity()\n)")
        dict.removeAll()
        XCTAssertEqual(dict.count, 0)
        XCTAssertEqual(ModuleDict([("b", ReLU()), ("a", Tanh())]).keys, ["b", "a"])
    }

    func testIdentityPassesValuesAndGradientsThrough() {
        let x = Tensor([1.0, -2.0], requiresGrad: true)
        let y = Identity()(x)
        XCTAssertTrue(y === x)
        (y * 3).sum().backward()
        XCTAssertEqual(x.grad?.scalars, [3, 3])
        XCTAssertEqual(Identity().description, "Identity()")
    }

    func testTypedArraysOfModulesAreDiscovered() {
        final class Model: Module {
            let heads: [Linear] = [Linear(inFeatures: 2, outFeatures: 1), Linear(inFeatures: 2, outFeatures: 1, bias: false)]
        }
        XCTAssertEqual(Model().namedParameters().map(\.name), ["heads.0.weight", "heads.0.bias", "heads.1.weight"])
    }
}
