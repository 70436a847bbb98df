import Foundation
import Testing
import Autograd

/// Every line of the public contract for creation, elementwise math, reductions and
/// sorting, spelled exactly as the issue spells it, with PyTorch 2.15's values, node
/// names and gradients (x = [[0.2, -0.5, 0.7], [0.9, 0.1, -0.3]], y = [[0.4, 0.3, -0.2],
/// [0.5, -0.6, 0.8]], float32; the gradients are of Σ result · (1, 2, 3, ...)).
@Suite struct MathContractTests {
    let x = Tensor([[0.2, -0.5, 0.7], [0.9, 0.1, -0.3]])
    let y = Tensor([[0.4, 0.3, -0.2], [0.5, -0.6, 0.8]])

    @Test func creation() {
        let x = self.x
        #expect(Tensor.arange(5).asArray(Int.self) == [0, 1, 2, 3, 4])
        #expect(Tensor.arange(5).dtype == .int64)
        #expect(Tensor.arange(1, 10, step: 3).asArray(Int.self) == [1, 4, 7])
        #expect(Tensor.arange(1, 10, step: 3).dtype == .int64)
        #expect(Tensor.arange(0.0, 1.0, step: 0.25).scalars == [0, 0.25, 0.5, 0.75])
        #expect(Tensor.arange(0.0, 1.0, step: 0.25).dtype == .float32)
        #expect(Tensor.arange(5, dtype: .float64).dtype == .float64)
        #expect(Tensor.linspace(0, 1, steps: 5).scalars == [0, 0.25, 0.5, 0.75, 1])
        #expect(Tensor.linspace(0, 1, steps: 5).dtype == .float32)
        #expect(Tensor.eye(3).scalars == [1, 0, 0, 0, 1, 0, 0, 0, 1])
        #expect(Tensor.eye(3).shape == [3, 3])
        #expect(Tensor.full([2, 3], 7.0).scalars == [Float](repeating: 7, count: 6))
        #expect(Tensor.full([2, 3], 7.0).dtype == .float32)
        #expect(Tensor.full([2, 3], 7).dtype == .int64)
        #expect(Tensor.zeros(like: x).scalars == [Float](repeating: 0, count: 6))
        #expect(Tensor.zeros(like: x).shape == [2, 3])
        #expect(Tensor.ones(like: x).scalars == [Float](repeating: 1, count: 6))
        #expect(Tensor.ones(like: Tensor([1, 2])).dtype == .int64)
        let integers = Tensor.randint(low: 0, high: 10, shape: [4])
        #expect(integers.dtype == .int64 && integers.shape == [4])
        #expect(integers.asArray(Int.self).allSatisfy { (0..<10).contains($0) })
        let uniform = Tensor.rand([2, 3])
        #expect(uniform.shape == [2, 3] && uniform.dtype == .float32)
        #expect(uniform.scalars.allSatisfy { $0 >= 0 && $0 < 1 })
        let normal = Tensor.randn([2, 3])
        #expect(normal.shape == [2, 3] && normal.dtype == .float32)
        #expect(Tensor.rand([2], dtype: .float64).dtype == .float64)
        // multinomial: a certain category, and every category once without replacement.
        let certain = Tensor.multinomial(Tensor([0.0, 1.0, 0.0]), numSamples: 4, replacement: true)
        #expect(certain.asArray(Int.self) == [1, 1, 1, 1] && certain.dtype == .int64)
        let drawn = Tensor.multinomial(Tensor([[1.0, 2.0, 3.0], [5.0, 0.0, 1.0]]), numSamples: 2)
        #expect(drawn.shape == [2, 2])
        let rows = drawn.asArray(Int.self)
        #expect(rows[0] != rows[1] && rows[2] != rows[3] && !rows[2...].contains(1))
        #expect(Set(Tensor.multinomial(Tensor([1.0, 1.0, 1.0]), numSamples: 3).asArray(Int.self)) == [0, 1, 2])
        #expect(Tensor.arange(5).description == "tensor([0, 1, 2, 3, 4])")
        #expect(Tensor.linspace(0, 1, steps: 5).description == "tensor([0.0000, 0.2500, 0.5000, 0.7500, 1.0000])")
    }

