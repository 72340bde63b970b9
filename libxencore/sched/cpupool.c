/* CPU pools: the public API of include/xencore/sched.h and the pool of each
 * domain.
 *
 * A pool is a name, a set of CPUs and one instance of a policy over them
 * (struct sched_instance, whose cpus field is the pool's CPU set). Pools live
 * in a fixed table indexed by their id, so a domain's d->pool pointer stays
 * valid for the domain's life: a pool with domains cannot be destroyed.
 * Pool-0 (id 0) is made on first use with the default scheduler and every CPU
 * that passes its checks joins it (sched_cpu_add); the others are made and
 * filled through the management calls, the boot manifest included.
 *
 * Invariants: a CPU is in at most one pool (schedule.c's per-CPU instance
 * pointer is the single truth, pools' sets mirror it); Pool-0 always keeps at
 * least one CPU once it had one; a pool with domains keeps at least one CPU;
 * every vCPU's hard affinity meets its pool's CPUs. Every call checks all of
 * its arguments before it changes anything, so an error leaves all as it was.
 *
 * Moving a CPU out of a pool waits until that CPU runs nothing of the pool
 * (schedule_cpu_leave). Moving a domain pauses its vCPUs, takes them out of
 * the old instance, puts them into the new one and lets them go. */
#include "sched/cpupool.h"

#include <xencore/config.h>

#include "arch/arch.h"
#include "core/domain.h"
#include "lib/errno.h"
#include "lib/printk.h"
#include "lib/spinlock.h"
#include "lib/string.h"

#define POOL0_NAME "Pool-0"
#define SCHED_WEIGHT_DEFAULT 256
#define SCHED_WEIGHT_MAX 65535
#define SCHED_CAP_PERCENT_PER_VCPU 100
#define CREDIT_TSLICE_MIN_MS 1
#define CREDIT_TSLICE_MAX_MS 1000

static struct cpupool pools[XENCORE_POOLS_MAX];
static spinlock_t management_lock = SPINLOCK_INIT;

void cpupool_lock(void)
{
    spin_lock(&management_lock);
}

void cpupool_unlock(void)
{
    spin_unlock(&management_lock);
}

/* ---- Pools ---------------------------------------------------------------- */

static struct cpupool *pool_get(xencore_poolid_t id)
{
    if (id >= XENCORE_POOLS_MAX || !pools[id].in_use)
        return NULL;
    return &pools[id];
}

static struct cpupool *pool_find_locked(const char *name)
{
    for (unsigned int i = 0; i < XENCORE_POOLS_MAX; i++)
        if (pools[i].in_use && !strcmp(pools[i].name, name))
            return &pools[i];
    return NULL;
}

/* Sets up pool slot @id running @ops. Lock held. */
static int pool_make(xencore_poolid_t id, const char *name, const struct scheduler_ops *ops)
{
    struct cpupool *c = &pools[id];
    memset(c, 0, sizeof(*c));
    c->id = id;
    xc_strlcpy(c->name, name, sizeof(c->name));
    c->sched.ops = ops;
    c->sched.pool = c;
    cpumask_clear_all(&c->sched.cpus);
    int rc = ops->init ? ops->init(&c->sched) : 0;
    if (rc) {
        memset(c, 0, sizeof(*c));
        return rc;
    }
    __atomic_store_n(&c->in_use, true, __ATOMIC_RELEASE);
    return 0;
}

static struct cpupool *pool0_locked(void)
{
    if (pools[0].in_use)
        return &pools[0];
    const struct scheduler_ops *ops = sched_default;
    if (!sched_policy_available(ops))
        ops = &sched_null_ops; /* the chosen policy is not written yet */
    return pool_make(0, POOL0_NAME, ops) ? NULL : &pools[0];
}

struct cpupool *cpupool_pool0(void)
{
    cpupool_lock();
    struct cpupool *c = pool0_locked();
    cpupool_unlock();
    return c;
}

