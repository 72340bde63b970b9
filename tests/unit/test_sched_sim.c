/* Scheduling behaviour users rely on, checked through the scheduler
 * simulator (tests/sim): the core's real put/pick path, its timers and its
 * IPIs, on a virtual clock with synthetic vCPUs.
 *
 * For credit and credit2 each: CPU time follows weights (one CPU, and four
 * CPUs with twelve hogs) and caps within 5% over a long run; hard affinity is
 * never violated with random affinities on 8 CPUs (the simulator checks every
 * pick: runnable, claimed by one CPU, inside its hard affinity and its pool);
 * soft affinity is honoured when there are free CPUs; CPU-bound vCPUs are
 * never switched faster than the rate limit. For credit2, the default
 * scheduler, issue 4's latency target: a vCPU that wakes every 1 ms (fixed or
 * jittered) and works 50 us starts within 100 us at p99 and 1 ms at worst
 * next to 1, 2 or 4 spinning vCPUs, which keep their equal shares within 2%.
 * null only gets the invariant checks (it does not time-share). Two pools
 * (credit2 beside credit, and null beside null) never share a CPU, also
 * while a CPU moves from one to the other and back under load.
 *
 * Each simulation runs in a child process (fresh core); a failure message
 * names the broken invariant. Runs are sized to keep the whole file well
 * under a minute with the sanitizers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim.h"

#define SHARE_TOLERANCE 0.05         /* weights and caps: within 5% */
#define LATENCY_SHARE_TOLERANCE 0.02 /* spinners next to the probe: within 2% */
#define LATENCY_P99_LIMIT_NS (100 * SIM_NS_PER_US)
#define LATENCY_MAX_LIMIT_NS (1 * SIM_NS_PER_MS)
#define PROBE_PERIOD_NS (1 * SIM_NS_PER_MS)
#define PROBE_WORK_NS (50 * SIM_NS_PER_US)
#define DEFAULT_RATELIMIT_NS (1000 * SIM_NS_PER_US)
#define LONG_RATELIMIT_US 5000
#define SOFT_AFFINITY_MIN_FRACTION 0.95
#define AFFINITY_CPUS 8

static const uint32_t weights[] = {256, 512, 1024};
#define WEIGHT_COUNT (sizeof(weights) / sizeof(weights[0]))

/* The run being checked: freed by the teardown, so a failing check (which
 * leaves the test function at once) leaks nothing. */
static struct sim_builder b;
static struct sim_vcpu_result *pv;
static double *expected;

static void forget_run(void)
{
    free(pv);
    free(expected);
    pv = NULL;
    expected = NULL;
    sim_builder_free(&b);
}

static void new_run(enum xencore_scheduler s, unsigned int cpus, uint64_t duration_ns)
{
    forget_run();
    sim_builder_init(&b, s, cpus, duration_ns);
}

static int teardown(void **state)
{
    (void)state;
    forget_run();
    return 0;
}

/* Runs @run, fills pv; fails the test with the simulator's message if an
 * invariant broke. */
static void run_ok(struct sim_builder *run, struct sim_result *r)
{
    free(pv);
    pv = calloc(run->config.vcpu_count, sizeof(*pv));
    assert_non_null(pv);
    assert_int_equal(sim_run(&run->config, r, pv), 0);
    if (!r->ok)
        fail_msg("%s: %s", sim_scheduler_name(run->config.scheduler), r->failure);
    assert_true(r->invariant_checks > 0);
}

static void assert_shares(const struct sim_result *r, double tolerance)
{
    free(expected);
    expected = calloc(b.config.vcpu_count, sizeof(*expected));
    assert_non_null(expected);
    sim_expected_shares(&b.config, r, pv, expected);
    double error = sim_hog_share_error(&b.config, r, pv);
    if (error > tolerance) {
        for (unsigned int i = 0; i < b.config.vcpu_count; i++)
            print_message("  vcpu %u (weight %u cap %u): %.4f of a CPU, entitled to %.4f\n", i,
                          b.config.domains[b.config.vcpus[i].domain].weight,
                          b.config.domains[b.config.vcpus[i].domain].cap,
                          (double)pv[i].run_ns / (double)r->measured_ns,
                          expected[i] / (double)r->measured_ns);
        fail_msg("%s: shares off by %.1f%% (limit %.1f%%)", sim_scheduler_name(b.config.scheduler),
                 100 * error, 100 * tolerance);
    }
}

