/* Guest RAM placement: the policy half of the p2m (the arch owns the tables).
 *
 * Superpages are worth the trouble: a 1 GiB EPT/NPT entry replaces 262144
 * 4 KiB ones and their TLB misses. So RAM is carved into the largest
 * naturally aligned blocks the hardware can map; the buddy allocator hands
 * out naturally aligned blocks of any order, so a 2 MiB guest page is backed by
 * a 2 MiB-aligned host block. If no free block of that size exists, the next
 * smaller size is tried: a fragmented host costs speed, never correctness. */
#include "mm/p2m.h"

#include "arch/arch.h"
#include "core/domain.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/frame_alloc.h"
#include "mm/mm.h"

#define ORDER_2M 9
#define ORDER_1G 18

unsigned int p2m_choose_order(uint64_t gfn, uint64_t frames, uint32_t supported_orders)
{
    static const unsigned int candidates[] = { ORDER_1G, ORDER_2M };
    for (unsigned int i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
        unsigned int order = candidates[i];
        uint64_t size = 1ULL << order;
        if ((supported_orders & (1U << order)) && !(gfn & (size - 1)) && frames >= size)
            return order;
    }
    return 0;
}

static enum p2m_page_size size_of_order(unsigned int order)
{
    return order == ORDER_1G ? P2M_1G : order == ORDER_2M ? P2M_2M : P2M_4K;
}

/* Grows the extent array by doubling: a domain built from large pages needs
 * a few entries, one that fell back to 4 KiB pages needs many. */
static int grow_extents(struct domain *d)
{
    unsigned int order = d->extents ? d->extents_order + 1 : 0;
    uint64_t frame = mm_alloc_pages(order);
    if (!frame)
        return -XC_ENOMEM;
    struct domain_extent *bigger = arch_phys_to_virt(frame);
    if (d->extents) {
        memcpy(bigger, d->extents, d->nr_extents * sizeof(*bigger));
        mm_free_pages(d->extents_frame, d->extents_order);
    }
    d->extents = bigger;
    d->extents_frame = frame;
    d->extents_order = order;
    d->max_extents = (unsigned int)((ARCH_PAGE_SIZE << order) / sizeof(*bigger));
    return 0;
}

static int record_extent(struct domain *d, uint64_t mfn, unsigned int order)
{
    if (d->nr_extents == d->max_extents) {
        int rc = grow_extents(d);
        if (rc)
            return rc;
    }
    d->extents[d->nr_extents++] = (struct domain_extent){ mfn, order };
    return 0;
}

int p2m_populate(struct domain *d, uint64_t frames)
{
    uint32_t supported = arch_p2m_orders();
    uint64_t gfn = 0;
    while (gfn < frames) {
        unsigned int order = p2m_choose_order(gfn, frames - gfn, supported);
        pfn_t mfn;
        /* Fall back through the smaller sizes when the allocator has no block. */
        while (frame_alloc(&host_frames, order, &mfn)) {
            if (order == 0)
                return -XC_ENOMEM;
            order = order == ORDER_1G && (supported & (1U << ORDER_2M)) ? ORDER_2M : 0;
        }
        memset(arch_phys_to_virt(mfn << ARCH_PAGE_SHIFT), 0, ARCH_PAGE_SIZE << order);
        int rc = record_extent(d, mfn, order);
        if (rc) {
            frame_free(&host_frames, mfn, order);
            return rc;
        }
        rc = arch_p2m_map(d, gfn, mfn, order);
        if (rc)
            return rc;
        d->mapped[size_of_order(order)]++;
        gfn += 1ULL << order;
    }
    d->max_gfn = frames;
    return 0;
}

void *p2m_gpa_to_virt(struct domain *d, uint64_t gpa, size_t length)
{
    uint64_t offset = gpa & (ARCH_PAGE_SIZE - 1);
    if (length > ARCH_PAGE_SIZE - offset)
        return NULL;
    int64_t mfn = arch_p2m_lookup(d, gpa >> ARCH_PAGE_SHIFT);
    if (mfn < 0)
        return NULL;
    return (char *)arch_phys_to_virt((uint64_t)mfn << ARCH_PAGE_SHIFT) + offset;
}

static int copy_gpa(struct domain *d, uint64_t gpa, void *buf, size_t length, bool to_guest)
{
    char *p = buf;
    while (length) {
        size_t chunk = ARCH_PAGE_SIZE - (gpa & (ARCH_PAGE_SIZE - 1));
        if (chunk > length)
            chunk = length;
        void *host = p2m_gpa_to_virt(d, gpa, chunk);
        if (!host)
            return -XC_EFAULT;
        if (to_guest)
            memcpy(host, p, chunk);
        else
            memcpy(p, host, chunk);
        gpa += chunk;
        p += chunk;
        length -= chunk;
    }
    return 0;
}

int p2m_copy_to_gpa(struct domain *d, uint64_t gpa, const void *src, size_t length)
{
    return copy_gpa(d, gpa, (void *)src, length, true);
}

int p2m_copy_from_gpa(struct domain *d, void *dst, uint64_t gpa, size_t length)
{
    return copy_gpa(d, gpa, dst, length, false);
}
