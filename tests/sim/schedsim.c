/* xencore-schedsim: the scheduler simulator's bench table.
 *
 * Prints, for credit and credit2 side by side, what issue 4 asks to be
 * measured in the simulator:
 *   (a) wake-up latency on one CPU: a probe vCPU that wakes every 1 ms from a
 *       timer (fixed, or jittered in [1, 2) ms), works 50 us and blocks, next
 *       to 0/1/2/4 spinning vCPUs of its domain; delay from the deadline to
 *       running, and how far the spinners are from equal shares;
 *   (b) the same with 8 spinners per CPU on many CPUs;
 *   (c) fairness: largest error of CPU-bound vCPUs' shares against weights
 *       and caps;
 *   (d) the cost of one scheduling decision (schedule_put + schedule_pick, ns
 *       of host time) as vCPUs and CPUs grow, with vCPUs per credit2
 *       runqueue (one runqueue per socket of 8 CPUs in the host arch).
 * Each run is a fresh process (sim_run). The core here is built without
 * sanitizers and with -O2 (tests/sim/CMakeLists.txt), so (d) is meaningful;
 * it is still host time, not hypervisor instructions, and includes the
 * framework's locking and timer re-arming, as a real decision does.
 *
 * Usage: xencore-schedsim [--quick] [--table a|b|c|d]...
 *   --quick  shorter runs (a smoke test; figures are noisier).
 * Exit status 1 if any run failed (an invariant broke, or a run died). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

#define PROBE_PERIOD_NS (1 * SIM_NS_PER_MS)
#define PROBE_WORK_NS (50 * SIM_NS_PER_US)
#define HOST_CPUS_PER_SOCKET 8u /* the host arch's topology (arch_cpu_topology) */
#define MANY_CPUS_HOGS_PER_CPU 8u
#define COST_DECISIONS_TARGET 40000ULL

static const enum xencore_scheduler schedulers[] = {XENCORE_SCHED_CREDIT, XENCORE_SCHED_CREDIT2};
#define SCHEDULER_COUNT (sizeof(schedulers) / sizeof(schedulers[0]))

static bool quick;
static bool any_failed; /* some run broke an invariant or died: exit status 1 */

struct outcome {
    struct sim_result r;
    double share_error;
    bool ran;
};

static void run(struct sim_builder *b, struct outcome *o)
{
    struct sim_vcpu_result *pv = calloc(b->config.vcpu_count, sizeof(*pv));
    if (!pv)
        abort();
    memset(o, 0, sizeof(*o));
    if (sim_run(&b->config, &o->r, pv) == 0) {
        o->ran = true;
        o->share_error = sim_hog_share_error(&b->config, &o->r, pv);
    }
    if (!o->ran || !o->r.ok)
        any_failed = true;
    free(pv);
}

static bool good(const struct outcome *o)
{
    return o->ran && o->r.ok;
}

static void print_failure(const char *what, const struct outcome *o)
{
    if (!good(o))
        printf("    %s: %s\n", what, o->ran ? o->r.failure : "could not start");
}

static double us(uint64_t ns)
{
    return (double)ns / SIM_NS_PER_US;
}

/* A domain with the probe and @hogs spinners. */
static void add_probe_group(struct sim_builder *b, unsigned int hogs, bool jitter)
{
    unsigned int d = sim_add_domain(b, 0, 0);
    sim_add_periodic(b, d, PROBE_PERIOD_NS, PROBE_WORK_NS, jitter);
    for (unsigned int i = 0; i < hogs; i++)
        sim_add_hog(b, d);
}

#define CELL_WIDTH "42"

static void latency_cell(const struct outcome *o)
{
    if (!good(o)) {
        printf(" | %-" CELL_WIDTH "s", "FAILED");
        return;
    }
    if (o->r.sticky_reschedule_flag) {
        printf(" | %-" CELL_WIDTH "s", "n/a: reschedule flag never clears");
        return;
    }
    const struct sim_latency *l = &o->r.latency;
    printf(" | %7.1f %8.1f %9.1f %6.2f%%", us(l->p50_ns), us(l->p99_ns), us(l->max_ns),
           100.0 * o->share_error);
    if (o->r.hog_turns_ended)
        printf(" %7.2f", (double)o->r.hog_turn_min_cpu_ns / SIM_NS_PER_MS);
    else
        printf(" %7s", "-");
}

