/* The simulator's engine: a discrete-event loop over the core's scheduling
 * path (see sim.h for why).
 *
 * What is real and what is synthetic. Real: schedule_put()/schedule_pick()
 * (the framework and the pool's policy), the per-CPU timers of core/timer.c
 * (the scheduling timer of each CPU, and the timers that wake the synthetic
 * vCPUs), vcpu_wake(), sched_request_reschedule() and the kicks and IPIs it
 * sends. Synthetic: the guests. A running vCPU consumes virtual time; a hog
 * never stops, an I/O-bound or periodic vCPU blocks when its burst is used up
 * (v->blocked, then a reschedule request on its CPU, as SCHEDOP_block does)
 * and a timer of its own wakes it through vcpu_wake(), as an event would.
 *
 * The loop. Between events the CPUs run what they picked. At each event time
 * the engine (1) finishes the bursts that end now, (2) fires the CPU timers
 * that fall due (core_timer_interrupt() as that CPU), then (3) settles: it
 * delivers the recorded IPIs (core_ipi_interrupt()) and, for every CPU that
 * was kicked or whose timer fired, does what the real CPU loop does when it
 * finds its reschedule flag set: schedule_put(cpu, prev), schedule_pick(cpu).
 * Settling repeats until no CPU has a kick or an IPI outstanding, so a pick
 * that tickles another CPU is answered at the same virtual instant (a real
 * IPI takes a microsecond or two; ignoring that is the kind thing to do to
 * the schedulers, and the latency figures say so). The next event is the
 * earliest of the end of a running burst, the earliest armed CPU timer and a
 * configured CPU move between pools (made through the public cpupool API as
 * the moving CPU, which leaves its pool at its next decision, as on real
 * hardware, and then joins the other).
 *
 * The reschedule flag must be cleared by schedule_pick(): a CPU whose flag
 * stays set would take every timer interrupt for a request. The engine
 * notices (sim_result.sticky_reschedule_flag) rather than guessing.
 *
 * Start-up is as at boot: the CPUs join Pool-0 (and the second pool) and go
 * idle before the domains are built; then the domains join their pools, get
 * their weights and caps, and their vCPUs are inserted and woken.
 *
 * Every pick is checked: the vCPU is runnable, claimed (is_running), running
 * on no other CPU, its processor is this CPU, the CPU is in its hard affinity
 * and in its pool. The first violation ends the run as a failure.
 *
 * Each run has the process to itself (sim_run forks), so nothing is torn
 * down: the core has no reset, and the child's memory goes with it. */
#include "sim.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "arch/arch.h"
#include "arch/host/arch_host.h"
#include "core/domain.h"
#include "core/timer.h"
#include "mm/frame_alloc.h"
#include "sched/cpupool.h"
#include "sched/sched.h"

#define ARENA_BYTES (256ULL << 20)       /* "physical" memory for the core's allocations */
#define ARENA_ALIGN_BYTES (256ULL << 20) /* so the buddy allocator can form large blocks */
#define SAME_INSTANT_EVENTS_MAX 100000   /* more at one virtual instant: a livelock */
#define PERIODIC_FIRST_WAKE_MIN_NS (100 * SIM_NS_PER_US)
#define SIM_DEFAULT_WEIGHT 256 /* what domain creation gives a weight left at 0 */

struct sim_vcpu {
    struct vcpu v; /* what the core sees */
    const struct sim_vcpu_config *cfg;
    unsigned int index;
    struct timer wake_timer; /* ends a sleep (IO) or marks a deadline (PERIODIC) */
    uint64_t remaining_ns;   /* CPU time left in the current burst */
    uint64_t deadline_ns;    /* PERIODIC: the wake-up deadline armed or just passed */
    bool awaiting_pick;      /* PERIODIC: woken, not yet picked since */
    int running_on;          /* the CPU running it, or -1 */
    int last_cpu;            /* where it last ran, or -1 */
    int turn_cpu;            /* HOG: the CPU whose turn it holds (see sim.h), or -1 */
    uint64_t accounted_to;   /* its run time is counted up to here */
    uint64_t run_begin;      /* its current uninterrupted run began here */
    struct sim_vcpu_result *out;
};

struct sim_domain {
    struct domain d;
};

struct sim_cpu {
    struct sim_vcpu *cur;
    uint64_t idle_since; /* valid while cur is NULL */
    uint64_t generation; /* bumped at each decision: stale burst ends are dropped */
    bool to_check;
    struct sim_vcpu *turn_hog; /* the hog whose turn is open here, or NULL */
    uint64_t turn_cpu_ns;      /* the CPU time it had in that turn */
};