struct cpupool *cpupool_by_name(const char *name)
{
    if (!name || !*name)
        return pool0_locked();
    return pool_find_locked(name);
}

void cpupool_add_domain(struct cpupool *pool, struct domain *d)
{
    memset(d->sched_data, 0, sizeof(d->sched_data));
    d->pool = pool;
    if (pool->sched.ops->dom_init)
        pool->sched.ops->dom_init(&pool->sched, d);
    __atomic_fetch_add(&pool->domain_count, 1, __ATOMIC_ACQ_REL);
}

void cpupool_remove_domain(struct domain *d)
{
    struct cpupool *pool = d->pool;
    if (!pool)
        return;
    if (pool->sched.ops->dom_destroy)
        pool->sched.ops->dom_destroy(&pool->sched, d);
    __atomic_fetch_sub(&pool->domain_count, 1, __ATOMIC_ACQ_REL);
    d->pool = NULL;
}

/* ---- Management: pools ---------------------------------------------------- */

int xencore_cpupool_create(const char *name, enum xencore_scheduler scheduler, xencore_poolid_t *id)
{
    if (!id || !xc_name_valid(name, XENCORE_POOL_NAME_MAX))
        return -XC_EINVAL;
    const struct scheduler_ops *ops = sched_find_by_id(scheduler);
    if (!sched_policy_available(ops)) {
        printk("xencore: cpupool %s: no scheduler number %u in this build\n", name,
               (unsigned int)scheduler);
        return -XC_EINVAL;
    }
    cpupool_lock();
    int rc = 0;
    xencore_poolid_t slot = 0;
    if (!pool0_locked()) {
        rc = -XC_ENOMEM;
    } else if (pool_find_locked(name)) {
        rc = -XC_EEXIST;
    } else {
        for (slot = 1; slot < XENCORE_POOLS_MAX && pools[slot].in_use; slot++)
            ;
        rc = slot < XENCORE_POOLS_MAX ? pool_make(slot, name, ops) : -XC_ENOSPC;
    }
    cpupool_unlock();
    if (rc)
        return rc;
    printk("xencore: cpupool %s (id %u) created, scheduler %s\n", name, slot, ops->name);
    *id = slot;
    return 0;
}

int xencore_cpupool_destroy(xencore_poolid_t id)
{
    cpupool_lock();
    struct cpupool *c = pool_get(id);
    int rc = !c ? -XC_ENOENT : id == 0 ? -XC_EPERM : 0;
    if (!rc &&
        (!cpumask_empty(&c->sched.cpus) || __atomic_load_n(&c->domain_count, __ATOMIC_ACQUIRE)))
        rc = -XC_EBUSY;
    if (!rc) {
        __atomic_store_n(&c->in_use, false, __ATOMIC_RELEASE);
        if (c->sched.ops->deinit)
            c->sched.ops->deinit(&c->sched);
        printk("xencore: cpupool %s (id %u) destroyed\n", c->name, id);
        memset(c, 0, sizeof(*c));
    }
    cpupool_unlock();
    return rc;
}

int xencore_cpupool_cpu_add(xencore_poolid_t id, unsigned int cpu)
{
    cpupool_lock();
    struct cpupool *c = pool_get(id);
    int rc = !c                          ? -XC_ENOENT
             : !schedule_cpu_usable(cpu) ? -XC_EINVAL
             : sched_of_cpu(cpu)         ? -XC_EBUSY
                                         : 0;
    if (!rc)
        schedule_cpu_join(cpu, &c->sched);
    cpupool_unlock();
    return rc;
}

/* Does a vCPU of a domain in the pool allow only CPUs of @left? */
struct affinity_check {
    const struct cpupool *pool;
    const cpumask_t *left; /* the pool's CPUs once the CPU is gone */
    bool stranded;
};

static void check_domain_affinity(struct domain *d, void *arg)
{
    struct affinity_check *check = arg;
    if (d->pool != check->pool)
        return;
    for (uint32_t i = 0; i < d->nr_vcpus; i++)
        if (d->vcpus[i] && !cpumask_intersects(&d->vcpus[i]->hard_affinity, check->left))
            check->stranded = true;
}

