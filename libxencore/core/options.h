/* The hypervisor command line. */
#ifndef XENCORE_CORE_OPTIONS_H
#define XENCORE_CORE_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "sched/sched.h"

struct core_options {
    unsigned int maxcpus; /* 0: no limit but XENCORE_MAX_CPUS */
    bool allow_x2apic;
    bool noreboot;
    bool poweroff;
    /* Scheduling (Xen's names): Pool-0's scheduler (sched=, 0: not given, so
     * credit2), credit2's runqueue arrangement (credit2_runqueue=) and the
     * rate limit new credit/credit2 pools start with (sched_ratelimit_us=). */
    enum xencore_scheduler sched;
    enum credit2_runqueue_arrangement credit2_runqueue;
    uint32_t sched_ratelimit_us;
};

/* Defaults: every CPU, x2APIC allowed, reset on panic, keep running; credit2
 * with one runqueue per socket and a 1 ms rate limit. */
void options_defaults(struct core_options *options);

/* Applies the words of @line to @options. Words that are unknown or carry a bad
 * value are reported on the console, naming @source, and change nothing.
 * Returns the number of words rejected. */
unsigned int options_parse(struct core_options *options, const char *line, const char *source);

#endif /* XENCORE_CORE_OPTIONS_H */