static void latency_header(const char *first)
{
    printf("%-22s", first);
    for (unsigned int s = 0; s < SCHEDULER_COUNT; s++)
        printf(" | %-" CELL_WIDTH "s", sim_scheduler_name(schedulers[s]));
    printf("\n%-22s", "");
    for (unsigned int s = 0; s < SCHEDULER_COUNT; s++)
        printf(" | %7s %8s %9s %7s %7s", "p50 us", "p99 us", "max us", "share", "turn ms");
    printf("\n");
}

static void table_latency_one_cpu(void)
{
    static const unsigned int hog_counts[] = {0, 1, 2, 4};
    uint64_t duration = (quick ? 2 : 10) * SIM_NS_PER_S;
    printf("(a) Wake-up latency, 1 CPU: probe wakes every 1 ms (jittered: 1-2 ms), works 50 us;\n"
           "    delay from its timer deadline to running. share = largest error of the\n"
           "    spinners' CPU time against equal shares of what the probe leaves. turn =\n"
           "    least CPU time a spinner had before another spinner took its CPU (the\n"
           "    rate limit, 1 ms, must hold; '-': never happened). IPIs and switches cost\n"
           "    nothing here: a delay is the policy's own. %llu s each.\n\n",
           (unsigned long long)(duration / SIM_NS_PER_S));
    latency_header("spinners, period");
    for (unsigned int j = 0; j < 2; j++) {
        for (unsigned int h = 0; h < sizeof(hog_counts) / sizeof(hog_counts[0]); h++) {
            struct outcome o[SCHEDULER_COUNT];
            for (unsigned int s = 0; s < SCHEDULER_COUNT; s++) {
                struct sim_builder b;
                sim_builder_init(&b, schedulers[s], 1, duration);
                b.config.seed = h + 1;
                add_probe_group(&b, hog_counts[h], j);
                run(&b, &o[s]);
                sim_builder_free(&b);
            }
            char label[32];
            snprintf(label, sizeof(label), "%u, %s", hog_counts[h], j ? "jittered" : "fixed");
            printf("%-22s", label);
            for (unsigned int s = 0; s < SCHEDULER_COUNT; s++)
                latency_cell(&o[s]);
            printf("\n");
            for (unsigned int s = 0; s < SCHEDULER_COUNT; s++)
                print_failure(sim_scheduler_name(schedulers[s]), &o[s]);
        }
    }
    printf("\n");
}

static void table_latency_many_cpus(void)
{
    static const unsigned int cpu_counts[] = {16, 64};
    uint64_t duration = (quick ? 1 : 4) * SIM_NS_PER_S;
    printf("(b) Wake-up latency on many CPUs: per CPU one probe (as in (a)) and %u spinners\n"
           "    in its domain; all vCPUs may run anywhere. %llu s each.\n\n",
           MANY_CPUS_HOGS_PER_CPU, (unsigned long long)(duration / SIM_NS_PER_S));
    latency_header("CPUs, period");
    for (unsigned int j = 0; j < 2; j++) {
        for (unsigned int c = 0; c < sizeof(cpu_counts) / sizeof(cpu_counts[0]); c++) {
            struct outcome o[SCHEDULER_COUNT];
            for (unsigned int s = 0; s < SCHEDULER_COUNT; s++) {
                struct sim_builder b;
                sim_builder_init(&b, schedulers[s], cpu_counts[c], duration);
                b.config.seed = c + 7;
                for (unsigned int cpu = 0; cpu < cpu_counts[c]; cpu++)
                    add_probe_group(&b, MANY_CPUS_HOGS_PER_CPU, j);
                run(&b, &o[s]);
                sim_builder_free(&b);
            }
            char label[32];
            snprintf(label, sizeof(label), "%u, %s", cpu_counts[c], j ? "jittered" : "fixed");
            printf("%-22s", label);
            for (unsigned int s = 0; s < SCHEDULER_COUNT; s++)
                latency_cell(&o[s]);
            printf("\n");
            for (unsigned int s = 0; s < SCHEDULER_COUNT; s++)
                print_failure(sim_scheduler_name(schedulers[s]), &o[s]);
        }
    }
    printf("\n");
}

