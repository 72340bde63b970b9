/* Physical CPUs: which exist, which run, and bringing them up. */
#ifndef XENCORE_CORE_CPUS_H
#define XENCORE_CORE_CPUS_H

#include <stdint.h>

/* Starts every CPU the firmware lists, up to @maxcpus (0: XENCORE_MAX_CPUS),
 * and checks on each that its timer and IPIs work. Returns when all are done. */
void cpus_bring_up(unsigned int maxcpus);

unsigned int cpus_found(void);  /* listed as enabled by the firmware */
unsigned int cpus_online(void); /* running, with working timer and IPIs */

/* Runs forever on the calling CPU, sleeping until interrupts. */
_Noreturn void cpu_idle_loop(void);

#endif /* XENCORE_CORE_CPUS_H */
