/* credit2: the default scheduler. Proportional share by credit, per-runqueue,
 * with a wake-up path built for latency.
 *
 * Credit. Every vCPU holds credit, in nanoseconds of run time at the default
 * weight. The running vCPU burns it at a rate scaled by its domain's weight:
 * 256 burns 1 ns per ns, 512 burns 0.5, 128 burns 2. Each runqueue runs the
 * vCPU with the most credit. When the best vCPU waiting has none left (<= 0),
 * the runqueue resets: every vCPU in it gains CREDIT2_CREDIT_INIT_NS (more if
 * the best one is deeply negative), but what a vCPU carries over from before
 * the reset is clipped to CREDIT2_CARRYOVER_MAX_NS. A vCPU that slept through
 * resets therefore wakes with at most CARRYOVER + INIT: sleeping cannot bank
 * credit, so a sleeper can never starve the CPU-bound vCPUs.
 *
 * Cost. Each runqueue keeps its waiting vCPUs in two red-black trees ordered
 * by credit (lib/rbtree.h): CPU-bound ones and woken ones (see Latency), so
 * pick, wake and deschedule cost O(log n) in the vCPUs of that runqueue and
 * the best waiting vCPU is found in O(1). The reset is O(1): queued vCPUs
 * store their credit as a key relative to the runqueue's credit_offset, and a
 * reset only adds to the offset. That is exact for queued vCPUs, because a
 * reset happens only when the best of them has <= 0, so none of them is above
 * the carry-over clip. vCPUs outside the trees (running, held, blocked,
 * parked) remember the offset they last saw and apply "clip, then add what
 * the offset gained" when next touched (catch_up). runq_candidate() steps
 * over vCPUs the picking CPU may not run (hard affinity narrower than the
 * runqueue) or that wait for an idle soft-affine CPU; without such affinity
 * it stops at the first. Choosing a runqueue and balancing are
 * O(runqueues); tickling is O(CPUs of one runqueue).
 *
 * Latency. Xen's credit2 makes a waking vCPU wait out the running vCPU's rate
 * limit window and its minimum slice, whatever it was doing before. Here the
 * rate limit and the minimum slice protect a vCPU only against CPU-bound
 * competitors. A vCPU that was blocked (or paused, or down) and wakes is
 * "woken" until it has run CREDIT2_SLICE_MIN_NS without blocking; one that
 * is descheduled while runnable after that, or that yields, is CPU-bound.
 * - wake(): if the woken vCPU has more credit than a running vCPU (plus
 *   migration resistance when that CPU is not its last one or not
 *   soft-affine), it tickles that CPU with sched_request_reschedule(), and
 *   the next pick() there runs it at once.
 * - Rate limit, by "holding": when deschedule() finds that a runnable
 *   CPU-bound vCPU has had less than the rate limit of CPU since it took this
 *   CPU from another CPU-bound vCPU (pc->bound, pc->bound_ran_ns), it keeps
 *   it aside for this CPU (pc->held) instead of queueing it. pick() returns
 *   the CPU to it unless a woken vCPU has more credit than it; then that one
 *   runs first and the held vCPU keeps its claim and its window, which counts
 *   only its own run time. So CPU-bound vCPUs never take the CPU from each
 *   other before the rate limit, while a woken vCPU never waits for it.
 * - Slices: pick() ends the slice when the running vCPU's credit falls below
 *   the best CPU-bound competitor's, but not before the minimum slice and
 *   what is left of the rate limit; and when it falls below the best woken
 *   competitor's, with no floor.
 *
 * Why fairness between CPU-bound vCPUs is unaffected: a woken vCPU's run
 * time is charged to its own credit at its own weight, like everybody's; it
 * runs first only while it has more credit, which a vCPU that uses its share
 * or more cannot keep; the reset clip bounds what a sleeper brings back; and
 * the rate limit still orders the CPU-bound vCPUs among themselves. They
 * divide what the sleepers leave by credit, as before.
 *
 * Caps. A capped domain gets cap% of CREDIT2_CAP_PERIOD_NS per period; a vCPU
 * about to run takes a grant from the domain's budget (its slice ends when the
 * grant does) and gives the rest back when descheduled (an overrun becomes
 * debt). A vCPU that finds no budget is parked on its domain's list and the
 * domain's timer puts it back in its runqueue at the next replenishment.
 *
 * Runqueues and balancing. One runqueue per socket by default (boot option
 * credit2_runqueue=socket|l3|cpu|all), created per instance as its CPUs join.
 * A waking vCPU goes to the runqueue with the lowest load per CPU that its
 * hard affinity allows: staying costs nothing (migration resistance), an idle
 * CPU draws, soft-affine runqueues are preferred. Each runqueue tracks its
 * load (vCPUs running or waiting) and an exponentially decayed average of it;
 * every CREDIT2_BALANCE_INTERVAL_NS a picking CPU compares its runqueue with
 * the busiest and the least busy and moves one waiting vCPU if the other
 * stays at least as loaded; a CPU about to idle pulls waiting work at once.
 * A vCPU moving between runqueues keeps its distance to the best waiting one
 * (credit is relative to each runqueue's history).
 *
 * Locking. Each runqueue has its own lock (irqsave). A vCPU's scheduling state
 * is protected by the lock of the runqueue it belongs to (sv->rq), and sv->rq
 * changes only with both runqueues' locks held. Two runqueue locks are taken
 * in index order; cpu_add/cpu_remove/affinity_changed take every runqueue's
 * lock (rare management operations). Each domain's lock (budget, parked
 * list) nests inside runqueue locks. Per-CPU state (cur, held, bound) is
 * protected by the lock of the CPU's runqueue; pc->bound is only compared,
 * never followed. */
#include <xencore/config.h>

#include "arch/arch.h"
#include "core/domain.h"
#include "core/timer.h"
#include "lib/errno.h"
#include "lib/rbtree.h"
#include "lib/spinlock.h"
#include "sched/sched.h"

#define CREDIT2_WEIGHT_DEFAULT 256 /* burns credit at 1 ns per ns */
#define CREDIT2_WEIGHT_MIN 1
#define CREDIT2_WEIGHT_MAX 65535
#define CREDIT2_CAP_PERCENT_PER_VCPU 100   /* a cap is at most 100% per vCPU */
#define CREDIT2_CREDIT_INIT_NS 10000000LL  /* 10 ms: what a reset gives */
#define CREDIT2_CARRYOVER_MAX_NS 500000LL  /* 500 µs: most credit kept over a reset */
#define CREDIT2_MIGRATE_RESIST_NS 500000LL /* credit a waker needs beyond a foreign CPU's vCPU */
#define CREDIT2_SLICE_MAX_NS 10000000ULL   /* 10 ms: longest slice */
#define CREDIT2_SLICE_MIN_NS 500000ULL     /* 500 µs: shortest slice against a CPU-bound vCPU */
#define CREDIT2_TIMER_MIN_NS 20000ULL      /* 20 µs: shortest slice at all */
#define CREDIT2_CAP_PERIOD_NS 10000000ULL  /* 10 ms: caps are replenished each period */
#define CREDIT2_BALANCE_INTERVAL_NS 1000000ULL      /* 1 ms between balancing attempts */
#define CREDIT2_LOAD_WINDOW_NS 10000000ULL          /* 10 ms: the load average's time constant */
#define CREDIT2_LOAD_SCALE 1024ULL                  /* fixed point: one vCPU of load */
#define CREDIT2_LOAD_RESIST CREDIT2_LOAD_SCALE      /* per-CPU load gap a waking vCPU stays for */
#define CREDIT2_IDLE_BONUS (CREDIT2_LOAD_SCALE * 2) /* draws a waking vCPU to an idle CPU */
#define CREDIT2_SOFT_PENALTY                                                                       \
    (CREDIT2_LOAD_SCALE * 4) /* steers away from non-soft-affine runqueues */
#define CREDIT2_BALANCE_SLACK (CREDIT2_LOAD_SCALE / 16) /* rounding allowed in that comparison */
#define CREDIT2_PULL_SCAN_MAX 8 /* waiting vCPUs looked at for one migration */
#define NS_PER_US 1000ULL

