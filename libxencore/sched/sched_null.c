/* The null scheduler: each vCPU owns one physical CPU; no time sharing.
 *
 * As in Xen's null scheduler, for appliances that statically partition the
 * machine: a vCPU that is up is given a free CPU of its pool (within its hard
 * affinity, preferring its soft affinity) and keeps it until it goes down, is
 * removed, or its affinity or its CPU's pool membership changes. So there is
 * no scheduling latency and no jitter. vCPUs that find no such CPU wait in a
 * FIFO queue; a freed CPU goes to the first waiter whose hard affinity allows
 * it. pick() never shares: a CPU runs its owner or idles.
 *
 * Several pools may run null: everything lives in the instance (s->priv), one
 * lock per instance guards the assignment, and each vCPU's part (which CPU it
 * owns, its place in the queue) is in v->sched_data. Invariants, under the lock:
 * owner[cpu] == v  <=>  v is assigned to cpu; a vCPU is assigned or queued or
 * neither (down, or not inserted), never both; only CPUs of the instance have
 * an owner. */
#include <xencore/config.h>

#include "arch/arch.h"
#include "core/domain.h"
#include "lib/errno.h"
#include "lib/spinlock.h"
#include "sched/sched.h"

#define NO_CPU XENCORE_MAX_CPUS

struct null_instance {
    spinlock_t lock;
    struct vcpu *wait_head, *wait_tail;
    struct vcpu *owner[XENCORE_MAX_CPUS];
};

struct null_vcpu {
    struct vcpu *wait_next;
    unsigned int cpu; /* the CPU it owns, or NO_CPU */
    bool inserted;
    bool queued;
};

_Static_assert(sizeof(struct null_vcpu) <= sizeof(((struct vcpu *)0)->sched_data),
               "struct null_vcpu must fit in vcpu.sched_data");

static struct null_instance *instance_of(struct sched_instance *s)
{
    return s->priv;
}

static struct null_vcpu *nv_of(struct vcpu *v)
{
    return (struct null_vcpu *)v->sched_data;
}

static int null_init(struct sched_instance *s)
{
    struct null_instance *ni = sched_alloc(sizeof(*ni));
    if (!ni)
        return -XC_ENOMEM;
    s->priv = ni;
    return 0;
}

static void null_deinit(struct sched_instance *s)
{
    sched_free(s->priv, sizeof(struct null_instance));
    s->priv = NULL;
}

/* ---- Assignment (lock held) ----------------------------------------------- */

static void assign(struct null_instance *ni, struct vcpu *v, unsigned int cpu)
{
    ni->owner[cpu] = v;
    nv_of(v)->cpu = cpu;
    if (!__atomic_load_n(&v->is_running, __ATOMIC_ACQUIRE))
        v->processor = cpu;
}

static void unassign(struct null_instance *ni, struct vcpu *v)
{
    struct null_vcpu *nv = nv_of(v);
    if (nv->cpu != NO_CPU && ni->owner[nv->cpu] == v)
        ni->owner[nv->cpu] = NULL;
    nv->cpu = NO_CPU;
}

/* A free CPU of the instance that @v may run on, soft affinity first. */
static unsigned int free_cpu_for(struct sched_instance *s, struct null_instance *ni, struct vcpu *v)
{
    cpumask_t allowed, preferred;
    if (!cpumask_and(&allowed, &s->cpus, &v->hard_affinity))
        return NO_CPU;
    unsigned int fallback = NO_CPU;
    cpumask_and(&preferred, &allowed, &v->soft_affinity);
    for_each_cpu(cpu, &allowed)
    {
        if (ni->owner[cpu])
            continue;
        if (cpumask_test(&preferred, cpu))
            return cpu;
        if (fallback == NO_CPU)
            fallback = cpu;
    }
    return fallback;
}

static void enqueue(struct null_instance *ni, struct vcpu *v)
{
    struct null_vcpu *nv = nv_of(v);
    nv->wait_next = NULL;
    nv->queued = true;
    if (ni->wait_tail)
        nv_of(ni->wait_tail)->wait_next = v;
    else
        ni->wait_head = v;
    ni->wait_tail = v;
}

