/**
 * @file sched.h
 * @brief Schedulers, CPU pools and vCPU affinity.
 *
 * Every CPU that can run guests belongs to at most one CPU pool; each pool
 * runs one scheduler instance of its own (`credit`, `credit2` or `null`).
 * At boot every CPU is in `Pool-0` (id 0), which runs the default scheduler
 * (`credit2`, or the one named by the `sched=` boot option). A domain lives
 * in exactly one pool; its vCPUs run only on that pool's CPUs, further
 * limited by each vCPU's hard affinity and steered by its soft affinity.
 *
 * Every call checks its arguments and, on error, changes nothing. All may be
 * called from any CPU once xencore_start() has brought the CPUs up.
 */
#ifndef XENCORE_SCHED_H
#define XENCORE_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include <xencore/config.h>
#include <xencore/domain.h>
#include <xencore/errors.h>

/** @brief Scheduler numbers (Xen's XEN_SCHEDULER_* values). */
enum xencore_scheduler {
    XENCORE_SCHED_CREDIT = 5,  /**< proportional share: weight, cap, boost */
    XENCORE_SCHED_CREDIT2 = 6, /**< low wake-up latency, per-runqueue credit (the default) */
    XENCORE_SCHED_NULL = 9,    /**< one vCPU per CPU, no time sharing */
};

/** @brief A CPU pool's number; Pool-0 is 0. */
typedef uint32_t xencore_poolid_t;

/** @brief Longest pool name, terminator excluded. */
#define XENCORE_POOL_NAME_MAX 63
/** @brief Most CPU pools at once, Pool-0 included. */
#define XENCORE_POOLS_MAX 64

/** @brief A set of CPUs (bit n = CPU n), as CPU numbers of the boot summary. */
struct xencore_cpumask {
    uint64_t bits[(XENCORE_MAX_CPUS + 63) / 64]; /**< bit n of word n/64 */
};

/** @brief Per-domain parameters of `credit` and `credit2`. */
struct xencore_sched_params {
    /** Share relative to other domains of the pool, 1..65535 (default 256). */
    uint32_t weight;
    /** Most CPU time, in percent of one CPU (0 = no cap, at most 100 x vCPUs). */
    uint32_t cap;
};

/** @brief Per-pool scheduler parameters (as `xl sched-credit -s` / `xl sched-credit2 -s`). */
struct xencore_sched_pool_params {
    /** credit: time slice in ms, 1..1000 (default 30); ignored by credit2. */
    uint32_t tslice_ms;
    /** Least time a CPU-bound vCPU runs before another CPU-bound vCPU may
     *  preempt it, in µs: 0 (off) or 100..500000 (default 1000). */
    uint32_t ratelimit_us;
};

/** @brief What xencore_cpupool_get_info() reports. */
struct xencore_cpupool_info {
    xencore_poolid_t id;                  /**< its number */
    char name[XENCORE_POOL_NAME_MAX + 1]; /**< its name */
    enum xencore_scheduler scheduler;     /**< the scheduler it runs */
    struct xencore_cpumask cpus;          /**< its CPUs */
    uint32_t cpu_count;                   /**< how many */
    uint32_t domain_count;                /**< domains living in it */
};

/**
 * @brief Creates an empty pool.
 * @param name      1..63 characters of [A-Za-z0-9_.-], unique.
 * @param scheduler The scheduler it runs.
 * @param id        Receives its number.
 * @return 0; XENCORE_EINVAL; XENCORE_EEXIST (name taken); XENCORE_ENOSPC; XENCORE_ENOMEM.
 */
int xencore_cpupool_create(const char *name, enum xencore_scheduler scheduler,
                           xencore_poolid_t *id);

/**
 * @brief Destroys a pool that has no CPU and no domain.
 * @param id The pool.
 * @return 0; XENCORE_ENOENT; XENCORE_EBUSY (CPUs or domains in it); XENCORE_EPERM (Pool-0).
 */
int xencore_cpupool_destroy(xencore_poolid_t id);

/**
 * @brief Moves a free CPU (in no pool) into a pool.
 * @param id  The pool.
 * @param cpu The CPU, as numbered in the boot summary.
 * @return 0; XENCORE_ENOENT (no such pool); XENCORE_EINVAL (no such CPU, or it
 *         cannot run guests); XENCORE_EBUSY (the CPU is in a pool).
 */
