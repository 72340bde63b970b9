/* CPU pools inside the core: what cpupool.c keeps and the calls the rest of
 * the core (domain.c, the scheduler simulator) makes on pools.
 *
 * Locking. The management calls (include/xencore/sched.h, domain creation and
 * the domain control calls) are serialised by one lock, cpupool_lock(), taken
 * with interrupts on and never on a CPU's scheduling path: a management call
 * may wait for another CPU's loop (a CPU leaving its pool, vcpu_sync()), and
 * that loop must never wait for the lock. So cpupool_remove_domain(), which the
 * loop reaches through domain_reap(), touches only atomics and the policy. */
#ifndef XENCORE_SCHED_CPUPOOL_H
#define XENCORE_SCHED_CPUPOOL_H

#include <stdbool.h>
#include <xencore/sched.h>

#include "sched/sched.h"

struct domain;
struct vcpu;

struct cpupool {
    xencore_poolid_t id;
    bool in_use;
    char name[XENCORE_POOL_NAME_MAX + 1];
    struct sched_instance sched; /* sched.cpus: the pool's CPUs */
    unsigned int domain_count;   /* atomic */
};

/* Pool-0, created on first use with sched_default (null while the chosen
 * policy is still empty); NULL only if out of memory. */
struct cpupool *cpupool_pool0(void);
/* Prints "xencore: pool NAME (poolN): sched=S cpus=LIST" (tests rely on it). */
void cpupool_print(xencore_poolid_t id);
/* The pool named @name (NULL or "": Pool-0), or NULL. Lock held. */
struct cpupool *cpupool_by_name(const char *name);
/* Checks a domain's weight (0 = default or unchanged, else 1..65535) and cap
 * (0..100 x @vcpus percent): 0 or -XC_EINVAL. */
int sched_params_check(const struct xencore_sched_params *p, uint32_t vcpus);

/* The management lock (see above). Not recursive. */
void cpupool_lock(void);
void cpupool_unlock(void);

/* @d (not yet in a pool, its vCPUs not inserted) joins @pool: d->pool is set,
 * d->sched_data zeroed, the policy's dom_init called. */
void cpupool_add_domain(struct cpupool *pool, struct domain *d);
/* @d (its vCPUs already removed from the scheduler) leaves its pool. */
void cpupool_remove_domain(struct domain *d);

/* ---- schedule.c, for cpupool.c -------------------------------------------- */

/* True once @cpu passed its checks and can run guests (sched_cpu_add). */
bool schedule_cpu_usable(unsigned int cpu);
/* Free @cpu joins instance @s. */
void schedule_cpu_join(unsigned int cpu, struct sched_instance *s);
/* @cpu leaves its instance once it runs nothing of it: at once if it runs
 * nothing, else at its next pick (waited for, unless @cpu is the calling CPU:
 * then false, and the change happens when its vCPU stops). */
bool schedule_cpu_leave(unsigned int cpu);
/* Returns once no sched_vcpu_wake() that may have seen @v runnable is still
 * inside its policy (@v was made unrunnable before the call). */
void schedule_wake_barrier(struct vcpu *v);

#endif /* XENCORE_SCHED_CPUPOOL_H */
