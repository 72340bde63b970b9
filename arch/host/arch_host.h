/* What the host test arch offers tests beyond the arch contract. */
#ifndef XENCORE_ARCH_HOST_H
#define XENCORE_ARCH_HOST_H

#include <stdbool.h>
#include <stdint.h>

/* Everything printed so far (NUL-terminated), and a way to forget it. */
const char *host_console_text(void);
void host_console_clear(void);
/* Moves the clock on, firing every armed timer that falls due (earliest
 * first, each as its own CPU). */
void host_advance_time(uint64_t ns);
/* Sets the clock to @ns (never backwards) and fires nothing. */
void host_set_time(uint64_t ns);

/* Virtual CPUs: how many exist (1..XENCORE_MAX_CPUS, default 1; what
 * arch_cpus_enumerate reports) and which one arch_this_cpu() names. */
void host_set_cpu_count(unsigned int count);
unsigned int host_cpu_count(void);
void host_set_this_cpu(unsigned int cpu);

/* Per-CPU one-shot timers. HOST_NO_DEADLINE: nothing armed. */
#define HOST_NO_DEADLINE UINT64_MAX
/* The earliest armed deadline of all CPUs, and (if @cpu) whose it is. */
uint64_t host_next_deadline(unsigned int *cpu);
/* @cpu's armed deadline. */
uint64_t host_timer_deadline(unsigned int cpu);
/* Disarms @cpu's timer and runs core_timer_interrupt() as @cpu. */
void host_fire_timer(unsigned int cpu);

/* IPIs (arch_send_ipi) and kicks (arch_cpu_kick) are recorded, not run.
 * host_deliver_ipi() runs core_ipi_interrupt() as the CPU of the oldest
 * undelivered IPI; false if there is none. host_next_kick() returns a CPU
 * that was kicked since it was last returned (oldest first), or -1. Several
 * IPIs or kicks to one CPU before it is returned count once, as the
 * hardware's pending bit does. The counters count every one sent. */
bool host_deliver_ipi(void);
int host_next_kick(void);
bool host_kick_pending(unsigned int cpu); /* @cpu is among those host_next_kick() will return */
uint64_t host_ipis_sent(unsigned int cpu);
uint64_t host_kicks_sent(unsigned int cpu);
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
