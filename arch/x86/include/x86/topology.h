/* Where a CPU sits: its package (socket) and last-level cache, from its APIC
 * ID and what CPUID says about how APIC IDs are laid out. The computation is
 * pure (CPUID comes through a callback), so the host unit tests run it. */
#ifndef XENCORE_X86_TOPOLOGY_H
#define XENCORE_X86_TOPOLOGY_H

#include <stdint.h>

struct x86_cpuid_result {
    uint32_t eax, ebx, ecx, edx;
};

/* CPUID(@leaf, @subleaf) of the CPU being described. */
typedef void (*x86_cpuid_fn)(void *context, uint32_t leaf, uint32_t subleaf,
                             struct x86_cpuid_result *out);

/* The package and last-level-cache ids of the CPU with @apic_id whose CPUID
 * @cpuid answers: the APIC ID without the bits that number the logical CPUs
 * inside the package (or sharing the cache). Both are unique across the
 * machine; the cache id is never coarser than the package. */
void x86_topology_compute(x86_cpuid_fn cpuid, void *context, uint32_t apic_id, uint32_t *socket,
                          uint32_t *llc);

#endif /* XENCORE_X86_TOPOLOGY_H */
