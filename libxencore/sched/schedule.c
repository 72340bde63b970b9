/* Each CPU's scheduling loop and the calls into its pool's policy.
 *
 * The loop (see sched.h): after a vCPU leaves guest mode, schedule_put()
 * gives it back to its policy (which accounts for the run and releases the
 * claim); with nothing claimed the CPU reaps dead domains and checks for
 * power-off; schedule_pick() then applies a pending pool change and asks the
 * CPU's policy instance what runs next and for how long, arming the CPU's
 * scheduling timer for that slice.
 *
 * Per-CPU lock. schedule_pick() and schedule_put() hold the CPU's lock while
 * they call the policy and record what the CPU runs (curr). A CPU that runs
 * nothing under its lock runs nothing of any pool, so cpupool.c may move it
 * out of its pool inline; otherwise the change is posted and the CPU applies
 * it itself at its next pick. Lock order: a CPU's lock, then a policy's lock.
 *
 * Idle. A CPU with nothing to run sleeps in arch_wait_for_interrupt(); anything
 * that may give it work (a wake-up, an unpause, a new vCPU, its timer) sets its
 * reschedule flag and kicks it. The flag is read with interrupts off right
 * before sleeping, so a kick is never lost.
 *
 * Run states (Xen's semantics, what a guest reads in its runstate area):
 * running while claimed by a CPU; else runnable if it could run; blocked if it
 * waits for an event; offline if it is down or paused. The time spent in each
 * is accumulated in v->runstate_time[]; a small hashed lock array orders the
 * updates from the CPUs that may change one vCPU's state at once. */
#include "sched/sched.h"

#include <xencore/config.h>

#include "arch/arch.h"
#include "core/domain.h"
#include "lib/printk.h"
#include "lib/spinlock.h"
#include "lib/string.h"
#include "mm/frame_alloc.h"
#include "mm/mm.h"
#include "sched/cpupool.h"

#include "core/vcpu_time.h"

#define RUNSTATE_LOCKS 64 /* hashed by vCPU address: contention is rare */

struct sched_cpu {
    spinlock_t lock;
    bool reschedule;                 /* choose again: read by core_cpu_should_reschedule() */
    bool leave_pending;              /* leave its pool at the next pick (cpupool.c) */
    bool usable;                     /* passed its checks, can run guests */
    struct sched_instance *instance; /* its pool's policy instance, NULL if free */
    struct vcpu *curr;               /* what it runs now (claimed), or NULL */
    struct timer timer;              /* the end of the current slice */
};

static struct sched_cpu sched_cpus[XENCORE_MAX_CPUS];
static spinlock_t runstate_locks[RUNSTATE_LOCKS];
static bool poweroff_when_idle;
static uint64_t free_frames_at_start;
/* Frames policies hold through sched_alloc(): pool instances made after the
 * power-off snapshot (boot-time pools) outlive every domain, so the power-off
 * message counts them as if they had been taken before. */
static uint64_t sched_frames;
static uint64_t sched_frames_at_start;

const struct scheduler_ops *sched_default = &sched_credit2_ops;
enum credit2_runqueue_arrangement sched_credit2_runqueue = CREDIT2_RUNQUEUE_SOCKET;
uint32_t sched_ratelimit_us = SCHED_DEFAULT_RATELIMIT_US;

/* ---- Policies ------------------------------------------------------------- */

static const struct scheduler_ops *const all_policies[] = {
    &sched_credit_ops,
    &sched_credit2_ops,
    &sched_null_ops,
};
#define POLICY_COUNT (sizeof(all_policies) / sizeof(all_policies[0]))

const struct scheduler_ops *sched_find_by_name(const char *name)
{
    if (!name)
        return NULL;
    for (unsigned int i = 0; i < POLICY_COUNT; i++)
        if (!strcmp(all_policies[i]->name, name))
            return all_policies[i];
    return NULL;
}

const struct scheduler_ops *sched_find_by_id(enum xencore_scheduler id)
{
    for (unsigned int i = 0; i < POLICY_COUNT; i++)
        if (all_policies[i]->id == id)
            return all_policies[i];
    return NULL;
}

bool sched_policy_available(const struct scheduler_ops *ops)
{
    return ops && ops->pick && ops->deschedule && ops->wake && ops->vcpu_insert &&
           ops->vcpu_remove && ops->cpu_add && ops->cpu_remove;
}

/* ---- Memory --------------------------------------------------------------- */

static unsigned int order_for(size_t bytes)
{
    unsigned int order = 0;
    while ((ARCH_PAGE_SIZE << order) < bytes)
        order++;
    return order;
}

