/* Physical CPUs: which exist, which run, and bringing them up. */
#ifndef XENCORE_CORE_CPUS_H
#define XENCORE_CORE_CPUS_H

#include <stdint.h>

/* Starts every CPU the firmware lists, up to @maxcpus (0: XENCORE_MAX_CPUS),
 * checks on each that its timer and IPIs work, enables hardware virtualization
 * on it, and hands those that can run guests to the scheduler. Returns when
 * all are done; the others are already in their scheduling loops. */
void cpus_bring_up(unsigned int maxcpus);

unsigned int cpus_found(void);  /* listed as enabled by the firmware */
unsigned int cpus_online(void); /* running, with working timer and IPIs */

#endif /* XENCORE_CORE_CPUS_H */
