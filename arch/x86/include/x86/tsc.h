/* The TSC as the hypervisor's clock. */
#ifndef XENCORE_X86_TSC_H
#define XENCORE_X86_TSC_H

#include <stdint.h>

/* Measures the TSC rate against the PIT; panics if the PIT never counts. */
void tsc_calibrate(void);
uint64_t tsc_khz(void);
uint64_t tsc_to_ns(uint64_t ticks);
uint64_t tsc_from_ns(uint64_t ns);
/* Busy-waits @ns nanoseconds. */
void tsc_delay_ns(uint64_t ns);

#endif /* XENCORE_X86_TSC_H */
