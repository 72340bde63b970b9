/* The credit scheduler: proportional CPU shares by weight, caps, and a boost
 * for vCPUs that wake up, after Xen's `credit` (xen/common/sched/credit.c).
 *
 * Credit. A vCPU's credit is CPU time, kept in nanoseconds: running burns it
 * one for one, and at the end of every accounting period (one time slice,
 * tslice_ms, 30 ms by default) the CPU time the active vCPUs used in that
 * period is handed back out among the *active* domains in proportion to
 * weight x active vCPUs. A domain never gets more than its active vCPUs can
 * use in a period (one CPU each) nor more than its cap; what it cannot take
 * goes to the others by weight (water filling). Each domain's grant is split
 * equally among its active vCPUs. Xen hands out period x CPUs instead; with
 * CPUs idle, or vCPUs pinned to a few CPUs, that leaves every vCPU with more
 * credit than it can use, all UNDER, and weights stop mattering (three hogs
 * pinned to one CPU of two would share it equally). Granting what was used
 * keeps credit a zero-sum measure of who is ahead, so a CPU-bound vCPU's
 * long-run share is its grant as long as its credit stays inside the bounds
 * below.
 *
 * Active. A vCPU becomes active (earns credit, and its domain's weight counts
 * for it) when it is found running across a tick (tslice / 3, 10 ms by
 * default), as in Xen, or when it has used up its credit: a vCPU that only
 * runs in short bursts does not claim a share it would not use. One that is
 * blocked when the accounting finds it with more than a period of credit
 * stops being active and its credit is halved (Xen's rule: it comes back a
 * little ahead). Unlike Xen, a vCPU that wants the CPU (queued or running)
 * keeps credit and debt up to CREDIT_MAX_PERIODS periods: Xen's one-period
 * bounds throw away the credit of heavy vCPUs waiting behind others on SMP
 * and forgive light ones their debt, which costs more than 5% of fairness.
 *
 * Priorities, highest first: BOOST (woke up while UNDER; lost at the first
 * tick it is found running), UNDER (credit >= 0), OVER (credit < 0). The
 * accounting sets UNDER/OVER; an active vCPU that runs out of credit becomes
 * OVER at once, and an UNDER vCPU's slice ends when its credit does, so a
 * vCPU with little credit does not hold a CPU for a whole slice while others
 * with credit wait (this, not Xen's 30 ms granularity, keeps shares within a
 * percent on SMP).
 *
 * Runqueues. Every CPU has one, ordered by priority, FIFO within one. A CPU
 * runs the head of its queue; when that is not at least UNDER it first looks
 * for something better queued on the instance's other CPUs and takes it
 * (stealing): first vCPUs whose soft affinity includes it, then any whose
 * hard affinity does. A waking vCPU goes to an idle CPU it may use (one of
 * its soft affinity first, its last CPU first), else to its last CPU, which
 * is asked to choose again if the newcomer has a higher priority than what it
 * runs. A vCPU with credit left waiting in a queue also gets a CPU that runs
 * an OVER vCPU (past its rate limit) to choose again, so it is stolen there.
 *
 * Turns and the rate limit. A vCPU picked runs a turn of one time slice of
 * CPU time. If its CPU chooses again before the turn is over (a kick, a
 * tick), it goes back to the head of its priority class, so it keeps its turn
 * unless something of higher priority waits. The rate limit (ratelimit_us,
 * 1000 us by default, 0: off): the non-BOOST vCPU whose turn runs on a CPU
 * (its owner) is not replaced by another non-BOOST vCPU before it had that
 * much CPU time in the turn; a BOOST vCPU may interrupt it, and the owner
 * resumes after it. A vCPU that yields goes behind its class and behind the
 * first vCPU of the next lower class, and loses that protection.
 *
 * Caps, apart from credit: a capped domain has a budget of cap% of one period
 * of CPU time, refilled each period (an overrun is paid back, nothing is
 * saved up). Its running vCPUs burn it; a vCPU's slice is cut to what is
 * left, and when it is gone the domain's vCPUs are parked (taken off the
 * runqueues, not run) until the accounting refills it. So a capped domain
 * uses idle CPU time up to its cap and never more. Parked vCPUs are active,
 * so the accounting finds them.
 *
 * Lazy accounting. Nothing runs on a timer of its own: every operation that
 * is given `now` (pick, deschedule) first runs the accounting periods that
 * have ended, charging the vCPUs running on the instance's CPUs up to each
 * period's end, so the result is the same as per-period accounting on time.
 * pick() bounds every slice by the next period's end so a busy CPU calls in
 * at each period; an idle CPU returns 0 unless a vCPU is parked (then it asks
 * again at the next period, to unpark it). The code depends on `now` and the
 * ops calls only, so the host simulator drives it with a virtual clock.
 *
 * Locking. One lock per instance (spin_lock_irqsave) guards all its state:
 * the runqueues, the per-CPU records, every vCPU's and domain's credit state.
 * Simple and obviously correct; the cost is contention on large pools.
 * Callers hold a CPU's lock (schedule.c) before it; this lock is innermost,
 * and sched_request_reschedule() under it takes no lock.
 *
 * Storage: per vCPU in v->sched_data, per domain in d->sched_data, per
 * instance one block from sched_alloc(): the instance record plus a per-CPU
 * record for each CPU number (a pool may get any CPU at run time and cpu_add
 * cannot fail, so the records exist from init; 88 bytes each). */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#include <xencore/config.h>
#include <xencore/errors.h>

#include "core/domain.h"
#include "lib/cpumask.h"
#include "lib/spinlock.h"
#include "sched/sched.h"

#define NS_PER_US 1000ULL
#define NS_PER_MS 1000000ULL

#define CREDIT_DEFAULT_WEIGHT 256
#define CREDIT_WEIGHT_MIN 1
#define CREDIT_WEIGHT_MAX 65535
#define CREDIT_CAP_PERCENT_PER_VCPU 100 /* a cap is at most 100% per vCPU */
#define CREDIT_DEFAULT_TSLICE_MS 30
#define CREDIT_TSLICE_MIN_MS 1
#define CREDIT_TSLICE_MAX_MS 1000
#define CREDIT_TICKS_PER_TSLICE 3 /* a tick every 10 ms with the default slice */
/* Never ask to be called back sooner than this (Xen's minimum timer). */
#define CREDIT_MIN_SLICE_NS (SCHED_RATELIMIT_MIN_US * NS_PER_US)
/* A CPU calling in after a long pause runs at most this many missed
 * periods; by then nothing is left to change and the rest are skipped. */
