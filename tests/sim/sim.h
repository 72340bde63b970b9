/* The scheduler simulator: the core's real scheduling path (schedule.c, the
 * cpupools, credit, credit2, null, the per-CPU timers) driven by a virtual
 * clock over synthetic vCPUs, for the unit tests and for measurement.
 *
 * Why a simulator and not a harness per policy: the properties users rely on
 * (shares follow weights, caps hold, a waking vCPU runs promptly, affinity is
 * never violated, CPU-bound vCPUs are not switched faster than the rate limit)
 * come from the whole path: the policy, the framework's put/pick, the
 * scheduling timer, the IPIs that tickle other CPUs. The simulator calls only
 * what the real CPU loop calls, as the CPU it simulates, and nothing inside a
 * policy, so it measures what a guest would see.
 *
 * A run is described by a sim_config (CPUs, scheduler, domains, vCPUs and
 * their workloads) and produces a sim_result. sim_run() runs it in a child
 * process so every run starts from a fresh core (the core has global state
 * and no "reset"), and a crash or sanitizer report in the core ends that run
 * only, reported as a failure. sim_run_here() runs it in the calling process,
 * once per process (for debugging under gdb). */
#ifndef XENCORE_TESTS_SIM_H
#define XENCORE_TESTS_SIM_H

#include <stdbool.h>
#include <stdint.h>

#include <xencore/sched.h>

#define SIM_NS_PER_US 1000ULL
#define SIM_NS_PER_MS 1000000ULL
#define SIM_NS_PER_S 1000000000ULL

/* Most CPUs / domains / vCPUs in one run. */
#define SIM_MAX_CPUS 512
#define SIM_MAX_DOMAINS 4096
#define SIM_MAX_VCPUS 8192

/* What a synthetic vCPU does. */
enum sim_workload {
    /* Always runnable: a CPU hog (spins). */
    SIM_HOG = 0,
    /* I/O-bound: runs run_ns of CPU time, blocks, is woken sleep_ns later
     * (through the core's vcpu_wake, from a timer on its CPU), repeat. */
    SIM_IO = 1,
    /* The latency probe: wakes at a deadline from a one-shot timer, runs
     * run_ns, blocks until its next deadline, period_ns after the previous one
     * (or uniformly in [period_ns, 2 period_ns) with jitter). The delay from
     * each deadline to the moment it is picked is recorded. */
    SIM_PERIODIC = 2,
};

struct sim_vcpu_config {
    enum sim_workload workload;
    unsigned int domain; /* index into sim_config.domains */
    uint64_t run_ns;     /* IO, PERIODIC: CPU time per burst */
    uint64_t sleep_ns;   /* IO: time blocked between bursts */
    uint64_t period_ns;  /* PERIODIC */
    bool jitter;         /* PERIODIC: period uniform in [period_ns, 2 period_ns) */
    bool hard_set;       /* false: hard affinity is every CPU */
    bool soft_set;       /* false: soft affinity is every CPU (no preference) */
    struct xencore_cpumask hard, soft;
};

struct sim_domain_config {
    uint32_t weight;   /* 0: the scheduler's default (256) */
    uint32_t cap;      /* percent of one CPU, 0: none */
    unsigned int pool; /* 0: Pool-0; 1: the second pool (sim_config.pool1_cpus) */
};

struct sim_config {
    enum xencore_scheduler scheduler;
    unsigned int cpus; /* 1..SIM_MAX_CPUS, in Pool-0 unless pool1_cpus */
    /* A second pool, "sim1", made of the last pool1_cpus CPUs (0: none;
     * fewer than cpus), running pool1_scheduler. Moved there through the
     * public cpupool API (xencore_cpupool_create, _cpu_remove, _cpu_add). */
    unsigned int pool1_cpus;
    enum xencore_scheduler pool1_scheduler;
    /* With a second pool: its last CPU moves to Pool-0 at move_cpu_at_ns and
     * back at move_cpu_back_ns (0: never), through the public API, called as
     * that CPU while it runs a vCPU; it joins the other pool once it has left
     * (at its next decision). */
    uint64_t move_cpu_at_ns, move_cpu_back_ns;
    uint32_t ratelimit_us; /* with set_ratelimit: every pool's rate limit */
    bool set_ratelimit;    /* false: the scheduler's default */
    int credit2_runqueue;  /* enum credit2_runqueue_arrangement, or -1: default */
    uint64_t duration_ns;  /* virtual time simulated */
    uint64_t warmup_ns;    /* statistics ignore the time before this */
    uint64_t seed;         /* for jitter; 0 is a valid seed */
    bool measure_cost;     /* time each put+pick on the host clock */
    unsigned int domain_count;
    const struct sim_domain_config *domains;
    unsigned int vcpu_count;
    const struct sim_vcpu_config *vcpus;
};

/* Per vCPU, over the measured time (after warmup). */
struct sim_vcpu_result {
    uint64_t run_ns;         /* CPU time received */
    uint64_t run_on_soft_ns; /* of which on a CPU of its soft affinity */
    uint64_t picks;          /* times a CPU started running it (switches to it) */
    uint64_t migrations;     /* picks on another CPU than the one it last ran on */
};

