/* Per-CPU one-shot timers (see timer.h).
 *
 * A sorted list per CPU: the lists are short (a CPU's scheduler timer plus
 * the one-shot timers of the vCPUs that last ran there), so insertion by
 * walking is cheaper than any tree at these sizes. Each list has its own
 * lock, always taken with interrupts off. A timer's cpu field says which
 * list may hold it; a setter or stopper locks that list and re-checks the
 * field, since another CPU may have moved the timer meanwhile. */
#include "core/timer.h"

#include <stddef.h>
#include <xencore/config.h>

#include "arch/arch.h"
#include "lib/spinlock.h"

struct timer_cpu {
    spinlock_t lock;
    struct timer *head;
    struct timer *running; /* whose callback runs now, for timer_kill() */
};

static struct timer_cpu timer_cpus[XENCORE_MAX_CPUS];

void timer_init(struct timer *t, void (*fn)(void *data), void *data)
{
    t->expires = 0;
    t->fn = fn;
    t->data = data;
    t->cpu = 0;
    t->active = false;
    t->next = t->prev = NULL;
}

bool timer_armed(const struct timer *t)
{
    return __atomic_load_n(&t->active, __ATOMIC_ACQUIRE);
}

/* Locks the list @t is on (interrupts already off). */
static struct timer_cpu *lock_timer(struct timer *t)
{
    for (;;) {
        unsigned int cpu = __atomic_load_n(&t->cpu, __ATOMIC_ACQUIRE);
        struct timer_cpu *tc = &timer_cpus[cpu];
        spin_lock(&tc->lock);
        if (__atomic_load_n(&t->cpu, __ATOMIC_ACQUIRE) == cpu)
            return tc;
        spin_unlock(&tc->lock);
    }
}

static void unlink_timer(struct timer_cpu *tc, struct timer *t)
{
    if (t->prev)
        t->prev->next = t->next;
    else
        tc->head = t->next;
    if (t->next)
        t->next->prev = t->prev;
    t->next = t->prev = NULL;
    __atomic_store_n(&t->active, false, __ATOMIC_RELEASE);
}

void timer_stop(struct timer *t)
{
    unsigned long flags = arch_irq_save();
    struct timer_cpu *tc = lock_timer(t);
    if (t->active)
        unlink_timer(tc, t);
    spin_unlock(&tc->lock);
    arch_irq_restore(flags);
}

void timer_kill(struct timer *t)
{
    timer_stop(t);
    struct timer_cpu *tc = &timer_cpus[__atomic_load_n(&t->cpu, __ATOMIC_ACQUIRE)];
    while (__atomic_load_n(&tc->running, __ATOMIC_ACQUIRE) == t)
        arch_cpu_relax();
}

void timer_set(struct timer *t, uint64_t expires, unsigned int cpu)
{
    if (cpu >= XENCORE_MAX_CPUS)
        cpu = arch_this_cpu();
    unsigned long flags = arch_irq_save();
    struct timer_cpu *tc = lock_timer(t);
    if (t->active)
        unlink_timer(tc, t);
    if (tc != &timer_cpus[cpu]) {
        /* Move it: its cpu field changes under the old list's lock. */
        __atomic_store_n(&t->cpu, cpu, __ATOMIC_RELEASE);
        spin_unlock(&tc->lock);
        tc = &timer_cpus[cpu];
        spin_lock(&tc->lock);
    }
    t->expires = expires;
    struct timer *prev = NULL, *at = tc->head;
    while (at && at->expires <= expires) {
        prev = at;
        at = at->next;
    }
    t->prev = prev;
    t->next = at;
    if (prev)
        prev->next = t;
    else
        tc->head = t;
    if (at)
        at->prev = t;
    __atomic_store_n(&t->active, true, __ATOMIC_RELEASE);
    bool first = tc->head == t;
    spin_unlock(&tc->lock);
    if (first) {
        if (cpu == arch_this_cpu())
            arch_timer_arm(expires);
        else
            arch_send_ipi(cpu); /* it re-arms for its new earliest timer */
    }
    arch_irq_restore(flags);
}

void timers_run(unsigned int cpu)
{
    struct timer_cpu *tc = &timer_cpus[cpu];
    spin_lock(&tc->lock);
    for (;;) {
        struct timer *t = tc->head;
        if (!t || t->expires > arch_now_ns())
            break;
        unlink_timer(tc, t);
        __atomic_store_n(&tc->running, t, __ATOMIC_RELEASE);
        spin_unlock(&tc->lock);
        t->fn(t->data);
        spin_lock(&tc->lock);
        __atomic_store_n(&tc->running, NULL, __ATOMIC_RELEASE);
    }
    if (tc->head)
        arch_timer_arm(tc->head->expires);
    spin_unlock(&tc->lock);
}
