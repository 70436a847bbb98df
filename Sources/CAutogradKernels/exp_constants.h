#ifndef AG_EXP_CONSTANTS_H
#define AG_EXP_CONSTANTS_H

// The constants of the single-precision exp of elementwise.c (exp, sigmoid, tanh, softmax,
// and the erf and GELU of erf_constants.h): x = n·ln 2 + r with |r| ≤ ln 2 / 2 (Cody–Waite:
// ln 2 split in a 9-bit head and a tail, so n·head is exact), e^r = 1 + r + r²·P(r) with P
// of degree 4, and the result scaled by 2^n in two halves so that subnormal results and the
// overflow to +inf come out right. Below ln(2^-150) the result is 0. Measured over every
// float, within 2 ulp of the correctly rounded value.

#define AG_EXP_LOG2E 1.442695022e+00f
#define AG_EXP_LN2_HI 6.933593750e-01f
#define AG_EXP_LN2_LO -2.121944417e-04f
#define AG_EXP_P0 4.999999404e-01f
#define AG_EXP_P1 1.666651964e-01f
#define AG_EXP_P2 4.166840762e-02f
#define AG_EXP_P3 8.368914947e-03f
#define AG_EXP_P4 1.381418202e-03f
/// Arguments are clamped to this range first; below AG_EXP_ZERO_BELOW the result is 0.
#define AG_EXP_CLAMP_LOW -104.0f
#define AG_EXP_CLAMP_HIGH 89.0f
#define AG_EXP_ZERO_BELOW -103.972084f

#endif
