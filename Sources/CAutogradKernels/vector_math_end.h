// Ends a kernel body that included vector_math_body.h: undefines its vector types, its
// lane count and the three settings, so the next path can define them again.

#undef V
#undef VI
#undef L
#undef AG_EW_LANES
#undef AG_EW_TARGET
#undef AG_EW_NAME
