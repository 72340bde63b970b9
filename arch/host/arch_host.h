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

/* The fake p2m: which page orders it claims to support, and the calls made. */
struct host_p2m_call {
    uint64_t gfn, mfn;
    unsigned int order;
};
void host_set_p2m_orders(uint32_t orders);
unsigned int host_p2m_calls(const struct host_p2m_call **calls);
void host_p2m_reset(void);
/* The entry state the PVH builder set for vCPU 0. */
void host_pvh_entry(uint32_t *entry, uint32_t *ebx);

#endif /* XENCORE_ARCH_HOST_H */