#define CREDIT_MAX_CATCHUP_PERIODS 64
/* Most credit a vCPU that wants the CPU keeps, and most debt, in periods. */
#define CREDIT_MAX_PERIODS 4

/* Priorities: a higher number runs first. */
enum credit_priority {
    CREDIT_PRI_OVER = 0,  /* no credit left */
    CREDIT_PRI_UNDER = 1, /* has credit */
    CREDIT_PRI_BOOST = 2, /* woke up with credit */
};
#define CREDIT_PRI_NONE (-1) /* an empty queue */

#define NO_CPU XENCORE_MAX_CPUS

struct credit_vcpu {
    struct vcpu *queue_prev, *queue_next;   /* on its runqueue */
    struct vcpu *active_prev, *active_next; /* on its domain's active list */
    int64_t credit_ns;
    uint64_t turn_left_ns;  /* CPU time left in its turn, 0: none */
    unsigned int queue_cpu; /* the runqueue it is on, while queued */
    unsigned int owner_of;  /* the CPU whose rate-limited turn it holds, or NO_CPU */
    uint8_t queue_class;    /* the class it is queued in (its priority, but see YIELD) */
    uint8_t priority;       /* enum credit_priority */
    bool queued, active, parked, yielding;
};

struct credit_domain {
    struct domain *active_prev, *active_next; /* on the instance's active list */
    struct vcpu *active_vcpus;                /* its active vCPUs */
    uint32_t active_count;
    uint32_t weight;
    uint32_t cap_percent;  /* 0: none */
    int64_t cap_budget_ns; /* CPU time its cap still allows this period */
    bool listed;           /* on the instance's active list */
    bool saturated;        /* accounting scratch: got its limit */
    uint64_t grant_ns;     /* accounting scratch */
};

struct credit_cpu {
    struct vcpu *queue_head, *queue_tail;
    struct vcpu *class_tail[CREDIT_PRI_BOOST + 1]; /* last of each class, or NULL */
    struct vcpu *current;                          /* claimed by this CPU, or NULL */
    struct vcpu *owner;                            /* whose rate-limited turn runs here, or NULL */
    uint64_t burn_start_ns;                        /* current's run not yet charged starts here */
    uint64_t owner_ran_ns;                         /* CPU time the owner had in this turn */
    uint64_t picked_ns;                            /* when current was picked */
    unsigned int queued;                           /* vCPUs on its queue */
    bool present;                                  /* in the instance */
};

struct credit_instance {
    spinlock_t lock;
    uint32_t tslice_ms, ratelimit_us;
    uint64_t tslice_ns, tick_ns, ratelimit_ns;
    bool clock_started;
    uint64_t latest_ns;   /* the latest `now` seen */
    uint64_t consumed_ns; /* CPU time active vCPUs used this period */
    uint64_t last_acct_ns, next_acct_ns;
    struct domain *active_domains;
    unsigned int cpu_count;
    unsigned int parked_count;
    unsigned int calling_cpu; /* in deschedule/pick: it chooses anyway, no kick */
    size_t bytes;             /* as allocated */
    cpumask_t cpus;           /* CPUs in the instance */
    cpumask_t idle;           /* ... running nothing, with an empty queue */
    cpumask_t busy_queues;    /* ... with a non-empty queue */
    cpumask_t over_cpus;      /* ... running an OVER vCPU */
    struct credit_cpu cpu[XENCORE_MAX_CPUS];
};

static_assert(sizeof(struct credit_vcpu) <= sizeof(((struct vcpu *)0)->sched_data),
              "credit's per-vCPU state must fit in v->sched_data");
static_assert(sizeof(struct credit_domain) <= sizeof(((struct domain *)0)->sched_data),
              "credit's per-domain state must fit in d->sched_data");

static inline struct credit_vcpu *cvcpu(const struct vcpu *v)
{
    return (struct credit_vcpu *)(uintptr_t)v->sched_data;
}

static inline struct credit_domain *cdom(const struct domain *d)
{
    return (struct credit_domain *)(uintptr_t)d->sched_data;
}

static inline struct credit_instance *cinst(const struct sched_instance *s)
{
    return s->priv;
}

static inline uint64_t min_u64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

/* a * b / c without overflow for a < 2^48, b < 2^24, c < 2^40 (see account). */
static uint64_t mul_div(uint64_t a, uint64_t b, uint64_t c)
{
    return (a / c) * b + (a % c) * b / c;
}

static bool vcpu_is_capped(const struct vcpu *v)
{
    return cdom(v->domain)->cap_percent != 0;
}

/* Its domain's cap allows no more CPU time this period. */
static bool vcpu_over_cap(const struct vcpu *v)
{
    const struct credit_domain *cd = cdom(v->domain);
    return cd->cap_percent != 0 && cd->cap_budget_ns <= 0;
}

static int64_t cap_per_period_ns(const struct credit_instance *ci, const struct credit_domain *cd)
{
    return (int64_t)(ci->tslice_ns * cd->cap_percent / 100);
}

/* ---- Runqueues ------------------------------------------------------------- */

static void update_idle(struct credit_instance *ci, unsigned int cpu)
{
    if (cpu >= XENCORE_MAX_CPUS)
        return;
    struct credit_cpu *pc = &ci->cpu[cpu];
    if (pc->present && !pc->current && !pc->queued)
        cpumask_set(&ci->idle, cpu);
    else
        cpumask_clear(&ci->idle, cpu);
    if (pc->queued)
        cpumask_set(&ci->busy_queues, cpu);
    else
        cpumask_clear(&ci->busy_queues, cpu);
    if (pc->current && cvcpu(pc->current)->priority == CREDIT_PRI_OVER)
        cpumask_set(&ci->over_cpus, cpu);
    else
        cpumask_clear(&ci->over_cpus, cpu);
}

/* Links @v into @cpu's queue before @next (NULL: at the tail), as a member
 * of class @cls (the queue stays sorted by class). */
static void queue_link_before(struct credit_instance *ci, unsigned int cpu, struct vcpu *v,
                              struct vcpu *next, uint8_t cls)
{
    struct credit_cpu *pc = &ci->cpu[cpu];
    struct credit_vcpu *cv = cvcpu(v);
    struct vcpu *prev = next ? cvcpu(next)->queue_prev : pc->queue_tail;
    cv->queue_next = next;
    cv->queue_prev = prev;
    if (prev)
        cvcpu(prev)->queue_next = v;
    else
        pc->queue_head = v;
    if (next)
        cvcpu(next)->queue_prev = v;
    else
        pc->queue_tail = v;
    cv->queued = true;
    cv->queue_cpu = cpu;
    cv->queue_class = cls;
    if (!next || cvcpu(next)->queue_class != cls)
        pc->class_tail[cls] = v;
    pc->queued++;
    update_idle(ci, cpu);
}