void *sched_alloc(size_t bytes)
{
    uint64_t phys = mm_alloc_pages(order_for(bytes)); /* zeroed */
    if (!phys)
        return NULL;
    __atomic_fetch_add(&sched_frames, 1ULL << order_for(bytes), __ATOMIC_ACQ_REL);
    return arch_phys_to_virt(phys);
}

void sched_free(void *p, size_t bytes)
{
    if (!p)
        return;
    uint64_t offset = (uint64_t)(uintptr_t)arch_phys_to_virt(0);
    mm_free_pages((uint64_t)(uintptr_t)p - offset, order_for(bytes));
    __atomic_fetch_sub(&sched_frames, 1ULL << order_for(bytes), __ATOMIC_ACQ_REL);
}

/* ---- Lookups -------------------------------------------------------------- */

struct sched_instance *sched_of_vcpu(const struct vcpu *v)
{
    struct cpupool *pool = v->domain->pool;
    return pool ? &pool->sched : NULL;
}

struct sched_instance *sched_of_cpu(unsigned int cpu)
{
    if (cpu >= XENCORE_MAX_CPUS)
        return NULL;
    return __atomic_load_n(&sched_cpus[cpu].instance, __ATOMIC_ACQUIRE);
}

/* ---- Claims and run states ------------------------------------------------ */

bool sched_claim(struct vcpu *v)
{
    if (__atomic_load_n(&v->is_running, __ATOMIC_ACQUIRE))
        return false;
    unsigned int old = v->processor;
    /* processor first: vcpu_sync() kicks the CPU it names once it sees the claim. */
    v->processor = arch_this_cpu();
    __atomic_store_n(&v->is_running, true, __ATOMIC_RELEASE);
    __atomic_thread_fence(__ATOMIC_SEQ_CST); /* pairs with vcpu_sync() */
    if (!vcpu_runnable(v)) {
        __atomic_store_n(&v->is_running, false, __ATOMIC_RELEASE);
        v->processor = old;
        return false;
    }
    return true;
}

static spinlock_t *runstate_lock_of(const struct vcpu *v)
{
    return &runstate_locks[((uintptr_t)v / sizeof(*v)) % RUNSTATE_LOCKS];
}

/* The state @v is in when it is not on a CPU. */
static enum vcpu_runstate idle_state_of(const struct vcpu *v)
{
    if (vcpu_runnable(v))
        return RUNSTATE_runnable;
    if (__atomic_load_n(&v->blocked, __ATOMIC_ACQUIRE) && v->up)
        return RUNSTATE_blocked;
    return RUNSTATE_offline;
}

static void runstate_set_locked(struct vcpu *v, enum vcpu_runstate state, uint64_t now)
{
    if (v->runstate == state)
        return;
    if (now > v->runstate_entry_ns) {
        v->runstate_time[v->runstate] += now - v->runstate_entry_ns;
        v->runstate_entry_ns = now;
    }
    v->runstate = state;
}

static void runstate_set(struct vcpu *v, enum vcpu_runstate state, uint64_t now)
{
    unsigned long flags = spin_lock_irqsave(runstate_lock_of(v));
    runstate_set_locked(v, state, now);
    spin_unlock_irqrestore(runstate_lock_of(v), flags);
}

void sched_runstate_refresh(struct vcpu *v)
{
    /* Checked under the lock: a CPU that claims @v sets "running" under it
     * after the claim, so this never overwrites that. */
    unsigned long flags = spin_lock_irqsave(runstate_lock_of(v));
    if (!__atomic_load_n(&v->is_running, __ATOMIC_ACQUIRE))
        runstate_set_locked(v, idle_state_of(v), arch_now_ns());
    spin_unlock_irqrestore(runstate_lock_of(v), flags);
}

/* ---- Calls from the rest of the core -------------------------------------- */

bool schedule_cpu_usable(unsigned int cpu)
{
    return cpu < XENCORE_MAX_CPUS && __atomic_load_n(&sched_cpus[cpu].usable, __ATOMIC_ACQUIRE);
}

void sched_cpu_add(unsigned int cpu)
{
    if (cpu >= XENCORE_MAX_CPUS)
        return;
    __atomic_store_n(&sched_cpus[cpu].usable, true, __ATOMIC_RELEASE);
    struct cpupool *pool0 = cpupool_pool0();
    if (pool0)
        schedule_cpu_join(cpu, &pool0->sched);
    else
        printk("xencore: cpu %u: no Pool-0 to join (out of memory)\n", cpu);
}