/* ---- (c) fairness --------------------------------------------------------- */

static const uint32_t weight_cycle[] = {256, 512, 1024};
#define WEIGHT_CYCLE (sizeof(weight_cycle) / sizeof(weight_cycle[0]))

static void build_weights(struct sim_builder *b, unsigned int hogs)
{
    for (unsigned int i = 0; i < hogs; i++)
        sim_add_hog(b, sim_add_domain(b, weight_cycle[i % WEIGHT_CYCLE], 0));
}

static void scenario_1cpu_weights(struct sim_builder *b)
{
    build_weights(b, 3);
}

static void scenario_4cpu_weights(struct sim_builder *b)
{
    build_weights(b, 12);
}

static void scenario_cap(struct sim_builder *b)
{
    sim_add_hog(b, sim_add_domain(b, 0, 30));
    sim_add_hog(b, sim_add_domain(b, 0, 0));
}

static void scenario_mixed(struct sim_builder *b)
{
    build_weights(b, 24);
    for (unsigned int i = 0; i < 8; i++)
        sim_add_io(b, sim_add_domain(b, 0, 0), 200 * SIM_NS_PER_US, 800 * SIM_NS_PER_US);
}

static void scenario_many(struct sim_builder *b)
{
    build_weights(b, 8 * 64);
}

struct fairness_scenario {
    const char *name;
    unsigned int cpus;
    void (*build)(struct sim_builder *b);
};

static void table_fairness(void)
{
    static const struct fairness_scenario scenarios[] = {
        {"1 CPU, weights 256/512/1024", 1, scenario_1cpu_weights},
        {"4 CPUs, 12 hogs 256/512/1024", 4, scenario_4cpu_weights},
        {"1 CPU, cap 30% + hog", 1, scenario_cap},
        {"8 CPUs, 24 hogs + 8 I/O", 8, scenario_mixed},
        {"64 CPUs, 512 hogs 256/512/1024", 64, scenario_many},
    };
    uint64_t duration = (quick ? 3 : 20) * SIM_NS_PER_S;
    printf("(c) Fairness: largest |received / entitled - 1| of the CPU-bound vCPUs\n"
           "    (weights, caps; entitled = weighted max-min share of the CPUs). %llu s each.\n\n",
           (unsigned long long)(duration / SIM_NS_PER_S));
    printf("%-34s", "scenario");
    for (unsigned int s = 0; s < SCHEDULER_COUNT; s++)
        printf(" | %10s", sim_scheduler_name(schedulers[s]));
    printf("\n");
    for (unsigned int i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
        struct outcome o[SCHEDULER_COUNT];
        for (unsigned int s = 0; s < SCHEDULER_COUNT; s++) {
            struct sim_builder b;
            uint64_t d = scenarios[i].cpus > 8 ? duration / 4 : duration;
            sim_builder_init(&b, schedulers[s], scenarios[i].cpus, d);
            scenarios[i].build(&b);
            run(&b, &o[s]);
            sim_builder_free(&b);
        }
        printf("%-34s", scenarios[i].name);
        for (unsigned int s = 0; s < SCHEDULER_COUNT; s++) {
            if (good(&o[s]))
                printf(" | %9.2f%%", 100.0 * o[s].share_error);
            else
                printf(" | %10s", "FAILED");
        }
        printf("\n");
        for (unsigned int s = 0; s < SCHEDULER_COUNT; s++)
            print_failure(sim_scheduler_name(schedulers[s]), &o[s]);
    }
    printf("\n");
}