enum queue_position {
    QUEUE_TAIL,  /* behind its priority class */
    QUEUE_HEAD,  /* in front of its priority class (keeps its turn) */
    QUEUE_YIELD, /* behind its class and one vCPU of the next class */
};

/* The last vCPU of a class above @cls, or NULL: @cls begins right after it. */
static struct vcpu *tail_above(const struct credit_cpu *pc, uint8_t cls)
{
    for (int c = cls + 1; c <= CREDIT_PRI_BOOST; c++)
        if (pc->class_tail[c])
            return pc->class_tail[c];
    return NULL;
}

/* O(1): each queue keeps the last vCPU of each class. */
static void queue_insert(struct credit_instance *ci, unsigned int cpu, struct vcpu *v,
                         enum queue_position where)
{
    struct credit_cpu *pc = &ci->cpu[cpu];
    uint8_t cls = cvcpu(v)->priority;
    struct vcpu *after = where == QUEUE_HEAD ? tail_above(pc, cls) : pc->class_tail[cls];
    if (!after && where != QUEUE_HEAD)
        after = tail_above(pc, cls);
    struct vcpu *next = after ? cvcpu(after)->queue_next : pc->queue_head;
    if (where == QUEUE_YIELD && next) {
        /* Behind the first vCPU of the next class down, and counted in that
         * class until the queue is sorted again. */
        cls = cvcpu(next)->queue_class;
        next = cvcpu(next)->queue_next;
    }
    queue_link_before(ci, cpu, v, next, cls);
}

static void queue_remove(struct credit_instance *ci, struct vcpu *v)
{
    struct credit_vcpu *cv = cvcpu(v);
    if (!cv->queued)
        return;
    struct credit_cpu *pc = &ci->cpu[cv->queue_cpu];
    if (pc->class_tail[cv->queue_class] == v)
        pc->class_tail[cv->queue_class] =
            cv->queue_prev && cvcpu(cv->queue_prev)->queue_class == cv->queue_class ? cv->queue_prev
                                                                                    : NULL;
    if (cv->queue_prev)
        cvcpu(cv->queue_prev)->queue_next = cv->queue_next;
    else
        pc->queue_head = cv->queue_next;
    if (cv->queue_next)
        cvcpu(cv->queue_next)->queue_prev = cv->queue_prev;
    else
        pc->queue_tail = cv->queue_prev;
    cv->queue_prev = cv->queue_next = NULL;
    cv->queued = false;
    pc->queued--;
    update_idle(ci, cv->queue_cpu);
}

/* Priorities changed (accounting): reorder @cpu's queue by them, keeping
 * the order within each class. */
static void queue_resort(struct credit_instance *ci, unsigned int cpu)
{
    struct credit_cpu *pc = &ci->cpu[cpu];
    struct vcpu *class_head[CREDIT_PRI_BOOST + 1] = {0}, *class_tail[CREDIT_PRI_BOOST + 1] = {0};
    for (struct vcpu *v = pc->queue_head; v;) {
        struct vcpu *next = cvcpu(v)->queue_next;
        uint8_t pri = cvcpu(v)->priority;
        cvcpu(v)->queue_class = pri;
        cvcpu(v)->queue_next = NULL;
        cvcpu(v)->queue_prev = class_tail[pri];
        if (class_tail[pri])
            cvcpu(class_tail[pri])->queue_next = v;
        else
            class_head[pri] = v;
        class_tail[pri] = v;
        v = next;
    }
    pc->queue_head = pc->queue_tail = NULL;
    for (int pri = CREDIT_PRI_BOOST; pri >= CREDIT_PRI_OVER; pri--) {
        pc->class_tail[pri] = class_tail[pri];
        if (!class_head[pri])
            continue;
        cvcpu(class_head[pri])->queue_prev = pc->queue_tail;
        if (pc->queue_tail)
            cvcpu(pc->queue_tail)->queue_next = class_head[pri];
        else
            pc->queue_head = class_head[pri];
        pc->queue_tail = class_tail[pri];
    }
}

/* ---- Rate-limited turns ------------------------------------------------------ */

static void owner_clear(struct credit_instance *ci, unsigned int cpu)
{
    struct credit_cpu *pc = &ci->cpu[cpu];
    if (pc->owner)
        cvcpu(pc->owner)->owner_of = NO_CPU;
    pc->owner = NULL;
    pc->owner_ran_ns = 0;
}

/* @v, just claimed by @cpu, runs there: a turn it held elsewhere is over,
 * and unless it only interrupts (BOOST) it begins one here. */
static void owner_update(struct credit_instance *ci, unsigned int cpu, struct vcpu *v)
{
    struct credit_vcpu *cv = cvcpu(v);
    if (cv->owner_of != NO_CPU && cv->owner_of != cpu)
        owner_clear(ci, cv->owner_of);
    if (ci->cpu[cpu].owner == v || cv->priority == CREDIT_PRI_BOOST)
        return;
    owner_clear(ci, cpu);
    ci->cpu[cpu].owner = v;
    cv->owner_of = cpu;
}

/* ---- Placement ------------------------------------------------------------- */

/* True if @v prefers @cpu: its soft affinity names it, or names none of the
 * CPUs it may run on here (no preference). */
static bool prefers_cpu(const struct credit_instance *ci, const struct vcpu *v, unsigned int cpu)
{
    if (cpumask_test(&v->soft_affinity, cpu))
        return true;
    for (unsigned int i = 0; i < CPUMASK_WORDS; i++)
        if (v->soft_affinity.bits[i] & v->hard_affinity.bits[i] & ci->cpus.bits[i])
            return false;
    return true;
}

/* The first CPU of @m at or after @from, wrapping; NO_CPU if @m is empty. */
static unsigned int next_cpu_wrapping(const cpumask_t *m, unsigned int from)
{
    unsigned int cpu = from < XENCORE_MAX_CPUS ? cpumask_next(m, from) : NO_CPU;
    if (cpu >= XENCORE_MAX_CPUS)
        cpu = cpumask_first(m);
    return cpu < XENCORE_MAX_CPUS ? cpu : NO_CPU;
}

/* Where a vCPU that is to be queued should wait: an idle CPU it may run on
 * (one it prefers first, its last CPU first), else its last CPU, else one it
 * prefers, else any it may run on. NO_CPU if hard affinity allows none. */
