import XCTest
import Autograd

/// Every scheduler for 20 steps over two parameter groups against PyTorch's learning rates
/// (`Fixtures/optim.json`, relative 1e-6), and OneCycleLR's momentum.
final class SchedulerFixtureTests: XCTestCase {
    private func optimizerWithGroups(_ fixture: OptimFixtures.SchedulerCase) -> any Optimizer {
        let groups = fixture.groupLRs.map { ParameterGroup(parameters: [Parameter(Tensor.zeros([1]))], learningRate: Float($0)) }
        return makeOptimizer(fixture.optimizer, fixture.optimizerConfig, groups: groups)
    }

    /// Asserts the groups' rates, as `Float`s and as the doubles the state dict holds.
    private func assertRates(_ optimizer: any Optimizer, _ expected: [Double], _ message: String,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(optimizer.groups.count, expected.count, message, file: file, line: line)
        let state = optimizer.stateDict()
        for (index, (group, rate)) in zip(optimizer.groups, expected).enumerated() {
            assertRelativelyClose(Double(group.learningRate), rate, 1e-6, "\(message) group \(index)", file: file, line: line)
            assertRelativelyClose(state.scalars["param_groups.\(index).lr"]!, rate, 1e-12,
                                  "\(message) group \(index) (double)", file: file, line: line)
        }
    }

    func testSchedulersMatchPyTorch() {
        let cases = OptimFixtures.shared.schedulers
        XCTAssertEqual(Set(cases.map(\.kind)), ["StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LambdaLR",
                                                "LinearLR", "OneCycleLR", "SequentialLR", "ReduceLROnPlateau"])
        for fixture in cases {
            let optimizer = optimizerWithGroups(fixture)
            if fixture.kind == "ReduceLROnPlateau" {
                let scheduler = makePlateauScheduler(fixture.config, optimizer: optimizer)
                assertRates(optimizer, fixture.initialLRs, "\(fixture.name) initial")
                for (step, (metric, expected)) in zip(fixture.metrics!, fixture.lrs).enumerated() {
                    scheduler.step(metric: metric)
                    assertRates(optimizer, expected, "\(fixture.name) step \(step + 1)")
                    XCTAssertEqual(scheduler.lastLearningRates, optimizer.groups.map(\.learningRate))
                }
                XCTAssertEqual(scheduler.epoch, fixture.lrs.count)
                continue
            }
            let scheduler = makeScheduler(fixture.kind, fixture.config, optimizer: optimizer)
            assertRates(optimizer, fixture.initialLRs, "\(fixture.name) initial")
            for (step, expected) in fixture.lrs.enumerated() {
                scheduler.step()
                assertRates(optimizer, expected, "\(fixture.name) step \(step + 1)")
                XCTAssertEqual(scheduler.lastLearningRates, optimizer.groups.map(\.learningRate), fixture.name)
                if let momentum = fixture.momentum?[step] {
                    let actual = (optimizer as? Adam)?.betas.0 ?? (optimizer as! SGD).momentum
                    assertRelativelyClose(Double(actual), momentum, 1e-6, "\(fixture.name) step \(step + 1) momentum")
                }
            }
            XCTAssertEqual(scheduler.epoch, fixture.lrs.count)
        }
    }

    func testLambdaLRTakesFloatAndDoubleClosures() {
        let optimizer = SGD(parameters: [Parameter(Tensor.zeros([1]))], learningRate: 0.5)
        let halving = LambdaLR(optimizer: optimizer) { (epoch: Int) -> Float in 1 / Float(epoch + 1) }
        halving.step()
        XCTAssertEqual(optimizer.learningRate, 0.25)
        let other = SGD(parameters: [Parameter(Tensor.zeros([1]))], learningRate: 0.5)
        let warmup = LambdaLR(optimizer: other) { epoch in Swift.min(1.0, Double(epoch + 1) / 4) }
        XCTAssertEqual(other.learningRate, 0.125)
        warmup.step()
        XCTAssertEqual(other.learningRate, 0.25)
    }

    func testReduceLROnPlateauTakesTensorAndFloatMetrics() {
        let optimizer = SGD(parameters: [Parameter(Tensor.zeros([1]))], learningRate: 1)
        let scheduler = ReduceLROnPlateau(optimizer: optimizer, patience: 0)
        scheduler.step(metric: Tensor(2.0))
        scheduler.step(metric: Float(3))
        XCTAssertEqual(optimizer.learningRate, 0.1)
        scheduler.step(metric: 1)
        XCTAssertEqual(scheduler.best, 1)
        XCTAssertEqual(scheduler.epoch, 3)
        XCTAssertEqual(scheduler.numBadEpochs, 0)
    }
}
