/* The scheduler interface: a policy is a table of operations, one file each
 * (sched_null.c now; credit and credit2 later), behind these few calls.
 *
 * The core guarantees a policy: vcpu_insert() before any other call for a
 * vCPU, vcpu_remove() once, never concurrently with itself for one vCPU. A
 * policy guarantees the core: pick() returns only a vCPU that may run on that
 * CPU, and marks it is_running under the policy's lock, so a vCPU removed
 * under that lock is never picked again. */
#ifndef XENCORE_SCHED_SCHED_H
#define XENCORE_SCHED_SCHED_H

#include <stdbool.h>

struct vcpu;

struct scheduler_ops {
    const char *name;
    void (*cpu_add)(unsigned int cpu);         /* a CPU is ready to run vCPUs */
    void (*vcpu_insert)(struct vcpu *v);       /* a new vCPU */
    void (*vcpu_remove)(struct vcpu *v);       /* a vCPU going away */
    /* The vCPU @cpu runs next, is_running set; NULL to idle. */
    struct vcpu *(*pick)(unsigned int cpu);
    void (*wake)(struct vcpu *v);              /* became runnable */
    void (*yield)(struct vcpu *v);             /* gave up the rest of its turn */
};

extern const struct scheduler_ops sched_null_ops;

void sched_cpu_add(unsigned int cpu);
void sched_vcpu_insert(struct vcpu *v);
void sched_vcpu_remove(struct vcpu *v);
void sched_vcpu_wake(struct vcpu *v);
void sched_vcpu_yield(struct vcpu *v);
/* Asks @cpu to pick again (from any CPU). */
void sched_request_reschedule(unsigned int cpu);

/* Each CPU's loop once it is up: reap dead domains, pick, run, repeat. */
_Noreturn void schedule_loop(void);
/* Power the machine off once no domain is left (the boot option). */
void schedule_poweroff_when_idle(void);

#endif /* XENCORE_SCHED_SCHED_H */