static unsigned int choose_cpu(const struct credit_instance *ci, const struct vcpu *v)
{
    cpumask_t allowed, soft, idle;
    if (!cpumask_and(&allowed, &v->hard_affinity, &ci->cpus))
        return NO_CPU;
    bool has_soft = cpumask_and(&soft, &allowed, &v->soft_affinity);
    unsigned int last = v->processor;
    if (has_soft) {
        if (cpumask_test(&soft, last) && cpumask_test(&ci->idle, last))
            return last;
        if (cpumask_and(&idle, &soft, &ci->idle))
            return next_cpu_wrapping(&idle, last);
    }
    if (cpumask_test(&allowed, last) && cpumask_test(&ci->idle, last))
        return last;
    if (cpumask_and(&idle, &allowed, &ci->idle))
        return next_cpu_wrapping(&idle, last);
    if (has_soft)
        return cpumask_test(&soft, last) ? last : next_cpu_wrapping(&soft, last);
    return cpumask_test(&allowed, last) ? last : next_cpu_wrapping(&allowed, last);
}

/* @w waits in a queue with credit: if a CPU it may run on runs a vCPU
 * without credit, ask that CPU to choose again; it will take @w (or another
 * waiter with credit) from the queue, as an idle CPU would. */
static void tickle_for_waiter(struct credit_instance *ci, const struct vcpu *w)
{
    if (!w || cvcpu(w)->priority == CREDIT_PRI_OVER)
        return;
    cpumask_t target;
    if (!cpumask_and(&target, &ci->over_cpus, &w->hard_affinity))
        return;
    /* Not one the rate limit still protects: it would keep its vCPU. */
    for_each_cpu(cpu, &target)
    {
        const struct credit_cpu *pc = &ci->cpu[cpu];
        bool protected = pc->current == pc->owner &&
                         pc->owner_ran_ns + (ci->latest_ns - pc->picked_ns) < ci->ratelimit_ns;
        if (cpu != ci->calling_cpu && !protected) {
            sched_request_reschedule(cpu);
            return;
        }
    }
}

/* Queues @v (runnable, unclaimed, unqueued, not parked) where it should wait
 * and asks that CPU to choose again if @v should run there now. */
static void place_and_tickle(struct credit_instance *ci, struct vcpu *v)
{
    unsigned int cpu = choose_cpu(ci, v);
    if (cpu == NO_CPU)
        return; /* hard affinity names no CPU of ours: queued again when it changes */
    queue_insert(ci, cpu, v, QUEUE_TAIL);
    struct credit_cpu *pc = &ci->cpu[cpu];
    if (cpu == ci->calling_cpu)
        return;
    if (!pc->current || cvcpu(v)->priority > cvcpu(pc->current)->priority)
        sched_request_reschedule(cpu);
    else
        tickle_for_waiter(ci, v);
}

/* ---- Credit ---------------------------------------------------------------- */

static void activate(struct credit_instance *ci, struct vcpu *v)
{
    struct credit_vcpu *cv = cvcpu(v);
    if (cv->active)
        return;
    struct domain *d = v->domain;
    struct credit_domain *cd = cdom(d);
    cv->active = true;
    cv->active_prev = NULL;
    cv->active_next = cd->active_vcpus;
    if (cd->active_vcpus)
        cvcpu(cd->active_vcpus)->active_prev = v;
    cd->active_vcpus = v;
    if (cd->active_count++ == 0 && !cd->listed) {
        cd->listed = true;
        cd->active_prev = NULL;
        cd->active_next = ci->active_domains;
        if (ci->active_domains)
            cdom(ci->active_domains)->active_prev = d;
        ci->active_domains = d;
    }
}

static void domain_unlist(struct credit_instance *ci, struct domain *d)
{
    struct credit_domain *cd = cdom(d);
    if (!cd->listed)
        return;
    if (cd->active_prev)
        cdom(cd->active_prev)->active_next = cd->active_next;
    else
        ci->active_domains = cd->active_next;
    if (cd->active_next)
        cdom(cd->active_next)->active_prev = cd->active_prev;
    cd->active_prev = cd->active_next = NULL;
    cd->listed = false;
}

static void deactivate(struct credit_instance *ci, struct vcpu *v)
{
    struct credit_vcpu *cv = cvcpu(v);
    if (!cv->active)
        return;
    struct domain *d = v->domain;
    struct credit_domain *cd = cdom(d);
    if (cv->active_prev)
        cvcpu(cv->active_prev)->active_next = cv->active_next;
    else
        cd->active_vcpus = cv->active_next;
    if (cv->active_next)
        cvcpu(cv->active_next)->active_prev = cv->active_prev;
    cv->active_prev = cv->active_next = NULL;
    cv->active = false;
    if (--cd->active_count == 0)
        domain_unlist(ci, d);
}

/* @v ran from @from to @to: charge it. Found running across a tick, it
 * loses its boost and starts earning credit. */
static void burn(struct credit_instance *ci, struct vcpu *v, uint64_t from, uint64_t to)
{
    if (to <= from)
        return;
    struct credit_vcpu *cv = cvcpu(v);
    cv->credit_ns -= (int64_t)(to - from);
    if (vcpu_is_capped(v))
        cdom(v->domain)->cap_budget_ns -= (int64_t)(to - from);
    if (cv->credit_ns < 0 && !cv->active) {
        /* It used up what it had saved: it earns again from the next
         * period, and keeps its priority until then (as if accounted). */
        activate(ci, v);
    } else if (cv->priority == CREDIT_PRI_UNDER && cv->credit_ns < 0) {
        /* UNDER means credit left, checked at every charge: one that used
         * it up makes way for those that have some, on any CPU. */
        cv->priority = CREDIT_PRI_OVER;
    }
    if (to / ci->tick_ns > from / ci->tick_ns) {
        if (cv->priority == CREDIT_PRI_BOOST)
            cv->priority = CREDIT_PRI_UNDER;
        activate(ci, v);
    }
    if (cv->active)
        ci->consumed_ns += to - from;
}

static void park(struct credit_instance *ci, struct vcpu *v)
{
    struct credit_vcpu *cv = cvcpu(v);
    if (cv->parked)
        return;
    queue_remove(ci, v);
    cv->parked = true;
    ci->parked_count++;
    activate(ci, v); /* so the accounting finds it to unpark it */
}