/* The end of a running burst: a min-heap keyed by time. */
struct burst_end {
    uint64_t at;
    unsigned int cpu;
    uint64_t generation;
};

/* A growing array of measurements, for percentiles. */
struct samples {
    uint64_t *values;
    uint64_t count, size;
};

static struct sim {
    const struct sim_config *c;
    struct sim_result *r;
    struct sim_vcpu *vcpus;
    struct sim_domain *domains;
    struct sim_cpu *cpus;
    unsigned int *check_list;
    unsigned int check_count;
    struct burst_end *heap;
    unsigned int heap_count, heap_size;
    struct samples latency, costs;
    uint64_t rng;
    bool failed;
    bool ran;
    bool trace; /* XENCORE_SIM_TRACE set: one line per decision on stderr */
    xencore_poolid_t pool1_id;
    /* A CPU move in progress: it left one pool and joins the other once free. */
    bool move_pending;
    unsigned int move_cpu;
    xencore_poolid_t move_to;
    unsigned int moves_started;
} sim;

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
    if (sim.failed)
        return;
    sim.failed = true;
    sim.r->ok = false;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sim.r->failure, sizeof(sim.r->failure), fmt, ap);
    va_end(ap);
}

static void *xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size);
    if (!p) {
        fprintf(stderr, "schedsim: out of memory\n");
        abort();
    }
    return p;
}

static uint64_t random_next(void)
{
    /* xorshift64*: plenty for jitter, and the same sequence for a seed. */
    sim.rng ^= sim.rng >> 12;
    sim.rng ^= sim.rng << 25;
    sim.rng ^= sim.rng >> 27;
    return sim.rng * 0x2545F4914F6CDD1DULL;
}

static uint64_t host_clock_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * SIM_NS_PER_S + (uint64_t)ts.tv_nsec;
}

static struct sim_vcpu *sim_vcpu_of(struct vcpu *v)
{
    return v ? (struct sim_vcpu *)((char *)v - offsetof(struct sim_vcpu, v)) : NULL;
}

/* ---- The burst-end heap ---------------------------------------------------- */

