/* EPT: the second-stage tables of a domain.
 *
 * Four levels, numbered as the walk goes: 4 (PML4, 512 GiB an entry), 3
 * (PDPT, 1 GiB), 2 (PD, 2 MiB), 1 (PT, 4 KiB). Leaves are read/write/execute
 * and write-back; the tables themselves are write-back too (EPTP). Only what
 * p2m_map installs is mapped: a guest access anywhere else is an EPT
 * violation, so no guest reaches memory it was not given.
 *
 * Replacing. A mapping may land on one that exists. A smaller page inside a
 * larger leaf splits the leaf into a table of smaller leaves that map the
 * same frames, then changes the one entry. A larger page over a table frees
 * the table (and any below it) if no vCPU of the domain ever ran; once one
 * has, a CPU may hold translations through that table until it flushes, and
 * freeing it could let the CPU walk a frame reused for something else.
 * Instead the table stays and every leaf below it is rewritten to map the
 * new range: the same translation at a smaller page size, with nothing to
 * free before the domain is destroyed (when no CPU runs it any more).
 *
 * Flushing. INVEPT acts on the executing CPU only. A change to a present
 * entry of a domain that has run bumps the domain's generation (under
 * p2m_lock); every vCPU compares it with the generation it last flushed for
 * before each entry and flushes if they differ; CPUs running one of its vCPUs
 * are kicked out of guest mode so they notice. Until then such a vCPU may
 * still see the old mapping: p2m_map never takes a frame away from a domain
 * (there is no unmap), so what it can see is still its own.
 *
 * Locking: p2m_lock protects the tables. It is a plain spinlock, taken with
 * interrupts on (the domain builder) or off (exit handlers); no interrupt
 * handler takes it. */
#include "arch/arch.h"
#include "core/domain.h"
#include "lib/errno.h"
#include "lib/spinlock.h"
#include "mm/mm.h"
#include "vmx_internal.h"
#include "x86/hvm.h"
#include "x86/vmx.h"

#define LEVEL_BITS 9 /* index bits per level */
#define GFN_BITS (EPT_GUEST_PHYSICAL_BITS - ARCH_PAGE_SHIFT)
/* What a leaf keeps when it is split into smaller ones. */
#define EPT_LEAF_ATTRIBUTES (EPT_RWX | (7ULL << EPT_MEMORY_TYPE_SHIFT) | EPT_IGNORE_PAT)

static uint64_t virt_to_phys(const void *p)
{
    return (uint64_t)(uintptr_t)p - (uint64_t)(uintptr_t)arch_phys_to_virt(0);
}

static bool ept_present(uint64_t entry)
{
    return (entry & EPT_RWX) != 0;
}

static bool ept_is_leaf(uint64_t entry, unsigned int level)
{
    return level == 1 || (entry & EPT_LARGE_PAGE);
}

static uint64_t *ept_table(uint64_t entry)
{
    return arch_phys_to_virt(entry & EPT_ADDRESS_MASK);
}

static unsigned int ept_index(uint64_t gfn, unsigned int level)
{
    return (unsigned int)(gfn >> (LEVEL_BITS * (level - 1))) & (EPT_ENTRIES_PER_TABLE - 1);
}

/* Frames one entry of @level maps. */
static uint64_t ept_frames(unsigned int level)
{
    return 1ULL << (LEVEL_BITS * (level - 1));
}

static uint64_t ept_leaf(uint64_t mfn, unsigned int level)
{
    return (mfn << ARCH_PAGE_SHIFT) | EPT_RWX |
           ((uint64_t)EPT_MEMORY_TYPE_WB << EPT_MEMORY_TYPE_SHIFT) |
           (level > 1 ? EPT_LARGE_PAGE : 0);
}

/* Entries are 8-byte aligned stores: the CPU sees the old or the new one. */
static void ept_set(uint64_t *entry, uint64_t value)
{
    __atomic_store_n(entry, value, __ATOMIC_RELEASE);
}

/* Frees the table at @phys, whose entries are of @level, and every table
 * below it. */
static void ept_free_table(uint64_t phys, unsigned int level)
{
    uint64_t *table = arch_phys_to_virt(phys);
    if (level > 1) {
        for (unsigned int i = 0; i < EPT_ENTRIES_PER_TABLE; i++)
            if (ept_present(table[i]) && !ept_is_leaf(table[i], level))
                ept_free_table(table[i] & EPT_ADDRESS_MASK, level - 1);
    }
    mm_free_pages(phys, 0);
}

/* Replaces the leaf *@entry of @level (2 or 3) by a table of leaves one level
 * down that map the same frames with the same rights. */
static int ept_split(uint64_t *entry, unsigned int level)
{
    uint64_t phys = mm_alloc_pages(0);
    if (!phys)
        return -XC_ENOMEM;
    uint64_t *table = arch_phys_to_virt(phys);
    uint64_t old = *entry;
    uint64_t mfn = (old & EPT_ADDRESS_MASK) >> ARCH_PAGE_SHIFT;
    uint64_t attributes = old & EPT_LEAF_ATTRIBUTES;
    uint64_t large = level - 1 > 1 ? EPT_LARGE_PAGE : 0;
    for (unsigned int i = 0; i < EPT_ENTRIES_PER_TABLE; i++)
        table[i] = ((mfn + i * ept_frames(level - 1)) << ARCH_PAGE_SHIFT) | attributes | large;
    ept_set(entry, phys | EPT_RWX);
    return 0;
}

/* Makes the table at @table (entries of @level) and everything below it map
 * frames from @mfn on, keeping the tables (see the file comment). */
