/* Each CPU's package and last-level cache, for the schedulers (credit2 makes
 * one runqueue per socket or per cache).
 *
 * CPUID describes the CPU that executes it, so every CPU records its own
 * place as it comes up (boot CPU in platform set-up, the others in
 * x86_ap_main before they report alive); arch_cpu_topology() only reads
 * what was recorded. The computation is x86_topology_compute(). */
#include <xencore/config.h>

#include "arch/arch.h"
#include "x86/insn.h"
#include "x86/percpu.h"
#include "x86/platform.h"
#include "x86/topology.h"

struct cpu_place {
    uint32_t socket, llc;
};

static struct cpu_place places[XENCORE_MAX_CPUS];

static void this_cpu_cpuid(void *context, uint32_t leaf, uint32_t subleaf,
                           struct x86_cpuid_result *out)
{
    (void)context;
    struct cpuid_regs r = cpuid_count(leaf, subleaf);
    *out = (struct x86_cpuid_result){r.eax, r.ebx, r.ecx, r.edx};
}

void cpu_topology_record_this_cpu(void)
{
    struct x86_percpu *pc = this_percpu();
    if (pc->cpu >= XENCORE_MAX_CPUS)
        return;
    struct cpu_place *place = &places[pc->cpu];
    x86_topology_compute(this_cpu_cpuid, NULL, pc->apic_id, &place->socket, &place->llc);
}

/* A CPU that never came up reads as socket 0, cache 0: it runs nothing. */
void arch_cpu_topology(unsigned int cpu, uint32_t *socket, uint32_t *llc)
{
    if (cpu >= XENCORE_MAX_CPUS) {
        *socket = *llc = 0;
        return;
    }
    *socket = places[cpu].socket;
    *llc = places[cpu].llc;
}
