import AutogradCore
import Foundation

/// The 1cycle policy, like `torch.optim.lr_scheduler.OneCycleLR`: call ``step()`` after
/// every batch. The learning rate rises from `maxLR / divFactor` to `maxLR` over the first
/// `pctStart` of `totalSteps`, then falls to `maxLR / divFactor / finalDivFactor` (with
/// `threePhase`, it first falls back to the start, then to the minimum), along a cosine or
/// a line.
///
/// With `cycleMomentum` the momentum moves the other way, from `maxMomentum` down to
/// `baseMomentum` and back: SGD's and RMSprop's `momentum`, the first beta of Adam and
/// AdamW. Optimizers without either (Adagrad, Adadelta) need `cycleMomentum: false`.
/// Stepping past `totalSteps` stops the program, as PyTorch raises. The state dict holds
/// the step and the rates; the momentum is the optimizer's, which its own state restores.
public final class OneCycleLR: EpochLRScheduler {
    /// How the rate moves within a phase.
    public enum AnnealStrategy: String, Sendable {
        /// Along half a cosine (PyTorch's `"cos"`).
        case cos
        /// Along a straight line (PyTorch's `"linear"`).
        case linear
    }

    /// A group's learning rate that a phase starts or ends at.
    private enum Level {
        /// The starting rate, `maxLR / divFactor` (PyTorch's group `initial_lr`).
        case initial
        /// The peak (`max_lr`).
        case peak
        /// The final rate (`min_lr`).
        case final
    }

    /// One phase: where it ends and what it moves between (PyTorch's `_schedule_phases`).
    private struct Phase {
        let endStep: Double
        let startLR: Level, endLR: Level
        let startMomentum: Double, endMomentum: Double
    }

    /// The number of steps in the cycle.
    public let totalSteps: Int
    /// The fraction of the steps spent rising.
    public let pctStart: Float
    /// How the rate moves within a phase.
    public let annealStrategy: AnnealStrategy
    /// Whether the momentum moves against the learning rate.
    public let cycleMomentum: Bool
    /// The lowest momentum, reached with the highest rate.
    public let baseMomentum: Float
    /// The highest momentum, at the start and the end.
    public let maxMomentum: Float
    /// The starting rate is `maxLR / divFactor`.
    public let divFactor: Float
    /// The final rate is the starting rate over `finalDivFactor`.
    public let finalDivFactor: Float
    /// Whether to fall back to the starting rate before falling to the final one.
    public let threePhase: Bool
    /// Each group's highest rate (PyTorch's group `max_lr`).
    private let maxLRs: [Double]
    /// Each group's final rate (PyTorch's group `min_lr`).
    private let minLRs: [Double]
    private let phases: [Phase]
    private let settings: [String: Double]
    private let momentumTarget: (any MomentumCyclable)?

    /// A cycle peaking at `maxLR` in every group.
    public convenience init(
        optimizer: any Optimizer, maxLR: Float, totalSteps: Int, pctStart: Float = 0.3, annealStrategy: AnnealStrategy = .cos,
        cycleMomentum: Bool = true, baseMomentum: Float = 0.85, maxMomentum: Float = 0.95, divFactor: Float = 25,
        finalDivFactor: Float = 1e4, threePhase: Bool = false
    ) {
        self.init(optimizer: optimizer, maxLRs: Array(repeating: maxLR, count: optimizer.groups.count), totalSteps: totalSteps,
                  pctStart: pctStart, annealStrategy: annealStrategy, cycleMomentum: cycleMomentum, baseMomentum: baseMomentum,
                  maxMomentum: maxMomentum, divFactor: divFactor, finalDivFactor: finalDivFactor, threePhase: threePhase)
    }

    /// A cycle of `epochs · stepsPerEpoch` steps peaking at `maxLR` in every group.
    public convenience init(
        optimizer: any Optimizer, maxLR: Float, epochs: Int, stepsPerEpoch: Int, pctStart: Float = 0.3,
        annealStrategy: AnnealStrategy = .cos, cycleMomentum: Bool = true, baseMomentum: Float = 0.85,
        maxMomentum: Float = 0.95, divFactor: Float = 25, finalDivFactor: Float = 1e4, threePhase: Bool = false
    ) {
        checkUsage(epochs > 0, "Expected positive integer epochs, but got \(epochs)")
        checkUsage(stepsPerEpoch > 0, "Expected positive integer steps_per_epoch, but got \(stepsPerEpoch)")
        self.init(optimizer: optimizer, maxLR: maxLR, totalSteps: epochs * stepsPerEpoch, pctStart: pctStart,
                  annealStrategy: annealStrategy, cycleMomentum: cycleMomentum, baseMomentum: baseMomentum,
                  maxMomentum: maxMomentum, divFactor: divFactor, finalDivFactor: finalDivFactor, threePhase: threePhase)
    }