static void ept_rewrite_table(uint64_t *table, unsigned int level, uint64_t mfn)
{
    for (unsigned int i = 0; i < EPT_ENTRIES_PER_TABLE; i++) {
        uint64_t child_mfn = mfn + i * ept_frames(level);
        if (ept_present(table[i]) && !ept_is_leaf(table[i], level))
            ept_rewrite_table(ept_table(table[i]), level - 1, child_mfn);
        else
            ept_set(&table[i], ept_leaf(child_mfn, level));
    }
}

/* Kicks the CPUs running @d's vCPUs out of guest mode, so they flush. */
static void ept_kick_running(struct domain *d)
{
    unsigned int self = arch_this_cpu();
    for (uint32_t i = 0; i < d->nr_vcpus; i++) {
        struct vcpu *v = d->vcpus[i];
        if (v && __atomic_load_n(&v->is_running, __ATOMIC_ACQUIRE) && v->processor != self)
            arch_cpu_kick(v->processor);
    }
}

int vmx_p2m_map(struct domain *d, uint64_t gfn, uint64_t mfn, unsigned int order)
{
    struct vmx_domain *vd = vmx_domain_of(d);
    unsigned int leaf_level = order == 0 ? 1 : order == 9 ? 2 : order == 18 ? 3 : 0;
    if (!leaf_level || !(vmx_caps.p2m_orders & (1U << order)))
        return -XC_EINVAL;
    uint64_t frames = 1ULL << order;
    if ((gfn | mfn) & (frames - 1))
        return -XC_EINVAL;
    if (gfn >> GFN_BITS || mfn >> (vmx_caps.phys_bits - ARCH_PAGE_SHIFT))
        return -XC_EINVAL;

    int rc = 0;
    bool changed = false;
    spin_lock(&vd->arch.p2m_lock);
    uint64_t *table = arch_phys_to_virt(vd->arch.p2m_root);
    for (unsigned int level = EPT_LEVELS; level > leaf_level; level--) {
        uint64_t *entry = &table[ept_index(gfn, level)];
        if (!ept_present(*entry)) {
            uint64_t phys = mm_alloc_pages(0);
            if (!phys) {
                rc = -XC_ENOMEM;
                goto out;
            }
            ept_set(entry, phys | EPT_RWX);
        } else if (ept_is_leaf(*entry, level)) {
            rc = ept_split(entry, level);
            if (rc)
                goto out; /* what is split so far maps as before */
        }
        table = ept_table(*entry);
    }

    uint64_t *entry = &table[ept_index(gfn, leaf_level)];
    uint64_t old = *entry;
    uint64_t new = ept_leaf(mfn, leaf_level);
    if (ept_present(old) && !ept_is_leaf(old, leaf_level)) {
        if (vd->ran) {
            ept_rewrite_table(ept_table(old), leaf_level - 1, mfn);
        } else {
            ept_set(entry, new);
            ept_free_table(old & EPT_ADDRESS_MASK, leaf_level - 1);
        }
        changed = true;
    } else {
        ept_set(entry, new);
        changed = ept_present(old) && old != new;
    }
    if (changed && vd->ran)
        __atomic_fetch_add(&vd->generation, 1, __ATOMIC_RELEASE);
    else
        changed = false;
out:
    spin_unlock(&vd->arch.p2m_lock);
    if (changed)
        ept_kick_running(d);
    return rc;
}

int64_t vmx_p2m_lookup(struct domain *d, uint64_t gfn)
{
    struct vmx_domain *vd = vmx_domain_of(d);
    if (gfn >> GFN_BITS)
        return -1;
    int64_t mfn = -1;
    spin_lock(&vd->arch.p2m_lock);
    const uint64_t *table = arch_phys_to_virt(vd->arch.p2m_root);
    for (unsigned int level = EPT_LEVELS; level >= 1; level--) {
        uint64_t entry = table[ept_index(gfn, level)];
        if (!ept_present(entry))
            break;
        if (ept_is_leaf(entry, level)) {
            mfn = (int64_t)(((entry & EPT_ADDRESS_MASK) >> ARCH_PAGE_SHIFT) +
                            (gfn & (ept_frames(level) - 1)));
            break;
        }
        table = ept_table(entry);
    }
    spin_unlock(&vd->arch.p2m_lock);
    return mfn;
}

void vmx_ept_domain_ran(struct vmx_domain *vd)
{
    spin_lock(&vd->arch.p2m_lock);
    vd->ran = true;
    spin_unlock(&vd->arch.p2m_lock);
}

int vmx_domain_init(struct domain *d)
{
    uint64_t frame = mm_alloc_pages(0);
    if (!frame)
        return -XC_ENOMEM;
    uint64_t root = mm_alloc_pages(0);
    if (!root) {
        mm_free_pages(frame, 0);
        return -XC_ENOMEM;
    }
    struct vmx_domain *vd = arch_phys_to_virt(frame);
    vd->domain = d;
    vd->arch.p2m_root = root;
    vd->arch.p2m_lock = (spinlock_t)SPINLOCK_INIT;
    vd->eptp = root | EPTP_MEMORY_TYPE_WB | ((uint64_t)(EPT_LEVELS - 1) << EPTP_WALK_LENGTH_SHIFT);
    vd->generation = 1;
    d->arch = &vd->arch;
    return 0;
}

void vmx_domain_teardown(struct domain *d)
{
    struct vmx_domain *vd = vmx_domain_of(d);
    if (!vd)
        return;
    ept_free_table(vd->arch.p2m_root, EPT_LEVELS);
    d->arch = NULL;
    mm_free_pages(virt_to_phys(vd), 0);
}
