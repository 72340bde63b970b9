/* Building simulator configurations: the tests and the bench describe
 * machines as "a domain, three hogs in it, a probe" rather than filling
 * arrays by hand. */
#include "sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIRST_ROOM 16
#define WARMUP_FRACTION 10 /* warm-up: a tenth of the run */

static void *grow(void *array, unsigned int *room, unsigned int used, size_t size)
{
    if (used < *room)
        return array;
    *room = *room ? 2 * *room : FIRST_ROOM;
    void *p = realloc(array, *room * size);
    if (!p) {
        fprintf(stderr, "schedsim: out of memory\n");
        abort();
    }
    memset((char *)p + used * size, 0, (*room - used) * size);
    return p;
}

void sim_builder_init(struct sim_builder *b, enum xencore_scheduler scheduler, unsigned int cpus,
                      uint64_t duration_ns)
{
    memset(b, 0, sizeof(*b));
    b->config.scheduler = scheduler;
    b->config.cpus = cpus;
    b->config.duration_ns = duration_ns;
    b->config.warmup_ns = duration_ns / WARMUP_FRACTION;
    b->config.credit2_runqueue = -1;
}

void sim_builder_free(struct sim_builder *b)
{
    free(b->domains);
    free(b->vcpus);
    memset(b, 0, sizeof(*b));
}

unsigned int sim_add_domain(struct sim_builder *b, uint32_t weight, uint32_t cap)
{
    unsigned int i = b->config.domain_count;
    b->domains = grow(b->domains, &b->domain_room, i, sizeof(*b->domains));
    b->domains[i] = (struct sim_domain_config){.weight = weight, .cap = cap};
    b->config.domains = b->domains;
    b->config.domain_count = i + 1;
    return i;
}

static struct sim_vcpu_config *add_vcpu(struct sim_builder *b, unsigned int domain,
                                        enum sim_workload workload)
{
    unsigned int i = b->config.vcpu_count;
    b->vcpus = grow(b->vcpus, &b->vcpu_room, i, sizeof(*b->vcpus));
    struct sim_vcpu_config *vc = &b->vcpus[i];
    memset(vc, 0, sizeof(*vc));
    vc->workload = workload;
    vc->domain = domain;
    b->config.vcpus = b->vcpus;
    b->config.vcpu_count = i + 1;
    return vc;
}

struct sim_vcpu_config *sim_add_hog(struct sim_builder *b, unsigned int domain)
{
    return add_vcpu(b, domain, SIM_HOG);
}

struct sim_vcpu_config *sim_add_io(struct sim_builder *b, unsigned int domain, uint64_t run_ns,
                                   uint64_t sleep_ns)
{
    struct sim_vcpu_config *vc = add_vcpu(b, domain, SIM_IO);
    vc->run_ns = run_ns;
    vc->sleep_ns = sleep_ns;
    return vc;
}

struct sim_vcpu_config *sim_add_periodic(struct sim_builder *b, unsigned int domain,
                                         uint64_t period_ns, uint64_t run_ns, bool jitter)
{
    struct sim_vcpu_config *vc = add_vcpu(b, domain, SIM_PERIODIC);
    vc->period_ns = period_ns;
    vc->run_ns = run_ns;
    vc->jitter = jitter;
    return vc;
}