static void unlink_waiter(struct null_instance *ni, struct vcpu *v)
{
    struct vcpu *prev = NULL;
    for (struct vcpu *w = ni->wait_head; w; prev = w, w = nv_of(w)->wait_next) {
        if (w != v)
            continue;
        if (prev)
            nv_of(prev)->wait_next = nv_of(v)->wait_next;
        else
            ni->wait_head = nv_of(v)->wait_next;
        if (ni->wait_tail == v)
            ni->wait_tail = prev;
        break;
    }
    nv_of(v)->wait_next = NULL;
    nv_of(v)->queued = false;
}

/* Gives free @cpu to the first waiter allowed there; waiters that went down
 * leave the queue (their next wake places them again). Returns it or NULL. */
static struct vcpu *give_to_waiter(struct null_instance *ni, unsigned int cpu)
{
    struct vcpu *w = ni->wait_head;
    while (w) {
        struct vcpu *next = nv_of(w)->wait_next;
        if (!w->up) {
            unlink_waiter(ni, w);
        } else if (cpumask_test(&w->hard_affinity, cpu)) {
            unlink_waiter(ni, w);
            assign(ni, w, cpu);
            return w;
        }
        w = next;
    }
    return NULL;
}

/* Gives @v a CPU or queues it. Returns the CPU or NO_CPU. */
static unsigned int place(struct sched_instance *s, struct null_instance *ni, struct vcpu *v)
{
    unsigned int cpu = free_cpu_for(s, ni, v);
    if (cpu != NO_CPU)
        assign(ni, v, cpu);
    else
        enqueue(ni, v);
    return cpu;
}

static void kick(unsigned int cpu)
{
    if (cpu != NO_CPU)
        sched_request_reschedule(cpu);
}

/* ---- Operations ----------------------------------------------------------- */

static void null_cpu_add(struct sched_instance *s, unsigned int cpu)
{
    struct null_instance *ni = instance_of(s);
    unsigned long flags = spin_lock_irqsave(&ni->lock);
    ni->owner[cpu] = NULL;
    struct vcpu *w = give_to_waiter(ni, cpu);
    spin_unlock_irqrestore(&ni->lock, flags);
    if (w)
        kick(cpu);
}

static void null_cpu_remove(struct sched_instance *s, unsigned int cpu)
{
    struct null_instance *ni = instance_of(s);
    unsigned int moved_to = NO_CPU;
    unsigned long flags = spin_lock_irqsave(&ni->lock);
    struct vcpu *v = ni->owner[cpu];
    if (v) {
        unassign(ni, v);
        moved_to = place(s, ni, v); /* s->cpus no longer holds @cpu */
    }
    spin_unlock_irqrestore(&ni->lock, flags);
    kick(moved_to);
}

static void null_vcpu_insert(struct sched_instance *s, struct vcpu *v)
{
    struct null_instance *ni = instance_of(s);
    struct null_vcpu *nv = nv_of(v);
    unsigned int cpu = NO_CPU;
    unsigned long flags = spin_lock_irqsave(&ni->lock);
    nv->cpu = NO_CPU;
    nv->queued = false;
    nv->wait_next = NULL;
    nv->inserted = true;
    if (v->up)
        cpu = place(s, ni, v);
    spin_unlock_irqrestore(&ni->lock, flags);
    kick(cpu);
}

static void null_vcpu_remove(struct sched_instance *s, struct vcpu *v)
{
    struct null_instance *ni = instance_of(s);
    struct null_vcpu *nv = nv_of(v);
    struct vcpu *w = NULL;
    unsigned int freed = NO_CPU;
    unsigned long flags = spin_lock_irqsave(&ni->lock);
    if (nv->cpu != NO_CPU) {
        freed = nv->cpu;
        unassign(ni, v);
        w = give_to_waiter(ni, freed);
    }
    if (nv->queued)
        unlink_waiter(ni, v);
    nv->inserted = false;
    spin_unlock_irqrestore(&ni->lock, flags);
    if (w)
        kick(freed);
}

