/* Nested page tables: the second stage of address translation under SVM.
 *
 * NPT tables have the ordinary long-mode format (x86/paging.h): four levels,
 * 512 entries each, present/write/user bits, a 2 MiB leaf with PS in a page
 * directory entry and a 1 GiB leaf with PS in a PDPT entry. Every entry we
 * write is present, writable and user (a guest access needs U at every
 * level) and executable. Levels are numbered as the hardware walks them
 * backwards: 1 is the page table, 4 the root.
 *
 * p2m_map() installs one mapping of 4 KiB, 2 MiB or 1 GiB at a time (larger
 * requests are cut into the largest pieces the CPU can map). Walking down it
 * splits any larger leaf in the way into 512 smaller leaves that map the same
 * frames, so the rest of the large page stays as it was; a large leaf that
 * replaces a table makes that table, and everything below it, unreachable.
 *
 * Freeing such a table needs care while the domain runs: another CPU in guest
 * mode may still walk through it from its TLB or page-walk caches. Every
 * change to a present entry bumps the domain's p2m generation; each vCPU
 * flushes its translations before its next VMRUN when the generation moved
 * (svm.c) and records the generation it flushed for. A replaced table is
 * retired, and freed once every vCPU of the domain is either not running or
 * has flushed for that generation; vCPUs in guest mode on other CPUs are
 * kicked so that happens soon. A domain being built, or one whose vCPUs are
 * all off, gets its tables freed at once. Whatever is still retired at
 * teardown is freed there.
 *
 * Locking: d->arch->p2m_lock serializes map, lookup and teardown. */
#include "arch/arch.h"
#include "lib/errno.h"
#include "svm_internal.h"
#include "x86/paging.h"

#define NPT_TABLE_ENTRY_FLAGS (PTE_PRESENT | PTE_WRITE | NPT_PTE_USER)
#define NPT_LEAF_FLAGS (PTE_PRESENT | PTE_WRITE | NPT_PTE_USER)
#define NPT_BITS_PER_LEVEL 9
#define NPT_LEVEL_4K 1
#define NPT_LEVEL_2M 2
#define NPT_LEVEL_1G 3
#define NPT_ORDER_2M 9
#define NPT_ORDER_1G 18

/* Frames a leaf at @level maps. */
static uint64_t npt_level_frames(unsigned int level)
{
    return 1ULL << (NPT_BITS_PER_LEVEL * (level - 1));
}

static unsigned int npt_index(uint64_t gfn, unsigned int level)
{
    return (unsigned int)(gfn >> (NPT_BITS_PER_LEVEL * (level - 1))) & (NPT_ENTRIES - 1);
}

static uint64_t *npt_table(uint64_t phys)
{
    return arch_phys_to_virt(phys);
}

/* The first frame a present entry at @level maps or points to. */
static uint64_t npt_entry_frame(uint64_t entry, unsigned int level)
{
    uint64_t frame = (entry & PTE_ADDR_MASK) >> ARCH_PAGE_SHIFT;
    if (level > NPT_LEVEL_4K && (entry & PTE_LARGE))
        frame &= ~(npt_level_frames(level) - 1); /* bit 12 of a large leaf is PAT */
    return frame;
}

static bool npt_entry_is_table(uint64_t entry, unsigned int level)
{
    return (entry & PTE_PRESENT) && level > NPT_LEVEL_4K && !(entry & PTE_LARGE);
}

/* Frees the table at @phys of @level and every table below it. */
static void npt_free_tree(uint64_t phys, unsigned int level)
{
    if (level > NPT_LEVEL_4K) {
        const uint64_t *table = npt_table(phys);
        for (unsigned int i = 0; i < NPT_ENTRIES; i++)
            if (npt_entry_is_table(table[i], level))
                npt_free_tree(table[i] & PTE_ADDR_MASK, level - 1);
    }
    svm_free_frame(phys);
}

/* ---- Retiring replaced tables ----------------------------------------------------- */

/* True if no vCPU of the domain can still use translations older than
 * @generation: each is off a CPU or has flushed since. */
