/* Fatal errors of the hypervisor itself (never of a guest: a guest's errors
 * crash only that guest). */
#ifndef XENCORE_LIB_PANIC_H
#define XENCORE_LIB_PANIC_H

#include <stdbool.h>

/* Prints "xencore: PANIC on cpu N: <message>", stops the other CPUs, then resets
 * the machine, or halts it when panic_set_reboot(false) was called. */
_Noreturn void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void panic_set_reboot(bool reboot);

#define BUG_ON(cond)                                                                       \
    do {                                                                                   \
        if (cond)                                                                          \
            panic("BUG at %s:%d: %s", __FILE__, __LINE__, #cond);                          \
    } while (0)

#endif /* XENCORE_LIB_PANIC_H */