static void unpark(struct credit_instance *ci, struct vcpu *v)
{
    struct credit_vcpu *cv = cvcpu(v);
    if (!cv->parked)
        return;
    cv->parked = false;
    ci->parked_count--;
    if (!cv->queued && !__atomic_load_n(&v->is_running, __ATOMIC_ACQUIRE) && vcpu_runnable(v))
        place_and_tickle(ci, v);
}

/* Shares out one period among the active domains (see the top comment). */
static void account(struct credit_instance *ci)
{
    const uint64_t period = ci->tslice_ns;
    /* What the active vCPUs used, not period x CPUs: with CPUs idle, or
     * vCPUs pinned to a few of them, the grants still add up to what is
     * run, so weights keep ordering the vCPUs that compete. */
    const uint64_t total = ci->consumed_ns;
    ci->consumed_ns = 0;
    uint64_t weight_total = 0;
    for (struct domain *d = ci->active_domains; d; d = cdom(d)->active_next) {
        struct credit_domain *cd = cdom(d);
        cd->saturated = false;
        weight_total += (uint64_t)cd->weight * cd->active_count;
    }
    if (!weight_total)
        return;

    /* Water filling: a domain whose weighted share is more than it can use
     * gets what it can use; the rest is shared again among the others.
     * Bounds for mul_div: total <= 4096 CPUs x 1 s < 2^42 ns, weight x
     * vCPUs < 2^16 x 2^7, weight_total < 2^16 x 2^20 vCPUs, so the
     * products stay below 2^64. */
    uint64_t remaining = total, remaining_weight = weight_total;
    for (;;) {
        bool changed = false;
        for (struct domain *d = ci->active_domains; d; d = cdom(d)->active_next) {
            struct credit_domain *cd = cdom(d);
            if (cd->saturated)
                continue;
            uint64_t share = (uint64_t)cd->weight * cd->active_count;
            uint64_t fair = mul_div(remaining, share, remaining_weight);
            uint64_t limit = period * cd->active_count;
            if (cd->cap_percent)
                limit = min_u64(limit, period * cd->cap_percent / 100);
            if (fair >= limit) {
                cd->saturated = true;
                cd->grant_ns = limit;
                changed = true;
            }
        }
        if (!changed)
            break;
        remaining = total;
        remaining_weight = weight_total;
        for (struct domain *d = ci->active_domains; d; d = cdom(d)->active_next) {
            struct credit_domain *cd = cdom(d);
            if (cd->saturated) {
                remaining -= cd->grant_ns;
                remaining_weight -= (uint64_t)cd->weight * cd->active_count;
            }
        }
        if (!remaining_weight)
            break;
    }

    for (struct domain *d = ci->active_domains; d;) {
        struct credit_domain *cd = cdom(d);
        struct domain *next_domain = cd->active_next;
        if (!cd->saturated && remaining_weight) /* 0: every domain is saturated */
            cd->grant_ns =
                mul_div(remaining, (uint64_t)cd->weight * cd->active_count, remaining_weight);
        const int64_t per_vcpu =
            (int64_t)((cd->grant_ns + cd->active_count - 1) / cd->active_count);
        const bool capped = cd->cap_percent != 0;
        if (capped) {
            /* A new period's cap; an overrun is paid back, nothing saved. */
            int64_t cap_ns = cap_per_period_ns(ci, cd);
            cd->cap_budget_ns += cap_ns;
            if (cd->cap_budget_ns > cap_ns)
                cd->cap_budget_ns = cap_ns;
        }
        for (struct vcpu *v = cd->active_vcpus; v;) {
            struct credit_vcpu *cv = cvcpu(v);
            struct vcpu *next_vcpu = cv->active_next;
            int64_t credit = cv->credit_ns + per_vcpu;
            if (credit < 0) {
                cv->priority = CREDIT_PRI_OVER;
                if (credit < -(CREDIT_MAX_PERIODS * (int64_t)period))
                    credit = -(CREDIT_MAX_PERIODS * (int64_t)period);
            } else {
                cv->priority = CREDIT_PRI_UNDER;
            }
            cv->credit_ns = credit;
            if (cv->parked && cd->cap_budget_ns > 0) {
                unpark(ci, v);
            } else if (capped && cd->cap_budget_ns <= 0 && !cv->parked) {
                if (cv->queued)
                    park(ci, v);
                else if (__atomic_load_n(&v->is_running, __ATOMIC_ACQUIRE))
                    sched_request_reschedule(v->processor); /* parked as it stops */
            }
            if (credit > (int64_t)period && !cv->parked) {
                if (cv->queued || __atomic_load_n(&v->is_running, __ATOMIC_ACQUIRE)) {
                    /* It wants the CPU and waited: it keeps what it earned,
                     * up to a bound. */
                    if (credit > CREDIT_MAX_PERIODS * (int64_t)period)
                        cv->credit_ns = CREDIT_MAX_PERIODS * (int64_t)period;
                } else {
                    cv->credit_ns = credit / 2;
                    deactivate(ci, v); /* may unlist d: next_domain was read before */
                }
            }
            v = next_vcpu;
        }
        d = next_domain;
    }

    for_each_cpu(cpu, &ci->busy_queues)
    {
        queue_resort(ci, cpu);
    }
    for_each_cpu(cpu, &ci->cpus)
    {
        if (ci->cpu[cpu].current)
            update_idle(ci, cpu); /* its vCPU's priority may have changed */
    }
}

/* Runs the accounting periods that ended by @now, charging the running vCPUs
 * up to each period's end first. */
static void catch_up(struct credit_instance *ci, uint64_t now)
{
    if (now > ci->latest_ns)
        ci->latest_ns = now;
    if (!ci->clock_started) {
        ci->clock_started = true;
        ci->last_acct_ns = now;
        ci->next_acct_ns = now + ci->tslice_ns;
        return;
    }
    for (unsigned int n = 0; now >= ci->next_acct_ns; n++) {
        if (n == CREDIT_MAX_CATCHUP_PERIODS) {
            uint64_t behind = (now - ci->next_acct_ns) / ci->tslice_ns + 1;
            ci->last_acct_ns = ci->next_acct_ns + (behind - 1) * ci->tslice_ns;
            ci->next_acct_ns = ci->last_acct_ns + ci->tslice_ns;
            break;
        }
        uint64_t end = ci->next_acct_ns;
        for_each_cpu(cpu, &ci->cpus)
        {
            struct credit_cpu *pc = &ci->cpu[cpu];
            if (pc->current && pc->burn_start_ns < end) {
                burn(ci, pc->current, pc->burn_start_ns, end);
                pc->burn_start_ns = end;
            }
        }
        account(ci);
        ci->last_acct_ns = end;
        ci->next_acct_ns = end + ci->tslice_ns;
    }
}