/* ---- Weights and caps ------------------------------------------------------- */

static void weights_on(enum xencore_scheduler s, unsigned int cpus, unsigned int hogs)
{
    new_run(s, cpus, 20 * SIM_NS_PER_S);
    for (unsigned int i = 0; i < hogs; i++)
        sim_add_hog(&b, sim_add_domain(&b, weights[i % WEIGHT_COUNT], 0));
    struct sim_result r;
    run_ok(&b, &r);
    assert_shares(&r, SHARE_TOLERANCE);
}

static void test_credit_weights_one_cpu(void **state)
{
    (void)state;
    weights_on(XENCORE_SCHED_CREDIT, 1, 3);
}

static void test_credit2_weights_one_cpu(void **state)
{
    (void)state;
    weights_on(XENCORE_SCHED_CREDIT2, 1, 3);
}

static void test_credit_weights_four_cpus(void **state)
{
    (void)state;
    weights_on(XENCORE_SCHED_CREDIT, 4, 12);
}

static void test_credit2_weights_four_cpus(void **state)
{
    (void)state;
    weights_on(XENCORE_SCHED_CREDIT2, 4, 12);
}

/* A hog capped at 30% of a CPU next to an uncapped one: 30% and 70%. */
static void cap_on(enum xencore_scheduler s)
{
    new_run(s, 1, 20 * SIM_NS_PER_S);
    sim_add_hog(&b, sim_add_domain(&b, 0, 30));
    sim_add_hog(&b, sim_add_domain(&b, 0, 0));
    struct sim_result r;
    run_ok(&b, &r);
    assert_shares(&r, SHARE_TOLERANCE);
}

static void test_credit_cap(void **state)
{
    (void)state;
    cap_on(XENCORE_SCHED_CREDIT);
}

static void test_credit2_cap(void **state)
{
    (void)state;
    cap_on(XENCORE_SCHED_CREDIT2);
}

/* ---- Wake-up latency (credit2) ---------------------------------------------- */

static void latency_with(unsigned int hogs, bool jitter)
{
    new_run(XENCORE_SCHED_CREDIT2, 1, 4 * SIM_NS_PER_S);
    b.config.seed = hogs;
    unsigned int d = sim_add_domain(&b, 0, 0);
    sim_add_periodic(&b, d, PROBE_PERIOD_NS, PROBE_WORK_NS, jitter);
    for (unsigned int i = 0; i < hogs; i++)
        sim_add_hog(&b, d);
    struct sim_result r;
    run_ok(&b, &r);
    if (r.sticky_reschedule_flag)
        fail_msg("schedule_pick() leaves the CPU's reschedule flag set: every timer interrupt "
                 "looks like a request, so wake-up latency cannot be measured (tests/sim/sim.h)");
    const struct sim_latency *l = &r.latency;
    print_message("  credit2, %u spinners, %s period: p50 %llu ns, p99 %llu ns, max %llu ns "
                  "(%llu wake-ups)\n",
                  hogs, jitter ? "jittered" : "fixed", (unsigned long long)l->p50_ns,
                  (unsigned long long)l->p99_ns, (unsigned long long)l->max_ns,
                  (unsigned long long)l->samples);
    /* The probe woke about once per period (1.5 periods on average when
     * jittered) over the measured time, so the figures are about it. */
    uint64_t mean_period = jitter ? PROBE_PERIOD_NS * 3 / 2 : PROBE_PERIOD_NS;
    assert_true(l->samples >= r.measured_ns / mean_period * 9 / 10);
    if (l->p99_ns > LATENCY_P99_LIMIT_NS || l->max_ns > LATENCY_MAX_LIMIT_NS)
        fail_msg("credit2 wake-up delay p99 %llu ns (limit %llu), max %llu ns (limit %llu)",
                 (unsigned long long)l->p99_ns, (unsigned long long)LATENCY_P99_LIMIT_NS,
                 (unsigned long long)l->max_ns, (unsigned long long)LATENCY_MAX_LIMIT_NS);
    assert_shares(&r, LATENCY_SHARE_TOLERANCE);
}