int xencore_cpupool_cpu_add(xencore_poolid_t id, unsigned int cpu);

/**
 * @brief Takes a CPU out of its pool; it becomes free. vCPUs that ran on it
 *        move to the pool's other CPUs.
 * @param id  The pool the CPU is in.
 * @param cpu The CPU.
 * @return 0; XENCORE_ENOENT; XENCORE_EINVAL (the CPU is not in that pool);
 *         XENCORE_EBUSY (the last CPU of a pool with domains, or the last CPU of
 *         Pool-0, or a vCPU whose hard affinity allows only this CPU).
 */
int xencore_cpupool_cpu_remove(xencore_poolid_t id, unsigned int cpu);

/**
 * @brief Moves a domain to another pool; its vCPUs follow. Hard affinity that
 *        names none of the new pool's CPUs is reset to all CPUs (as Xen does,
 *        and the console says so).
 * @param id    The pool to move to.
 * @param domid The domain.
 * @return 0; XENCORE_ENOENT (pool or domain); XENCORE_EBUSY (the pool has no CPU).
 */
int xencore_cpupool_move_domain(xencore_poolid_t id, xencore_domid_t domid);

/**
 * @brief Finds a pool by name.
 * @param name The pool's name.
 * @param id   Receives its number.
 * @return 0; XENCORE_ENOENT.
 */
int xencore_cpupool_find(const char *name, xencore_poolid_t *id);

/**
 * @brief Reports a pool.
 * @param id   The pool.
 * @param info Receives the report.
 * @return 0; XENCORE_ENOENT.
 */
int xencore_cpupool_get_info(xencore_poolid_t id, struct xencore_cpupool_info *info);

/**
 * @brief Reads a domain's weight and cap.
 * @param domid  The domain.
 * @param params Receives them.
 * @return 0; XENCORE_ENOENT; XENCORE_EINVAL (its pool's scheduler has none: null).
 */
int xencore_sched_domain_get(xencore_domid_t domid, struct xencore_sched_params *params);

/**
 * @brief Sets a domain's weight and cap (weight 0 leaves the weight as it is).
 * @param domid  The domain.
 * @param params The new values.
 * @return 0; XENCORE_ENOENT; XENCORE_EINVAL (out of range, or null scheduler).
 */
int xencore_sched_domain_set(xencore_domid_t domid, const struct xencore_sched_params *params);

/**
 * @brief Reads a pool's scheduler parameters.
 * @param id     The pool.
 * @param params Receives them.
 * @return 0; XENCORE_ENOENT; XENCORE_EINVAL (null).
 */
int xencore_sched_pool_get(xencore_poolid_t id, struct xencore_sched_pool_params *params);

/**
 * @brief Sets a pool's scheduler parameters.
 * @param id     The pool.
 * @param params The new values (each range-checked; nothing changes on error).
 * @return 0; XENCORE_ENOENT; XENCORE_EINVAL.
 */
int xencore_sched_pool_set(xencore_poolid_t id, const struct xencore_sched_pool_params *params);

/**
 * @brief Sets where a vCPU may run (hard) and prefers to run (soft).
 * @param domid The domain.
 * @param vcpu  The vCPU's number in the domain.
 * @param hard NULL leaves it; must share a CPU with the domain's pool.
 * @param soft NULL leaves it; may be any set (an empty intersection means "no preference").
 * @return 0; XENCORE_ENOENT; XENCORE_EINVAL.
 */
int xencore_vcpu_set_affinity(xencore_domid_t domid, unsigned int vcpu,
                              const struct xencore_cpumask *hard,
                              const struct xencore_cpumask *soft);

/**
 * @brief Reads a vCPU's affinities.
 * @param domid The domain.
 * @param vcpu  The vCPU's number in the domain.
 * @param hard  Receives its hard affinity, or NULL.
 * @param soft  Receives its soft affinity, or NULL.
 * @return 0; XENCORE_ENOENT.
 */
int xencore_vcpu_get_affinity(xencore_domid_t domid, unsigned int vcpu,
                              struct xencore_cpumask *hard, struct xencore_cpumask *soft);

#endif /* XENCORE_SCHED_H */
