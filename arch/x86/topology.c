/* Package and last-level-cache ids from the APIC ID.
 *
 * An APIC ID is a bit field: the low bits number the logical CPUs inside a
 * core, the next ones the cores inside the package, the rest the package.
 * CPUID says how wide the fields are (Intel SDM vol. 3 "Identifying
 * topology", AMD APM vol. 3 appendix E):
 * - leaf 0xB, one subleaf per level (SMT, core, ...) until a level of type 0:
 *   EAX[4:0] of the last level is how far to shift the APIC ID to get the
 *   package;
 * - without it, leaf 1: with HTT (EDX bit 28), EBX[23:16] is the number of
 *   APIC IDs a package spans, rounded up to a power of two; without HTT one
 *   CPU is one package;
 * - on AMD without leaf 0xB, CPUID 0x80000008 ECX[15:12] (ApicIdCoreIdSize)
 *   gives that width directly, or ECX[7:0] + 1 cores when it is 0.
 * The last-level cache is the highest-level data or unified cache of leaf 4
 * (Intel) or 0x8000001D (AMD, with TOPOEXT): EAX[25:14] + 1 logical CPUs
 * share it, rounded up to a power of two for the shift. Without either leaf
 * the package is taken as the cache domain. */
#include "x86/topology.h"

#include <stdbool.h>

#define LEAF_BASIC_MAX 0x0
#define LEAF_FEATURES 0x1
#define LEAF_CACHE_INTEL 0x4
#define LEAF_TOPOLOGY 0xb
#define LEAF_EXT_MAX 0x80000000U
#define LEAF_EXT_FEATURES 0x80000001U
#define LEAF_EXT_SIZES 0x80000008U
#define LEAF_CACHE_AMD 0x8000001dU

#define FEATURES_EDX_HTT (1U << 28)
#define FEATURES_EBX_LOGICAL_SHIFT 16
#define FEATURES_EBX_LOGICAL_MASK 0xffU
#define EXT_FEATURES_ECX_TOPOEXT (1U << 22)
#define EXT_SIZES_ECX_CORES_MASK 0xffU
#define EXT_SIZES_ECX_ID_SIZE_SHIFT 12
#define EXT_SIZES_ECX_ID_SIZE_MASK 0xfU
#define TOPOLOGY_EAX_SHIFT_MASK 0x1fU
#define TOPOLOGY_ECX_TYPE_SHIFT 8
#define TOPOLOGY_ECX_TYPE_MASK 0xffU
#define TOPOLOGY_LEVELS_MAX 8 /* SMT, core, module, tile, die, ...: a guard */
#define CACHE_EAX_TYPE_MASK 0x1fU
#define CACHE_TYPE_NONE 0
#define CACHE_TYPE_INSTRUCTION 2
#define CACHE_EAX_LEVEL_SHIFT 5
#define CACHE_EAX_LEVEL_MASK 0x7U
#define CACHE_EAX_SHARING_SHIFT 14
#define CACHE_EAX_SHARING_MASK 0xfffU
#define CACHE_SUBLEAVES_MAX 16 /* a guard against a leaf that never ends */
#define APIC_ID_BITS 32

static unsigned int ceil_log2(uint32_t count)
{
    unsigned int shift = 0;
    while (shift < APIC_ID_BITS && (1ULL << shift) < count)
        shift++;
    return shift;
}

static uint32_t shifted(uint32_t apic_id, unsigned int shift)
{
    return shift >= APIC_ID_BITS ? 0 : apic_id >> shift;
}

