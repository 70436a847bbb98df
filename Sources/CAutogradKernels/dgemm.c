// Double-precision GEMM: the driver of gemm_driver.h instantiated for double, with the
// micro-kernels of dgemm_microkernels.c and the packing of dgemm_packing.c.

#define AG_REAL double
#define AG_GEMM_CONFIG ag_dgemm_config
#define AG_GEMM_CONFIG_FOR ag_dgemm_config_for
#define AG_GEMM_STRIDED ag_dgemm_strided
#include "gemm_driver.h"