static void test_credit2_latency_fixed_period(void **state)
{
    (void)state;
    latency_with(1, false);
    latency_with(2, false);
    latency_with(4, false);
}

static void test_credit2_latency_jittered_period(void **state)
{
    (void)state;
    latency_with(1, true);
    latency_with(2, true);
    latency_with(4, true);
}

/* ---- Affinity ------------------------------------------------------------------ */

static uint64_t rng_state;

static uint64_t rng(void)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return rng_state >> 33;
}

/* 24 vCPUs (hogs and I/O-bound) with random hard affinities on 8 CPUs: every
 * pick is checked by the simulator; each vCPU gets some CPU time. */
static void hard_affinity_on(enum xencore_scheduler s, bool all_must_run)
{
    new_run(s, AFFINITY_CPUS, 2 * SIM_NS_PER_S);
    rng_state = 42;
    for (unsigned int i = 0; i < 24; i++) {
        /* null has no weights */
        unsigned int d =
            sim_add_domain(&b, s == XENCORE_SCHED_NULL ? 0 : weights[i % WEIGHT_COUNT], 0);
        struct sim_vcpu_config *vc =
            i % 3 == 2 ? sim_add_io(&b, d, 150 * SIM_NS_PER_US, 400 * SIM_NS_PER_US)
                       : sim_add_hog(&b, d);
        vc->hard_set = true;
        while (!vc->hard.bits[0])
            vc->hard.bits[0] = rng() & ((1u << AFFINITY_CPUS) - 1);
    }
    struct sim_result r;
    run_ok(&b, &r);
    if (all_must_run)
        for (unsigned int i = 0; i < b.config.vcpu_count; i++)
            if (!pv[i].run_ns)
                fail_msg("%s: vcpu %u (hard affinity %#llx) never ran", sim_scheduler_name(s), i,
                         (unsigned long long)b.config.vcpus[i].hard.bits[0]);
}

static void test_credit_hard_affinity(void **state)
{
    (void)state;
    hard_affinity_on(XENCORE_SCHED_CREDIT, true);
}

static void test_credit2_hard_affinity(void **state)
{
    (void)state;
    hard_affinity_on(XENCORE_SCHED_CREDIT2, true);
}

static void test_null_hard_affinity(void **state)
{
    (void)state;
    hard_affinity_on(XENCORE_SCHED_NULL, false);
}

/* Four hogs on eight CPUs, each preferring its own CPU: with CPUs to spare,
 * each runs on its preferred CPU nearly all the time. */
static void soft_affinity_on(enum xencore_scheduler s)
{
    new_run(s, AFFINITY_CPUS, 2 * SIM_NS_PER_S);
    for (unsigned int i = 0; i < 4; i++) {
        struct sim_vcpu_config *vc = sim_add_hog(&b, sim_add_domain(&b, 0, 0));
        vc->soft_set = true;
        vc->soft.bits[0] = 1ULL << (2 * i + 1); /* CPUs 1, 3, 5, 7: not where they start */
    }
    struct sim_result r;
    run_ok(&b, &r);
    for (unsigned int i = 0; i < 4; i++) {
        double on_soft = (double)pv[i].run_on_soft_ns / (double)r.measured_ns;
        if (on_soft < SOFT_AFFINITY_MIN_FRACTION)
            fail_msg("%s: vcpu %u ran %.1f%% of the time on its preferred CPU %u (want >= %.0f%%)",
                     sim_scheduler_name(s), i, 100 * on_soft, 2 * i + 1,
                     100 * SOFT_AFFINITY_MIN_FRACTION);
    }
}

static void test_credit_soft_affinity(void **state)
{
    (void)state;
    soft_affinity_on(XENCORE_SCHED_CREDIT);
}

