/* Domains: creation, the public control calls, shutdown, crash and destroy.
 *
 * Creation either completes or undoes itself: every step that takes memory
 * is undone by domain_free() in reverse, so a failed create and a destroy
 * both return the free-frame counter exactly to where it was. A domain that
 * shuts down or crashes is destroyed by the next CPU that passes through its
 * scheduling loop (domain_reap), once none of its vCPUs is in guest mode;
 * the destroying CPU never runs on the dead domain's state.
 *
 * Scheduling: a domain lives in one CPU pool (sched/cpupool.c), named by its
 * config and checked before anything is built (the pool exists, its scheduler
 * takes the weight and cap, the hard affinity names one of its CPUs); its
 * vCPUs enter that pool's scheduler once the domain is built and leave it
 * only when none of them runs any more. Pause, shutdown and crash make the
 * vCPUs unrunnable and kick the CPUs running them; unpause wakes them through
 * the scheduler. The control calls take the management lock, so a pool move
 * never overlaps a pause or a destroy of the same domain. */
#include "core/domain.h"

#include <stdarg.h>
#include <xencore/domain.h>

#include "arch/arch.h"
#include "core/event_channel.h"
#include "core/pvh_build.h"
#include "core/vcpu_time.h"
#include "lib/errno.h"
#include "lib/printk.h"
#include "lib/string.h"
#include "mm/frame_alloc.h"
#include "mm/mm.h"
#include "mm/p2m.h"
#include "sched/cpupool.h"
#include "sched/sched.h"

#define DOMAIN_MIN_MEMORY_KIB 1024
#define SCHED_WEIGHT_DEFAULT 256 /* Xen's default credit/credit2 weight */
#define KIB_PER_FRAME (ARCH_PAGE_SIZE / 1024)

spinlock_t domain_list_lock = SPINLOCK_INIT;
static struct domain *domain_list;
static xencore_domid_t next_domid = 1;
static unsigned int live_domains;
/* The domain a management call waits on (pause, pool move): domain_reap()
 * leaves it alone until the call is done. Under domain_list_lock. */
static struct domain *held_domain;

static unsigned int order_for(size_t bytes)
{
    unsigned int order = 0;
    while ((ARCH_PAGE_SIZE << order) < bytes)
        order++;
    return order;
}

static void *alloc_struct(size_t bytes)
{
    uint64_t phys = mm_alloc_pages(order_for(bytes));
    return phys ? arch_phys_to_virt(phys) : NULL;
}

static void free_struct(void *p, size_t bytes)
{
    /* Direct-map address back to physical: the arch maps RAM at a fixed offset. */
    uint64_t offset = (uint64_t)(uintptr_t)arch_phys_to_virt(0);
    mm_free_pages((uint64_t)(uintptr_t)p - offset, order_for(bytes));
}

struct domain *domain_find(xencore_domid_t domid)
{
    for (struct domain *d = domain_list; d; d = d->next)
        if (d->domid == domid)
            return d;
    return NULL;
}

void domain_for_each(void (*fn)(struct domain *d, void *arg), void *arg)
{
    unsigned long flags = spin_lock_irqsave(&domain_list_lock);
    for (struct domain *d = domain_list; d; d = d->next)
        fn(d, arg);
    spin_unlock_irqrestore(&domain_list_lock, flags);
}

void domain_hold_locked(struct domain *d)
{
    held_domain = d;
}

void domain_unhold(void)
{
    unsigned long flags = spin_lock_irqsave(&domain_list_lock);
    struct domain *d = held_domain;
    bool reap = d && d->reap;
    held_domain = NULL;
    spin_unlock_irqrestore(&domain_list_lock, flags);
    if (reap) /* it shut down meanwhile: a loop reaps it now */
        sched_request_reschedule(arch_this_cpu());
}

unsigned int domain_count(void)
{
    return __atomic_load_n(&live_domains, __ATOMIC_ACQUIRE);
}

bool vcpu_runnable(const struct vcpu *v)
{
    return __atomic_load_n(&v->domain->state, __ATOMIC_ACQUIRE) == XENCORE_DOMAIN_RUNNING &&
           v->up && !__atomic_load_n(&v->blocked, __ATOMIC_ACQUIRE) &&
           __atomic_load_n(&v->pause_count, __ATOMIC_ACQUIRE) == 0;
}

