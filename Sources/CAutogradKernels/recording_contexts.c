#include "CAutogradKernels.h"

// The count behind ag_recording_contexts_alive (see the header); changed only through the
// atomic helpers there.
long ag_live_recording_contexts = 0;