static bool npt_generation_flushed(struct svm_domain *sd, uint64_t generation)
{
    struct domain *d = sd->domain;
    for (unsigned int i = 0; i < XENCORE_DOMAIN_MAX_VCPUS; i++) {
        struct vcpu *v = d->vcpus[i];
        if (!v || !v->arch)
            continue;
        if (!__atomic_load_n(&v->is_running, __ATOMIC_SEQ_CST))
            continue;
        if (__atomic_load_n(&svm_vcpu_of(v)->p2m_seen, __ATOMIC_ACQUIRE) >= generation)
            continue;
        return false;
    }
    return true;
}

static void npt_kick_running_vcpus(struct svm_domain *sd)
{
    struct domain *d = sd->domain;
    for (unsigned int i = 0; i < XENCORE_DOMAIN_MAX_VCPUS; i++) {
        struct vcpu *v = d->vcpus[i];
        if (v && v->arch && __atomic_load_n(&v->is_running, __ATOMIC_ACQUIRE))
            arch_cpu_kick(v->processor); /* does nothing for this CPU */
    }
}

/* Makes the changes so far visible: a new generation, so every vCPU flushes
 * before it enters again; then frees what no vCPU can reach any more. */
static void npt_publish(struct svm_domain *sd)
{
    uint64_t generation = __atomic_add_fetch(&sd->p2m_generation, 1, __ATOMIC_SEQ_CST);
    npt_kick_running_vcpus(sd);
    if (sd->nr_retired && npt_generation_flushed(sd, generation)) {
        for (unsigned int i = 0; i < sd->nr_retired; i++)
            npt_free_tree(sd->retired[i].phys, sd->retired[i].level);
        sd->nr_retired = 0;
    }
}

/* ---- Map and look up ---------------------------------------------------------------- */

/* Replaces the large leaf *@entry at @level by a table of 512 leaves one level
 * down that map the same frames. */
static int npt_split(uint64_t *entry, unsigned int level)
{
    uint64_t phys;
    if (svm_alloc_frame(&phys))
        return -XC_ENOMEM;
    uint64_t *table = npt_table(phys);
    uint64_t first = npt_entry_frame(*entry, level);
    uint64_t step = npt_level_frames(level - 1);
    uint64_t flags = NPT_LEAF_FLAGS | (level - 1 > NPT_LEVEL_4K ? PTE_LARGE : 0);
    for (unsigned int i = 0; i < NPT_ENTRIES; i++)
        table[i] = ((first + i * step) << ARCH_PAGE_SHIFT) | flags;
    __atomic_store_n(entry, phys | NPT_TABLE_ENTRY_FLAGS, __ATOMIC_RELEASE);
    return 0;
}

/* Maps the 2^(9*(level-1)) frames at @gfn to those at @mfn with one leaf at
 * @level. *@changed is set if a present entry was modified. */
static int npt_map_one(struct svm_domain *sd, uint64_t gfn, uint64_t mfn, unsigned int level,
                       bool *changed)
{
    uint64_t *table = npt_table(sd->arch.p2m_root);
    for (unsigned int l = NPT_LEVELS; l > level; l--) {
        uint64_t *entry = &table[npt_index(gfn, l)];
        if (!(*entry & PTE_PRESENT)) {
            uint64_t phys;
            if (svm_alloc_frame(&phys))
                return -XC_ENOMEM;
            __atomic_store_n(entry, phys | NPT_TABLE_ENTRY_FLAGS, __ATOMIC_RELEASE);
        } else if (*entry & PTE_LARGE) {
            int rc = npt_split(entry, l);
            if (rc)
                return rc;
            *changed = true;
        }
        table = npt_table(*entry & PTE_ADDR_MASK);
    }

    uint64_t *leaf = &table[npt_index(gfn, level)];
    uint64_t old = *leaf;
    bool replaces_table = npt_entry_is_table(old, level);
    if (replaces_table && sd->nr_retired == SVM_RETIRED_TABLES_MAX) {
        npt_publish(sd); /* frees the retired tables if it can */
        if (sd->nr_retired == SVM_RETIRED_TABLES_MAX)
            return -XC_EBUSY; /* the domain's vCPUs have not flushed yet: try later */
    }
    uint64_t value =
        (mfn << ARCH_PAGE_SHIFT) | NPT_LEAF_FLAGS | (level > NPT_LEVEL_4K ? PTE_LARGE : 0);
    __atomic_store_n(leaf, value, __ATOMIC_RELEASE);
    if (old & PTE_PRESENT)
        *changed = true;
    if (replaces_table) {
        sd->retired[sd->nr_retired].phys = old & PTE_ADDR_MASK;
        sd->retired[sd->nr_retired].level = level - 1;
        sd->nr_retired++;
    }
    return 0;
}