int xencore_cpupool_cpu_remove(xencore_poolid_t id, unsigned int cpu)
{
    cpupool_lock();
    struct cpupool *c = pool_get(id);
    int rc = !c ? -XC_ENOENT : !cpumask_test(&c->sched.cpus, cpu) ? -XC_EINVAL : 0;
    if (!rc) {
        cpumask_t left = c->sched.cpus;
        cpumask_clear(&left, cpu);
        bool has_domains = __atomic_load_n(&c->domain_count, __ATOMIC_ACQUIRE) != 0;
        if (cpumask_empty(&left) && (id == 0 || has_domains)) {
            rc = -XC_EBUSY;
        } else if (has_domains) {
            struct affinity_check check = {.pool = c, .left = &left};
            domain_for_each(check_domain_affinity, &check);
            if (check.stranded)
                rc = -XC_EBUSY;
        }
    }
    if (!rc && !schedule_cpu_leave(cpu))
        printk("xencore: cpupool %s: cpu %u leaves once its vCPU stops\n", c->name, cpu);
    cpupool_unlock();
    return rc;
}

int xencore_cpupool_find(const char *name, xencore_poolid_t *id)
{
    if (!name || !id)
        return -XC_ENOENT;
    cpupool_lock();
    pool0_locked(); /* Pool-0 exists from the start as far as callers can tell */
    struct cpupool *c = xc_name_valid(name, XENCORE_POOL_NAME_MAX) ? pool_find_locked(name) : NULL;
    if (c)
        *id = c->id;
    cpupool_unlock();
    return c ? 0 : -XC_ENOENT;
}

int xencore_cpupool_get_info(xencore_poolid_t id, struct xencore_cpupool_info *info)
{
    if (!info)
        return -XC_EINVAL;
    cpupool_lock();
    if (id == 0)
        pool0_locked();
    struct cpupool *c = pool_get(id);
    if (c) {
        memset(info, 0, sizeof(*info));
        info->id = c->id;
        memcpy(info->name, c->name, sizeof(info->name));
        info->scheduler = c->sched.ops->id;
        for (unsigned int w = 0; w < CPUMASK_WORDS; w++)
            info->cpus.bits[w] = __atomic_load_n(&c->sched.cpus.bits[w], __ATOMIC_ACQUIRE);
        info->cpu_count = cpumask_weight(&info->cpus);
        info->domain_count = __atomic_load_n(&c->domain_count, __ATOMIC_ACQUIRE);
    }
    cpupool_unlock();
    return c ? 0 : -XC_ENOENT;
}

/* ---- Management: domains -------------------------------------------------- */

/* Finds a live domain that is not being torn down; domain_list_lock held. */
static struct domain *live_domain(xencore_domid_t domid)
{
    struct domain *d = domain_find(domid);
    if (!d || d->reap || d->state == XENCORE_DOMAIN_DYING || !d->pool)
        return NULL;
    return d;
}