void sched_vcpu_insert(struct vcpu *v)
{
    memset(v->sched_data, 0, sizeof(v->sched_data));
    if (!v->runstate_entry_ns) { /* new: its accounting starts now */
        v->runstate = idle_state_of(v);
        v->runstate_entry_ns = arch_now_ns();
    } else { /* moved from another pool: its accounting goes on */
        sched_runstate_refresh(v);
    }
    struct sched_instance *s = sched_of_vcpu(v);
    if (s)
        s->ops->vcpu_insert(s, v);
}

void sched_vcpu_remove(struct vcpu *v)
{
    struct sched_instance *s = sched_of_vcpu(v);
    if (s)
        s->ops->vcpu_remove(s, v);
    sched_runstate_refresh(v);
}

void sched_vcpu_wake(struct vcpu *v)
{
    /* Under the run-state lock, so schedule_wake_barrier() can wait for it. */
    spinlock_t *lock = runstate_lock_of(v);
    unsigned long flags = spin_lock_irqsave(lock);
    if (!__atomic_load_n(&v->is_running, __ATOMIC_ACQUIRE))
        runstate_set_locked(v, idle_state_of(v), arch_now_ns());
    struct sched_instance *s = sched_of_vcpu(v);
    if (s && vcpu_runnable(v))
        s->ops->wake(s, v);
    spin_unlock_irqrestore(lock, flags);
}

void schedule_wake_barrier(struct vcpu *v)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    unsigned long flags = spin_lock_irqsave(runstate_lock_of(v));
    spin_unlock_irqrestore(runstate_lock_of(v), flags);
}

void sched_vcpu_yield(struct vcpu *v)
{
    struct sched_instance *s = sched_of_vcpu(v);
    if (s && s->ops->yield && s->ops->yield(s, v))
        sched_request_reschedule(arch_this_cpu());
}

void sched_request_reschedule(unsigned int cpu)
{
    if (cpu >= XENCORE_MAX_CPUS)
        return;
    __atomic_store_n(&sched_cpus[cpu].reschedule, true, __ATOMIC_RELEASE);
    arch_cpu_kick(cpu);
}

bool core_cpu_should_reschedule(void)
{
    return __atomic_load_n(&sched_cpus[arch_this_cpu()].reschedule, __ATOMIC_ACQUIRE);
}

/* The end of a slice (a timer callback on that CPU, interrupts off). */
static void slice_ended(void *data)
{
    unsigned int cpu = (unsigned int)(uintptr_t)data;
    if (cpu == arch_this_cpu())
        __atomic_store_n(&sched_cpus[cpu].reschedule, true, __ATOMIC_RELEASE);
    else
        sched_request_reschedule(cpu);
}

/* ---- Pool membership (for cpupool.c) -------------------------------------- */

static void cpumask_set_atomic(cpumask_t *m, unsigned int cpu)
{
    __atomic_fetch_or(&m->bits[cpu / 64], 1ULL << (cpu % 64), __ATOMIC_ACQ_REL);
}

static void cpumask_clear_atomic(cpumask_t *m, unsigned int cpu)
{
    __atomic_fetch_and(&m->bits[cpu / 64], ~(1ULL << (cpu % 64)), __ATOMIC_ACQ_REL);
}

/* @cpu runs nothing: take it out of its instance. Its lock held. */
static void leave_locked(unsigned int cpu)
{
    struct sched_cpu *pc = &sched_cpus[cpu];
    struct sched_instance *s = pc->instance;
    if (s) {
        cpumask_clear_atomic(&s->cpus, cpu);
        s->ops->cpu_remove(s, cpu);
        __atomic_store_n(&pc->instance, NULL, __ATOMIC_RELEASE);
    }
    __atomic_store_n(&pc->leave_pending, false, __ATOMIC_RELEASE);
}

void schedule_cpu_join(unsigned int cpu, struct sched_instance *s)
{
    struct sched_cpu *pc = &sched_cpus[cpu];
    unsigned long flags = spin_lock_irqsave(&pc->lock);
    if (!pc->instance) {
        __atomic_store_n(&pc->instance, s, __ATOMIC_RELEASE);
        cpumask_set_atomic(&s->cpus, cpu);
        s->ops->cpu_add(s, cpu);
    }
    spin_unlock_irqrestore(&pc->lock, flags);
    sched_request_reschedule(cpu);
}

bool schedule_cpu_leave(unsigned int cpu)
{
    struct sched_cpu *pc = &sched_cpus[cpu];
    unsigned long flags = spin_lock_irqsave(&pc->lock);
    bool done = !pc->curr;
    if (done)
        leave_locked(cpu);
    else
        __atomic_store_n(&pc->leave_pending, true, __ATOMIC_RELEASE);
    spin_unlock_irqrestore(&pc->lock, flags);
    sched_request_reschedule(cpu);
    if (done)
        return true;
    if (cpu == arch_this_cpu())
        return false; /* it runs a vCPU of ours: applied when that one stops */
    while (__atomic_load_n(&pc->leave_pending, __ATOMIC_ACQUIRE))
        arch_cpu_relax();
    return true;
}