int svm_p2m_map(struct domain *d, uint64_t gfn, uint64_t mfn, unsigned int order)
{
    struct svm_domain *sd = svm_domain_of(d);
    if (!sd || order > NPT_ORDER_1G)
        return -XC_EINVAL;
    uint64_t count = 1ULL << order;
    uint64_t gfn_limit = 1ULL << NPT_GFN_BITS;
    uint64_t mfn_limit = 1ULL << (svm_features.phys_bits - ARCH_PAGE_SHIFT);
    if (((gfn | mfn) & (count - 1)) || gfn >= gfn_limit || count > gfn_limit - gfn ||
        mfn >= mfn_limit || count > mfn_limit - mfn)
        return -XC_EINVAL;

    bool changed = false;
    int rc = 0;
    spin_lock(&sd->arch.p2m_lock);
    for (uint64_t done = 0; done < count && !rc;) {
        unsigned int piece = order >= NPT_ORDER_1G && svm_features.page_1g ? NPT_ORDER_1G
                             : order >= NPT_ORDER_2M                       ? NPT_ORDER_2M
                                                                           : 0;
        rc = npt_map_one(sd, gfn + done, mfn + done, piece / NPT_BITS_PER_LEVEL + 1, &changed);
        done += 1ULL << piece;
    }
    if (changed)
        npt_publish(sd);
    spin_unlock(&sd->arch.p2m_lock);
    return rc;
}

int64_t svm_p2m_lookup(struct domain *d, uint64_t gfn)
{
    struct svm_domain *sd = svm_domain_of(d);
    if (!sd || gfn >= (1ULL << NPT_GFN_BITS))
        return -1;
    int64_t mfn = -1;
    spin_lock(&sd->arch.p2m_lock);
    const uint64_t *table = npt_table(sd->arch.p2m_root);
    for (unsigned int level = NPT_LEVELS; level >= NPT_LEVEL_4K; level--) {
        uint64_t entry = table[npt_index(gfn, level)];
        if (!(entry & PTE_PRESENT))
            break;
        if (level == NPT_LEVEL_4K || (entry & PTE_LARGE)) {
            mfn = (int64_t)(npt_entry_frame(entry, level) + (gfn & (npt_level_frames(level) - 1)));
            break;
        }
        table = npt_table(entry & PTE_ADDR_MASK);
    }
    spin_unlock(&sd->arch.p2m_lock);
    return mfn;
}

/* ---- The domain ------------------------------------------------------------------------ */

int svm_domain_init(struct domain *d)
{
    uint64_t self, root;
    if (svm_alloc_frame(&self))
        return -XC_ENOMEM;
    if (svm_alloc_frame(&root)) {
        svm_free_frame(self);
        return -XC_ENOMEM;
    }
    struct svm_domain *sd = arch_phys_to_virt(self);
    sd->domain = d;
    sd->self_phys = self;
    sd->arch.p2m_root = root;
    sd->arch.p2m_lock = (spinlock_t)SPINLOCK_INIT;
    d->arch = &sd->arch;
    return 0;
}

void svm_domain_teardown(struct domain *d)
{
    struct svm_domain *sd = svm_domain_of(d);
    if (!sd)
        return;
    spin_lock(&sd->arch.p2m_lock);
    npt_free_tree(sd->arch.p2m_root, NPT_LEVELS);
    for (unsigned int i = 0; i < sd->nr_retired; i++)
        npt_free_tree(sd->retired[i].phys, sd->retired[i].level);
    sd->nr_retired = 0;
    spin_unlock(&sd->arch.p2m_lock);
    d->arch = NULL;
    svm_free_frame(sd->self_phys);
}