void vcpu_wake(struct vcpu *v)
{
    __atomic_store_n(&v->blocked, false, __ATOMIC_RELEASE);
    sched_vcpu_wake(v);
}

void vcpu_kick(struct vcpu *v)
{
    if (__atomic_load_n(&v->blocked, __ATOMIC_SEQ_CST))
        vcpu_wake(v);
    if (__atomic_load_n(&v->is_running, __ATOMIC_SEQ_CST)) {
        unsigned int cpu = __atomic_load_n(&v->processor, __ATOMIC_RELAXED);
        if (cpu != arch_this_cpu())
            arch_cpu_kick(cpu); /* it re-checks for interrupts before re-entering */
    }
}

void vcpu_sync(struct vcpu *v)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST); /* pairs with sched_claim() */
    if (__atomic_load_n(&v->is_running, __ATOMIC_ACQUIRE))
        sched_request_reschedule(v->processor);
    while (__atomic_load_n(&v->is_running, __ATOMIC_ACQUIRE))
        arch_cpu_relax();
    sched_runstate_refresh(v);
}

/* @d's vCPUs became unrunnable: those on a CPU leave it soon, the others'
 * run state says so now. */
static void kick_all(struct domain *d)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST); /* pairs with sched_claim() */
    for (uint32_t i = 0; i < d->nr_vcpus; i++) {
        struct vcpu *v = d->vcpus[i];
        if (!v)
            continue;
        if (__atomic_load_n(&v->is_running, __ATOMIC_ACQUIRE))
            sched_request_reschedule(v->processor);
        else
            sched_runstate_refresh(v);
    }
}

/* ---- Console -------------------------------------------------------------- */

void domain_console_write(struct domain *d, const char *bytes, size_t length)
{
    spin_lock(&d->lock);
    for (size_t i = 0; i < length; i++) {
        char c = bytes[i];
        d->console[d->console_written++ % DOMAIN_CONSOLE_BYTES] = c;
        bool printable = (c >= ' ' && c <= '~') || c == '\t';
        if (c == '\n' || d->console_line_length == sizeof(d->console_line) - 1) {
            d->console_line[d->console_line_length] = '\0';
            printk("(%s) %s\n", d->name, d->console_line);
            d->console_line_length = 0;
        }
        if (printable)
            d->console_line[d->console_line_length++] = c;
    }
    spin_unlock(&d->lock);
}

/* ---- Teardown ------------------------------------------------------------- */

/* Frees everything @d holds. Its vCPUs must be out of the scheduler and not
 * running. Safe on a partly built domain. */
static void domain_free(struct domain *d)
{
    for (uint32_t i = 0; i < d->nr_vcpus; i++) {
        struct vcpu *v = d->vcpus[i];
        if (!v)
            continue;
        if (v->arch)
            arch_vcpu_teardown(v);
        free_struct(v, sizeof(*v));
    }
    if (d->arch)
        arch_domain_teardown(d);
    for (unsigned int i = 0; i < d->nr_extents; i++)
        mm_free_pages(d->extents[i].mfn << ARCH_PAGE_SHIFT, d->extents[i].order);
    if (d->extents)
        mm_free_pages(d->extents_frame, d->extents_order);
    if (d->shared_info_mfn)
        mm_free_pages(d->shared_info_mfn << ARCH_PAGE_SHIFT, 0);
    free_struct(d, sizeof(*d));
}

/* Stops @d's vCPU timers and closes its event channels (its vCPUs run
 * nowhere; they may still be in the scheduler). Safe on a partly built
 * domain and twice. */
static void domain_release_events(struct domain *d)
{
    for (uint32_t i = 0; i < d->nr_vcpus; i++)
        if (d->vcpus[i])
            vcpu_time_destroy(d->vcpus[i]);
    evtchn_domain_destroy(d);
}

