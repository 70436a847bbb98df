#ifndef AG_ERF_CONSTANTS_H
#define AG_ERF_CONSTANTS_H

// The constants of the single-precision erf and the exact GELU built on it (elementwise_body.h).
//
// erf(x): below |x| = 0.921875, erf(x) = x + x·Q(x²) with Q of degree 5; above, erf(|x|) =
// 1 - exp(R(|x|)), R of degree 6 approximating ln erfc(|x|) up to |x| = 3.92 (where erf
// rounds to 1 in single precision), with the sign of x; exp is exp_constants.h's. The
// coefficients are weighted minimax fits (relative error of erf: 1.7e-8 and 1.5e-9 before
// rounding), made for this library; Scripts/fixtures/fit_gelu_polynomials.py reproduces
// them. Measured over every float, erf stays within 2 ulp of the correctly rounded value.

#define AG_ERF_SPLIT 0.921875f
#define AG_ERF_CLAMP 3.92f
#define AG_ERF_Q0 1.283791661e-01f
#define AG_ERF_Q1 -3.761253655e-01f
#define AG_ERF_Q2 1.128210202e-01f
#define AG_ERF_Q3 -2.677431889e-02f
#define AG_ERF_Q4 5.002233200e-03f
#define AG_ERF_Q5 -6.029512733e-04f
#define AG_ERF_R0 -1.985202689e-04f
#define AG_ERF_R1 -1.127663851e+00f
#define AG_ERF_R2 -6.372020245e-01f
#define AG_ERF_R3 -1.039142832e-01f
#define AG_ERF_R4 2.221858315e-02f
#define AG_ERF_R5 -3.041128628e-03f
#define AG_ERF_R6 1.957245695e-04f

/// 1/√2 and 1/√(2π): Φ(x) = (1 + erf(x/√2)) / 2, φ(x) = e^(-x²/2)/√(2π).
#define AG_GELU_INVERSE_ROOT2 7.071067691e-01f
#define AG_GELU_NORMAL_DENSITY 3.989422917e-01f

#endif
