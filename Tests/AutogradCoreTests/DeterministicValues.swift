/// `count` deterministic pseudo-random floats in [-1, 1) from `seed` (a 64-bit linear
/// congruential generator, the top 24 bits of each state), the inputs every kernel test
/// draws, so a failure reproduces exactly.
func pseudoRandomFloats(_ count: Int, seed: UInt64) -> [Float] {
    var state = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    return (0..<count).map { _ in
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Float(state >> 40) / Float(1 << 23) - 1
    }
}

/// ``pseudoRandomFloats(_:seed:)`` times `scale`: values in [-scale, scale).
func pseudoRandomFloats(_ count: Int, seed: UInt64, scale: Float) -> [Float] {
    pseudoRandomFloats(count, seed: seed).map { $0 * scale }
}
