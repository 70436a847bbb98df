import CAutogradKernels
import Foundation

/// The `lstm-step` check of `autograd check-kernels`: one LSTM time step forward and
/// backward in recurrent.c's kernel on the path in use, against the same step in double
/// precision, with pre-activations up to ±25 (saturated gates) over a row that leaves a
/// partial vector on every path. Returns the largest difference in units of 4e-7 relative
/// to 1 (the kernel-path tests' bound), so 1 or less passes.
enum RecurrentStepCheck {
    /// Rows of the batch, and units per row (two whole vectors of 16 and a partial one).
    static let batch = 3, hidden = 37

    /// The forward and backward results of one step: gates, c, h, dc, dGates.
    typealias Results = (gates: [Double], c: [Double], h: [Double], dc: [Double], dGates: [Double])

    /// The step's inputs, deterministic.
    struct Inputs {
        let x = values(batch * 4 * hidden, seed: 4, scale: 12), preactivations = values(batch * 4 * hidden, seed: 5, scale: 12)
        let bias = values(4 * hidden, seed: 6, scale: 1), cPrevious = values(batch * hidden, seed: 7, scale: 2)
        let gradH = values(batch * hidden, seed: 8, scale: 1), dhNext = values(batch * hidden, seed: 9, scale: 1)
        let dcNext = values(batch * hidden, seed: 10, scale: 1)

        private static func values(_ count: Int, seed: UInt64, scale: Double) -> [Float] {
            GemmProblem.values(count, seed: seed).map { Float($0 * scale) }
        }
    }

    /// The largest difference between the kernel's step and the reference, in units of the bound.
    static func largestError() -> Double {
        let inputs = Inputs()
        let expected = reference(inputs), actual = kernel(inputs)
        var worst = 0.0
        for (a, e) in [(actual.gates, expected.gates), (actual.c, expected.c), (actual.h, expected.h),
                       (actual.dc, expected.dc), (actual.dGates, expected.dGates)] {
            for (x, y) in zip(a, e) { worst = max(worst, abs(x - y) / (4e-7 * max(1, abs(y)))) }
        }
        return worst
    }

    /// The step in the C kernels.
    private static func kernel(_ inputs: Inputs) -> Results {
        let (b, n) = (Int64(batch), Int64(hidden))
        var gates = inputs.preactivations, c = [Float](repeating: 0, count: batch * hidden), h = c
        ag_lstm_forward_step(b, n, inputs.x, 4 * n, inputs.bias, &gates, 4 * n, inputs.cPrevious, n, &c, n, &h, n)
        var dc = inputs.dcNext, dGates = [Float](repeating: 0, count: batch * 4 * hidden)
        ag_lstm_backward_step(b, n, gates, 4 * n, inputs.cPrevious, n, c, n, inputs.gradH, n, inputs.dhNext, &dc,
                              &dGates, 4 * n)
        let d = { (v: [Float]) in v.map(Double.init) }
        return (d(gates), d(c), d(h), d(dc), d(dGates))
    }

    /// The step in double precision, from the same float inputs.
    private static func reference(_ inputs: Inputs) -> Results {
        func sigmoid(_ v: Double) -> Double { 1 / (1 + Foundation.exp(-v)) }
        var gates = [Double](repeating: 0, count: batch * 4 * hidden), c = [Double](repeating: 0, count: batch * hidden)
        var h = c, dc = c, dGates = gates
        for row in 0..<batch {
            for unit in 0..<hidden {
                let pre = (0..<4).map { block in
                    let index = row * 4 * hidden + block * hidden + unit
                    return Double(inputs.preactivations[index]) + Double(inputs.x[index]) + Double(inputs.bias[block * hidden + unit])
                }
                let (i, f, g, o) = (sigmoid(pre[0]), sigmoid(pre[1]), Foundation.tanh(pre[2]), sigmoid(pre[3]))
                let at = row * hidden + unit, previous = Double(inputs.cPrevious[at])
                c[at] = f * previous + i * g
                let tanhC = Foundation.tanh(c[at])
                h[at] = o * tanhC
                for (block, value) in [i, f, g, o].enumerated() { gates[row * 4 * hidden + block * hidden + unit] = value }
                let dh = Double(inputs.gradH[at]) + Double(inputs.dhNext[at])
                let dCell = Double(inputs.dcNext[at]) + dh * o * (1 - tanhC * tanhC)
                dc[at] = dCell * f
                let derivatives = [dCell * g * i * (1 - i), dCell * previous * f * (1 - f), dCell * i * (1 - g * g),
                                   dh * tanhC * o * (1 - o)]
                for (block, value) in derivatives.enumerated() { dGates[row * 4 * hidden + block * hidden + unit] = value }
            }
        }
        return (gates, c, h, dc, dGates)
    }
}