/* ---- Choosing -------------------------------------------------------------- */

static int queue_head_priority(const struct credit_cpu *pc)
{
    return pc->queue_head ? cvcpu(pc->queue_head)->priority : CREDIT_PRI_NONE;
}

/* A vCPU queued on another CPU, better than @floor, that @cpu may take
 * (hard affinity; with @soft_only, soft affinity too). Highest priority wins,
 * the nearest CPU after @cpu among equals. */
static struct vcpu *steal_pass(struct credit_instance *ci, unsigned int cpu, int floor,
                               bool soft_only)
{
    struct vcpu *best = NULL;
    int best_pri = floor;
    /* Two laps: the CPUs after @cpu, then those before it. */
    for (unsigned int lap = 0; lap < 2; lap++) {
        unsigned int from = lap ? 0 : cpu + 1, to = lap ? cpu : XENCORE_MAX_CPUS;
        for (unsigned int peer = cpumask_next(&ci->busy_queues, from); peer < to;
             peer = cpumask_next(&ci->busy_queues, peer + 1)) {
            for (struct vcpu *v = ci->cpu[peer].queue_head; v; v = cvcpu(v)->queue_next) {
                int pri = cvcpu(v)->priority;
                if (pri <= best_pri)
                    break; /* sorted: nothing better behind */
                if (!cpumask_test(&v->hard_affinity, cpu))
                    continue;
                if (soft_only && !prefers_cpu(ci, v, cpu))
                    continue;
                best = v;
                best_pri = pri;
                break;
            }
            if (best_pri == CREDIT_PRI_BOOST)
                return best;
        }
    }
    return best;
}

/* What @cpu should run: the head of its queue, or, when that is not at least
 * UNDER, something better from another CPU's queue. */
static struct vcpu *best_candidate(struct credit_instance *ci, unsigned int cpu)
{
    struct credit_cpu *pc = &ci->cpu[cpu];
    int local = queue_head_priority(pc);
    if (local >= CREDIT_PRI_UNDER || ci->cpu_count < 2)
        return pc->queue_head;
    struct vcpu *stolen = steal_pass(ci, cpu, local, true);
    if (!stolen)
        stolen = steal_pass(ci, cpu, local, false);
    return stolen ? stolen : pc->queue_head;
}

/* ---- Operations ------------------------------------------------------------ */

static int credit_init(struct sched_instance *s)
{
    size_t bytes = sizeof(struct credit_instance);
    struct credit_instance *ci = sched_alloc(bytes);
    if (!ci)
        return XENCORE_ENOMEM;
    ci->bytes = bytes;
    ci->calling_cpu = NO_CPU;
    ci->lock = (spinlock_t)SPINLOCK_INIT;
    ci->tslice_ms = CREDIT_DEFAULT_TSLICE_MS;
    ci->tslice_ns = ci->tslice_ms * NS_PER_MS;
    ci->tick_ns = ci->tslice_ns / CREDIT_TICKS_PER_TSLICE;
    /* The boot option's rate limit, as Xen does no longer than a slice. */
    ci->ratelimit_us = sched_ratelimit_us;
    if ((uint64_t)ci->ratelimit_us * NS_PER_US > ci->tslice_ns)
        ci->ratelimit_us = ci->tslice_ms * 1000;
    ci->ratelimit_ns = ci->ratelimit_us * NS_PER_US;
    s->priv = ci;
    return 0;
}

static void credit_deinit(struct sched_instance *s)
{
    struct credit_instance *ci = cinst(s);
    if (!ci)
        return;
    s->priv = NULL;
    sched_free(ci, ci->bytes);
}

static void credit_cpu_add(struct sched_instance *s, unsigned int cpu)
{
    struct credit_instance *ci = cinst(s);
    if (cpu >= XENCORE_MAX_CPUS)
        return;
    unsigned long flags = spin_lock_irqsave(&ci->lock);
    struct credit_cpu *pc = &ci->cpu[cpu];
    if (!pc->present) {
        *pc = (struct credit_cpu){.present = true};
        cpumask_set(&ci->cpus, cpu);
        ci->cpu_count++;
        update_idle(ci, cpu);
    }
    spin_unlock_irqrestore(&ci->lock, flags);
}

static void credit_cpu_remove(struct sched_instance *s, unsigned int cpu)
{
    struct credit_instance *ci = cinst(s);
    if (cpu >= XENCORE_MAX_CPUS)
        return;
    unsigned long flags = spin_lock_irqsave(&ci->lock);
    struct credit_cpu *pc = &ci->cpu[cpu];
    if (pc->present) {
        pc->present = false;
        cpumask_clear(&ci->cpus, cpu);
        ci->cpu_count--;
        pc->current = NULL;
        owner_clear(ci, cpu);
        while (pc->queue_head) {
            struct vcpu *v = pc->queue_head;
            queue_remove(ci, v);
            place_and_tickle(ci, v);
        }
        update_idle(ci, cpu);
    }
    spin_unlock_irqrestore(&ci->lock, flags);
}

static void credit_dom_init(struct sched_instance *s, struct domain *d)
{
    (void)s;
    struct credit_domain *cd = cdom(d);
    *cd = (struct credit_domain){.weight = CREDIT_DEFAULT_WEIGHT};
}

static void credit_dom_destroy(struct sched_instance *s, struct domain *d)
{
    struct credit_instance *ci = cinst(s);
    unsigned long flags = spin_lock_irqsave(&ci->lock);
    domain_unlist(ci, d); /* its vCPUs left first, so it is not listed */
    spin_unlock_irqrestore(&ci->lock, flags);
}

static void credit_vcpu_insert(struct sched_instance *s, struct vcpu *v)
{
    struct credit_instance *ci = cinst(s);
    unsigned long flags = spin_lock_irqsave(&ci->lock);
    struct credit_vcpu *cv = cvcpu(v);
    *cv = (struct credit_vcpu){.priority = CREDIT_PRI_UNDER, .owner_of = NO_CPU};
    if (!__atomic_load_n(&v->is_running, __ATOMIC_ACQUIRE) && vcpu_runnable(v))
        place_and_tickle(ci, v);
    spin_unlock_irqrestore(&ci->lock, flags);
}