static void domain_destroy_locked_out(struct domain *d)
{
    /* Not runnable any more (state): make its CPUs notice and wait until
     * none is in guest mode, then take its vCPUs from the scheduler. */
    kick_all(d);
    for (uint32_t i = 0; i < d->nr_vcpus; i++)
        if (d->vcpus[i])
            vcpu_sync(d->vcpus[i]);
    domain_release_events(d);
    if (d->pool) {
        for (uint32_t i = 0; i < d->nr_vcpus; i++)
            if (d->vcpus[i])
                sched_vcpu_remove(d->vcpus[i]);
        cpupool_remove_domain(d);
    }
    char name[sizeof(d->name)];
    memcpy(name, d->name, sizeof(name));
    xencore_domid_t domid = d->domid;
    domain_free(d);
    printk("xencore: domain %s (dom%u) destroyed; %llu KiB free\n", name, domid,
           (unsigned long long)(frame_alloc_free_frames(&host_frames) * KIB_PER_FRAME));
    /* The boot CPU may be asleep with nothing to run: it decides what
     * happens when the last domain is gone (see schedule_poweroff_when_idle). */
    if (__atomic_sub_fetch(&live_domains, 1, __ATOMIC_ACQ_REL) == 0)
        sched_request_reschedule(0);
}

/* Takes @d off the list (lock held) so nobody else finds it. */
static void unlink_domain(struct domain *d)
{
    for (struct domain **link = &domain_list; *link; link = &(*link)->next) {
        if (*link == d) {
            *link = d->next;
            return;
        }
    }
}

void domain_reap(void)
{
    for (;;) {
        struct domain *victim = NULL;
        unsigned long flags = spin_lock_irqsave(&domain_list_lock);
        for (struct domain *d = domain_list; d; d = d->next) {
            if (d->reap && d != held_domain) {
                victim = d;
                victim->state = XENCORE_DOMAIN_DYING;
                unlink_domain(victim);
                break;
            }
        }
        spin_unlock_irqrestore(&domain_list_lock, flags);
        if (!victim)
            return;
        domain_destroy_locked_out(victim);
    }
}

void domain_shutdown(struct domain *d, enum xencore_shutdown_reason reason)
{
    static const char *const names[] = { "poweroff", "reboot", "suspend", "crash", "watchdog" };
    unsigned long flags = spin_lock_irqsave(&domain_list_lock);
    if (d->state != XENCORE_DOMAIN_RUNNING && d->state != XENCORE_DOMAIN_PAUSED) {
        spin_unlock_irqrestore(&domain_list_lock, flags);
        return;
    }
    __atomic_store_n(&d->state, XENCORE_DOMAIN_SHUTDOWN, __ATOMIC_RELEASE);
    d->shutdown_reason = reason;
    d->reap = true; /* on_poweroff/on_reboot/on_crash = destroy, as xl's default */
    spin_unlock_irqrestore(&domain_list_lock, flags);
    printk("xencore: domain %s (dom%u) shut down: %s\n", d->name, d->domid,
           reason < sizeof(names) / sizeof(names[0]) ? names[reason] : "unknown");
    kick_all(d);
}

void domain_crash(struct domain *d, const char *fmt, ...)
{
    unsigned long flags = spin_lock_irqsave(&domain_list_lock);
    if (d->state == XENCORE_DOMAIN_CRASHED || d->state == XENCORE_DOMAIN_DYING) {
        spin_unlock_irqrestore(&domain_list_lock, flags);
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->crash_reason, sizeof(d->crash_reason), fmt, ap);
    va_end(ap);
    __atomic_store_n(&d->state, XENCORE_DOMAIN_CRASHED, __ATOMIC_RELEASE);
    d->reap = true;
    spin_unlock_irqrestore(&domain_list_lock, flags);
    printk("xencore: domain %s (dom%u) crashed: %s\n", d->name, d->domid, d->crash_reason);
    kick_all(d);
}

/* ---- Creation ------------------------------------------------------------- */