static void test_credit2_soft_affinity(void **state)
{
    (void)state;
    soft_affinity_on(XENCORE_SCHED_CREDIT2);
}

static void test_null_soft_affinity(void **state)
{
    (void)state;
    soft_affinity_on(XENCORE_SCHED_NULL);
}

/* ---- Rate limit ------------------------------------------------------------------ */

/* The machines the rate limit is checked on. */
enum ratelimit_load {
    HOGS_ALONE,      /* 6 hogs of mixed weights on 2 CPUs: switches at the ends of slices */
    HOGS_AND_IO,     /* the same and 2 I/O-bound vCPUs waking every 2 ms, at any moment */
    HOGS_AND_PROBES, /* 16 CPUs, each with a jittered 1 ms probe and 4 hogs in its domain */
    RATELIMIT_LOADS
};

/* A hog whose turn on a CPU another hog ends has had at least the rate
 * limit of CPU time in that turn (a waking I/O-bound vCPU or probe may
 * interrupt a turn; it does not end it: see sim.h). Returns the turns seen
 * ended. */
static uint64_t ratelimit_on(enum xencore_scheduler s, bool set, uint32_t ratelimit_us,
                             enum ratelimit_load load)
{
    static const char *const names[RATELIMIT_LOADS] = {"hogs", "hogs and I/O",
                                                       "16 CPUs, hogs and probes"};
    if (load == HOGS_AND_PROBES) {
        new_run(s, 16, 1 * SIM_NS_PER_S);
        b.config.seed = 3;
        for (unsigned int cpu = 0; cpu < 16; cpu++) {
            unsigned int d = sim_add_domain(&b, weights[cpu % WEIGHT_COUNT], 0);
            sim_add_periodic(&b, d, PROBE_PERIOD_NS, PROBE_WORK_NS, true);
            for (unsigned int i = 0; i < 4; i++)
                sim_add_hog(&b, d);
        }
    } else {
        new_run(s, 2, 3 * SIM_NS_PER_S);
        for (unsigned int i = 0; i < 6; i++)
            sim_add_hog(&b, sim_add_domain(&b, weights[i % WEIGHT_COUNT], 0));
        for (unsigned int i = 0; load == HOGS_AND_IO && i < 2; i++)
            sim_add_io(&b, sim_add_domain(&b, 0, 0), 100 * SIM_NS_PER_US, 1900 * SIM_NS_PER_US);
    }
    b.config.set_ratelimit = set;
    b.config.ratelimit_us = ratelimit_us;
    struct sim_result r;
    run_ok(&b, &r);
    uint64_t limit_ns = set ? ratelimit_us * SIM_NS_PER_US : DEFAULT_RATELIMIT_NS;
    print_message("  %s, rate limit %llu us, %s: %llu turns ended by another hog, shortest %llu "
                  "ns of CPU; %llu direct switches, shortest run since resuming %llu ns\n",
                  sim_scheduler_name(s), (unsigned long long)(limit_ns / SIM_NS_PER_US),
                  names[load], (unsigned long long)r.hog_turns_ended,
                  (unsigned long long)r.hog_turn_min_cpu_ns, (unsigned long long)r.hog_preemptions,
                  (unsigned long long)r.hog_preempt_min_run_ns);
    if (r.hog_turns_ended && r.hog_turn_min_cpu_ns < limit_ns)
        fail_msg("%s, %s: a CPU-bound vCPU lost its CPU to another after %llu ns of CPU time "
                 "(rate limit %llu ns)",
                 sim_scheduler_name(s), names[load], (unsigned long long)r.hog_turn_min_cpu_ns,
                 (unsigned long long)limit_ns);
    return r.hog_turns_ended;
}

static void ratelimit_all(enum xencore_scheduler s)
{
    uint64_t switches = 0;
    for (unsigned int load = 0; load < RATELIMIT_LOADS; load++) {
        switches += ratelimit_on(s, false, 0, load);
        switches += ratelimit_on(s, true, LONG_RATELIMIT_US, load);
    }
    if (!switches) /* else there was nothing to check */
        fail_msg("%s: no CPU-bound vCPU ever took a CPU from another: do the hogs share the CPUs?",
                 sim_scheduler_name(s));
}