#define NO_RUNQUEUE (-1)

struct credit2_domain;

/* Per vCPU, in v->sched_data. Exactly one of queued / held / parked / claimed
 * (v->is_running) / none (blocked or not runnable) holds. */
struct credit2_vcpu {
    struct rb_node node; /* in its runqueue's tree while queued */
    struct vcpu *vcpu;
    struct credit2_domain *dom;
    int64_t credit;          /* ns at weight 256; valid when not queued */
    int64_t key;             /* while queued: credit - runqueue's credit_offset */
    int64_t offset_seen;     /* the runqueue's credit_offset credit is up to date with */
    int64_t grant_ns;        /* cap budget taken for the current run */
    uint64_t ran_since_wake; /* run time since it last woke */
    struct credit2_vcpu *parked_next;
    int rq; /* runqueue it belongs to, or NO_RUNQUEUE */
    unsigned int held_cpu;
    bool queued, held, parked;
    bool woken; /* woke from blocked/paused, has not run a minimum slice since */
    bool yielded;
};
_Static_assert(sizeof(struct credit2_vcpu) <= sizeof(((struct vcpu *)0)->sched_data),
               "credit2's per-vCPU state must fit in v->sched_data");

/* Per domain, in d->sched_data. */
struct credit2_domain {
    struct sched_instance *s;
    struct domain *domain;
    spinlock_t lock; /* budget, period_end, parked */
    uint32_t weight;
    uint32_t cap;                /* percent of one CPU, 0 = none */
    int64_t budget_ns;           /* left in this period (negative: debt) */
    uint64_t period_end;         /* next replenishment, 0 = not started */
    struct credit2_vcpu *parked; /* waiting for budget */
    struct timer replenish_timer;
};
_Static_assert(sizeof(struct credit2_domain) <= sizeof(((struct domain *)0)->sched_data),
               "credit2's per-domain state must fit in d->sched_data");

struct credit2_runqueue {
    spinlock_t lock;
    unsigned int ncpus;    /* CPUs in it (0: slot unused) */
    uint32_t topology_key; /* the socket / L3 / CPU it groups */
    cpumask_t cpus;
    cpumask_t idle;        /* its CPUs running nothing */
    cpumask_t tickled;     /* its CPUs asked to pick, not yet picking */
    struct rb_tree queue;  /* waiting CPU-bound vCPUs, most credit first */
    struct rb_tree wokenq; /* waiting woken vCPUs, most credit first */
    int64_t credit_offset; /* added to every queued key; grows at each reset */
    uint64_t resets;
    unsigned int load;   /* vCPUs queued, held or running here */
    uint64_t avgload;    /* decayed average of load, CREDIT2_LOAD_SCALE per vCPU */
    uint64_t load_stamp; /* when avgload was last brought up to date */
    uint64_t next_balance;
};

struct credit2_pcpu {
    int rq;                           /* its runqueue, NO_RUNQUEUE if not in the instance */
    struct credit2_vcpu *cur;         /* claimed and running here */
    uint64_t cur_start;               /* when cur last started to burn credit */
    struct credit2_vcpu *held;        /* kept for this CPU by the rate limit */
    const struct credit2_vcpu *bound; /* the CPU-bound vCPU that last took this CPU */
    uint64_t bound_ran_ns;            /* its run time here since then */
};

struct credit2_instance {
    uint32_t ratelimit_us;
    unsigned int rq_high;  /* one past the highest runqueue slot ever used */
    unsigned int rq_rotor; /* where choose_rq() starts, so ties spread out */
    struct credit2_pcpu pcpu[XENCORE_MAX_CPUS];
    struct credit2_runqueue rqs[XENCORE_MAX_CPUS];
};

/* ---- Small helpers -------------------------------------------------------- */

static struct credit2_instance *inst(const struct sched_instance *s)
{
    return s->priv;
}

static struct credit2_vcpu *svc(struct vcpu *v)
{
    return (struct credit2_vcpu *)v->sched_data;
}

static struct credit2_domain *sdom(struct domain *d)
{
    return (struct credit2_domain *)d->sched_data;
}

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

