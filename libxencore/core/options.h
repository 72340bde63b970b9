/* The hypervisor command line. */
#ifndef XENCORE_CORE_OPTIONS_H
#define XENCORE_CORE_OPTIONS_H

#include <stdbool.h>

struct core_options {
    unsigned int maxcpus; /* 0: no limit but XENCORE_MAX_CPUS */
    bool allow_x2apic;
    bool noreboot;
    bool poweroff;
};

/* Defaults: every CPU, x2APIC allowed, reset on panic, keep running. */
void options_defaults(struct core_options *options);

/* Applies the words of @line to @options. Words that are unknown or carry a bad
 * value are reported on the console, naming @source, and change nothing.
 * Returns the number of words rejected. */
unsigned int options_parse(struct core_options *options, const char *line, const char *source);

#endif /* XENCORE_CORE_OPTIONS_H */