static void test_credit_ratelimit(void **state)
{
    (void)state;
    ratelimit_all(XENCORE_SCHED_CREDIT);
}

static void test_credit2_ratelimit(void **state)
{
    (void)state;
    ratelimit_all(XENCORE_SCHED_CREDIT2);
}

/* ---- Pools ------------------------------------------------------------------------ */

/* Eight CPUs split into Pool-0 (@s0) and a second pool (@s1), domains in
 * each, every vCPU allowed on every CPU: only the pools keep them apart, and
 * the simulator checks at every pick that the CPU is in the vCPU's pool.
 * Midway one CPU of the second pool moves to Pool-0 while it runs a vCPU,
 * and later back. Every vCPU runs (a pool's CPUs serve its own domains). */
static void pools_on(enum xencore_scheduler s0, enum xencore_scheduler s1)
{
    new_run(s0, AFFINITY_CPUS, 1 * SIM_NS_PER_S);
    b.config.pool1_cpus = AFFINITY_CPUS / 2;
    b.config.pool1_scheduler = s1;
    b.config.move_cpu_at_ns = 400 * SIM_NS_PER_MS;
    b.config.move_cpu_back_ns = 700 * SIM_NS_PER_MS;
    for (unsigned int pool = 0; pool < 2; pool++) {
        unsigned int hog_domain = sim_add_domain(&b, 0, 0);
        b.domains[hog_domain].pool = pool;
        for (unsigned int i = 0; i < 3; i++)
            sim_add_hog(&b, hog_domain);
        unsigned int io_domain = sim_add_domain(&b, 0, 0);
        b.domains[io_domain].pool = pool;
        sim_add_io(&b, io_domain, 100 * SIM_NS_PER_US, 200 * SIM_NS_PER_US);
    }
    struct sim_result r;
    run_ok(&b, &r);
    assert_int_equal(r.cpu_moves, 2);
    for (unsigned int i = 0; i < b.config.vcpu_count; i++)
        if (!pv[i].run_ns)
            fail_msg("%s + %s: vcpu %u never ran", sim_scheduler_name(s0), sim_scheduler_name(s1),
                     i);
}

static void test_null_pools(void **state)
{
    (void)state;
    pools_on(XENCORE_SCHED_NULL, XENCORE_SCHED_NULL);
}

static void test_credit2_beside_credit_pool(void **state)
{
    (void)state;
    pools_on(XENCORE_SCHED_CREDIT2, XENCORE_SCHED_CREDIT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_null_hard_affinity, teardown),
        cmocka_unit_test_teardown(test_null_soft_affinity, teardown),
        cmocka_unit_test_teardown(test_null_pools, teardown),
        cmocka_unit_test_teardown(test_credit_weights_one_cpu, teardown),
        cmocka_unit_test_teardown(test_credit_weights_four_cpus, teardown),
        cmocka_unit_test_teardown(test_credit_cap, teardown),
        cmocka_unit_test_teardown(test_credit_hard_affinity, teardown),
        cmocka_unit_test_teardown(test_credit_soft_affinity, teardown),
        cmocka_unit_test_teardown(test_credit_ratelimit, teardown),
        cmocka_unit_test_teardown(test_credit2_weights_one_cpu, teardown),
        cmocka_unit_test_teardown(test_credit2_weights_four_cpus, teardown),
        cmocka_unit_test_teardown(test_credit2_cap, teardown),
        cmocka_unit_test_teardown(test_credit2_latency_fixed_period, teardown),
        cmocka_unit_test_teardown(test_credit2_latency_jittered_period, teardown),
        cmocka_unit_test_teardown(test_credit2_hard_affinity, teardown),
        cmocka_unit_test_teardown(test_credit2_soft_affinity, teardown),
        cmocka_unit_test_teardown(test_credit2_ratelimit, teardown),
        cmocka_unit_test_teardown(test_credit2_beside_credit_pool, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