/* Bits of the APIC ID below the package. */
static unsigned int package_shift(x86_cpuid_fn cpuid, void *context, uint32_t max_basic,
                                  uint32_t max_ext)
{
    struct x86_cpuid_result r;
    if (max_basic >= LEAF_TOPOLOGY) {
        unsigned int shift = 0;
        bool any = false;
        for (uint32_t level = 0; level < TOPOLOGY_LEVELS_MAX; level++) {
            cpuid(context, LEAF_TOPOLOGY, level, &r);
            if (((r.ecx >> TOPOLOGY_ECX_TYPE_SHIFT) & TOPOLOGY_ECX_TYPE_MASK) == 0)
                break;
            shift = r.eax & TOPOLOGY_EAX_SHIFT_MASK;
            any = true;
        }
        if (any)
            return shift;
    }
    cpuid(context, LEAF_FEATURES, 0, &r);
    if (!(r.edx & FEATURES_EDX_HTT))
        return 0;
    unsigned int shift =
        ceil_log2((r.ebx >> FEATURES_EBX_LOGICAL_SHIFT) & FEATURES_EBX_LOGICAL_MASK);
    if (max_ext >= LEAF_EXT_SIZES) {
        cpuid(context, LEAF_EXT_SIZES, 0, &r);
        unsigned int id_size = (r.ecx >> EXT_SIZES_ECX_ID_SIZE_SHIFT) & EXT_SIZES_ECX_ID_SIZE_MASK;
        unsigned int amd_shift =
            id_size ? id_size : ceil_log2((r.ecx & EXT_SIZES_ECX_CORES_MASK) + 1);
        if (amd_shift > shift)
            shift = amd_shift;
    }
    return shift;
}

/* How many logical CPUs share the highest-level data or unified cache that
 * @leaf describes; 0 if it describes none. */
static uint32_t llc_sharing(x86_cpuid_fn cpuid, void *context, uint32_t leaf)
{
    unsigned int best_level = 0;
    uint32_t sharing = 0;
    for (uint32_t index = 0; index < CACHE_SUBLEAVES_MAX; index++) {
        struct x86_cpuid_result r;
        cpuid(context, leaf, index, &r);
        unsigned int type = r.eax & CACHE_EAX_TYPE_MASK;
        if (type == CACHE_TYPE_NONE)
            break;
        if (type == CACHE_TYPE_INSTRUCTION)
            continue;
        unsigned int level = (r.eax >> CACHE_EAX_LEVEL_SHIFT) & CACHE_EAX_LEVEL_MASK;
        if (level > best_level) {
            best_level = level;
            sharing = ((r.eax >> CACHE_EAX_SHARING_SHIFT) & CACHE_EAX_SHARING_MASK) + 1;
        }
    }
    return sharing;
}

void x86_topology_compute(x86_cpuid_fn cpuid, void *context, uint32_t apic_id, uint32_t *socket,
                          uint32_t *llc)
{
    struct x86_cpuid_result r;
    cpuid(context, LEAF_BASIC_MAX, 0, &r);
    uint32_t max_basic = r.eax;
    cpuid(context, LEAF_EXT_MAX, 0, &r);
    uint32_t max_ext = r.eax >= LEAF_EXT_MAX ? r.eax : 0;

    unsigned int pkg_shift = package_shift(cpuid, context, max_basic, max_ext);

    uint32_t sharing = 0;
    if (max_basic >= LEAF_CACHE_INTEL)
        sharing = llc_sharing(cpuid, context, LEAF_CACHE_INTEL);
    if (sharing == 0 && max_ext >= LEAF_CACHE_AMD) {
        cpuid(context, LEAF_EXT_FEATURES, 0, &r);
        if (r.ecx & EXT_FEATURES_ECX_TOPOEXT)
            sharing = llc_sharing(cpuid, context, LEAF_CACHE_AMD);
    }
    unsigned int llc_shift = sharing ? ceil_log2(sharing) : pkg_shift;
    if (llc_shift > pkg_shift)
        llc_shift = pkg_shift; /* a cache never spans packages here */

    *socket = shifted(apic_id, pkg_shift);
    /* Unique across packages: the package bits are part of the id. */
    *llc = shifted(apic_id, llc_shift);
}
