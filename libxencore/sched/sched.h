/* The scheduler interface inside the core.
 *
 * A policy (sched_null.c, sched_credit.c, sched_credit2.c) is a table of
 * operations. Each CPU pool runs one instance of one policy over its CPUs
 * (cpupool.c); a CPU in no pool idles. schedule.c runs each CPU's loop:
 *
 *     prev left guest mode  ->  ops->deschedule(prev)   (account, requeue if runnable)
 *     nothing is claimed    ->  reap dead domains, apply a pending pool change
 *     ops->pick(cpu)        ->  the vCPU to run next (claimed) and for how long
 *
 * Claiming. A vCPU runs on one CPU at a time: v->is_running says it is
 * claimed. A policy claims a candidate with sched_claim(), which fails if the
 * vCPU is not runnable (paused, blocked, down, domain stopping); the policy
 * then drops it from its queues (its next wake() queues it again). deschedule()
 * releases the claim (is_running = false) after requeueing, under the policy's
 * lock, so another CPU may pick it up at once: the arch has saved its state by
 * then. vcpu_sync() (core/domain.c) relies on this protocol.
 *
 * Locking. A policy does its own locking; every operation may be called
 * from any CPU, with interrupts off or on, and from timer callbacks, so a
 * policy takes its locks with spin_lock_irqsave(). The core never calls two
 * operations for the same vCPU at once except wake() racing with the others,
 * which the policy's lock orders.
 *
 * Storage. A policy keeps its per-vCPU and per-domain state inside
 * v->sched_data and d->sched_data (zeroed before vcpu_insert / dom_init) and
 * its per-instance state behind s->priv (allocated in init, freed in deinit,
 * with sched_alloc()/sched_free()). */
#ifndef XENCORE_SCHED_SCHED_H
#define XENCORE_SCHED_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xencore/sched.h>

#include "lib/cpumask.h"

struct vcpu;
struct domain;
struct cpupool;
struct sched_instance;

struct scheduler_ops {
    const char *name;                 /* as xl names it: "credit", "credit2", "null" */
    enum xencore_scheduler id;
    int (*init)(struct sched_instance *s);
    void (*deinit)(struct sched_instance *s);
    /* A CPU joins the instance / leaves it. cpu_remove() is called only when
     * that CPU runs nothing (it is between deschedule and pick, or it is the
     * caller); the policy moves vCPUs queued there to its other CPUs. */
    void (*cpu_add)(struct sched_instance *s, unsigned int cpu);
    void (*cpu_remove)(struct sched_instance *s, unsigned int cpu);
    /* A domain enters / leaves the instance (before its vCPUs / after them). */
    void (*dom_init)(struct sched_instance *s, struct domain *d);
    void (*dom_destroy)(struct sched_instance *s, struct domain *d);
    /* A vCPU enters the instance (runnable or not) / leaves it (not claimed). */
    void (*vcpu_insert)(struct sched_instance *s, struct vcpu *v);
    void (*vcpu_remove)(struct sched_instance *s, struct vcpu *v);
    /* @v became runnable (woken, unpaused, brought up): queue it unless it is
     * queued or claimed, and get a CPU to look (sched_request_reschedule). */
    void (*wake)(struct sched_instance *s, struct vcpu *v);
    /* @v, running on this CPU, gives up the rest of its turn. Returns true if
     * a switch is worth asking for (someone else could run here). */
    bool (*yield)(struct sched_instance *s, struct vcpu *v);
    /* @prev, claimed by @cpu, left guest mode at @now: account for its run,
     * requeue it if it is runnable, release the claim. */
    void (*deschedule)(struct sched_instance *s, unsigned int cpu, struct vcpu *prev, uint64_t now);
    /* What @cpu runs next (claimed with sched_claim, v->processor = cpu), or
     * NULL to idle. *@slice_ns: ask again after that long at the latest
     * (0: only when something happens). */
    struct vcpu *(*pick)(struct sched_instance *s, unsigned int cpu, uint64_t now, uint64_t *slice_ns);
    /* @v's hard or soft affinity changed (v->hard_affinity/soft_affinity). */
    void (*affinity_changed)(struct sched_instance *s, struct vcpu *v);
    /* Per-domain and per-instance parameters; NULL where the policy has none. */
    int (*dom_params)(struct sched_instance *s, struct domain *d,
                      struct xencore_sched_params *p, bool set);
    int (*pool_params)(struct sched_instance *s, struct xencore_sched_pool_params *p, bool set);
};