    /// A cycle peaking at `maxLRs[g]` in group `g`.
    public init(
        optimizer: any Optimizer, maxLRs: [Float], totalSteps: Int, pctStart: Float = 0.3, annealStrategy: AnnealStrategy = .cos,
        cycleMomentum: Bool = true, baseMomentum: Float = 0.85, maxMomentum: Float = 0.95, divFactor: Float = 25,
        finalDivFactor: Float = 1e4, threePhase: Bool = false
    ) {
        checkUsage(totalSteps > 0, "Expected positive integer total_steps, but got \(totalSteps)")
        checkUsage(pctStart >= 0 && pctStart <= 1, "Expected float between 0 and 1 pct_start, but got \(pctStart)")
        checkUsage(maxLRs.count == optimizer.groups.count,
                   "expected \(optimizer.groups.count) values for max_lr, got \(maxLRs.count)")
        self.totalSteps = totalSteps
        self.pctStart = pctStart
        self.annealStrategy = annealStrategy
        self.cycleMomentum = cycleMomentum
        self.baseMomentum = baseMomentum
        self.maxMomentum = maxMomentum
        self.divFactor = divFactor
        self.finalDivFactor = finalDivFactor
        self.threePhase = threePhase
        let pct = Double(decimal: pctStart), total = Double(totalSteps)
        let base = Double(decimal: baseMomentum), peak = Double(decimal: maxMomentum)
        let division = Double(decimal: divFactor), finalDivision = Double(decimal: finalDivFactor)
        if threePhase {
            phases = [
                Phase(endStep: pct * total - 1, startLR: .initial, endLR: .peak, startMomentum: peak, endMomentum: base),
                Phase(endStep: 2 * pct * total - 2, startLR: .peak, endLR: .initial, startMomentum: base, endMomentum: peak),
                Phase(endStep: total - 1, startLR: .initial, endLR: .final, startMomentum: peak, endMomentum: peak),
            ]
        } else {
            phases = [
                Phase(endStep: pct * total - 1, startLR: .initial, endLR: .peak, startMomentum: peak, endMomentum: base),
                Phase(endStep: total - 1, startLR: .peak, endLR: .final, startMomentum: base, endMomentum: peak),
            ]
        }
        self.maxLRs = maxLRs.map { Double(decimal: $0) }
        let initialLRs = self.maxLRs.map { $0 / division }
        minLRs = initialLRs.map { $0 / finalDivision }
        if cycleMomentum {
            guard let target = optimizer as? any MomentumCyclable else {
                usageFailure("optimizer must support momentum or beta1 with `cycle_momentum` option enabled")
            }
            momentumTarget = target
            target.cycledMomentum = peak
        } else {
            momentumTarget = nil
        }
        var settings: [String: Double] = [
            "total_steps": total, "pct_start": pct, "anneal_strategy": annealStrategy == .cos ? 0 : 1,
            "cycle_momentum": cycleMomentum ? 1 : 0, "base_momentum": base, "max_momentum": peak,
            "div_factor": division, "final_div_factor": finalDivision, "three_phase": threePhase ? 1 : 0,
        ]
        for (index, value) in self.maxLRs.enumerated() { settings["max_lr.\(index)"] = value }
        self.settings = settings
        var groups = optimizer.groups
        for index in groups.indices { groups[index].initialLR = initialLRs[index] }
        optimizer.groups = groups
        super.init(optimizer: optimizer)
        start()
    }

    override func nextLearningRates(initial: Bool) -> [Double] {
        let stepNumber = schedule.lastEpoch
        checkUsage(stepNumber <= totalSteps,
                   "Tried to step \(stepNumber) times. The specified number of total steps is \(totalSteps)")
        var rates: [Double] = []
        var momentum = 0.0
        for group in optimizer.groups.indices {
            var startStep = 0.0
            for (index, phase) in phases.enumerated() {
                if Double(stepNumber) <= phase.endStep || index == phases.count - 1 {
                    let pct = (Double(stepNumber) - startStep) / (phase.endStep - startStep)
                    rates.append(anneal(rate(phase.startLR, group: group), rate(phase.endLR, group: group), pct))
                    momentum = anneal(phase.startMomentum, phase.endMomentum, pct)
                    break
                }
                startStep = phase.endStep
            }
        }
        momentumTarget?.cycledMomentum = momentum
        return rates
    }

    /// The rate at `level` of group `group`.
    private func rate(_ level: Level, group: Int) -> Double {
        switch level {
        case .initial: return schedule.baseLRs[group]
        case .peak: return maxLRs[group]
        case .final: return minLRs[group]
        }
    }

    /// PyTorch's `_annealing_cos` or `_annealing_linear` from `start` to `end` at `pct`.
    private func anneal(_ start: Double, _ end: Double, _ pct: Double) -> Double {
        switch annealStrategy {
        case .cos: return end + (start - end) / 2.0 * (Foundation.cos(Double.pi * pct) + 1)
        case .linear: return (end - start) * pct + start
        }
    }

    override var configuration: [String: Double] { settings }
}