static int config_check(const struct xencore_domain_config *c)
{
    const char *name = c->name ? c->name : "(unnamed)";
    if (!xc_name_valid(c->name, XENCORE_DOMAIN_NAME_MAX)) {
        printk("xencore: domain '%.63s': the name must be 1..63 of [A-Za-z0-9_.-]\n", name);
        return -XC_EINVAL;
    }
    if (c->memory_kib < DOMAIN_MIN_MEMORY_KIB || c->memory_kib % KIB_PER_FRAME ||
        c->memory_kib > DOMAIN_MAX_MEMORY_KIB) {
        printk("xencore: domain %s: memory must be a multiple of 4 KiB from 1 MiB to %llu GiB, "
               "not %llu KiB\n",
               name, DOMAIN_MAX_MEMORY_KIB >> 20, (unsigned long long)c->memory_kib);
        return -XC_EINVAL;
    }
    if (c->vcpus < 1 || c->vcpus > XENCORE_DOMAIN_MAX_VCPUS) {
        printk("xencore: domain %s: vcpus must be from 1 to %u, not %u\n", name,
               XENCORE_DOMAIN_MAX_VCPUS, c->vcpus);
        return -XC_EINVAL;
    }
    if (!c->kernel || c->kernel_size == 0) {
        printk("xencore: domain %s: no kernel image\n", name);
        return -XC_EINVAL;
    }
    if (c->cmdline && strnlen(c->cmdline, 1024) == 1024) {
        printk("xencore: domain %s: the command line is longer than 1023 bytes\n", name);
        return -XC_EINVAL;
    }
    struct xencore_sched_params params = { .weight = c->weight, .cap = c->cap };
    if (sched_params_check(&params, c->vcpus)) {
        printk("xencore: domain %s: weight must be 1..65535 (0: default) and cap 0..%u "
               "(100 per vCPU), not %u and %u\n",
               name, 100 * c->vcpus, c->weight, c->cap);
        return -XC_EINVAL;
    }
    if (c->pool && strnlen(c->pool, XENCORE_POOL_NAME_MAX + 1) > XENCORE_POOL_NAME_MAX) {
        printk("xencore: domain %s: the pool name is longer than %u characters\n", name,
               XENCORE_POOL_NAME_MAX);
        return -XC_EINVAL;
    }
    return 0;
}

/* Checks that @c can live in its pool (management lock held): the pool
 * exists, its scheduler takes the weight and cap, and the hard affinity names
 * one of its CPUs. Returns the pool or NULL after saying why. */
static struct cpupool *pool_for(const struct xencore_domain_config *c)
{
    struct cpupool *pool = cpupool_by_name(c->pool);
    if (!pool) {
        printk("xencore: domain %s: no cpupool named '%s'\n", c->name, c->pool);
        return NULL;
    }
    const struct scheduler_ops *ops = pool->sched.ops;
    bool default_params = (c->weight == 0 || c->weight == SCHED_WEIGHT_DEFAULT) && c->cap == 0;
    if (!ops->dom_params && !default_params) {
        printk("xencore: domain %s: cpupool %s runs the %s scheduler, which has no weight or "
               "cap\n",
               c->name, pool->name, ops->name);
        return NULL;
    }
    if (c->cpus) {
        cpumask_t hard;
        cpumask_set_all(&hard);
        if (!cpumask_and(&hard, &hard, c->cpus) ||
            !cpumask_intersects(&hard, &pool->sched.cpus)) {
            printk("xencore: domain %s: its cpus name no CPU of cpupool %s\n", c->name,
                   pool->name);
            return NULL;
        }
    }
    return pool;
}

/* Puts built @d into its pool and its vCPUs into the scheduler (management
 * lock held). On error nothing of it is in a pool. */
static int join_pool(struct domain *d, const struct xencore_domain_config *c)
{
    struct cpupool *pool = pool_for(c);
    if (!pool)
        return -XC_EINVAL;
    cpupool_add_domain(pool, d);
    const struct scheduler_ops *ops = pool->sched.ops;
    if (ops->dom_params && (c->weight || c->cap)) {
        struct xencore_sched_params params = {
            .weight = c->weight ? c->weight : SCHED_WEIGHT_DEFAULT,
            .cap = c->cap,
        };
        int rc = ops->dom_params(&pool->sched, d, &params, true);
        if (rc) {
            printk("xencore: domain %s: cpupool %s refused weight %u cap %u (%d)\n", d->name,
                   pool->name, params.weight, params.cap, rc);
            cpupool_remove_domain(d);
            return rc;
        }
    }
    for (uint32_t i = 0; i < d->nr_vcpus; i++) {
        struct vcpu *v = d->vcpus[i];
        cpumask_set_all(&v->hard_affinity);
        cpumask_set_all(&v->soft_affinity);
        if (c->cpus)
            cpumask_and(&v->hard_affinity, &v->hard_affinity, c->cpus);
        if (c->cpus_soft)
            cpumask_and(&v->soft_affinity, &v->soft_affinity, c->cpus_soft);
        sched_vcpu_insert(v);
    }
    return 0;
}