static void credit_vcpu_remove(struct sched_instance *s, struct vcpu *v)
{
    struct credit_instance *ci = cinst(s);
    unsigned long flags = spin_lock_irqsave(&ci->lock);
    struct credit_vcpu *cv = cvcpu(v);
    queue_remove(ci, v);
    if (cv->parked) {
        cv->parked = false;
        ci->parked_count--;
    }
    deactivate(ci, v);
    for_each_cpu(cpu, &ci->cpus)
    {
        struct credit_cpu *pc = &ci->cpu[cpu];
        if (pc->owner == v)
            owner_clear(ci, cpu);
        if (pc->current == v) { /* not claimed by contract; never leave a dangling pointer */
            pc->current = NULL;
            update_idle(ci, cpu);
        }
    }
    spin_unlock_irqrestore(&ci->lock, flags);
}

static void credit_wake(struct sched_instance *s, struct vcpu *v)
{
    struct credit_instance *ci = cinst(s);
    unsigned long flags = spin_lock_irqsave(&ci->lock);
    struct credit_vcpu *cv = cvcpu(v);
    if (!cv->queued && !cv->parked && !__atomic_load_n(&v->is_running, __ATOMIC_ACQUIRE)) {
        cv->turn_left_ns = 0; /* a fresh turn */
        if (vcpu_over_cap(v)) {
            park(ci, v); /* used up its cap: it waits for the next period */
        } else {
            if (cv->priority == CREDIT_PRI_UNDER)
                cv->priority = CREDIT_PRI_BOOST;
            place_and_tickle(ci, v);
        }
    }
    spin_unlock_irqrestore(&ci->lock, flags);
}

static bool credit_yield(struct sched_instance *s, struct vcpu *v)
{
    struct credit_instance *ci = cinst(s);
    unsigned long flags = spin_lock_irqsave(&ci->lock);
    cvcpu(v)->yielding = true;
    bool others = false;
    if (v->processor < XENCORE_MAX_CPUS && ci->cpu[v->processor].queued)
        others = true;
    else
        others = !cpumask_empty(&ci->busy_queues); /* maybe worth stealing */
    spin_unlock_irqrestore(&ci->lock, flags);
    return others;
}

static void credit_deschedule(struct sched_instance *s, unsigned int cpu, struct vcpu *prev,
                              uint64_t now)
{
    struct credit_instance *ci = cinst(s);
    unsigned long flags = spin_lock_irqsave(&ci->lock);
    ci->calling_cpu = cpu;
    catch_up(ci, now);
    struct credit_vcpu *cv = cvcpu(prev);
    struct credit_cpu *pc = cpu < XENCORE_MAX_CPUS ? &ci->cpu[cpu] : NULL;
    if (pc && pc->current == prev) {
        burn(ci, prev, pc->burn_start_ns, now);
        uint64_t ran = now > pc->picked_ns ? now - pc->picked_ns : 0;
        cv->turn_left_ns -= min_u64(ran, cv->turn_left_ns);
        if (pc->owner == prev)
            pc->owner_ran_ns += ran;
        pc->current = NULL;
    }
    bool turn_over = true; /* its rate-limited turn here, if it had one */

    if (vcpu_runnable(prev) && !cv->queued && !cv->parked) {
        if (vcpu_over_cap(prev)) {
            park(ci, prev);
        } else if (pc && pc->present && cpumask_test(&prev->hard_affinity, cpu)) {
            if (cv->yielding) {
                queue_insert(ci, cpu, prev, QUEUE_YIELD);
            } else {
                bool turn_left = cv->turn_left_ns >= CREDIT_MIN_SLICE_NS;
                if (!turn_left)
                    cv->turn_left_ns = 0;
                queue_insert(ci, cpu, prev, turn_left ? QUEUE_HEAD : QUEUE_TAIL);
                turn_over = false;
            }
        } else {
            place_and_tickle(ci, prev); /* not allowed here any more */
        }
    } else if (!vcpu_runnable(prev)) {
        cv->turn_left_ns = 0;
    }
    cv->yielding = false;
    if (pc && turn_over && pc->owner == prev)
        owner_clear(ci, cpu);
    if (pc)
        update_idle(ci, cpu);
    ci->calling_cpu = NO_CPU;
    /* Requeued first: from here another CPU may claim it. */
    __atomic_store_n(&prev->is_running, false, __ATOMIC_RELEASE);
    spin_unlock_irqrestore(&ci->lock, flags);
}

static struct vcpu *credit_pick(struct sched_instance *s, unsigned int cpu, uint64_t now,
                                uint64_t *slice_ns)
{
    struct credit_instance *ci = cinst(s);
    *slice_ns = 0;
    if (cpu >= XENCORE_MAX_CPUS)
        return NULL;
    unsigned long flags = spin_lock_irqsave(&ci->lock);
    ci->calling_cpu = cpu;
    catch_up(ci, now);
    ci->calling_cpu = NO_CPU;
    struct credit_cpu *pc = &ci->cpu[cpu];
    struct vcpu *v = NULL;
    bool rate_limited = false;
    while (pc->present) {
        v = best_candidate(ci, cpu);
        rate_limited = false;
        struct vcpu *owner = pc->owner;
        /* The rate limit: the vCPU whose turn runs here keeps the CPU
         * against anything but a BOOST until it had ratelimit of CPU time
         * in this turn; a BOOST that ran meanwhile does not end the turn. */
        if (owner && v != owner && ci->ratelimit_ns && cvcpu(owner)->queued &&
            cvcpu(owner)->queue_cpu == cpu && pc->owner_ran_ns < ci->ratelimit_ns &&
            (!v || cvcpu(v)->priority != CREDIT_PRI_BOOST)) {
            v = owner;
            rate_limited = true;
        }
        if (!v)
            break;
        queue_remove(ci, v);
        if (sched_claim(v))
            break;
        /* Not runnable any more: dropped until its next wake. */
        cvcpu(v)->turn_left_ns = 0;
        if (v == pc->owner)
            owner_clear(ci, cpu);
        v = NULL;
    }

    if (!v) {
        owner_clear(ci, cpu);
        pc->current = NULL;
        if (pc->present)
            update_idle(ci, cpu);
        if (ci->parked_count && ci->clock_started)
            *slice_ns = ci->next_acct_ns > now ? (ci->next_acct_ns - now < CREDIT_MIN_SLICE_NS
                                                      ? CREDIT_MIN_SLICE_NS
                                                      : ci->next_acct_ns - now)
                                               : CREDIT_MIN_SLICE_NS;
        spin_unlock_irqrestore(&ci->lock, flags);
        return NULL;
    }

    struct credit_vcpu *cv = cvcpu(v);
    owner_update(ci, cpu, v);
    if (!cv->turn_left_ns)
        cv->turn_left_ns = ci->tslice_ns;
    pc->current = v;
    pc->burn_start_ns = now;
    pc->picked_ns = now;
    v->processor = cpu;
    update_idle(ci, cpu);

    uint64_t slice = cv->turn_left_ns;
    if (rate_limited)
        slice = min_u64(slice, ci->ratelimit_ns - pc->owner_ran_ns);
    if (cv->priority == CREDIT_PRI_BOOST)
        slice = min_u64(slice, (now / ci->tick_ns + 1) * ci->tick_ns - now);
    if (ci->next_acct_ns > now)
        slice = min_u64(slice, ci->next_acct_ns - now);
    if (cv->priority == CREDIT_PRI_UNDER)
        slice = min_u64(slice, cv->credit_ns > 0 ? (uint64_t)cv->credit_ns : 0);
    if (vcpu_is_capped(v)) {
        int64_t budget = cdom(v->domain)->cap_budget_ns;
        slice = min_u64(slice, budget > 0 ? (uint64_t)budget : 0);
    }
    if (slice < CREDIT_MIN_SLICE_NS)
        slice = CREDIT_MIN_SLICE_NS;
    *slice_ns = slice;
    /* Left behind here: maybe it can run elsewhere now. Not the owner a BOOST
     * interrupts: it resumes here in a moment, migrating it costs more. */
    if (pc->queue_head != pc->owner)
        tickle_for_waiter(ci, pc->queue_head);
    spin_unlock_irqrestore(&ci->lock, flags);
    return v;
}