/* ---- (d) decision cost ---------------------------------------------------- */

static void table_cost(void)
{
    static const unsigned int cpu_counts[] = {4, 16, 64, 512};
    static const unsigned int vcpu_counts[] = {16, 256, 1024, 4096};
    printf("(d) Cost of one scheduling decision (schedule_put + schedule_pick), host ns,\n"
           "    median and 99th percentile, every vCPU a hog; credit2 rq = vCPUs per\n"
           "    runqueue (one runqueue per %u-CPU socket).\n\n",
           HOST_CPUS_PER_SOCKET);
    printf("%5s %6s", "CPUs", "vCPUs");
    for (unsigned int s = 0; s < SCHEDULER_COUNT; s++)
        printf(" | %-8s %8s %9s", sim_scheduler_name(schedulers[s]), "p50 ns", "p99 ns");
    printf(" | %s\n", "credit2 rq");
    for (unsigned int c = 0; c < sizeof(cpu_counts) / sizeof(cpu_counts[0]); c++) {
        for (unsigned int v = 0; v < sizeof(vcpu_counts) / sizeof(vcpu_counts[0]); v++) {
            unsigned int cpus = cpu_counts[c], vcpus = vcpu_counts[v];
            if (vcpus < cpus)
                continue;
            /* Enough decisions for stable percentiles: about one per CPU per ms. */
            uint64_t ms = COST_DECISIONS_TARGET / cpus;
            if (quick)
                ms /= 8;
            if (ms < 50)
                ms = 50;
            struct outcome o[SCHEDULER_COUNT];
            for (unsigned int s = 0; s < SCHEDULER_COUNT; s++) {
                struct sim_builder b;
                sim_builder_init(&b, schedulers[s], cpus, ms * SIM_NS_PER_MS);
                b.config.measure_cost = true;
                for (unsigned int i = 0; i < vcpus; i++)
                    sim_add_hog(&b, sim_add_domain(&b, 0, 0));
                run(&b, &o[s]);
                sim_builder_free(&b);
            }
            printf("%5u %6u", cpus, vcpus);
            for (unsigned int s = 0; s < SCHEDULER_COUNT; s++) {
                if (good(&o[s]) && o[s].r.decisions)
                    printf(" | %-8s %8llu %9llu", "", (unsigned long long)o[s].r.cost_p50_ns,
                           (unsigned long long)o[s].r.cost_p99_ns);
                else
                    printf(" | %-8s %8s %9s", "", "FAILED", "");
            }
            unsigned int runqueues = (cpus + HOST_CPUS_PER_SOCKET - 1) / HOST_CPUS_PER_SOCKET;
            printf(" | %u\n", vcpus / runqueues);
            for (unsigned int s = 0; s < SCHEDULER_COUNT; s++)
                print_failure(sim_scheduler_name(schedulers[s]), &o[s]);
        }
    }
    printf("\n");
}

int main(int argc, char **argv)
{
    bool want[4] = {false, false, false, false};
    bool any = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) {
            quick = true;
        } else if (!strcmp(argv[i], "--table") && i + 1 < argc && strlen(argv[i + 1]) == 1 &&
                   argv[i + 1][0] >= 'a' && argv[i + 1][0] <= 'd') {
            want[argv[++i][0] - 'a'] = true;
            any = true;
        } else {
            fprintf(stderr, "usage: %s [--quick] [--table a|b|c|d]...\n", argv[0]);
            return 2;
        }
    }
    if (!any)
        want[0] = want[1] = want[2] = want[3] = true;
    printf("xencore scheduler simulator: credit and credit2, default settings\n"
           "(rate limit 1 ms; the core's real scheduling path on a virtual clock)\n\n");
    if (want[0])
        table_latency_one_cpu();
    if (want[1])
        table_latency_many_cpus();
    if (want[2])
        table_fairness();
    if (want[3])
        table_cost();
    if (any_failed)
        printf("Some runs FAILED (an invariant broke or a scheduler is missing): see above.\n");
    return any_failed ? 1 : 0;
}