static uint64_t umax64(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

static uint64_t umin64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

static uint32_t weight_of(const struct credit2_vcpu *sv)
{
    return __atomic_load_n(&sv->dom->weight, __ATOMIC_RELAXED);
}

static uint32_t cap_of(const struct credit2_domain *sd)
{
    return __atomic_load_n(&sd->cap, __ATOMIC_RELAXED);
}

/* Credit burnt by running @ns at @weight. */
static int64_t burn_for(uint64_t ns, uint32_t weight)
{
    return (int64_t)(ns * CREDIT2_WEIGHT_DEFAULT / weight);
}

/* Run time at @weight that burns @credit (> 0). */
static uint64_t time_for(int64_t credit, uint32_t weight)
{
    return (uint64_t)credit / CREDIT2_WEIGHT_DEFAULT * weight +
           (uint64_t)credit % CREDIT2_WEIGHT_DEFAULT * weight / CREDIT2_WEIGHT_DEFAULT;
}

static unsigned long lock_rq(struct credit2_runqueue *rq)
{
    return spin_lock_irqsave(&rq->lock);
}

static void unlock_rq(struct credit2_runqueue *rq, unsigned long flags)
{
    spin_unlock_irqrestore(&rq->lock, flags);
}

/* Locks runqueues @a and @b (may be equal) in index order. */
static unsigned long lock_pair(struct credit2_instance *ci, int a, int b)
{
    int lo = a < b ? a : b, hi = a < b ? b : a;
    unsigned long flags = lock_rq(&ci->rqs[lo]);
    if (hi != lo)
        spin_lock(&ci->rqs[hi].lock);
    return flags;
}

static void unlock_pair(struct credit2_instance *ci, int a, int b, unsigned long flags)
{
    if (a != b)
        spin_unlock(&ci->rqs[a < b ? b : a].lock);
    unlock_rq(&ci->rqs[a < b ? a : b], flags);
}

/* Every runqueue slot below @high, in order (management operations). */
static unsigned long lock_all(struct credit2_instance *ci, unsigned int high)
{
    unsigned long flags = arch_irq_save();
    for (unsigned int i = 0; i < high; i++)
        spin_lock(&ci->rqs[i].lock);
    return flags;
}

static void unlock_all(struct credit2_instance *ci, unsigned int high, unsigned long flags)
{
    for (unsigned int i = high; i-- > 0;)
        spin_unlock(&ci->rqs[i].lock);
    arch_irq_restore(flags);
}

/* Locks the runqueue @sv belongs to; NO_RUNQUEUE (nothing locked) if none. */
static int lock_vcpu_rq(struct credit2_instance *ci, struct credit2_vcpu *sv, unsigned long *flags)
{
    for (;;) {
        int r = __atomic_load_n(&sv->rq, __ATOMIC_ACQUIRE);
        if (r == NO_RUNQUEUE)
            return r;
        *flags = lock_rq(&ci->rqs[r]);
        if (__atomic_load_n(&sv->rq, __ATOMIC_RELAXED) == r)
            return r;
        unlock_rq(&ci->rqs[r], *flags);
    }
}

static void set_rq(struct credit2_vcpu *sv, int r)
{
    __atomic_store_n(&sv->rq, r, __ATOMIC_RELEASE);
}

/* ---- Load ----------------------------------------------------------------- */

/* The runqueue's average load at @now, without updating it. */
static uint64_t avgload_at(const struct credit2_runqueue *rq, uint64_t now)
{
    uint64_t target = (uint64_t)__atomic_load_n(&rq->load, __ATOMIC_RELAXED) * CREDIT2_LOAD_SCALE;
    uint64_t avg = __atomic_load_n(&rq->avgload, __ATOMIC_RELAXED);
    uint64_t stamp = __atomic_load_n(&rq->load_stamp, __ATOMIC_RELAXED);
    uint64_t dt = now > stamp ? now - stamp : 0;
    if (dt >= CREDIT2_LOAD_WINDOW_NS)
        return target;
    if (target >= avg)
        return avg + (target - avg) * dt / CREDIT2_LOAD_WINDOW_NS;
    return avg - (avg - target) * dt / CREDIT2_LOAD_WINDOW_NS;
}

/* One vCPU more (+1) or less (-1) counts against the runqueue. Its lock held. */
static void load_change(struct credit2_runqueue *rq, uint64_t now, int delta)
{
    __atomic_store_n(&rq->avgload, avgload_at(rq, now), __ATOMIC_RELAXED);
    if (now > rq->load_stamp)
        __atomic_store_n(&rq->load_stamp, now, __ATOMIC_RELAXED);
    __atomic_store_n(&rq->load, rq->load + (unsigned int)delta, __ATOMIC_RELAXED);
}

/* Load per CPU, blending the instant and the average (lock-free read). */
static uint64_t load_per_cpu(const struct credit2_runqueue *rq, uint64_t now)
{
    unsigned int ncpus = __atomic_load_n(&rq->ncpus, __ATOMIC_RELAXED);
    if (!ncpus)
        return UINT64_MAX;
    uint64_t instant = (uint64_t)__atomic_load_n(&rq->load, __ATOMIC_RELAXED) * CREDIT2_LOAD_SCALE;
    return (instant + avgload_at(rq, now)) / 2 / ncpus;
}

/* ---- Credit --------------------------------------------------------------- */

/* @sv's credit (not queued) after the resets it missed: what it carries over
 * is clipped, then it gains what the runqueue's offset gained. */
static int64_t caught_up(const struct credit2_runqueue *rq, const struct credit2_vcpu *sv)
{
    int64_t gained = rq->credit_offset - sv->offset_seen;
    if (gained <= 0)
        return sv->credit;
    int64_t c = min64(sv->credit, CREDIT2_CARRYOVER_MAX_NS) + gained;
    return min64(c, CREDIT2_CARRYOVER_MAX_NS + CREDIT2_CREDIT_INIT_NS);
}

static void catch_up(const struct credit2_runqueue *rq, struct credit2_vcpu *sv)
{
    sv->credit = caught_up(rq, sv);
    sv->offset_seen = rq->credit_offset;
}

/* Any vCPU's credit now (the running one's without what it burns meanwhile). */
static int64_t credit_of(const struct credit2_runqueue *rq, const struct credit2_vcpu *sv)
{
    return sv->queued ? sv->key + rq->credit_offset : caught_up(rq, sv);
}

/* The running vCPU of @pc at @now, burn included. */
static int64_t running_credit(const struct credit2_runqueue *rq, const struct credit2_pcpu *pc,
                              uint64_t now)
{
    uint64_t ran = now > pc->cur_start ? now - pc->cur_start : 0;
    return caught_up(rq, pc->cur) - burn_for(ran, weight_of(pc->cur));
}

/* Every vCPU of the runqueue gains credit; the best waiting one had @top <= 0. */
static void credit_reset(struct credit2_runqueue *rq, int64_t top)
{
    int64_t m = 1 + (-top) / CREDIT2_CREDIT_INIT_NS;
    rq->credit_offset += m * CREDIT2_CREDIT_INIT_NS;
    rq->resets++;
}

/* ---- The queue ------------------------------------------------------------ */

static struct credit2_vcpu *node_vcpu(struct rb_node *n)
{
    return n ? rb_entry(n, struct credit2_vcpu, node) : NULL;
}

/* Queues @sv (not queued, credit caught up) by credit in the tree of its
 * kind; equal credit: first come first served. */
static struct rb_tree *tree_of(struct credit2_runqueue *rq, const struct credit2_vcpu *sv)
{
    return sv->woken ? &rq->wokenq : &rq->queue;
}

static size_t queued_count(const struct credit2_runqueue *rq)
{
    return __atomic_load_n(&rq->queue.count, __ATOMIC_RELAXED) +
           __atomic_load_n(&rq->wokenq.count, __ATOMIC_RELAXED);
}

static void runq_insert(struct credit2_runqueue *rq, struct credit2_vcpu *sv)
{
    sv->key = sv->credit - rq->credit_offset;
    struct rb_tree *tree = tree_of(rq, sv);
    struct rb_node *parent = NULL, *at = tree->root;
    bool left = false;
    while (at) {
        parent = at;
        int64_t theirs = node_vcpu(at)->key;
        left = sv->key > theirs;
        at = left ? at->left : at->right;
    }
    rb_insert(tree, &sv->node, parent, left);
    sv->queued = true;
}

static void runq_remove(struct credit2_runqueue *rq, struct credit2_vcpu *sv)
{
    rb_erase(tree_of(rq, sv), &sv->node);
    sv->queued = false;
    sv->credit = sv->key + rq->credit_offset;
    sv->offset_seen = rq->credit_offset;
}

/* Walks both trees as one, most credit first (woken first on equal credit):
 * runq_next(rq, &cursor) returns the next vCPU; a returned vCPU may be
 * removed before the next call. */
struct runq_cursor {
    struct rb_node *bound, *woken;
};

static struct runq_cursor runq_begin(const struct credit2_runqueue *rq)
{
    return (struct runq_cursor){rb_first(&rq->queue), rb_first(&rq->wokenq)};
}

static struct credit2_vcpu *runq_next(struct runq_cursor *c)
{
    struct credit2_vcpu *a = node_vcpu(c->bound), *b = node_vcpu(c->woken);
    if (!a && !b)
        return NULL;
    if (a && (!b || a->key > b->key)) {
        c->bound = rb_next(c->bound);
        return a;
    }
    c->woken = rb_next(c->woken);
    return b;
}

/* The waiting vCPU with the most credit, or NULL. O(1). */
static struct credit2_vcpu *runq_best(const struct credit2_runqueue *rq)
{
    struct runq_cursor c = runq_begin(rq);
    return runq_next(&c);
}

/* @sv (caught up in @src, not queued) moves to @dst: credit is relative to
 * each runqueue's history, so it keeps its distance to the best waiting vCPU
 * (no gain, no loss from moving), and never more than one reset's worth. */
static void rebase_credit(const struct credit2_runqueue *src, const struct credit2_runqueue *dst,
                          struct credit2_vcpu *sv)
{
    const struct credit2_vcpu *a = runq_best(src), *b = runq_best(dst);
    if (a && b)
        sv->credit += (b->key + dst->credit_offset) - (a->key + src->credit_offset);
    sv->credit = min64(sv->credit, CREDIT2_CREDIT_INIT_NS);
    sv->offset_seen = dst->credit_offset;
}

/* Moves @sv (not running) from runqueue @from to @to, both locked. */
static void migrate_locked(struct credit2_instance *ci, struct credit2_vcpu *sv, int from, int to,
                           uint64_t now)
{
    struct credit2_runqueue *src = &ci->rqs[from], *dst = &ci->rqs[to];
    bool counted = sv->queued || sv->held;
    if (sv->queued)
        runq_remove(src, sv);
    if (sv->held) {
        ci->pcpu[sv->held_cpu].held = NULL;
        sv->held = false;
    }
    catch_up(src, sv);
    rebase_credit(src, dst, sv);
    set_rq(sv, to);
    if (counted) {
        load_change(src, now, -1);
        load_change(dst, now, +1);
        runq_insert(dst, sv);
    }
}

/* ---- Caps ----------------------------------------------------------------- */

static int64_t quota_of(const struct credit2_domain *sd)
{
    return (int64_t)(CREDIT2_CAP_PERIOD_NS * cap_of(sd) / 100);
}

/* Domain lock held. */
static void replenish_due(struct credit2_domain *sd, uint64_t now)
{
    int64_t quota = quota_of(sd);
    if (!sd->period_end) {
        sd->period_end = now + CREDIT2_CAP_PERIOD_NS;
        sd->budget_ns = quota;
        return;
    }
    if (now < sd->period_end)
        return;
    uint64_t periods = (now - sd->period_end) / CREDIT2_CAP_PERIOD_NS + 1;
    int64_t added = (int64_t)umin64(periods, 2) * quota; /* debt is paid back, not banked */
    sd->budget_ns = min64(sd->budget_ns + added, quota);
    sd->period_end += periods * CREDIT2_CAP_PERIOD_NS;
}

/* A grant of cap budget for @sv's next run; false if the domain has none.
 * Runqueue lock held. */
static bool take_budget(struct credit2_domain *sd, struct credit2_vcpu *sv, uint64_t now)
{
    spin_lock(&sd->lock);
    replenish_due(sd, now);
    bool ok = sd->budget_ns > 0;
    if (ok) {
        uint32_t nr = sd->domain->nr_vcpus ? sd->domain->nr_vcpus : 1;
        int64_t share = sd->budget_ns / nr;
        int64_t grant = share > (int64_t)CREDIT2_TIMER_MIN_NS
                            ? share
                            : min64(sd->budget_ns, (int64_t)CREDIT2_TIMER_MIN_NS);
        sd->budget_ns -= grant;
        sv->grant_ns = grant;
    }
    spin_unlock(&sd->lock);
    return ok;
}

static bool has_budget(struct credit2_domain *sd, uint64_t now)
{
    spin_lock(&sd->lock);
    replenish_due(sd, now);
    bool ok = sd->budget_ns > 0;
    spin_unlock(&sd->lock);
    return ok;
}

/* @sv ran @ran of its grant: the rest goes back (an overrun is debt). */
static void return_budget(struct credit2_domain *sd, struct credit2_vcpu *sv, uint64_t ran)
{
    spin_lock(&sd->lock);
    sd->budget_ns += sv->grant_ns - (int64_t)ran;
    sv->grant_ns = 0;
    spin_unlock(&sd->lock);
}

/* @sv (not queued, not held, not running; counted in @rq's load unless
 * @counted is false) waits for its domain's next replenishment. */
static void park(struct credit2_runqueue *rq, struct credit2_vcpu *sv, uint64_t now, bool counted)
{
    struct credit2_domain *sd = sv->dom;
    if (counted)
        load_change(rq, now, -1);
    spin_lock(&sd->lock);
    sv->parked = true;
    sv->parked_next = sd->parked;
    sd->parked = sv;
    if (!timer_armed(&sd->replenish_timer))
        timer_set(&sd->replenish_timer, sd->period_end, arch_this_cpu());
    spin_unlock(&sd->lock);
}

static void tickle(struct credit2_instance *ci, int r, struct credit2_vcpu *sv, uint64_t now);

/* Puts the domain's parked vCPUs back in their runqueues (timer callback, or
 * the cap was lifted). */
static void unpark_all(struct credit2_domain *sd, bool budget_needed)
{
    struct credit2_instance *ci = inst(sd->s);
    for (;;) {
        uint64_t now = arch_now_ns();
        unsigned long flags = arch_irq_save();
        spin_lock(&sd->lock);
        replenish_due(sd, now);
        struct credit2_vcpu *sv = sd->parked;
        if (!sv || (budget_needed && sd->budget_ns <= 0)) {
            if (sv) /* still in debt: try at the next period */
                timer_set(&sd->replenish_timer, sd->period_end, arch_this_cpu());
            spin_unlock(&sd->lock);
            arch_irq_restore(flags);
            return;
        }
        int r = sv->rq;
        spin_unlock(&sd->lock);
        struct credit2_runqueue *rq = &ci->rqs[r];
        spin_lock(&rq->lock);
        spin_lock(&sd->lock);
        bool mine = sd->parked == sv && sv->rq == r; /* sv is alive while on the list */
        if (mine) {
            sd->parked = sv->parked_next;
            sv->parked = false;
        }
        spin_unlock(&sd->lock);
        if (mine && vcpu_runnable(sv->vcpu) &&
            !__atomic_load_n(&sv->vcpu->is_running, __ATOMIC_ACQUIRE)) {
            catch_up(rq, sv);
            sv->woken = false; /* it wanted to run on: CPU-bound */
            runq_insert(rq, sv);
            load_change(rq, now, +1);
            tickle(ci, r, sv, now);
        }
        spin_unlock(&rq->lock);
        arch_irq_restore(flags);
    }
}

static void replenish_timer_fn(void *data)
{
    unpark_all(data, true);
}

/* ---- Choosing a runqueue and a CPU ---------------------------------------- */

/* Whether @sv's soft affinity narrows anything within the instance. */
static bool soft_matters(const struct sched_instance *s, const struct credit2_vcpu *sv)
{
    cpumask_t both;
    if (!cpumask_and(&both, &sv->vcpu->soft_affinity, &sv->vcpu->hard_affinity))
        return false;
    if (!cpumask_and(&both, &both, &s->cpus))
        return false;
    cpumask_t hard;
    cpumask_and(&hard, &sv->vcpu->hard_affinity, &s->cpus);
    return !cpumask_subset(&hard, &both);
}

/* The runqueue @sv should wake into (lock-free reads), or NO_RUNQUEUE. */
static int choose_rq(struct sched_instance *s, struct credit2_vcpu *sv, uint64_t now)
{
    struct credit2_instance *ci = inst(s);
    const cpumask_t *hard = &sv->vcpu->hard_affinity;
    bool soft = soft_matters(s, sv);
    int cur = __atomic_load_n(&sv->rq, __ATOMIC_RELAXED);
    int best = NO_RUNQUEUE;
    uint64_t best_score = UINT64_MAX;
    unsigned int high = __atomic_load_n(&ci->rq_high, __ATOMIC_ACQUIRE);
    unsigned int start = high ? __atomic_fetch_add(&ci->rq_rotor, 1, __ATOMIC_RELAXED) % high : 0;
    for (unsigned int k = 0; k < high; k++) {
        unsigned int i = (start + k) % high;
        struct credit2_runqueue *rq = &ci->rqs[i];
        if (!__atomic_load_n(&rq->ncpus, __ATOMIC_RELAXED) || !cpumask_intersects(&rq->cpus, hard))
            continue;
        /* Load per CPU; staying costs nothing (migration resistance), an
         * idle CPU draws, a runqueue outside the soft affinity repels. */
        uint64_t score = load_per_cpu(rq, now) + CREDIT2_IDLE_BONUS + CREDIT2_LOAD_RESIST;
        if ((int)i == cur)
            score -= CREDIT2_LOAD_RESIST;
        cpumask_t idle;
        if (cpumask_and(&idle, &rq->idle, hard))
            score -= CREDIT2_IDLE_BONUS;
        if (soft && !cpumask_intersects(&rq->cpus, &sv->vcpu->soft_affinity))
            score += CREDIT2_SOFT_PENALTY;
        if (score < best_score) {
            best_score = score;
            best = (int)i;
        }
    }
    return best;
}

/* @sv was just queued in runqueue @r (locked): get a CPU of it to look. */
static void tickle(struct credit2_instance *ci, int r, struct credit2_vcpu *sv, uint64_t now)
{
    struct credit2_runqueue *rq = &ci->rqs[r];
    struct vcpu *v = sv->vcpu;
    cpumask_t mask, idle;
    if (!cpumask_and(&mask, &rq->cpus, &v->hard_affinity))
        return;
    bool soft =
        !cpumask_subset(&mask, &v->soft_affinity) && cpumask_intersects(&mask, &v->soft_affinity);

    /* An idle CPU nobody asked yet: its own, a soft-affine one, any. */
    cpumask_and(&idle, &mask, &rq->idle);
    cpumask_andnot(&idle, &idle, &rq->tickled);
    if (!cpumask_empty(&idle)) {
        unsigned int cpu = v->processor;
        if (!cpumask_test(&idle, cpu)) {
            cpumask_t soft_idle;
            cpu = soft && cpumask_and(&soft_idle, &idle, &v->soft_affinity)
                      ? cpumask_first(&soft_idle)
                      : cpumask_first(&idle);
        }
        cpumask_set(&rq->tickled, cpu);
        sched_request_reschedule(cpu);
        return;
    }

    /* The busy CPU whose vCPU has the least credit against @sv's, with
     * resistance for CPUs that are not @sv's own or not soft-affine. */
    int64_t credit = credit_of(rq, sv);
    unsigned int preempt = XENCORE_MAX_CPUS, lowest = XENCORE_MAX_CPUS;
    int64_t best_gap = 0, lowest_credit = INT64_MAX;
    for_each_cpu(cpu, &mask)
    {
        const struct credit2_pcpu *pc = &ci->pcpu[cpu];
        if (!pc->cur || cpumask_test(&rq->tickled, cpu))
            continue; /* it will pick anyway, for someone else perhaps */
        int64_t theirs = running_credit(rq, pc, now);
        int64_t gap = credit - theirs;
        if (cpu != v->processor)
            gap -= CREDIT2_MIGRATE_RESIST_NS;
        if (soft && !cpumask_test(&v->soft_affinity, cpu))
            gap -= CREDIT2_MIGRATE_RESIST_NS;
        if (gap > best_gap) {
            best_gap = gap;
            preempt = cpu;
        }
        if (theirs < lowest_credit) {
            lowest_credit = theirs;
            lowest = cpu;
        }
    }
    if (preempt < XENCORE_MAX_CPUS) {
        cpumask_set(&rq->tickled, preempt);
        sched_request_reschedule(preempt);
        return;
    }
    /* No preemption, but @sv now heads the queue: the CPU whose vCPU has the
     * least credit must end its slice when it falls below @sv, not later. */
    if (lowest < XENCORE_MAX_CPUS && runq_best(rq) == sv)
        sched_request_reschedule(lowest);
}

/* True if @sv would rather run on an idle CPU of @rq (locked) than on @cpu:
 * @cpu is outside its soft affinity and an idle CPU inside it may run it.
 * That CPU is asked to look (once). */
static bool soft_idle_elsewhere(struct sched_instance *s, struct credit2_runqueue *rq,
                                struct credit2_vcpu *sv, unsigned int cpu)
{
    const struct vcpu *v = sv->vcpu;
    if (cpumask_test(&v->soft_affinity, cpu) || !soft_matters(s, sv))
        return false;
    cpumask_t there;
    cpumask_and(&there, &rq->idle, &v->soft_affinity);
    if (!cpumask_and(&there, &there, &v->hard_affinity))
        return false;
    cpumask_t untickled;
    if (cpumask_andnot(&untickled, &there, &rq->tickled), !cpumask_empty(&untickled)) {
        unsigned int target = cpumask_first(&untickled);
        cpumask_set(&rq->tickled, target);
        sched_request_reschedule(target);
    }
    return true;
}

/* ---- Balancing ------------------------------------------------------------ */

/* Moves one waiting vCPU of @from that may run in @to, and would not rather
 * wait there for an idle soft-affine CPU; both locked. */
static bool move_one(struct sched_instance *s, int from, int to, uint64_t now)
{
    struct credit2_instance *ci = inst(s);
    struct credit2_runqueue *src = &ci->rqs[from], *dst = &ci->rqs[to];
    struct runq_cursor c = runq_begin(src);
    struct credit2_vcpu *sv;
    for (unsigned int i = 0; (sv = runq_next(&c)) && i < CREDIT2_PULL_SCAN_MAX; i++) {
        const struct vcpu *v = sv->vcpu;
        cpumask_t soft_idle;
        cpumask_and(&soft_idle, &src->idle, &v->soft_affinity);
        if (soft_matters(s, sv) && !cpumask_intersects(&v->soft_affinity, &dst->cpus) &&
            cpumask_intersects(&soft_idle, &v->hard_affinity))
            continue;
        if (cpumask_intersects(&v->hard_affinity, &dst->cpus)) {
            migrate_locked(ci, sv, from, to, now);
            tickle(ci, to, sv, now);
            return true;
        }
    }
    return false;
}

/* Called by @cpu before it picks, no lock held. */
static void balance(struct sched_instance *s, unsigned int cpu, uint64_t now)
{
    struct credit2_instance *ci = inst(s);
    int me = ci->pcpu[cpu].rq;
    struct credit2_runqueue *mine = &ci->rqs[me];
    bool starving = !queued_count(mine) && !ci->pcpu[cpu].held;
    if (!starving && now < __atomic_load_n(&mine->next_balance, __ATOMIC_RELAXED))
        return;
    __atomic_store_n(&mine->next_balance, now + CREDIT2_BALANCE_INTERVAL_NS, __ATOMIC_RELAXED);

    unsigned int high = __atomic_load_n(&ci->rq_high, __ATOMIC_ACQUIRE);
    uint64_t my_load = avgload_at(mine, now);
    unsigned int my_cpus = __atomic_load_n(&mine->ncpus, __ATOMIC_RELAXED);
    int busiest = NO_RUNQUEUE, idlest = NO_RUNQUEUE;
    uint64_t busiest_score = 0, idlest_score = UINT64_MAX;
    for (unsigned int i = 0; i < high; i++) {
        struct credit2_runqueue *rq = &ci->rqs[i];
        unsigned int ncpus = __atomic_load_n(&rq->ncpus, __ATOMIC_RELAXED);
        if ((int)i == me || !ncpus)
            continue;
        uint64_t score = avgload_at(rq, now) / ncpus;
        if (queued_count(rq) && (busiest == NO_RUNQUEUE || score > busiest_score)) {
            busiest = (int)i;
            busiest_score = score;
        }
        if (score < idlest_score) {
            idlest = (int)i;
            idlest_score = score;
        }
    }
    if (!my_cpus)
        return;

    /* Pull when idle with work waiting elsewhere, or when moving one vCPU
     * still leaves the other runqueue at least as loaded per CPU as ours was.
     * With a load that does not divide evenly (9 vCPUs on two runqueues of
     * 4 CPUs) this moves a waiting vCPU back and forth, so the one that has
     * to wait changes: over time each gets its share. The average load's
     * time constant paces these moves. */
    if (busiest != NO_RUNQUEUE) {
        struct credit2_runqueue *b = &ci->rqs[busiest];
        uint64_t b_load = avgload_at(b, now);
        unsigned int b_cpus = __atomic_load_n(&b->ncpus, __ATOMIC_RELAXED);
        bool worth =
            b_cpus && b_load >= CREDIT2_LOAD_SCALE &&
            (b_load - CREDIT2_LOAD_SCALE + CREDIT2_BALANCE_SLACK) * my_cpus >= my_load * b_cpus;
        if (starving || worth) {
            unsigned long flags = lock_pair(ci, me, busiest);
            bool moved = queued_count(b) && move_one(s, busiest, me, now);
            unlock_pair(ci, me, busiest, flags);
            if (moved)
                return;
        }
    }
    /* Push to the least loaded runqueue on the same rule. */
    if (idlest != NO_RUNQUEUE && queued_count(mine)) {
        struct credit2_runqueue *l = &ci->rqs[idlest];
        uint64_t l_load = avgload_at(l, now);
        unsigned int l_cpus = __atomic_load_n(&l->ncpus, __ATOMIC_RELAXED);
        bool idle_there = !cpumask_empty(&l->idle);
        bool worth =
            l_cpus && my_load >= CREDIT2_LOAD_SCALE &&
            (my_load - CREDIT2_LOAD_SCALE + CREDIT2_BALANCE_SLACK) * l_cpus >= l_load * my_cpus;
        if (idle_there || worth) {
            unsigned long flags = lock_pair(ci, me, idlest);
            if (queued_count(mine))
                move_one(s, me, idlest, now);
            unlock_pair(ci, me, idlest, flags);
        }
    }
}

/* ---- Operations ----------------------------------------------------------- */

static int credit2_init(struct sched_instance *s)
{
    struct credit2_instance *ci = sched_alloc(sizeof(*ci));
    if (!ci)
        return -XC_ENOMEM;
    ci->ratelimit_us = sched_ratelimit_us;
    for (unsigned int cpu = 0; cpu < XENCORE_MAX_CPUS; cpu++)
        ci->pcpu[cpu].rq = NO_RUNQUEUE;
    for (unsigned int i = 0; i < XENCORE_MAX_CPUS; i++) {
        ci->rqs[i].lock = (spinlock_t)SPINLOCK_INIT;
        ci->rqs[i].queue = (struct rb_tree)RB_TREE_INIT;
        ci->rqs[i].wokenq = (struct rb_tree)RB_TREE_INIT;
    }
    s->priv = ci;
    return 0;
}

static void credit2_deinit(struct sched_instance *s)
{
    sched_free(s->priv, sizeof(struct credit2_instance));
    s->priv = NULL;
}

static uint32_t topology_key(unsigned int cpu)
{
    uint32_t socket, llc;
    arch_cpu_topology(cpu, &socket, &llc);
    switch (sched_credit2_runqueue) {
    case CREDIT2_RUNQUEUE_L3:
        return llc;
    case CREDIT2_RUNQUEUE_CPU:
        return cpu;
    case CREDIT2_RUNQUEUE_ALL:
        return 0;
    case CREDIT2_RUNQUEUE_SOCKET:
    default:
        return socket;
    }
}

static void credit2_cpu_add(struct sched_instance *s, unsigned int cpu)
{
    struct credit2_instance *ci = inst(s);
    if (cpu >= XENCORE_MAX_CPUS || ci->pcpu[cpu].rq != NO_RUNQUEUE)
        return;
    uint32_t key = topology_key(cpu);
    unsigned int high = ci->rq_high;
    unsigned long flags = lock_all(ci, high < XENCORE_MAX_CPUS ? high + 1 : high);
    int slot = NO_RUNQUEUE, free_slot = NO_RUNQUEUE;
    for (unsigned int i = 0; i < high; i++) {
        if (ci->rqs[i].ncpus && ci->rqs[i].topology_key == key) {
            slot = (int)i;
            break;
        }
        if (!ci->rqs[i].ncpus && free_slot == NO_RUNQUEUE)
            free_slot = (int)i;
    }
    if (slot == NO_RUNQUEUE) {
        slot = free_slot != NO_RUNQUEUE ? free_slot : (int)high;
        struct credit2_runqueue *rq = &ci->rqs[slot];
        rq->topology_key = key;
        cpumask_clear_all(&rq->cpus);
        cpumask_clear_all(&rq->idle);
        cpumask_clear_all(&rq->tickled);
        rq->load_stamp = arch_now_ns();
    }
    struct credit2_runqueue *rq = &ci->rqs[slot];
    struct credit2_pcpu *pc = &ci->pcpu[cpu];
    pc->cur = pc->held = NULL;
    pc->bound = NULL;
    pc->rq = slot;
    cpumask_set(&rq->cpus, cpu);
    cpumask_set(&rq->idle, cpu);
    __atomic_store_n(&rq->ncpus, rq->ncpus + 1, __ATOMIC_RELEASE);
    unlock_all(ci, high < XENCORE_MAX_CPUS ? high + 1 : high, flags);
    if ((unsigned int)slot >= high)
        __atomic_store_n(&ci->rq_high, (unsigned int)slot + 1, __ATOMIC_RELEASE);
    sched_request_reschedule(cpu);
}

/* Every runqueue locked: queued vCPUs of @r that can no longer run there go
 * to a runqueue where they can. */
static void relocate_misplaced(struct sched_instance *s, int r, uint64_t now)
{
    struct credit2_instance *ci = inst(s);
    struct credit2_runqueue *rq = &ci->rqs[r];
    struct runq_cursor c = runq_begin(rq);
    struct credit2_vcpu *sv;
    while ((sv = runq_next(&c))) {
        if (!cpumask_intersects(&sv->vcpu->hard_affinity, &rq->cpus)) {
            int to = choose_rq(s, sv, now);
            if (to != NO_RUNQUEUE && to != r) {
                migrate_locked(ci, sv, r, to, now);
                tickle(ci, to, sv, now);
            }
        }
    }
}

static void credit2_cpu_remove(struct sched_instance *s, unsigned int cpu)
{
    struct credit2_instance *ci = inst(s);
    if (cpu >= XENCORE_MAX_CPUS || ci->pcpu[cpu].rq == NO_RUNQUEUE)
        return;
    uint64_t now = arch_now_ns();
    unsigned int high = ci->rq_high;
    unsigned long flags = lock_all(ci, high);
    struct credit2_pcpu *pc = &ci->pcpu[cpu];
    int r = pc->rq;
    struct credit2_runqueue *rq = &ci->rqs[r];
    if (pc->held) {
        struct credit2_vcpu *sv = pc->held;
        sv->held = false;
        catch_up(rq, sv);
        runq_insert(rq, sv);
        pc->held = NULL;
    }
    cpumask_clear(&rq->cpus, cpu);
    cpumask_clear(&rq->idle, cpu);
    cpumask_clear(&rq->tickled, cpu);
    __atomic_store_n(&rq->ncpus, rq->ncpus - 1, __ATOMIC_RELEASE);
    pc->rq = NO_RUNQUEUE;
    pc->cur = NULL;
    pc->bound = NULL;
    relocate_misplaced(s, r, now);
    /* What is still queued here can run on the CPUs left: wake one up. */
    struct credit2_vcpu *first = runq_best(rq);
    if (first)
        tickle(ci, r, first, now);
    unlock_all(ci, high, flags);
}

static void credit2_dom_init(struct sched_instance *s, struct domain *d)
{
    struct credit2_domain *sd = sdom(d);
    sd->s = s;
    sd->domain = d;
    sd->lock = (spinlock_t)SPINLOCK_INIT;
    sd->weight = CREDIT2_WEIGHT_DEFAULT;
    sd->cap = 0;
    sd->parked = NULL;
    timer_init(&sd->replenish_timer, replenish_timer_fn, sd);
}

static void credit2_dom_destroy(struct sched_instance *s, struct domain *d)
{
    (void)s;
    timer_kill(&sdom(d)->replenish_timer);
}

static void credit2_vcpu_insert(struct sched_instance *s, struct vcpu *v)
{
    struct credit2_instance *ci = inst(s);
    struct credit2_vcpu *sv = svc(v);
    uint64_t now = arch_now_ns();
    sv->vcpu = v;
    sv->dom = sdom(v->domain);
    sv->credit = CREDIT2_CREDIT_INIT_NS;
    sv->rq = NO_RUNQUEUE;
    sv->woken = false; /* new: no wake-up privilege until it has blocked */
    int r = choose_rq(s, sv, now);
    if (r == NO_RUNQUEUE)
        return; /* no CPU yet: wake() places it once there is one */
    struct credit2_runqueue *rq = &ci->rqs[r];
    unsigned long flags = lock_rq(rq);
    sv->offset_seen = rq->credit_offset;
    set_rq(sv, r);
    if (vcpu_runnable(v) && !v->is_running) {
        runq_insert(rq, sv);
        load_change(rq, now, +1);
        tickle(ci, r, sv, now);
    }
    unlock_rq(rq, flags);
}

static void credit2_vcpu_remove(struct sched_instance *s, struct vcpu *v)
{
    struct credit2_instance *ci = inst(s);
    struct credit2_vcpu *sv = svc(v);
    uint64_t now = arch_now_ns();
    unsigned long flags;
    int r = lock_vcpu_rq(ci, sv, &flags);
    if (r == NO_RUNQUEUE)
        return;
    struct credit2_runqueue *rq = &ci->rqs[r];
    if (sv->queued) {
        runq_remove(rq, sv);
        load_change(rq, now, -1);
    }
    if (sv->held) {
        ci->pcpu[sv->held_cpu].held = NULL;
        sv->held = false;
        load_change(rq, now, -1);
    }
    if (sv->parked) {
        struct credit2_domain *sd = sv->dom;
        spin_lock(&sd->lock);
        for (struct credit2_vcpu **link = &sd->parked; *link; link = &(*link)->parked_next) {
            if (*link == sv) {
                *link = sv->parked_next;
                break;
            }
        }
        sv->parked = false;
        spin_unlock(&sd->lock);
    }
    for_each_cpu(cpu, &rq->cpus)
    {
        if (ci->pcpu[cpu].bound == sv)
            ci->pcpu[cpu].bound = NULL;
    }
    set_rq(sv, NO_RUNQUEUE);
    unlock_rq(rq, flags);
}

static void credit2_wake(struct sched_instance *s, struct vcpu *v)
{
    struct credit2_instance *ci = inst(s);
    struct credit2_vcpu *sv = svc(v);
    uint64_t now = arch_now_ns();
    int from, to;
    unsigned long flags;
    for (;;) {
        from = __atomic_load_n(&sv->rq, __ATOMIC_ACQUIRE);
        to = choose_rq(s, sv, now);
        if (to == NO_RUNQUEUE)
            to = from;
        if (to == NO_RUNQUEUE)
            return; /* no CPU in the instance may run it */
        flags = lock_pair(ci, from == NO_RUNQUEUE ? to : from, to);
        if (__atomic_load_n(&sv->rq, __ATOMIC_RELAXED) == from)
            break;
        unlock_pair(ci, from == NO_RUNQUEUE ? to : from, to, flags);
    }
    int first = from == NO_RUNQUEUE ? to : from;
    if (__atomic_load_n(&v->is_running, __ATOMIC_ACQUIRE) || sv->queued || sv->held || sv->parked ||
        !vcpu_runnable(v))
        goto out;
    struct credit2_runqueue *rq = &ci->rqs[to];
    if (from == NO_RUNQUEUE) {
        sv->offset_seen = rq->credit_offset;
        set_rq(sv, to);
    } else if (from != to) {
        migrate_locked(ci, sv, from, to, now); /* not queued: only rebases */
    }
    catch_up(rq, sv);
    if (cap_of(sv->dom) && !has_budget(sv->dom, now)) {
        park(rq, sv, now, false);
        goto out;
    }
    sv->woken = true;
    sv->ran_since_wake = 0;
    sv->yielded = false;
    runq_insert(rq, sv);
    load_change(rq, now, +1);
    tickle(ci, to, sv, now);
out:
    unlock_pair(ci, first, to, flags);
}

static bool credit2_yield(struct sched_instance *s, struct vcpu *v)
{
    struct credit2_instance *ci = inst(s);
    struct credit2_vcpu *sv = svc(v);
    unsigned long flags;
    int r = lock_vcpu_rq(ci, sv, &flags);
    if (r == NO_RUNQUEUE)
        return false;
    sv->yielded = true;
    bool others = queued_count(&ci->rqs[r]) > 0;
    unlock_rq(&ci->rqs[r], flags);
    return others;
}

static void credit2_deschedule(struct sched_instance *s, unsigned int cpu, struct vcpu *prev,
                               uint64_t now)
{
    struct credit2_instance *ci = inst(s);
    struct credit2_vcpu *sv = svc(prev);
    struct credit2_pcpu *pc = &ci->pcpu[cpu];
    int r = sv->rq; /* stable: nobody moves a claimed vCPU */
    if (r == NO_RUNQUEUE) {
        __atomic_store_n(&prev->is_running, false, __ATOMIC_RELEASE);
        return;
    }
    /* A vCPU whose hard affinity left its runqueue goes elsewhere now; one
     * running outside its soft affinity goes if another runqueue suits it. */
    int to = r;
    bool hard_out = !cpumask_intersects(&prev->hard_affinity, &ci->rqs[r].cpus);
    if (hard_out || (!cpumask_test(&prev->soft_affinity, cpu) && soft_matters(s, sv))) {
        to = choose_rq(s, sv, now);
        if (to == NO_RUNQUEUE)
            to = r;
    }
    unsigned long flags = lock_pair(ci, r, to);
    struct credit2_runqueue *rq = &ci->rqs[r];
    uint64_t ran = pc->cur == sv && now > pc->cur_start ? now - pc->cur_start : 0;
    catch_up(rq, sv);
    sv->credit -= burn_for(ran, weight_of(sv));
    if (pc->bound == sv)
        pc->bound_ran_ns += ran;
    if (cap_of(sv->dom) || sv->grant_ns)
        return_budget(sv->dom, sv, ran);
    if (pc->cur == sv)
        pc->cur = NULL;

    if (vcpu_runnable(prev)) {
        uint64_t ratelimit_ns =
            (uint64_t)__atomic_load_n(&ci->ratelimit_us, __ATOMIC_RELAXED) * NS_PER_US;
        /* Descheduled while runnable: CPU-bound, unless it has not yet run a
         * minimum slice since it woke (another woken vCPU with more credit
         * came first); yielding counts as CPU-bound. */
        sv->ran_since_wake += ran;
        sv->woken = sv->woken && !sv->yielded && sv->ran_since_wake < CREDIT2_SLICE_MIN_NS;
        if (to != r) {
            sv->queued = false;
            load_change(rq, now, -1);
            load_change(&ci->rqs[to], now, +1);
            rebase_credit(rq, &ci->rqs[to], sv);
            set_rq(sv, to);
            runq_insert(&ci->rqs[to], sv);
            tickle(ci, to, sv, now);
        } else if (!sv->yielded && ratelimit_ns && pc->bound == sv && !pc->held &&
                   pc->bound_ran_ns < ratelimit_ns && cpumask_test(&prev->hard_affinity, cpu) &&
                   !soft_idle_elsewhere(s, rq, sv, cpu)) {
            sv->held = true;
            sv->held_cpu = cpu;
            pc->held = sv;
        } else {
            runq_insert(rq, sv);
        }
    } else {
        load_change(rq, now, -1);
    }
    __atomic_store_n(&prev->is_running, false, __ATOMIC_RELEASE);
    unlock_pair(ci, r, to, flags);
}

/* The best waiting vCPU @cpu may run, or NULL. A vCPU that yielded is passed
 * over if anything else can run; a capped one without budget is parked. */
static struct credit2_vcpu *runq_candidate(struct sched_instance *s, struct credit2_runqueue *rq,
                                           unsigned int cpu, uint64_t now)
{
    struct credit2_vcpu *yielded = NULL, *sv;
    struct runq_cursor c = runq_begin(rq);
    while ((sv = runq_next(&c))) {
        if (!cpumask_test(&sv->vcpu->hard_affinity, cpu) || soft_idle_elsewhere(s, rq, sv, cpu))
            continue;
        if (cap_of(sv->dom) && !has_budget(sv->dom, now)) {
            runq_remove(rq, sv);
            park(rq, sv, now, true);
            continue;
        }
        if (sv->yielded && !yielded) {
            yielded = sv;
            continue;
        }
        if (yielded)
            yielded->yielded = false;
        return sv;
    }
    return yielded;
}

/* The woken vCPU with the most credit @cpu may run, if it has more than
 * @above; walks only woken vCPUs above that and not allowed here. */
static struct credit2_vcpu *woken_candidate(struct credit2_runqueue *rq, unsigned int cpu,
                                            int64_t above)
{
    for (struct rb_node *n = rb_first(&rq->wokenq); n; n = rb_next(n)) {
        struct credit2_vcpu *sv = node_vcpu(n);
        if (sv->key + rq->credit_offset <= above)
            return NULL;
        if (cpumask_test(&sv->vcpu->hard_affinity, cpu) && !sv->yielded)
            return sv;
    }
    return NULL;
}

/* How long @sv may run on @pc before the next one deserves the CPU: until
 * its credit falls below the best CPU-bound competitor's (the held one
 * included), but not less than the minimum slice and what is left of the
 * rate limit; and until it falls below the best woken one's, with no floor. */
static uint64_t slice_for(struct credit2_instance *ci, struct credit2_runqueue *rq,
                          struct credit2_pcpu *pc, struct credit2_vcpu *sv)
{
    uint64_t slice = CREDIT2_SLICE_MAX_NS;
    struct credit2_vcpu *bound = node_vcpu(rb_first(&rq->queue));
    if (pc->held && (!bound || credit_of(rq, pc->held) >= credit_of(rq, bound)))
        bound = pc->held;
    if (bound) {
        int64_t gap = sv->credit - credit_of(rq, bound);
        uint64_t t = gap > 0 ? time_for(gap, weight_of(sv)) : 0;
        uint64_t ratelimit_ns = (uint64_t)ci->ratelimit_us * NS_PER_US;
        uint64_t used = pc->bound == sv ? pc->bound_ran_ns : 0;
        uint64_t floor = CREDIT2_SLICE_MIN_NS;
        if (ratelimit_ns > used)
            floor = umax64(floor, ratelimit_ns - used);
        slice = umin64(slice, umax64(t, floor));
    }
    struct credit2_vcpu *woken = node_vcpu(rb_first(&rq->wokenq));
    if (woken) {
        int64_t gap = sv->credit - credit_of(rq, woken);
        slice = umin64(slice, gap > 0 ? time_for(gap, weight_of(sv)) : 0);
    }
    slice = umax64(slice, CREDIT2_TIMER_MIN_NS);
    if (sv->grant_ns)
        slice = umin64(slice, umax64((uint64_t)sv->grant_ns, CREDIT2_TIMER_MIN_NS));
    return slice;
}

static struct vcpu *credit2_pick(struct sched_instance *s, unsigned int cpu, uint64_t now,
                                 uint64_t *slice_ns)
{
    struct credit2_instance *ci = inst(s);
    *slice_ns = 0;
    if (cpu >= XENCORE_MAX_CPUS || ci->pcpu[cpu].rq == NO_RUNQUEUE)
        return NULL;
    balance(s, cpu, now);
    struct credit2_pcpu *pc = &ci->pcpu[cpu];
    int r = pc->rq;
    struct credit2_runqueue *rq = &ci->rqs[r];
    unsigned long flags = lock_rq(rq);
    cpumask_clear(&rq->tickled, cpu);

    struct credit2_vcpu *chosen = NULL;
    for (;;) {
        struct credit2_vcpu *held = pc->held;
        struct credit2_vcpu *cand = runq_candidate(s, rq, cpu, now);
        int64_t top = cand ? credit_of(rq, cand) : INT64_MIN;
        chosen = cand;
        if (held) {
            catch_up(rq, held);
            bool broke = cap_of(held->dom) && !has_budget(held->dom, now);
            if (broke || !cpumask_test(&held->vcpu->hard_affinity, cpu)) {
                pc->held = NULL;
                held->held = false;
                if (broke)
                    park(rq, held, now, true);
                else
                    runq_insert(rq, held);
                continue; /* choose again among the queued ones */
            }
            /* A woken vCPU with more credit than the held one runs first,
             * even if a CPU-bound one waiting has more still (that one waits
             * for the rate limit anyway); the held one keeps its claim on
             * this CPU's next turn and its rate-limit window. */
            struct credit2_vcpu *woken =
                cand && cand->woken ? cand : woken_candidate(rq, cpu, held->credit);
            if (woken && credit_of(rq, woken) > held->credit) {
                chosen = woken;
                top = top > credit_of(rq, woken) ? top : credit_of(rq, woken);
            } else {
                pc->held = NULL;
                held->held = false;
                chosen = held;
                if (held->credit > top)
                    top = held->credit;
            }
        }
        if (!chosen)
            break;
        if (top <= 0) {
            credit_reset(rq, top);
            if (!chosen->queued)
                catch_up(rq, chosen);
        }
        if (chosen->queued)
            runq_remove(rq, chosen);
        if (!sched_claim(chosen->vcpu)) {
            load_change(rq, now, -1); /* not runnable: its next wake queues it */
            chosen = NULL;
            continue;
        }
        if (cap_of(chosen->dom) && !take_budget(chosen->dom, chosen, now)) {
            __atomic_store_n(&chosen->vcpu->is_running, false, __ATOMIC_RELEASE);
            park(rq, chosen, now, true);
            chosen = NULL;
            continue;
        }
        break;
    }

    if (!chosen) {
        cpumask_set(&rq->idle, cpu);
        pc->cur = NULL;
        unlock_rq(rq, flags);
        return NULL;
    }
    cpumask_clear(&rq->idle, cpu);
    pc->cur = chosen;
    pc->cur_start = now;
    if (!chosen->woken && pc->bound != chosen) {
        pc->bound = chosen;
        pc->bound_ran_ns = 0;
    }
    chosen->yielded = false;
    *slice_ns = slice_for(ci, rq, pc, chosen);

    /* Work left waiting while a CPU of this runqueue idles: wake that CPU. */
    struct credit2_vcpu *next = runq_best(rq);
    if (next) {
        cpumask_t idle;
        cpumask_andnot(&idle, &rq->idle, &rq->tickled);
        if (cpumask_and(&idle, &idle, &next->vcpu->hard_affinity))
            tickle(ci, r, next, now);
    }
    unlock_rq(rq, flags);
    return chosen->vcpu;
}

static void credit2_affinity_changed(struct sched_instance *s, struct vcpu *v)
{
    struct credit2_instance *ci = inst(s);
    struct credit2_vcpu *sv = svc(v);
    uint64_t now = arch_now_ns();
    unsigned int high = __atomic_load_n(&ci->rq_high, __ATOMIC_ACQUIRE);
    unsigned long flags = lock_all(ci, high);
    int r = sv->rq;
    if (r != NO_RUNQUEUE && !__atomic_load_n(&v->is_running, __ATOMIC_ACQUIRE)) {
        struct credit2_runqueue *rq = &ci->rqs[r];
        if (sv->held && !cpumask_test(&v->hard_affinity, sv->held_cpu)) {
            ci->pcpu[sv->held_cpu].held = NULL;
            sv->held = false;
            catch_up(rq, sv);
            runq_insert(rq, sv);
        }
        if (!cpumask_intersects(&v->hard_affinity, &rq->cpus)) {
            int to = choose_rq(s, sv, now);
            if (to != NO_RUNQUEUE && to != r) {
                migrate_locked(ci, sv, r, to, now);
                if (sv->queued)
                    tickle(ci, to, sv, now);
            }
        } else if (sv->queued) {
            tickle(ci, r, sv, now);
        }
    }
    unlock_all(ci, high, flags);
}

static int credit2_dom_params(struct sched_instance *s, struct domain *d,
                              struct xencore_sched_params *p, bool set)
{
    (void)s;
    struct credit2_domain *sd = sdom(d);
    if (!set) {
        p->weight = sd->weight;
        p->cap = sd->cap;
        return 0;
    }
    if (p->weight != 0 && (p->weight < CREDIT2_WEIGHT_MIN || p->weight > CREDIT2_WEIGHT_MAX))
        return -XC_EINVAL;
    if (p->cap > CREDIT2_CAP_PERCENT_PER_VCPU * (d->nr_vcpus ? d->nr_vcpus : 1))
        return -XC_EINVAL;
    if (p->weight)
        __atomic_store_n(&sd->weight, p->weight, __ATOMIC_RELAXED);
    unsigned long flags = spin_lock_irqsave(&sd->lock);
    bool lifted = sd->cap && !p->cap;
    if (p->cap != sd->cap) {
        __atomic_store_n(&sd->cap, p->cap, __ATOMIC_RELAXED);
        sd->period_end = 0; /* start a fresh period with a full budget */
    }
    spin_unlock_irqrestore(&sd->lock, flags);
    if (lifted)
        unpark_all(sd, false);
    return 0;
}

static int credit2_pool_params(struct sched_instance *s, struct xencore_sched_pool_params *p,
                               bool set)
{
    struct credit2_instance *ci = inst(s);
    if (!set) {
        p->tslice_ms = 0; /* credit2 has no fixed time slice */
        p->ratelimit_us = __atomic_load_n(&ci->ratelimit_us, __ATOMIC_RELAXED);
        return 0;
    }
    if (p->ratelimit_us != 0 &&
        (p->ratelimit_us < SCHED_RATELIMIT_MIN_US || p->ratelimit_us > SCHED_RATELIMIT_MAX_US))
        return -XC_EINVAL;
    __atomic_store_n(&ci->ratelimit_us, p->ratelimit_us, __ATOMIC_RELAXED);
    return 0;
}

const struct scheduler_ops sched_credit2_ops = {
    .name = "credit2",
    .id = XENCORE_SCHED_CREDIT2,
    .init = credit2_init,
    .deinit = credit2_deinit,
    .cpu_add = credit2_cpu_add,
    .cpu_remove = credit2_cpu_remove,
    .dom_init = credit2_dom_init,
    .dom_destroy = credit2_dom_destroy,
    .vcpu_insert = credit2_vcpu_insert,
    .vcpu_remove = credit2_vcpu_remove,
    .wake = credit2_wake,
    .yield = credit2_yield,
    .deschedule = credit2_deschedule,
    .pick = credit2_pick,
    .affinity_changed = credit2_affinity_changed,
    .dom_params = credit2_dom_params,
    .pool_params = credit2_pool_params,
};