static void credit_affinity_changed(struct sched_instance *s, struct vcpu *v)
{
    struct credit_instance *ci = cinst(s);
    unsigned long flags = spin_lock_irqsave(&ci->lock);
    struct credit_vcpu *cv = cvcpu(v);
    if (cv->queued) {
        queue_remove(ci, v);
        for_each_cpu(cpu, &ci->cpus)
        {
            if (ci->cpu[cpu].owner == v)
                owner_clear(ci, cpu);
        }
        place_and_tickle(ci, v);
    } else if (__atomic_load_n(&v->is_running, __ATOMIC_ACQUIRE)) {
        if (!cpumask_test(&v->hard_affinity, v->processor))
            sched_request_reschedule(v->processor); /* requeued elsewhere as it stops */
    } else if (!cv->parked && vcpu_runnable(v)) {
        place_and_tickle(ci, v); /* it may have had nowhere to go */
    }
    spin_unlock_irqrestore(&ci->lock, flags);
}

static int credit_dom_params(struct sched_instance *s, struct domain *d,
                             struct xencore_sched_params *p, bool set)
{
    struct credit_instance *ci = cinst(s);
    struct credit_domain *cd = cdom(d);
    if (!p)
        return XENCORE_EINVAL;
    if (!set) {
        unsigned long flags = spin_lock_irqsave(&ci->lock);
        p->weight = cd->weight;
        p->cap = cd->cap_percent;
        spin_unlock_irqrestore(&ci->lock, flags);
        return 0;
    }
    /* Weight 0 leaves the weight as it is (xencore_sched_domain_set). */
    if (p->weight > CREDIT_WEIGHT_MAX)
        return XENCORE_EINVAL;
    if ((uint64_t)p->cap > (uint64_t)CREDIT_CAP_PERCENT_PER_VCPU * d->nr_vcpus)
        return XENCORE_EINVAL;
    unsigned long flags = spin_lock_irqsave(&ci->lock);
    if (p->weight >= CREDIT_WEIGHT_MIN)
        cd->weight = p->weight;
    if (p->cap && !cd->cap_percent)
        cd->cap_budget_ns = (int64_t)(ci->tslice_ns * p->cap / 100); /* a full period's */
    cd->cap_percent = p->cap;
    if (!cd->cap_percent) {
        for (unsigned int i = 0; i < d->nr_vcpus && i < XENCORE_DOMAIN_MAX_VCPUS; i++)
            if (d->vcpus[i])
                unpark(ci, d->vcpus[i]);
    }
    spin_unlock_irqrestore(&ci->lock, flags);
    return 0;
}

static int credit_pool_params(struct sched_instance *s, struct xencore_sched_pool_params *p,
                              bool set)
{
    struct credit_instance *ci = cinst(s);
    if (!p)
        return XENCORE_EINVAL;
    if (!set) {
        unsigned long flags = spin_lock_irqsave(&ci->lock);
        p->tslice_ms = ci->tslice_ms;
        p->ratelimit_us = ci->ratelimit_us;
        spin_unlock_irqrestore(&ci->lock, flags);
        return 0;
    }
    if (p->tslice_ms < CREDIT_TSLICE_MIN_MS || p->tslice_ms > CREDIT_TSLICE_MAX_MS)
        return XENCORE_EINVAL;
    if (p->ratelimit_us &&
        (p->ratelimit_us < SCHED_RATELIMIT_MIN_US || p->ratelimit_us > SCHED_RATELIMIT_MAX_US))
        return XENCORE_EINVAL;
    if ((uint64_t)p->ratelimit_us * NS_PER_US > (uint64_t)p->tslice_ms * NS_PER_MS)
        return XENCORE_EINVAL; /* as Xen: the rate limit is never longer than a slice */
    unsigned long flags = spin_lock_irqsave(&ci->lock);
    ci->tslice_ms = p->tslice_ms;
    ci->tslice_ns = ci->tslice_ms * NS_PER_MS;
    ci->tick_ns = ci->tslice_ns / CREDIT_TICKS_PER_TSLICE;
    ci->ratelimit_us = p->ratelimit_us;
    ci->ratelimit_ns = ci->ratelimit_us * NS_PER_US;
    if (ci->clock_started)
        ci->next_acct_ns = ci->last_acct_ns + ci->tslice_ns;
    spin_unlock_irqrestore(&ci->lock, flags);
    return 0;
}

const struct scheduler_ops sched_credit_ops = {
    .name = "credit",
    .id = XENCORE_SCHED_CREDIT,
    .init = credit_init,
    .deinit = credit_deinit,
    .cpu_add = credit_cpu_add,
    .cpu_remove = credit_cpu_remove,
    .dom_init = credit_dom_init,
    .dom_destroy = credit_dom_destroy,
    .vcpu_insert = credit_vcpu_insert,
    .vcpu_remove = credit_vcpu_remove,
    .wake = credit_wake,
    .yield = credit_yield,
    .deschedule = credit_deschedule,
    .pick = credit_pick,
    .affinity_changed = credit_affinity_changed,
    .dom_params = credit_dom_params,
    .pool_params = credit_pool_params,
};
