/* What the hogs of a simulated run should have received, and how far they
 * were from it.
 *
 * Proportional share with limits is weighted max-min fairness ("water
 * filling"): the CPU time the hogs could use (the CPUs' time minus what the
 * I/O-bound and periodic vCPUs took) is split in proportion to the weights;
 * a hog whose portion exceeds what it can use (one CPU, or its domain's cap
 * shared among the domain's hogs) gets its limit, and the rest is split
 * again among the others. Counting the CPUs' whole time, not what the hogs
 * happened to use, makes a scheduler that idles a CPU while a hog waits show
 * up as a share error too. Affinity is not modelled: the tests that check
 * shares give every hog every CPU. */
#include "sim.h"

#include <math.h>
#include <stdlib.h>

#define SIM_DEFAULT_WEIGHT 256
#define PERCENT 100.0

const char *sim_scheduler_name(enum xencore_scheduler s)
{
    switch (s) {
    case XENCORE_SCHED_CREDIT:
        return "credit";
    case XENCORE_SCHED_CREDIT2:
        return "credit2";
    case XENCORE_SCHED_NULL:
        return "null";
    }
    return "?";
}

void sim_expected_shares(const struct sim_config *c, const struct sim_result *r,
                         const struct sim_vcpu_result *per_vcpu, double *expected_ns)
{
    unsigned int n = c->vcpu_count;
    double *weight = calloc(n ? n : 1, sizeof(*weight));
    double *limit = calloc(n ? n : 1, sizeof(*limit));
    unsigned int *hogs_in = calloc(c->domain_count ? c->domain_count : 1, sizeof(*hogs_in));
    if (!weight || !limit || !hogs_in)
        abort();
    double capacity = (double)c->cpus * (double)r->measured_ns;

    for (unsigned int i = 0; i < n; i++)
        if (c->vcpus[i].workload == SIM_HOG)
            hogs_in[c->vcpus[i].domain]++;
    unsigned int unsettled = 0;
    for (unsigned int i = 0; i < n; i++) {
        const struct sim_vcpu_config *vc = &c->vcpus[i];
        if (vc->workload != SIM_HOG) {
            expected_ns[i] = (double)per_vcpu[i].run_ns;
            capacity -= expected_ns[i];
            continue;
        }
        const struct sim_domain_config *dc = &c->domains[vc->domain];
        double w = dc->weight ? dc->weight : SIM_DEFAULT_WEIGHT;
        /* credit splits a domain's weight among its active vCPUs; credit2
         * gives each vCPU the domain's weight. */
        weight[i] = c->scheduler == XENCORE_SCHED_CREDIT ? w / hogs_in[vc->domain] : w;
        limit[i] = (double)r->measured_ns;
        if (dc->cap) {
            double cap = (double)r->measured_ns * dc->cap / PERCENT / hogs_in[vc->domain];
            if (cap < limit[i])
                limit[i] = cap;
        }
        expected_ns[i] = -1; /* not settled yet */
        unsettled++;
    }
    if (capacity < 0)
        capacity = 0;

    while (unsettled) {
        double total_weight = 0;
        for (unsigned int i = 0; i < n; i++)
            if (expected_ns[i] < 0)
                total_weight += weight[i];
        bool limited = false;
        for (unsigned int i = 0; i < n; i++) {
            if (expected_ns[i] < 0 && capacity * weight[i] / total_weight >= limit[i]) {
                expected_ns[i] = limit[i];
                capacity -= limit[i];
                unsettled--;
                limited = true;
            }
        }
        if (limited)
            continue; /* split what is left among the others */
        for (unsigned int i = 0; i < n; i++)
            if (expected_ns[i] < 0)
                expected_ns[i] = capacity * weight[i] / total_weight;
        unsettled = 0;
    }
    free(weight);
    free(limit);
    free(hogs_in);
}

double sim_hog_share_error(const struct sim_config *c, const struct sim_result *r,
                           const struct sim_vcpu_result *per_vcpu)
{
    double *expected = calloc(c->vcpu_count ? c->vcpu_count : 1, sizeof(*expected));
    if (!expected)
        abort();
    sim_expected_shares(c, r, per_vcpu, expected);
    double worst = 0;
    for (unsigned int i = 0; i < c->vcpu_count; i++) {
        if (c->vcpus[i].workload != SIM_HOG || expected[i] <= 0)
            continue;
        double error = fabs((double)per_vcpu[i].run_ns / expected[i] - 1.0);
        if (error > worst)
            worst = error;
    }
    free(expected);
    return worst;
}