static void make_uuid(struct domain *d, const uint8_t *given)
{
    bool zero = true;
    for (int i = 0; i < 16; i++)
        zero &= given[i] == 0;
    if (!zero) {
        memcpy(d->uuid, given, 16);
        return;
    }
    /* No entropy source of our own yet: the TSC and the domain id make it
     * unique on this machine, and the version bits say it is random-style. */
    uint64_t a = arch_now_ns() * 0x9e3779b97f4a7c15ULL ^ d->domid;
    uint64_t b = (a >> 17 | a << 47) * 0xbf58476d1ce4e5b9ULL;
    memcpy(d->uuid, &a, 8);
    memcpy(d->uuid + 8, &b, 8);
    d->uuid[6] = (uint8_t)((d->uuid[6] & 0x0f) | 0x40); /* version 4 */
    d->uuid[8] = (uint8_t)((d->uuid[8] & 0x3f) | 0x80); /* RFC 4122 variant */
}

/* Picks a free domid and links @d in, unless the name is taken. Lock held. */
static int insert_domain(struct domain *d)
{
    for (struct domain *o = domain_list; o; o = o->next)
        if (!strcmp(o->name, d->name))
            return -XC_EEXIST;
    for (unsigned int tries = 0; tries < XENCORE_DOMID_MAX; tries++) {
        xencore_domid_t id = next_domid;
        next_domid = next_domid >= XENCORE_DOMID_MAX ? 1 : next_domid + 1;
        if (!domain_find(id)) {
            d->domid = id;
            d->next = domain_list;
            domain_list = d;
            __atomic_fetch_add(&live_domains, 1, __ATOMIC_ACQ_REL);
            return 0;
        }
    }
    return -XC_ENOSPC;
}

static int build(struct domain *d, const struct xencore_domain_config *c)
{
    uint64_t frames = c->memory_kib / KIB_PER_FRAME;
    int rc = arch_domain_init(d);
    if (rc)
        return rc;
    for (uint32_t i = 0; i < c->vcpus; i++) {
        struct vcpu *v = alloc_struct(sizeof(*v));
        if (!v)
            return -XC_ENOMEM;
        v->id = i;
        v->domain = d;
        d->vcpus[i] = v;
        rc = arch_vcpu_init(v);
        if (rc)
            return rc;
    }
    d->vcpus[0]->up = true; /* the others wait for VCPUOP_up */

    uint64_t shared = mm_alloc_pages(0);
    if (!shared)
        return -XC_ENOMEM;
    d->shared_info_mfn = shared >> ARCH_PAGE_SHIFT;
    rc = evtchn_domain_init(d);
    if (rc)
        return rc;
    vcpu_time_domain_init(d);

    rc = p2m_populate(d, frames);
    if (rc)
        return rc;
    return pvh_build(d, c->kernel, c->kernel_size, c->cmdline);
}

int xencore_domain_create(const struct xencore_domain_config *config, xencore_domid_t *domid)
{
    if (!config || !domid)
        return -XC_EINVAL;
    int rc = config_check(config);
    if (rc)
        return rc;
    if (!arch_virt_name()) {
        printk("xencore: domain %s: this CPU cannot run guests\n", config->name);
        return -XC_EOPNOTSUPP;
    }
    cpupool_lock();
    rc = pool_for(config) ? 0 : -XC_EINVAL; /* fail before building when we can */
    cpupool_unlock();
    if (rc)
        return rc;
    struct domain *d = alloc_struct(sizeof(*d));
    if (!d)
        return -XC_ENOMEM;
    xc_strlcpy(d->name, config->name, sizeof(d->name));
    d->memory_kib = config->memory_kib;
    d->nr_vcpus = config->vcpus;
    d->state = XENCORE_DOMAIN_BUILDING;

    unsigned long flags = spin_lock_irqsave(&domain_list_lock);
    rc = insert_domain(d);
    spin_unlock_irqrestore(&domain_list_lock, flags);
    if (rc) {
        if (rc == -XC_EEXIST)
            printk("xencore: domain %s: a domain of that name exists\n", d->name);
        free_struct(d, sizeof(*d));
        return rc;
    }
    make_uuid(d, config->uuid);

    rc = build(d, config);
    if (!rc) {
        cpupool_lock();
        rc = join_pool(d, config);
        if (!rc)
            __atomic_store_n(&d->state, XENCORE_DOMAIN_PAUSED, __ATOMIC_RELEASE);
        cpupool_unlock();
    }
    if (rc) {
        printk("xencore: domain %s: not created (%d)\n", d->name, rc);
        flags = spin_lock_irqsave(&domain_list_lock);
        unlink_domain(d);
        spin_unlock_irqrestore(&domain_list_lock, flags);
        __atomic_fetch_sub(&live_domains, 1, __ATOMIC_ACQ_REL);
        domain_release_events(d);
        domain_free(d);
        return rc;
    }
    printk("xencore: domain %s (dom%u): %llu MiB, %u vcpu%s, mapped 4k=%llu 2m=%llu 1g=%llu\n",
           d->name, d->domid, (unsigned long long)(d->memory_kib >> 10), d->nr_vcpus,
           d->nr_vcpus == 1 ? "" : "s", (unsigned long long)d->mapped[P2M_4K],
           (unsigned long long)d->mapped[P2M_2M], (unsigned long long)d->mapped[P2M_1G]);
    *domid = d->domid;
    return 0;
}