int xencore_cpupool_move_domain(xencore_poolid_t id, xencore_domid_t domid)
{
    cpupool_lock();
    struct cpupool *to = pool_get(id);
    unsigned long flags = spin_lock_irqsave(&domain_list_lock);
    struct domain *d = live_domain(domid);
    int rc = !to || !d ? -XC_ENOENT : cpumask_empty(&to->sched.cpus) ? -XC_EBUSY : 0;
    if (!rc && d->pool != to)
        domain_hold_locked(d); /* a running vCPU may still shut it down */
    spin_unlock_irqrestore(&domain_list_lock, flags);
    if (rc || d->pool == to) {
        cpupool_unlock();
        return rc;
    }

    /* Keep its vCPUs off every CPU while they change instance. */
    for (uint32_t i = 0; i < d->nr_vcpus; i++) {
        __atomic_fetch_add(&d->vcpus[i]->pause_count, 1, __ATOMIC_ACQ_REL);
        schedule_wake_barrier(d->vcpus[i]);
        vcpu_sync(d->vcpus[i]);
    }
    struct cpupool *from = d->pool;
    for (uint32_t i = 0; i < d->nr_vcpus; i++)
        sched_vcpu_remove(d->vcpus[i]);
    cpupool_remove_domain(d);
    cpupool_add_domain(to, d);
    for (uint32_t i = 0; i < d->nr_vcpus; i++) {
        struct vcpu *v = d->vcpus[i];
        if (!cpumask_intersects(&v->hard_affinity, &to->sched.cpus)) {
            cpumask_set_all(&v->hard_affinity);
            printk("xencore: domain %s (dom%u) vcpu %u: its hard affinity has no CPU of pool "
                   "%s; reset to all CPUs\n",
                   d->name, d->domid, v->id, to->name);
        }
        sched_vcpu_insert(v);
    }
    for (uint32_t i = 0; i < d->nr_vcpus; i++) {
        __atomic_fetch_sub(&d->vcpus[i]->pause_count, 1, __ATOMIC_ACQ_REL);
        sched_vcpu_wake(d->vcpus[i]);
    }
    printk("xencore: domain %s (dom%u) moved from cpupool %s to %s\n", d->name, d->domid,
           from->name, to->name);
    domain_unhold();
    cpupool_unlock();
    return 0;
}

int xencore_sched_domain_get(xencore_domid_t domid, struct xencore_sched_params *params)
{
    if (!params)
        return -XC_EINVAL;
    unsigned long flags = spin_lock_irqsave(&domain_list_lock);
    struct domain *d = live_domain(domid);
    int rc = -XC_ENOENT;
    if (d) {
        struct sched_instance *s = &d->pool->sched;
        struct xencore_sched_params p = {0};
        rc = s->ops->dom_params ? s->ops->dom_params(s, d, &p, false) : -XC_EINVAL;
        if (!rc)
            *params = p;
    }
    spin_unlock_irqrestore(&domain_list_lock, flags);
    return rc;
}

/* The checks for a domain's weight and cap (also domain creation's). */
int sched_params_check(const struct xencore_sched_params *p, uint32_t vcpus)
{
    if (p->weight > SCHED_WEIGHT_MAX)
        return -XC_EINVAL;
    if (p->cap > SCHED_CAP_PERCENT_PER_VCPU * vcpus)
        return -XC_EINVAL;
    return 0;
}

int xencore_sched_domain_set(xencore_domid_t domid, const struct xencore_sched_params *params)
{
    if (!params)
        return -XC_EINVAL;
    unsigned long flags = spin_lock_irqsave(&domain_list_lock);
    struct domain *d = live_domain(domid);
    int rc = -XC_ENOENT;
    if (d) {
        struct sched_instance *s = &d->pool->sched;
        struct xencore_sched_params p = *params;
        rc = sched_params_check(&p, d->nr_vcpus);
        if (!rc && !s->ops->dom_params)
            rc = -XC_EINVAL;
        if (!rc && p.weight == 0) {
            struct xencore_sched_params now = {0};
            rc = s->ops->dom_params(s, d, &now, false);
            p.weight = now.weight;
        }
        if (!rc)
            rc = s->ops->dom_params(s, d, &p, true);
    }
    spin_unlock_irqrestore(&domain_list_lock, flags);
    return rc;
}

int xencore_sched_pool_get(xencore_poolid_t id, struct xencore_sched_pool_params *params)
{
    if (!params)
        return -XC_EINVAL;
    cpupool_lock();
    struct cpupool *c = pool_get(id);
    int rc = !c ? -XC_ENOENT : !c->sched.ops->pool_params ? -XC_EINVAL : 0;
    if (!rc) {
        struct xencore_sched_pool_params p = {0};
        rc = c->sched.ops->pool_params(&c->sched, &p, false);
        if (!rc)
            *params = p;
    }
    cpupool_unlock();
    return rc;
}