struct sched_instance {
    const struct scheduler_ops *ops;
    struct cpupool *pool;
    cpumask_t cpus;            /* the CPUs it schedules (the pool's) */
    void *priv;                /* the policy's own */
};

extern const struct scheduler_ops sched_null_ops;
extern const struct scheduler_ops sched_credit_ops;
extern const struct scheduler_ops sched_credit2_ops;

/* The policy named @name ("credit", "credit2", "null") or with @id; NULL if none. */
const struct scheduler_ops *sched_find_by_name(const char *name);
const struct scheduler_ops *sched_find_by_id(enum xencore_scheduler id);
/* The scheduler Pool-0 gets (boot option sched=; credit2 if none). */
extern const struct scheduler_ops *sched_default;

/* Boot options the policies read (core/options.c sets them). */
enum credit2_runqueue_arrangement {
    CREDIT2_RUNQUEUE_SOCKET = 0, /* one runqueue per socket (default) */
    CREDIT2_RUNQUEUE_L3 = 1,     /* one per shared L3 cache */
    CREDIT2_RUNQUEUE_CPU = 2,    /* one per CPU */
    CREDIT2_RUNQUEUE_ALL = 3,    /* one for the whole pool */
};
extern enum credit2_runqueue_arrangement sched_credit2_runqueue;
/* The rate limit new credit/credit2 pools start with (boot option
 * sched_ratelimit_us=; 0 or SCHED_RATELIMIT_MIN_US..SCHED_RATELIMIT_MAX_US). */
#define SCHED_DEFAULT_RATELIMIT_US 1000
#define SCHED_RATELIMIT_MIN_US 100
#define SCHED_RATELIMIT_MAX_US 500000
extern uint32_t sched_ratelimit_us;

/* True if @ops is a complete policy (a table being written may be empty). */
bool sched_policy_available(const struct scheduler_ops *ops);

/* Claims @v for this CPU: true if it is runnable, with v->is_running set
 * (call under the policy's lock). On false nothing is claimed. */
bool sched_claim(struct vcpu *v);

/* Memory for a policy's instance state: zeroed, page-backed. */
void *sched_alloc(size_t bytes);
void sched_free(void *p, size_t bytes);

/* The instance @v's domain lives in. */
struct sched_instance *sched_of_vcpu(const struct vcpu *v);
/* The instance @cpu belongs to, or NULL if it is free. */
struct sched_instance *sched_of_cpu(unsigned int cpu);

/* ---- Called by the rest of the core --------------------------------------- */

void sched_cpu_add(unsigned int cpu);       /* a CPU passed its checks: into Pool-0 */
void sched_vcpu_insert(struct vcpu *v);
void sched_vcpu_remove(struct vcpu *v);
void sched_vcpu_wake(struct vcpu *v);
/* @v is not on a CPU and its runnability changed without a wake (paused,
 * brought down): brings its run state up to date. Never called by a policy
 * (it takes a lock a policy's wake() is called under). */
void sched_runstate_refresh(struct vcpu *v);
/* The running vCPU yields: asks this CPU to choose again if that helps. */
void sched_vcpu_yield(struct vcpu *v);
/* Asks @cpu to choose again (from any CPU). */
void sched_request_reschedule(unsigned int cpu);

/* One step of a CPU's loop, shared with the scheduler simulator:
 * schedule_put() after @prev left guest mode (NULL if the CPU was idle);
 * schedule_pick() clears the CPU's reschedule flag, applies a pending pool
 * change, chooses what runs next (NULL: idle) and arms the CPU's scheduling
 * timer for the slice the policy asked for. */
void schedule_put(unsigned int cpu, struct vcpu *prev);
struct vcpu *schedule_pick(unsigned int cpu);

/* Each CPU's loop once it is up: put, reap, pick, run, repeat. */
_Noreturn void schedule_loop(void);
/* Power the machine off once no domain is left (the boot option). */
void schedule_poweroff_when_idle(void);

#endif /* XENCORE_SCHED_SCHED_H */