/* ---- Control -------------------------------------------------------------- */

/* The control calls hold the management lock (sched/cpupool.h), so a domain
 * they act on cannot be destroyed or moved to another pool meanwhile; only
 * domain_reap() may unlink one, and only once it shut down or crashed. */

int xencore_domain_unpause(xencore_domid_t domid)
{
    cpupool_lock();
    unsigned long flags = spin_lock_irqsave(&domain_list_lock);
    struct domain *d = domain_find(domid);
    int rc = !d ? -XC_ENOENT : d->state != XENCORE_DOMAIN_PAUSED ? -XC_EPERM : 0;
    if (!rc) {
        __atomic_store_n(&d->state, XENCORE_DOMAIN_RUNNING, __ATOMIC_RELEASE);
        /* Woken under the list lock: a reaper cannot free it meanwhile. */
        for (uint32_t i = 0; i < d->nr_vcpus; i++)
            sched_vcpu_wake(d->vcpus[i]);
    }
    spin_unlock_irqrestore(&domain_list_lock, flags);
    cpupool_unlock();
    return rc;
}

int xencore_domain_pause(xencore_domid_t domid)
{
    cpupool_lock();
    unsigned long flags = spin_lock_irqsave(&domain_list_lock);
    struct domain *d = domain_find(domid);
    int rc = !d ? -XC_ENOENT : d->state != XENCORE_DOMAIN_RUNNING ? -XC_EPERM : 0;
    if (!rc) {
        __atomic_store_n(&d->state, XENCORE_DOMAIN_PAUSED, __ATOMIC_RELEASE);
        domain_hold_locked(d); /* a vCPU still running may shut it down */
    }
    spin_unlock_irqrestore(&domain_list_lock, flags);
    if (!rc) {
        for (uint32_t i = 0; i < d->nr_vcpus; i++)
            vcpu_sync(d->vcpus[i]);
        domain_unhold();
    }
    cpupool_unlock();
    return rc;
}

int xencore_domain_destroy(xencore_domid_t domid)
{
    cpupool_lock();
    unsigned long flags = spin_lock_irqsave(&domain_list_lock);
    struct domain *d = domain_find(domid);
    if (d) {
        __atomic_store_n(&d->state, XENCORE_DOMAIN_DYING, __ATOMIC_RELEASE);
        unlink_domain(d);
    }
    spin_unlock_irqrestore(&domain_list_lock, flags);
    if (d)
        domain_destroy_locked_out(d);
    cpupool_unlock();
    return d ? 0 : -XC_ENOENT;
}

int xencore_domain_get_info(xencore_domid_t domid, struct xencore_domain_info *info)
{
    if (!info)
        return -XC_EINVAL;
    unsigned long flags = spin_lock_irqsave(&domain_list_lock);
    struct domain *d = domain_find(domid);
    if (d) {
        memset(info, 0, sizeof(*info));
        info->domid = d->domid;
        memcpy(info->name, d->name, sizeof(info->name));
        memcpy(info->uuid, d->uuid, sizeof(info->uuid));
        info->state = d->state;
        info->shutdown_reason = d->shutdown_reason;
        memcpy(info->crash_reason, d->crash_reason, sizeof(info->crash_reason));
        info->vcpus = d->nr_vcpus;
        info->memory_kib = d->memory_kib;
        info->mapped_4k = d->mapped[P2M_4K];
        info->mapped_2m = d->mapped[P2M_2M];
        info->mapped_1g = d->mapped[P2M_1G];
    }
    spin_unlock_irqrestore(&domain_list_lock, flags);
    return d ? 0 : -XC_ENOENT;
}