    /// Runs `f` on a fresh leaf copy of x, checks the values, node name and the gradient
    /// of Σ f(x) · (1, 2, 3, ...).
    private func check(_ f: (Tensor) -> Tensor, _ shape: [Int], _ values: [Float], _ node: String, _ gradient: [Float],
                       sourceLocation: SourceLocation = #_sourceLocation) {
        let leaf = Tensor(x.array, requiresGrad: true)
        let result = f(leaf)
        #expect(result.shape == shape, sourceLocation: sourceLocation)
        #expect(result.gradFn?.name == node, sourceLocation: sourceLocation)
        let weights = Tensor.arange(1.0, Double(result.count) + 1).reshape(result.shape)
        (result * weights).sum().backward()
        for (a, e) in zip(result.scalars, values) { #expect(Swift.abs(a - e) <= 1e-5 * Swift.max(1, Swift.abs(e)), "\(result.scalars) vs \(values)", sourceLocation: sourceLocation) }
        let grad = leaf.grad?.scalars ?? []
        #expect(grad.count == gradient.count, sourceLocation: sourceLocation)
        for (a, e) in zip(grad, gradient) { #expect(Swift.abs(a - e) <= 1e-4 * Swift.max(1, Swift.abs(e)), "\(grad) vs \(gradient)", sourceLocation: sourceLocation) }
    }

    @Test func elementwiseMathAndReductions() {
        let y = self.y
        check({ x in x.log1p() }, [2, 3], [0.18232156336307526, -0.6931471824645996, 0.5306282639503479, 0.6418538689613342, 0.09531018137931824, -0.3566749691963196], "Log1PBackward0", [0.8333333134651184, 4.0, 1.764705777168274, 2.1052632331848145, 4.545454502105713, 8.571428298950195])
        check({ x in x.expm1() }, [2, 3], [0.22140276432037354, -0.39346933364868164, 1.0137526988983154, 1.4596030712127686, 0.10517092049121857, -0.25918179750442505], "Expm1Backward0", [1.2214027643203735, 1.2130613327026367, 6.041257858276367, 9.838412284851074, 5.52585506439209, 4.44490909576416])
        check({ x in x.abs().rsqrt() }, [2, 3], [2.2360680103302, 1.4142135381698608, 1.1952285766601562, 1.0540926456451416, 3.1622776985168457, 1.8257417678833008], "RsqrtBackward0", [-5.590169906616211, 2.8284268379211426, -2.561203956604004, -2.34242844581604, -79.05693817138672, 18.257415771484375])
        check({ x in x.tan() }, [2, 3], [0.20271004736423492, -0.5463024973869324, 0.8422883749008179, 1.2601581811904907, 0.10033467411994934, -0.30933627486228943], "TanBackward0", [1.0410913228988647, 2.596892833709717, 5.128349304199219, 10.351994514465332, 5.05033540725708, 6.57413387298584])
        check({ x in x.silu() }, [2, 3], [0.10996679961681366, -0.1887703388929367, 0.46773141622543335, 0.6398544907569885, 0.05249791964888573, -0.12766724824905396], "SiluBackward0", [0.5993372201919556, 0.520077645778656, 2.470160484313965, 3.5835988521575928, 2.7495837211608887, 2.1133198738098145])
        check({ x in x.softplus() }, [2, 3], [0.7981388568878174, 0.4740769863128662, 1.103186011314392, 1.2411538362503052, 0.7443966865539551, 0.554355263710022], "SoftplusBackward0", [0.5498340129852295, 0.7550813555717468, 2.004563331604004, 2.8437979221343994, 2.6248960494995117, 2.5533447265625])
        check({ x in x.square() }, [2, 3], [0.04000000283122063, 0.25, 0.4899999797344208, 0.809999942779541, 0.010000000707805157, 0.09000000357627869], "PowBackward0", [0.4000000059604645, -2.0, 4.199999809265137, 7.199999809265137, 1.0, -3.6000001430511475])
        check({ x in x.sign() }, [2, 3], [1.0, -1.0, 1.0, 1.0, 1.0, -1.0], "SignBackward0", [0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
        check({ x in (x * 3).floor() }, [2, 3], [0.0, -2.0, 2.0, 2.0, 0.0, -1.0], "FloorBackward0", [0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
        check({ x in (x * 3).ceil() }, [2, 3], [1.0, -1.0, 3.0, 3.0, 1.0, -0.0], "CeilBackward0", [0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
        check({ x in (x * 3).round() }, [2, 3], [1.0, -2.0, 2.0, 3.0, 0.0, -1.0], "RoundBackward0", [0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
        check({ x in (x * 3).trunc() }, [2, 3], [0.0, -1.0, 2.0, 2.0, 0.0, -0.0], "TruncBackward0", [0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
        check({ x in x.reciprocal() }, [2, 3], [5.0, -2.0, 1.4285714626312256, 1.1111111640930176, 10.0, -3.3333332538604736], "ReciprocalBackward0", [-25.0, -8.0, -6.122448921203613, -4.938271999359131, -500.0, -66.66666412353516])
        check({ x in x.erf() }, [2, 3], [0.22270259261131287, -0.5204998850822449, 0.6778011918067932, 0.7969081997871399, 0.11246291548013687, -0.3286267817020416], "ErfBackward0", [1.084134817123413, 1.7575652599334717, 2.073824882507324, 2.0078744888305664, 5.585758209228516, 6.187565803527832])
        check({ x in x.sinh() }, [2, 3], [0.20133601129055023, -0.5210952758789062, 0.758583664894104, 1.0265166759490967, 0.10016675293445587, -0.30452030897140503], "SinhBackward0", [1.020066738128662, 2.255251884460449, 3.765507221221924, 5.7323455810546875, 5.025020599365234, 6.272030830383301])
        check({ x in x.cosh() }, [2, 3], [1.020066738128662, 1.1276259422302246, 1.2551690340042114, 1.4330863952636719, 1.0050041675567627, 1.04533851146698], "CoshBackward0", [0.20133601129055023, -1.0421905517578125, 2.2757511138916016, 4.106066703796387, 0.5008337497711182, -1.8271218538284302])
        check({ x in x.asin() }, [2, 3], [0.20135793089866638, -0.5235987901687622, 0.7753974795341492, 1.1197694540023804, 0.1001674234867096, -0.30469265580177307], "AsinBackward0", [1.0206207036972046, 2.309401035308838, 4.200839996337891, 9.176628112792969, 5.02518892288208, 6.289709091186523])
        check({ x in x.acos() }, [2, 3], [1.3694384098052979, 2.094395160675049, 0.7953988313674927, 0.4510268568992615, 1.4706288576126099, 1.8754889965057373], "AcosBackward0", [-1.0206207036972046, -2.309401035308838, -4.200839996337891, -9.176628112792969, -5.02518892288208, -6.289709091186523])
        check({ x in x.atan() }, [2, 3], [0.19739556312561035, -0.46364760398864746, 0.6107259392738342, 0.7328150868415833, 0.09966865181922913, -0.29145681858062744], "AtanBackward0", [0.9615384936332703, 1.600000023841858, 2.013422727584839, 2.209944725036621, 4.95049524307251, 5.504587173461914])
        check({ x in x.remainder(0.3) }, [2, 3], [0.20000000298023224, 0.10000002384185791, 0.09999996423721313, 0.2999999523162842, 0.10000000149011612, -0.0], "RemainderBackward0", [1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
        check({ x in x.fmod(0.3) }, [2, 3], [0.20000000298023224, -0.19999998807907104, 0.09999996423721313, 0.2999999523162842, 0.10000000149011612, -0.0], "FmodBackward0", [1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
        check({ x in x.lerp(y, weight: 0.25) }, [2, 3], [0.25, -0.30000001192092896, 0.4749999940395355, 0.7999999523162842, -0.07500001043081284, -0.025000005960464478], "LerpBackward0", [0.75, 1.5, 2.25, 3.0, 3.75, 4.5])
        check({ x in x.maximum(y) }, [2, 3], [0.4000000059604645, 0.30000001192092896, 0.699999988079071, 0.8999999761581421, 0.10000000149011612, 0.800000011920929], "MaximumBackward0", [0.0, 0.0, 3.0, 4.0, 5.0, 0.0])
        check({ x in x.minimum(y) }, [2, 3], [0.20000000298023224, -0.5, -0.20000000298023224, 0.5, -0.6000000238418579, -0.30000001192092896], "MinimumBackward0", [1.0, 2.0, 0.0, 0.0, 0.0, 6.0])
        check({ x in x.clamp(min: -0.3, max: 0.4) }, [2, 3], [0.20000000298023224, -0.30000001192092896, 0.4000000059604645, 0.4000000059604645, 0.10000000149011612, -0.30000001192092896], "ClampBackward1", [1.0, 0.0, 0.0, 0.0, 5.0, 0.0])
        check({ x in x.clamp(min: y - 0.5, max: y) }, [2, 3], [0.20000000298023224, -0.19999998807907104, -0.20000000298023224, 0.5, -0.6000000238418579, 0.30000001192092896], "ClampBackward0", [1.0, 0.0, 0.0, 0.0, 0.0, 0.0])
        check({ x in x.nanToNum() }, [2, 3], [0.20000000298023224, -0.5, 0.699999988079071, 0.8999999761581421, 0.10000000149011612, -0.30000001192092896], "NanToNumBackward0", [1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
        check({ x in x.abs().pow(y) }, [2, 3], [0.5253055691719055, 0.812252402305603, 1.0739408731460571, 0.9486832618713379, 3.981071949005127, 0.38167789578437805], "PowBackward1", [1.050611138343811, -0.9747028946876526, -0.9205207824707031, 2.108185052871704, -119.43215942382812, -6.106846332550049])
        check({ x in x.var(dim: 1) }, [2], [0.3633333146572113, 0.3733333349227905], "VarBackward0", [0.06666667759418488, -0.6333333253860474, 0.5666666626930237, 1.3333332538604736, -0.2666666507720947, -1.0666667222976685])
        check({ x in x.std() }, [], [0.5455883741378784], "StdBackward0", [0.006109617184847593, -0.2504940927028656, 0.18939797580242157, 0.26271331310272217, -0.030548056587576866, -0.177178755402565])
        check({ x in x.prod(dim: 0) }, [3], [0.17999999225139618, -0.05000000074505806, -0.21000000834465027], "ProdBackward1", [0.8999999761581421, 0.20000000298023224, -0.9000000357627869, 0.20000000298023224, -1.0, 2.0999999046325684])
        check({ x in x.logsumexp(dim: 1) }, [2], [1.3459112644195557, 1.4599146842956543], "LogsumexpBackward0", [0.3179340660572052, 0.15788137912750244, 0.5241846442222595, 1.1425155401229858, 0.5133653879165649, 0.3441191017627716])
        check({ x in x.norm() }, [], [1.2999999523162842], "LinalgVectorNormBackward0", [0.1538461595773697, -0.38461539149284363, 0.5384615659713745, 0.692307710647583, 0.07692307978868484, -0.23076924681663513])
        check({ x in x.norm(p: 1, dim: 0) }, [3], [1.100000023841858, 0.6000000238418579, 1.0], "LinalgVectorNormBackward0", [1.0, -2.0, 3.0, 1.0, 2.0, -3.0])
        check({ x in x.cumsum(dim: 1) }, [2, 3], [0.20000000298023224, -0.30000001192092896, 0.3999999761581421, 0.8999999761581421, 1.0, 0.699999988079071], "CumsumBackward0", [6.0, 5.0, 3.0, 15.0, 11.0, 6.0])
        check({ x in x.cumprod(dim: 0) }, [2, 3], [0.20000000298023224, -0.5, 0.699999988079071, 0.17999999225139618, -0.05000000074505806, -0.21000000834465027], "CumprodBackward0", [4.599999904632568, 2.5, 1.1999999284744263, 0.800000011920929, -2.5, 4.199999809265137])
        check({ x in x.amax(dim: 1) }, [2], [0.699999988079071, 0.8999999761581421], "AmaxBackward0", [0.0, 0.0, 1.0, 2.0, 0.0, 0.0])
        check({ x in x.amin(dim: 1) }, [2], [-0.5, -0.30000001192092896], "AminBackward0", [0.0, 1.0, 0.0, 0.0, 0.0, 2.0])
        check({ x in x.median() }, [], [0.10000000149011612], "MedianBackward0", [0.0, 0.0, 0.0, 0.0, 1.0, 0.0])
        check({ x in x.topk(2, dim: 1).values }, [2, 2], [0.699999988079071, 0.20000000298023224, 0.8999999761581421, 0.10000000149011612], "TopkBackward0", [2.0, 0.0, 1.0, 3.0, 4.0, 0.0])
        check({ x in x.sort(dim: 1, descending: true).values }, [2, 3], [0.699999988079071, 0.20000000298023224, -0.5, 0.8999999761581421, 0.10000000149011612, -0.30000001192092896], "SortBackward0", [2.0, 3.0, 1.0, 4.0, 5.0, 6.0])
    }

    @Test func indicesTruthAndUnique() {
        let x = self.x
        let (values, indices) = x.topk(2, dim: 1)
        #expect(Tensor(x.array, requiresGrad: true).topk(2, dim: 1).values.description
            == "tensor([[0.7000, 0.2000],\n        [0.9000, 0.1000]], grad_fn=<TopkBackward0>)")
        #expect(indices.description == "tensor([[2, 0],\n        [0, 1]])")
        #expect(values.shape == [2, 2] && indices.asArray(Int.self) == [2, 0, 0, 1] && indices.dtype == .int64)
        let sorted = x.sort(dim: 1, descending: true)
        #expect(sorted.indices.asArray(Int.self) == [2, 0, 1, 0, 1, 2])
        #expect(sorted.values.scalars == [0.7, 0.2, -0.5, 0.9, 0.1, -0.3])
        #expect(x.argsort(dim: 0).asArray(Int.self) == [0, 0, 1, 1, 1, 0])
        #expect(x.argsort(dim: 0).gradFn == nil)
        #expect(Tensor([3, 1, 2, 3, 1]).unique().asArray(Int.self) == [1, 2, 3])
        #expect(x.all().asArray(Bool.self) == [true] && x.all().dtype == .bool)
        #expect(x.any().asArray(Bool.self) == [true])
        #expect((x .> 0.0).all(dim: 1).asArray(Bool.self) == [false, false])
        #expect((x .> 0.0).any(dim: 1).asArray(Bool.self) == [true, true])
        #expect(x.all(dim: 1).shape == [2] && x.any(dim: 1).shape == [2])
    }
}