/* ---- The loop ------------------------------------------------------------- */

void schedule_put(unsigned int cpu, struct vcpu *prev)
{
    if (!prev || cpu >= XENCORE_MAX_CPUS)
        return;
    uint64_t now = arch_now_ns();
    struct sched_cpu *pc = &sched_cpus[cpu];
    /* Still claimed, so no other CPU changes its run state but a waker,
     * which the run-state lock orders. */
    runstate_set(prev, idle_state_of(prev), now);
    vcpu_runstate_publish(prev); /* while it is ours and its tables are current */
    unsigned long flags = spin_lock_irqsave(&pc->lock);
    pc->curr = NULL;
    struct sched_instance *s = sched_of_vcpu(prev);
    if (s)
        s->ops->deschedule(s, cpu, prev, now);
    else
        __atomic_store_n(&prev->is_running, false, __ATOMIC_RELEASE);
    spin_unlock_irqrestore(&pc->lock, flags);
    /* A wake-up that raced with the put may have found it still claimed. */
    sched_runstate_refresh(prev);
}

struct vcpu *schedule_pick(unsigned int cpu)
{
    if (cpu >= XENCORE_MAX_CPUS)
        return NULL;
    struct sched_cpu *pc = &sched_cpus[cpu];
    if (!pc->timer.fn)
        timer_init(&pc->timer, slice_ended, (void *)(uintptr_t)cpu);
    /* Cleared before choosing: a request that comes during the choice
     * leaves it set, and the CPU chooses again. */
    __atomic_store_n(&pc->reschedule, false, __ATOMIC_SEQ_CST);
    uint64_t now = arch_now_ns();
    uint64_t slice_ns = 0;
    struct vcpu *next = NULL;

    unsigned long flags = spin_lock_irqsave(&pc->lock);
    if (__atomic_load_n(&pc->leave_pending, __ATOMIC_ACQUIRE))
        leave_locked(cpu);
    struct sched_instance *s = pc->instance;
    if (s)
        next = s->ops->pick(s, cpu, now, &slice_ns);
    pc->curr = next;
    spin_unlock_irqrestore(&pc->lock, flags);

    if (slice_ns)
        timer_set(&pc->timer, now + slice_ns, cpu);
    else if (timer_armed(&pc->timer))
        timer_stop(&pc->timer);
    if (!next)
        return NULL;
    next->processor = cpu;
    runstate_set(next, RUNSTATE_running, now);
    if (next->time_cpu != cpu)
        vcpu_time_refresh(next);
    vcpu_runstate_publish(next);
    return next;
}

void schedule_poweroff_when_idle(void)
{
    free_frames_at_start = frame_alloc_free_frames(&host_frames);
    sched_frames_at_start = __atomic_load_n(&sched_frames, __ATOMIC_ACQUIRE);
    poweroff_when_idle = true;
}

static void maybe_power_off(void)
{
    if (!poweroff_when_idle || arch_this_cpu() != 0 || domain_count() != 0)
        return;
    /* Signed: a pool destroyed since then gives its frames back. */
    int64_t pools_since =
        (int64_t)(__atomic_load_n(&sched_frames, __ATOMIC_ACQUIRE) - sched_frames_at_start);
    printk("xencore: no domains left: %llu KiB free, %llu KiB free before any domain was built\n",
           (unsigned long long)(frame_alloc_free_frames(&host_frames) * (ARCH_PAGE_SIZE / 1024)),
           (unsigned long long)(((int64_t)free_frames_at_start - pools_since) *
                                (int64_t)(ARCH_PAGE_SIZE / 1024)));
    printk("xencore: powering off\n");
    arch_poweroff();
}

_Noreturn void schedule_loop(void)
{
    unsigned int cpu = arch_this_cpu();
    struct vcpu *prev = NULL;
    for (;;) {
        schedule_put(cpu, prev);
        prev = NULL;
        domain_reap();
        maybe_power_off();
        unsigned long flags = arch_irq_save();
        struct vcpu *v = schedule_pick(cpu); /* clears the reschedule flag */
        if (!v) {
            if (!__atomic_load_n(&sched_cpus[cpu].reschedule, __ATOMIC_ACQUIRE))
                arch_wait_for_interrupt(); /* returns with interrupts on */
            arch_irq_restore(flags);
            continue;
        }
        arch_irq_restore(flags);
        arch_vcpu_run(v);
        prev = v;
    }
}