struct sim_latency {
    uint64_t samples;
    uint64_t p50_ns, p99_ns, max_ns;
    uint64_t missed; /* deadlines already past when the probe blocked (it overran) */
};

struct sim_result {
    bool ok;           /* false: an invariant broke, or the run died */
    char failure[256]; /* what went wrong, the first time */
    uint64_t measured_ns;
    uint64_t idle_ns;   /* summed over CPUs */
    uint64_t decisions; /* put+pick pairs (after warm-up, as the costs) */
    /* Rate limit, as CPU-bound vCPUs (hogs) see it. A hog's turn on a CPU
     * lasts until another hog runs there; I/O-bound or periodic vCPUs that
     * wake and preempt it meanwhile interrupt the turn without ending it.
     * hog_turn_min_cpu_ns: the least CPU time a hog had in a turn that
     * another hog ended while the first was still runnable and not running
     * elsewhere; hog_turns_ended: how often that happened (UINT64_MAX / 0 if
     * never). This is what the rate limit must bound from below.
     * hog_preempt_min_run_ns / hog_preemptions: the stricter figure (Xen's
     * reading: time since it last started running), for switches straight
     * from one runnable hog to another. */
    uint64_t hog_turn_min_cpu_ns;
    uint64_t hog_turns_ended;
    uint64_t hog_preempt_min_run_ns;
    uint64_t hog_preemptions;
    struct sim_latency latency; /* all PERIODIC vCPUs together */
    /* The CPU's reschedule flag was still set after a decision although no
     * one asked again (schedule_pick() does not clear it). The simulator
     * then cannot tell a request from a stale flag: every timer interrupt
     * on a CPU becomes a decision, which hides a policy that forgets to
     * tickle a CPU (wake-up latencies read 0). Latency figures of such a
     * run are meaningless; the other checks only get stricter. */
    bool sticky_reschedule_flag;
    /* measure_cost: host nanoseconds spent in put+pick: in total, the median
     * and the 99th percentile (robust against the host preempting us). */
    uint64_t cost_total_ns, cost_p50_ns, cost_p99_ns;
    uint64_t invariant_checks; /* picks checked */
    unsigned int cpu_moves;    /* CPUs moved between pools during the run */
};

/* Runs @c in a child process. @per_vcpu receives c->vcpu_count entries (may
 * be NULL). Returns 0 (see r->ok) or -1 if the run could not be started. */
int sim_run(const struct sim_config *c, struct sim_result *r, struct sim_vcpu_result *per_vcpu);
/* Runs @c in this process; only once per process. */
void sim_run_here(const struct sim_config *c, struct sim_result *r,
                  struct sim_vcpu_result *per_vcpu);

/* What each vCPU should have received over the measured time if the CPUs
 * left over by the non-CPU-bound vCPUs (IO, PERIODIC) went to the hogs in
 * proportion to their weights, each hog at most one CPU and at most its
 * domain's cap (weighted max-min fairness). A credit vCPU's weight is its
 * domain's divided among the domain's hogs; a credit2 vCPU has its domain's.
 * Entries of non-hogs get their measured run time. Ignores affinity. */
void sim_expected_shares(const struct sim_config *c, const struct sim_result *r,
                         const struct sim_vcpu_result *per_vcpu, double *expected_ns);
/* The largest |received / expected - 1| over the hogs (0 if there are none). */
double sim_hog_share_error(const struct sim_config *c, const struct sim_result *r,
                           const struct sim_vcpu_result *per_vcpu);

/* Building a sim_config piece by piece (sim_build.c). The builder owns the
 * arrays; b->config is valid after every call, until sim_builder_free(). */
struct sim_builder {
    struct sim_config config;
    struct sim_domain_config *domains;
    struct sim_vcpu_config *vcpus;
    unsigned int domain_room, vcpu_room;
};
/* Warm-up defaults to a tenth of @duration_ns; credit2_runqueue to -1. */
void sim_builder_init(struct sim_builder *b, enum xencore_scheduler scheduler, unsigned int cpus,
                      uint64_t duration_ns);
void sim_builder_free(struct sim_builder *b);
/* Returns the new domain's index. */
unsigned int sim_add_domain(struct sim_builder *b, uint32_t weight, uint32_t cap);
/* Each returns the new vCPU, for setting affinity; valid until the next add. */
struct sim_vcpu_config *sim_add_hog(struct sim_builder *b, unsigned int domain);
struct sim_vcpu_config *sim_add_io(struct sim_builder *b, unsigned int domain, uint64_t run_ns,
                                   uint64_t sleep_ns);
struct sim_vcpu_config *sim_add_periodic(struct sim_builder *b, unsigned int domain,
                                         uint64_t period_ns, uint64_t run_ns, bool jitter);

/* The name the core gives @s ("credit", "credit2", "null"). */
const char *sim_scheduler_name(enum xencore_scheduler s);

#endif /* XENCORE_TESTS_SIM_H */
