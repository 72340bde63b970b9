/* The null scheduler: each vCPU owns one physical CPU; no time sharing.
 *
 * As in Xen's null scheduler, for appliances that statically partition the
 * machine: a vCPU is given a free CPU when it is created and keeps it until
 * it is destroyed, so there is no scheduling latency and no jitter. vCPUs
 * that find every CPU taken wait in a FIFO queue and take the next CPU that
 * is freed, in arrival order. One lock guards the assignment; pick() takes
 * it so a vCPU being removed can never be picked after removal. */
#include <xencore/config.h>

#include "arch/arch.h"
#include "core/domain.h"
#include "lib/spinlock.h"
#include "sched/sched.h"

static spinlock_t null_lock = SPINLOCK_INIT;
static struct vcpu *owner[XENCORE_MAX_CPUS];
static bool cpu_ready[XENCORE_MAX_CPUS];
static struct vcpu *wait_head, *wait_tail;
static unsigned int next_cpu_hint;

/* Gives @cpu to @v. Lock held. */
static void assign(struct vcpu *v, unsigned int cpu)
{
    owner[cpu] = v;
    v->processor = cpu;
    v->has_cpu = true;
}

static bool assign_free_cpu(struct vcpu *v)
{
    for (unsigned int i = 0; i < XENCORE_MAX_CPUS; i++) {
        unsigned int cpu = (next_cpu_hint + i) % XENCORE_MAX_CPUS;
        if (cpu_ready[cpu] && !owner[cpu]) {
            assign(v, cpu);
            next_cpu_hint = cpu + 1;
            return true;
        }
    }
    return false;
}

static void enqueue(struct vcpu *v)
{
    v->wait_next = NULL;
    if (wait_tail)
        wait_tail->wait_next = v;
    else
        wait_head = v;
    wait_tail = v;
}

static struct vcpu *dequeue(void)
{
    struct vcpu *v = wait_head;
    if (v) {
        wait_head = v->wait_next;
        if (!wait_head)
            wait_tail = NULL;
    }
    return v;
}

static void null_cpu_add(unsigned int cpu)
{
    unsigned long flags = spin_lock_irqsave(&null_lock);
    cpu_ready[cpu] = true;
    struct vcpu *w = owner[cpu] ? NULL : dequeue();
    if (w)
        assign(w, cpu);
    spin_unlock_irqrestore(&null_lock, flags);
}

static void null_vcpu_insert(struct vcpu *v)
{
    unsigned long flags = spin_lock_irqsave(&null_lock);
    if (!assign_free_cpu(v))
        enqueue(v);
    spin_unlock_irqrestore(&null_lock, flags);
    if (v->has_cpu)
        sched_request_reschedule(v->processor);
}

static void null_vcpu_remove(struct vcpu *v)
{
    struct vcpu *w = NULL;
    unsigned long flags = spin_lock_irqsave(&null_lock);
    if (v->has_cpu) {
        unsigned int cpu = v->processor;
        owner[cpu] = NULL;
        v->has_cpu = false;
        w = dequeue();
        if (w)
            assign(w, cpu);
    } else {
        struct vcpu **link = &wait_head, *prev = NULL;
        while (*link && *link != v) {
            prev = *link;
            link = &(*link)->wait_next;
        }
        if (*link) {
            *link = v->wait_next;
            if (wait_tail == v)
                wait_tail = prev;
        }
    }
    spin_unlock_irqrestore(&null_lock, flags);
    if (w)
        sched_request_reschedule(w->processor);
}

static struct vcpu *null_pick(unsigned int cpu)
{
    unsigned long flags = spin_lock_irqsave(&null_lock);
    struct vcpu *v = owner[cpu];
    if (v) {
        v->is_running = true;
        __atomic_thread_fence(__ATOMIC_SEQ_CST); /* pairs with vcpu_sync() */
        if (!vcpu_runnable(v)) {
            v->is_running = false;
            v = NULL;
        }
    }
    spin_unlock_irqrestore(&null_lock, flags);
    return v;
}

static void null_wake(struct vcpu *v)
{
    if (v->has_cpu)
        sched_request_reschedule(v->processor);
}

static void null_yield(struct vcpu *v)
{
    (void)v; /* the CPU is its own: nothing else could run */
}

const struct scheduler_ops sched_null_ops = {
    .name = "null",
    .cpu_add = null_cpu_add,
    .vcpu_insert = null_vcpu_insert,
    .vcpu_remove = null_vcpu_remove,
    .pick = null_pick,
    .wake = null_wake,
    .yield = null_yield,
};