int xencore_sched_pool_set(xencore_poolid_t id, const struct xencore_sched_pool_params *params)
{
    if (!params)
        return -XC_EINVAL;
    cpupool_lock();
    struct cpupool *c = pool_get(id);
    int rc = !c ? -XC_ENOENT : !c->sched.ops->pool_params ? -XC_EINVAL : 0;
    struct xencore_sched_pool_params p = *params;
    if (!rc && p.ratelimit_us &&
        (p.ratelimit_us < SCHED_RATELIMIT_MIN_US || p.ratelimit_us > SCHED_RATELIMIT_MAX_US))
        rc = -XC_EINVAL;
    if (!rc && c->sched.ops->id == XENCORE_SCHED_CREDIT &&
        (p.tslice_ms < CREDIT_TSLICE_MIN_MS || p.tslice_ms > CREDIT_TSLICE_MAX_MS))
        rc = -XC_EINVAL;
    if (!rc)
        rc = c->sched.ops->pool_params(&c->sched, &p, true);
    cpupool_unlock();
    return rc;
}

/* ---- Management: affinity ------------------------------------------------- */

static void mask_copy_valid(cpumask_t *dst, const struct xencore_cpumask *src)
{
    cpumask_t all;
    cpumask_set_all(&all);
    cpumask_and(dst, src, &all); /* bits past XENCORE_MAX_CPUS name no CPU */
}

int xencore_vcpu_set_affinity(xencore_domid_t domid, unsigned int vcpu,
                              const struct xencore_cpumask *hard,
                              const struct xencore_cpumask *soft)
{
    cpupool_lock();
    unsigned long flags = spin_lock_irqsave(&domain_list_lock);
    struct domain *d = live_domain(domid);
    int rc = !d || vcpu >= d->nr_vcpus || !d->vcpus[vcpu] ? -XC_ENOENT : 0;
    cpumask_t new_hard, new_soft;
    if (!rc && hard) {
        mask_copy_valid(&new_hard, hard);
        if (!cpumask_intersects(&new_hard, &d->pool->sched.cpus))
            rc = -XC_EINVAL;
    }
    if (!rc && soft)
        mask_copy_valid(&new_soft, soft);
    if (!rc && (hard || soft)) {
        struct vcpu *v = d->vcpus[vcpu];
        struct sched_instance *s = &d->pool->sched;
        if (hard)
            v->hard_affinity = new_hard;
        if (soft)
            v->soft_affinity = new_soft;
        if (s->ops->affinity_changed)
            s->ops->affinity_changed(s, v);
        if (__atomic_load_n(&v->is_running, __ATOMIC_ACQUIRE) &&
            !cpumask_test(&v->hard_affinity, v->processor))
            sched_request_reschedule(v->processor);
    }
    spin_unlock_irqrestore(&domain_list_lock, flags);
    cpupool_unlock();
    return rc;
}

int xencore_vcpu_get_affinity(xencore_domid_t domid, unsigned int vcpu,
                              struct xencore_cpumask *hard, struct xencore_cpumask *soft)
{
    unsigned long flags = spin_lock_irqsave(&domain_list_lock);
    struct domain *d = live_domain(domid);
    int rc = !d || vcpu >= d->nr_vcpus || !d->vcpus[vcpu] ? -XC_ENOENT : 0;
    if (!rc && hard)
        *hard = d->vcpus[vcpu]->hard_affinity;
    if (!rc && soft)
        *soft = d->vcpus[vcpu]->soft_affinity;
    spin_unlock_irqrestore(&domain_list_lock, flags);
    return rc;
}

void cpupool_print(xencore_poolid_t id)
{
    struct xencore_cpupool_info info;
    if (xencore_cpupool_get_info(id, &info))
        return;
    const struct scheduler_ops *ops = sched_find_by_id(info.scheduler);
    char list[160];
    cpumask_format(&info.cpus, list, sizeof(list));
    printk("xencore: pool %s (pool%u): sched=%s cpus=%s\n", info.name, info.id,
           ops ? ops->name : "unknown", list[0] ? list : "none");
}