static void heap_push(uint64_t at, unsigned int cpu, uint64_t generation)
{
    if (sim.heap_count == sim.heap_size) {
        sim.heap_size = sim.heap_size ? 2 * sim.heap_size : 64;
        sim.heap = realloc(sim.heap, sim.heap_size * sizeof(*sim.heap));
        if (!sim.heap)
            abort();
    }
    unsigned int i = sim.heap_count++;
    while (i && sim.heap[(i - 1) / 2].at > at) {
        sim.heap[i] = sim.heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    sim.heap[i] = (struct burst_end){.at = at, .cpu = cpu, .generation = generation};
}

static void heap_pop(void)
{
    struct burst_end last = sim.heap[--sim.heap_count];
    unsigned int i = 0;
    for (;;) {
        unsigned int child = 2 * i + 1;
        if (child >= sim.heap_count)
            break;
        if (child + 1 < sim.heap_count && sim.heap[child + 1].at < sim.heap[child].at)
            child++;
        if (sim.heap[child].at >= last.at)
            break;
        sim.heap[i] = sim.heap[child];
        i = child;
    }
    if (sim.heap_count)
        sim.heap[i] = last;
}

/* The earliest burst end still current, dropping stale ones. */
static const struct burst_end *heap_top(void)
{
    while (sim.heap_count) {
        const struct burst_end *e = &sim.heap[0];
        if (sim.cpus[e->cpu].generation == e->generation)
            return e;
        heap_pop();
    }
    return NULL;
}

/* ---- Accounting ------------------------------------------------------------ */

/* The part of [from, to) after the warm-up. */
static uint64_t measured(uint64_t from, uint64_t to)
{
    uint64_t start = from > sim.c->warmup_ns ? from : sim.c->warmup_ns;
    return to > start ? to - start : 0;
}

/* @sv ran on @cpu up to @now. */
static void account_run(struct sim_vcpu *sv, unsigned int cpu, uint64_t now)
{
    uint64_t ran = now - sv->accounted_to;
    uint64_t counted = measured(sv->accounted_to, now);
    sv->out->run_ns += counted;
    if (sim.cpus[cpu].turn_hog == sv)
        sim.cpus[cpu].turn_cpu_ns += ran;
    if (cpumask_test(&sv->v.soft_affinity, cpu))
        sv->out->run_on_soft_ns += counted;
    if (sv->cfg->workload != SIM_HOG)
        sv->remaining_ns = ran < sv->remaining_ns ? sv->remaining_ns - ran : 0;
    sv->accounted_to = now;
}

static void record_sample(struct samples *s, uint64_t value)
{
    if (s->count == s->size) {
        s->size = s->size ? 2 * s->size : 1024;
        s->values = realloc(s->values, s->size * sizeof(*s->values));
        if (!s->values)
            abort();
    }
    s->values[s->count++] = value;
}

/* ---- The CPU loop, one decision --------------------------------------------- */

static void check_pick(struct sim_vcpu *next, unsigned int cpu)
{
    struct vcpu *v = &next->v;
    sim.r->invariant_checks++;
    if (!vcpu_runnable(v))
        fail("cpu %u picked vcpu %u, which cannot run (blocked %d, paused %d, up %d)", cpu,
             next->index, v->blocked, v->pause_count, v->up);
    else if (!v->is_running)
        fail("cpu %u picked vcpu %u without claiming it", cpu, next->index);
    else if (next->running_on >= 0)
        fail("cpu %u picked vcpu %u, which runs on cpu %d", cpu, next->index, next->running_on);
    else if (v->processor != cpu)
        fail("cpu %u picked vcpu %u, whose processor says %u", cpu, next->index, v->processor);
    else if (!cpumask_test(&v->hard_affinity, cpu))
        fail("cpu %u picked vcpu %u outside its hard affinity", cpu, next->index);
    else if (sched_of_cpu(cpu) != sched_of_vcpu(v) || !cpumask_test(&sched_of_cpu(cpu)->cpus, cpu))
        fail("cpu %u picked vcpu %u of another pool", cpu, next->index);
}

static void end_turn(struct sim_cpu *pc)
{
    if (pc->turn_hog)
        pc->turn_hog->turn_cpu = -1;
    pc->turn_hog = NULL;
    pc->turn_cpu_ns = 0;
}

/* Hog @next starts running on @pc's CPU: it continues its turn there, or
 * ends the turn of the hog that had the CPU and begins its own. */
static void hog_turn(struct sim_cpu *pc, struct sim_vcpu *next, uint64_t now)
{
    struct sim_vcpu *holder = pc->turn_hog;
    if (holder == next)
        return;
    if (holder && holder->running_on < 0 && vcpu_runnable(&holder->v) && now >= sim.c->warmup_ns) {
        sim.r->hog_turns_ended++;
        if (sim.trace)
            fprintf(stderr, "%llu cpu %u: turn of %u ends after %llu ns of CPU\n",
                    (unsigned long long)now, (unsigned int)(pc - sim.cpus), holder->index,
                    (unsigned long long)pc->turn_cpu_ns);
        if (pc->turn_cpu_ns < sim.r->hog_turn_min_cpu_ns)
            sim.r->hog_turn_min_cpu_ns = pc->turn_cpu_ns;
    }
    end_turn(pc);
    if (next->turn_cpu >= 0)
        end_turn(&sim.cpus[next->turn_cpu]); /* it moved: its old turn is over */
    pc->turn_hog = next;
    next->turn_cpu = (int)(pc - sim.cpus);
}

static void reschedule(unsigned int cpu)
{
    struct sim_cpu *pc = &sim.cpus[cpu];
    struct sim_vcpu *prev = pc->cur;
    uint64_t now = arch_now_ns();

    if (prev) {
        account_run(prev, cpu, now);
        prev->running_on = -1;
    } else {
        sim.r->idle_ns += measured(pc->idle_since, now);
    }
    pc->generation++;

    uint64_t t0 = sim.c->measure_cost ? host_clock_ns() : 0;
    schedule_put(cpu, prev ? &prev->v : NULL);
    struct sim_vcpu *next = sim_vcpu_of(schedule_pick(cpu));
    if (sim.c->measure_cost && now >= sim.c->warmup_ns) {
        uint64_t cost = host_clock_ns() - t0;
        sim.r->cost_total_ns += cost;
        record_sample(&sim.costs, cost);
    }
    if (now >= sim.c->warmup_ns)
        sim.r->decisions++;

    if (sim.trace)
        fprintf(stderr, "%llu cpu %u: %d (%s) -> %d\n", (unsigned long long)now, cpu,
                prev ? (int)prev->index : -1,
                !prev                     ? "idle"
                : vcpu_runnable(&prev->v) ? "runnable"
                                          : "blocked",
                next ? (int)next->index : -1);
    if (core_cpu_should_reschedule() && !host_kick_pending(cpu))
        sim.r->sticky_reschedule_flag = true; /* set, yet nobody asked since */
    if (next)
        check_pick(next, cpu);
    if (sim.failed)
        return;

    if (prev && next != prev && prev->cfg->workload == SIM_HOG && vcpu_runnable(&prev->v) && next &&
        next->cfg->workload == SIM_HOG && now >= sim.c->warmup_ns) {
        uint64_t ran = now - prev->run_begin;
        sim.r->hog_preemptions++;
        if (ran < sim.r->hog_preempt_min_run_ns)
            sim.r->hog_preempt_min_run_ns = ran;
    }

    if (next && next->cfg->workload == SIM_HOG)
        hog_turn(pc, next, now);
    pc->cur = next;
    if (!next) {
        end_turn(pc);
        pc->idle_since = now;
        return;
    }
    next->running_on = (int)cpu;
    next->accounted_to = now;
    if (next != prev) {
        next->run_begin = now;
        if (now >= sim.c->warmup_ns) {
            next->out->picks++;
            if (next->last_cpu >= 0 && next->last_cpu != (int)cpu)
                next->out->migrations++;
        }
        if (next->awaiting_pick) {
            next->awaiting_pick = false;
            if (next->deadline_ns >= sim.c->warmup_ns)
                record_sample(&sim.latency, now - next->deadline_ns);
        }
    }
    next->last_cpu = (int)cpu;
    if (next->cfg->workload != SIM_HOG)
        heap_push(now + next->remaining_ns, cpu, pc->generation);
}

static void mark_for_check(unsigned int cpu)
{
    if (!sim.cpus[cpu].to_check) {
        sim.cpus[cpu].to_check = true;
        sim.check_list[sim.check_count++] = cpu;
    }
}

/* Delivers IPIs and answers reschedule requests until the CPUs are quiet. */
static void settle(void)
{
    for (unsigned long rounds = 0; !sim.failed; rounds++) {
        if (rounds > SAME_INSTANT_EVENTS_MAX) {
            fail("livelock: CPUs keep rescheduling at %llu ns%s", (unsigned long long)arch_now_ns(),
                 sim.r->sticky_reschedule_flag
                     ? " (schedule_pick() never clears the reschedule flag: see sim.h)"
                     : "");
            return;
        }
        while (host_deliver_ipi())
            ;
        int kicked;
        while ((kicked = host_next_kick()) >= 0)
            mark_for_check((unsigned int)kicked);
        if (!sim.check_count)
            return;
        /* Take the list: decisions below may mark CPUs for the next round. */
        unsigned int count = sim.check_count;
        unsigned int list[SIM_MAX_CPUS];
        memcpy(list, sim.check_list, count * sizeof(*list));
        sim.check_count = 0;
        for (unsigned int i = 0; i < count && !sim.failed; i++) {
            unsigned int cpu = list[i];
            sim.cpus[cpu].to_check = false;
            host_set_this_cpu(cpu);
            if (core_cpu_should_reschedule())
                reschedule(cpu);
        }
    }
}

/* ---- Workloads ---------------------------------------------------------------- */

static uint64_t next_period(const struct sim_vcpu_config *vc)
{
    if (!vc->jitter)
        return vc->period_ns;
    return vc->period_ns + random_next() % vc->period_ns;
}

static void wake_timer_fired(void *data)
{
    struct sim_vcpu *sv = data;
    sv->remaining_ns = sv->cfg->run_ns;
    if (sv->cfg->workload == SIM_PERIODIC)
        sv->awaiting_pick = true;
    vcpu_wake(&sv->v);
}

/* Arms @sv's wake-up on @cpu (the CPU it blocks on, as Xen's one-shot timers). */
static void arm_wake(struct sim_vcpu *sv, uint64_t at, unsigned int cpu)
{
    sv->deadline_ns = at;
    host_set_this_cpu(cpu);
    timer_set(&sv->wake_timer, at, cpu);
}

/* The burst of the vCPU running on @cpu is used up at @now: it blocks. */
static void burst_ended(unsigned int cpu, uint64_t now)
{
    struct sim_vcpu *sv = sim.cpus[cpu].cur;
    account_run(sv, cpu, now);
    __atomic_store_n(&sv->v.blocked, true, __ATOMIC_RELEASE);
    uint64_t at;
    if (sv->cfg->workload == SIM_IO) {
        at = now + sv->cfg->sleep_ns;
    } else {
        at = sv->deadline_ns + next_period(sv->cfg);
        if (at <= now) {
            if (now >= sim.c->warmup_ns)
                sim.r->latency.missed++;
            at = now + next_period(sv->cfg);
        }
    }
    arm_wake(sv, at, cpu);
    host_set_this_cpu(cpu);
    sched_request_reschedule(cpu);
}

/* ---- Building the machine -------------------------------------------------------- */

static void arena_init(void)
{
    size_t span = ARENA_BYTES + ARENA_ALIGN_BYTES;
    void *p = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    if (p == MAP_FAILED)
        abort();
    uint64_t base = ((uint64_t)(uintptr_t)p + ARENA_ALIGN_BYTES - 1) & ~(ARENA_ALIGN_BYTES - 1);
    uint64_t frames = ARENA_BYTES / ARCH_PAGE_SIZE;
    size_t table_bytes = frame_alloc_table_bytes(frames);
    void *table = xcalloc(1, table_bytes);
    if (frame_alloc_init(&host_frames, table, table_bytes, base / ARCH_PAGE_SIZE, frames) ||
        frame_alloc_add_range(&host_frames, base / ARCH_PAGE_SIZE, frames)) {
        fprintf(stderr, "schedsim: cannot set up the frame allocator\n");
        abort();
    }
}

static bool config_valid(const struct sim_config *c)
{
    if (c->cpus < 1 || c->cpus > SIM_MAX_CPUS || c->cpus > XENCORE_MAX_CPUS) {
        fail("config: %u CPUs (1..%u)", c->cpus, SIM_MAX_CPUS);
        return false;
    }
    if (!sched_find_by_id(c->scheduler)) {
        fail("config: no scheduler %d", (int)c->scheduler);
        return false;
    }
    if (c->domain_count < 1 || c->domain_count > SIM_MAX_DOMAINS || c->vcpu_count > SIM_MAX_VCPUS) {
        fail("config: %u domains, %u vCPUs", c->domain_count, c->vcpu_count);
        return false;
    }
    if (c->pool1_cpus && (c->pool1_cpus >= c->cpus || !sched_find_by_id(c->pool1_scheduler))) {
        fail("config: second pool of %u CPUs (of %u), scheduler %d", c->pool1_cpus, c->cpus,
             (int)c->pool1_scheduler);
        return false;
    }
    for (unsigned int i = 0; i < c->domain_count; i++) {
        if (c->domains[i].pool > (c->pool1_cpus ? 1u : 0u)) {
            fail("config: domain %u: no pool %u", i, c->domains[i].pool);
            return false;
        }
    }
    unsigned int *per_domain = xcalloc(c->domain_count, sizeof(*per_domain));
    bool ok = true;
    for (unsigned int i = 0; i < c->vcpu_count && ok; i++) {
        const struct sim_vcpu_config *vc = &c->vcpus[i];
        if (vc->domain >= c->domain_count || ++per_domain[vc->domain] > XENCORE_DOMAIN_MAX_VCPUS) {
            fail("config: vcpu %u: bad domain %u (or more than %u vCPUs in it)", i, vc->domain,
                 XENCORE_DOMAIN_MAX_VCPUS);
            ok = false;
        } else if ((vc->workload == SIM_IO && (!vc->run_ns || !vc->sleep_ns)) ||
                   (vc->workload == SIM_PERIODIC && (!vc->run_ns || !vc->period_ns)) ||
                   vc->workload > SIM_PERIODIC) {
            fail("config: vcpu %u: workload %d needs its times", i, (int)vc->workload);
            ok = false;
        }
    }
    free(per_domain);
    return ok;
}

static bool set_ratelimit(xencore_poolid_t id, uint32_t ratelimit_us)
{
    struct xencore_sched_pool_params p;
    int rc = xencore_sched_pool_get(id, &p);
    if (!rc) {
        p.ratelimit_us = ratelimit_us;
        rc = xencore_sched_pool_set(id, &p);
    }
    if (rc)
        fail("pool %u: setting the rate limit to %u us: error %d", id, ratelimit_us, rc);
    return !rc;
}

/* The second pool: the last pool1_cpus CPUs leave Pool-0 for it. Each move
 * is made as the CPU itself, which runs nothing yet, so it happens at once. */
static bool build_pool1(const struct sim_config *c)
{
    xencore_poolid_t id;
    int rc = xencore_cpupool_create("sim1", c->pool1_scheduler, &id);
    sim.pool1_id = id;
    if (rc) {
        fail("creating pool sim1 (%s): error %d", sim_scheduler_name(c->pool1_scheduler), rc);
        return false;
    }
    for (unsigned int cpu = c->cpus - c->pool1_cpus; cpu < c->cpus; cpu++) {
        host_set_this_cpu(cpu);
        rc = xencore_cpupool_cpu_remove(0, cpu);
        if (!rc)
            rc = xencore_cpupool_cpu_add(id, cpu);
        if (rc) {
            fail("moving cpu %u to pool sim1: error %d", cpu, rc);
            return false;
        }
    }
    host_set_this_cpu(0);
    struct sched_instance *s = sched_of_cpu(c->cpus - 1);
    if (!s || s->ops->id != c->pool1_scheduler) {
        fail("pool sim1 does not run %s (is it complete?)", sim_scheduler_name(c->pool1_scheduler));
        return false;
    }
    return !c->set_ratelimit || set_ratelimit(id, c->ratelimit_us);
}

/* Pool-0 with the configured scheduler and every CPU; then the second pool. */
static bool build_pools(const struct sim_config *c)
{
    sched_default = sched_find_by_id(c->scheduler);
    if (c->credit2_runqueue >= 0)
        sched_credit2_runqueue = (enum credit2_runqueue_arrangement)c->credit2_runqueue;
    host_set_cpu_count(c->cpus);
    for (unsigned int cpu = 0; cpu < c->cpus; cpu++) {
        host_set_this_cpu(cpu);
        sched_cpu_add(cpu);
    }
    host_set_this_cpu(0);
    struct sched_instance *s = sched_of_cpu(0);
    if (!s || s->ops->id != c->scheduler) {
        fail("Pool-0 does not run %s (is it complete?)", sim_scheduler_name(c->scheduler));
        return false;
    }
    if (c->set_ratelimit && !set_ratelimit(0, c->ratelimit_us))
        return false;
    return !c->pool1_cpus || build_pool1(c);
}

static struct cpupool *pool_of(const struct sim_domain_config *dc)
{
    return dc->pool ? cpupool_by_name("sim1") : cpupool_pool0();
}

static void build_domains(const struct sim_config *c)
{
    sim.domains = xcalloc(c->domain_count, sizeof(*sim.domains));
    for (unsigned int i = 0; i < c->domain_count; i++) {
        struct domain *d = &sim.domains[i].d;
        d->domid = (xencore_domid_t)(i + 1);
        snprintf(d->name, sizeof(d->name), "sim%u", i);
        d->state = XENCORE_DOMAIN_RUNNING;
    }
}

/* As domain creation does once the vCPUs exist: the domain joins its pool,
 * gets its weight and cap, then its vCPUs enter the scheduler. */
static bool join_pools(const struct sim_config *c)
{
    for (unsigned int i = 0; i < c->domain_count; i++) {
        struct domain *d = &sim.domains[i].d;
        const struct sim_domain_config *dc = &c->domains[i];
        struct cpupool *pool = pool_of(dc);
        cpupool_add_domain(pool, d);
        struct sched_instance *s = &pool->sched;
        if (!dc->weight && !dc->cap)
            continue;
        if (!s->ops->dom_params) {
            fail("domain %u: %s has no weight or cap", i, s->ops->name);
            return false;
        }
        struct xencore_sched_params p = {
            .weight = dc->weight ? dc->weight : SIM_DEFAULT_WEIGHT,
            .cap = dc->cap,
        };
        int rc = s->ops->dom_params(s, d, &p, true);
        if (rc) {
            fail("domain %u: weight %u cap %u refused: error %d", i, p.weight, p.cap, rc);
            return false;
        }
    }
    return true;
}

static void build_vcpus(const struct sim_config *c)
{
    sim.vcpus = xcalloc(c->vcpu_count, sizeof(*sim.vcpus));
    for (unsigned int i = 0; i < c->vcpu_count; i++) {
        struct sim_vcpu *sv = &sim.vcpus[i];
        const struct sim_vcpu_config *vc = &c->vcpus[i];
        struct domain *d = &sim.domains[vc->domain].d;
        struct vcpu *v = &sv->v;
        sv->cfg = vc;
        sv->index = i;
        sv->running_on = -1;
        sv->last_cpu = -1;
        sv->turn_cpu = -1;
        sv->remaining_ns = vc->run_ns;
        timer_init(&sv->wake_timer, wake_timer_fired, sv);
        v->id = d->nr_vcpus;
        v->domain = d;
        d->vcpus[d->nr_vcpus++] = v;
        v->up = true;
        v->initialised = true;
        if (vc->hard_set)
            v->hard_affinity = vc->hard;
        else
            cpumask_set_all(&v->hard_affinity);
        if (vc->soft_set)
            v->soft_affinity = vc->soft;
        else
            cpumask_set_all(&v->soft_affinity);
        /* Spread the starting CPUs over the pool's CPUs that the hard
         * affinity allows, as vCPUs created over time would be. */
        cpumask_t allowed;
        cpumask_and(&allowed, &v->hard_affinity, &pool_of(&c->domains[vc->domain])->sched.cpus);
        unsigned int start = cpumask_next(&allowed, i % c->cpus);
        v->processor = start < c->cpus ? start : cpumask_first(&allowed);
        v->runstate = RUNSTATE_runnable;
        timer_init(&v->singleshot_timer, NULL, v);
        timer_init(&v->poll_timer, NULL, v);
    }
}

static bool start_vcpus(const struct sim_config *c)
{
    for (unsigned int i = 0; i < c->vcpu_count; i++) {
        struct sim_vcpu *sv = &sim.vcpus[i];
        struct vcpu *v = &sv->v;
        if (v->processor >= c->cpus) {
            fail("vcpu %u: its hard affinity names no CPU of its pool", i);
            return false;
        }
        host_set_this_cpu(v->processor);
        if (sv->cfg->workload == SIM_PERIODIC) {
            /* Asleep until a first deadline, spread over a period so that
             * several probes do not wake in step. */
            v->blocked = true;
            sched_vcpu_insert(v);
            arm_wake(sv, PERIODIC_FIRST_WAKE_MIN_NS + random_next() % sv->cfg->period_ns,
                     v->processor);
        } else {
            sched_vcpu_insert(v);
            sched_vcpu_wake(v);
        }
    }
    host_set_this_cpu(0);
    return true;
}

/* ---- The run ------------------------------------------------------------------------ */

static int compare_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void sort_samples(struct samples *s)
{
    qsort(s->values, s->count, sizeof(*s->values), compare_u64);
}

/* Nearest-rank percentile of sorted samples (at least one). */
static uint64_t percentile(const struct samples *s, unsigned int pct)
{
    uint64_t rank = (s->count * pct + 99) / 100;
    return s->values[rank ? rank - 1 : 0];
}

static void finish(const struct sim_config *c)
{
    uint64_t end = arch_now_ns();
    for (unsigned int cpu = 0; cpu < c->cpus; cpu++) {
        struct sim_cpu *pc = &sim.cpus[cpu];
        if (pc->cur)
            account_run(pc->cur, cpu, end);
        else
            sim.r->idle_ns += measured(pc->idle_since, end);
    }
    sim.r->measured_ns = measured(0, end);
    struct sim_latency *l = &sim.r->latency;
    l->samples = sim.latency.count;
    if (sim.latency.count) {
        sort_samples(&sim.latency);
        l->p50_ns = percentile(&sim.latency, 50);
        l->p99_ns = percentile(&sim.latency, 99);
        l->max_ns = sim.latency.values[sim.latency.count - 1];
    }
    if (sim.costs.count) {
        sort_samples(&sim.costs);
        sim.r->cost_p50_ns = percentile(&sim.costs, 50);
        sim.r->cost_p99_ns = percentile(&sim.costs, 99);
    }
}

/* ---- CPUs moving between pools at run time ------------------------------------------ */

/* The times of the configured moves, in order: 0 if there are no more. */
static uint64_t next_move_at(const struct sim_config *c)
{
    if (!c->pool1_cpus || sim.move_pending)
        return 0;
    if (sim.moves_started == 0)
        return c->move_cpu_at_ns;
    if (sim.moves_started == 1 && c->move_cpu_at_ns)
        return c->move_cpu_back_ns;
    return 0;
}

/* Starts the next move: the CPU leaves its pool, asked as itself. */
static void start_move(const struct sim_config *c)
{
    unsigned int cpu = c->cpus - 1;
    bool back = sim.moves_started++ == 1;
    xencore_poolid_t from = back ? 0 : sim.pool1_id;
    host_set_this_cpu(cpu);
    int rc = xencore_cpupool_cpu_remove(from, cpu);
    if (rc) {
        fail("moving cpu %u out of pool %u: error %d", cpu, from, rc);
        return;
    }
    sim.move_pending = true;
    sim.move_cpu = cpu;
    sim.move_to = back ? sim.pool1_id : 0;
}

/* After the CPUs settled: the moving CPU has left (it made a decision) and
 * joins its new pool. */
static void finish_move(void)
{
    if (!sim.move_pending)
        return;
    unsigned int cpu = sim.move_cpu;
    if (sched_of_cpu(cpu)) {
        fail("cpu %u did not leave its pool at its next decision", cpu);
        return;
    }
    host_set_this_cpu(cpu);
    int rc = xencore_cpupool_cpu_add(sim.move_to, cpu);
    if (rc) {
        fail("moving cpu %u into pool %u: error %d", cpu, sim.move_to, rc);
        return;
    }
    sim.move_pending = false;
    sim.r->cpu_moves++;
}

static void run_loop(const struct sim_config *c)
{
    uint64_t end = c->duration_ns;
    uint64_t last_time = 0;
    unsigned long same_instant = 0;
    while (!sim.failed) {
        settle();
        finish_move();
        settle();
        uint64_t now = arch_now_ns();
        if (sim.failed || now >= end)
            break;
        uint64_t next = end;
        uint64_t move_at = next_move_at(c);
        if (move_at && move_at < next)
            next = move_at;
        unsigned int timer_cpu;
        uint64_t deadline = host_next_deadline(&timer_cpu);
        if (deadline < next)
            next = deadline;
        const struct burst_end *e = heap_top();
        if (e && e->at < next)
            next = e->at;
        if (next < now)
            next = now; /* a timer armed in the past fires at once */
        if (next == last_time && ++same_instant > SAME_INSTANT_EVENTS_MAX) {
            fail("time stands still at %llu ns (a timer keeps firing)", (unsigned long long)next);
            break;
        }
        if (next != last_time)
            same_instant = 0;
        last_time = next;
        host_set_time(next);

        while ((e = heap_top()) && e->at <= next) {
            unsigned int cpu = e->cpu;
            heap_pop();
            sim.cpus[cpu].generation++;
            burst_ended(cpu, next);
            mark_for_check(cpu);
        }
        while (host_next_deadline(&timer_cpu) <= next) {
            host_fire_timer(timer_cpu);
            mark_for_check(timer_cpu);
        }
        move_at = next_move_at(c);
        if (move_at && move_at <= next)
            start_move(c);
    }
    if (!sim.failed && arch_now_ns() < end)
        host_set_time(end);
    finish(c);
}

void sim_run_here(const struct sim_config *c, struct sim_result *r,
                  struct sim_vcpu_result *per_vcpu)
{
    memset(r, 0, sizeof(*r));
    r->ok = true;
    r->hog_preempt_min_run_ns = UINT64_MAX;
    r->hog_turn_min_cpu_ns = UINT64_MAX;
    sim.c = c;
    sim.r = r;
    if (sim.ran) {
        fail("sim_run_here: one run per process");
        return;
    }
    sim.ran = true;
    sim.rng = c->seed * 0x9E3779B97F4A7C15ULL + 1;
    sim.trace = getenv("XENCORE_SIM_TRACE") != NULL;
    if (!config_valid(c))
        return;
    struct sim_vcpu_result *out = per_vcpu;
    if (!out)
        out = xcalloc(c->vcpu_count, sizeof(*out));
    memset(out, 0, c->vcpu_count * sizeof(*out));

    arena_init();
    sim.cpus = xcalloc(c->cpus, sizeof(*sim.cpus));
    sim.check_list = xcalloc(c->cpus, sizeof(*sim.check_list));
    if (!build_pools(c))
        return;
    /* The CPUs come up idle before any domain exists, as at boot: each
     * answers the request its joining made, and finds nothing to run. */
    settle();
    build_domains(c);
    build_vcpus(c);
    for (unsigned int i = 0; i < c->vcpu_count; i++)
        sim.vcpus[i].out = &out[i];
    if (!join_pools(c) || !start_vcpus(c))
        return;
    run_loop(c);
}

int sim_run(const struct sim_config *c, struct sim_result *r, struct sim_vcpu_result *per_vcpu)
{
    size_t vcpu_bytes = (size_t)c->vcpu_count * sizeof(*per_vcpu);
    size_t bytes = sizeof(*r) + vcpu_bytes;
    void *shared = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shared == MAP_FAILED)
        return -1;
    struct sim_result *child_r = shared;
    struct sim_vcpu_result *child_pv = (struct sim_vcpu_result *)(child_r + 1);
    memset(shared, 0, bytes);
    snprintf(child_r->failure, sizeof(child_r->failure), "the simulator did not finish");

    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        munmap(shared, bytes);
        return -1;
    }
    if (pid == 0) {
        struct sim_result local;
        sim_run_here(c, &local, child_pv);
        *child_r = local;
        fflush(NULL);
        _exit(0); /* no exit handlers: the child's memory is not worth a leak report */
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        ;
    *r = *child_r;
    if (per_vcpu)
        memcpy(per_vcpu, child_pv, vcpu_bytes);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        r->ok = false;
        if (WIFSIGNALED(status))
            snprintf(r->failure, sizeof(r->failure),
                     "the simulator died with signal %d (see its output above)", WTERMSIG(status));
        else
            snprintf(r->failure, sizeof(r->failure), "the simulator exited with status %d",
                     WEXITSTATUS(status));
    }
    munmap(shared, bytes);
    return 0;
}
