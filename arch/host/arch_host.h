/* What the host test arch offers tests beyond the arch contract. */
#ifndef XENCORE_ARCH_HOST_H
#define XENCORE_ARCH_HOST_H

#include <stdint.h>

/* Everything printed so far (NUL-terminated), and a way to forget it. */
const char *host_console_text(void);
void host_console_clear(void);
/* Moves the clock on, firing an armed timer that falls due. */
void host_advance_time(uint64_t ns);
/* Ends the test process with a message and the console contents. */
_Noreturn void host_fatal(const char *what);

#endif /* XENCORE_ARCH_HOST_H */