static void null_wake(struct sched_instance *s, struct vcpu *v)
{
    struct null_instance *ni = instance_of(s);
    struct null_vcpu *nv = nv_of(v);
    unsigned int cpu = NO_CPU;
    unsigned long flags = spin_lock_irqsave(&ni->lock);
    if (nv->inserted) {
        if (nv->cpu != NO_CPU)
            cpu = nv->cpu;
        else if (!nv->queued && v->up)
            cpu = place(s, ni, v); /* just brought up */
    }
    spin_unlock_irqrestore(&ni->lock, flags);
    kick(cpu);
}

static bool null_yield(struct sched_instance *s, struct vcpu *v)
{
    (void)s;
    (void)v;
    return false; /* the CPU is its own: nothing else could run there */
}

static void null_deschedule(struct sched_instance *s, unsigned int cpu, struct vcpu *prev,
                            uint64_t now)
{
    (void)now;
    struct null_instance *ni = instance_of(s);
    struct null_vcpu *nv = nv_of(prev);
    unsigned int look = NO_CPU;
    unsigned long flags = spin_lock_irqsave(&ni->lock);
    __atomic_store_n(&prev->is_running, false, __ATOMIC_RELEASE);
    if (nv->cpu != NO_CPU && !prev->up) {
        /* Went down: its CPU goes to a waiter. */
        unsigned int freed = nv->cpu;
        unassign(ni, prev);
        if (give_to_waiter(ni, freed))
            look = freed;
    } else if (nv->cpu != NO_CPU && nv->cpu != cpu) {
        /* Moved while it ran here (affinity): its new CPU may take it now. */
        prev->processor = nv->cpu;
        look = nv->cpu;
    }
    spin_unlock_irqrestore(&ni->lock, flags);
    kick(look);
}

static struct vcpu *null_pick(struct sched_instance *s, unsigned int cpu, uint64_t now,
                              uint64_t *slice_ns)
{
    (void)now;
    struct null_instance *ni = instance_of(s);
    *slice_ns = 0; /* it keeps the CPU until something happens */
    unsigned long flags = spin_lock_irqsave(&ni->lock);
    struct vcpu *v = ni->owner[cpu];
    if (v && !v->up && !__atomic_load_n(&v->is_running, __ATOMIC_ACQUIRE)) {
        unassign(ni, v); /* went down while it was not running */
        v = give_to_waiter(ni, cpu);
    }
    if (v && !sched_claim(v))
        v = NULL;
    spin_unlock_irqrestore(&ni->lock, flags);
    return v;
}

static void null_affinity_changed(struct sched_instance *s, struct vcpu *v)
{
    struct null_instance *ni = instance_of(s);
    struct null_vcpu *nv = nv_of(v);
    unsigned int old = NO_CPU, now_on = NO_CPU;
    unsigned long flags = spin_lock_irqsave(&ni->lock);
    if (nv->inserted && nv->cpu != NO_CPU && !cpumask_test(&v->hard_affinity, nv->cpu)) {
        old = nv->cpu;
        unassign(ni, v);
        give_to_waiter(ni, old);
        now_on = place(s, ni, v);
    } else if (nv->inserted && nv->queued) {
        unlink_waiter(ni, v);
        now_on = place(s, ni, v); /* a free CPU may suit it now */
    }
    spin_unlock_irqrestore(&ni->lock, flags);
    kick(old); /* it must stop running there, or the new owner starts */
    kick(now_on);
}

const struct scheduler_ops sched_null_ops = {
    .name = "null",
    .id = XENCORE_SCHED_NULL,
    .init = null_init,
    .deinit = null_deinit,
    .cpu_add = null_cpu_add,
    .cpu_remove = null_cpu_remove,
    .vcpu_insert = null_vcpu_insert,
    .vcpu_remove = null_vcpu_remove,
    .wake = null_wake,
    .yield = null_yield,
    .deschedule = null_deschedule,
    .pick = null_pick,
    .affinity_changed = null_affinity_changed,
};
