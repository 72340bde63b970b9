/* Guest page-table walks: guest-virtual to guest-physical.
 *
 * Hypercall arguments are guest-virtual pointers, so the hypervisor must
 * translate them the way the guest's CPU would, in whichever paging mode
 * the guest is in. Every byte read here is the guest's to choose: each step
 * checks presence, writability and reserved bits, and any failure is
 * -XC_EFAULT for the caller. The walk only reads guest memory through the
 * callback, so the host unit tests drive it with synthetic tables. */
#include "x86/guest_walk.h"

#include "lib/errno.h"
#include "x86/regs.h"

#define PTE_P (1ULL << 0)
#define PTE_RW (1ULL << 1)
#define PTE_PS (1ULL << 7)
#define PTE_ADDR_MASK 0x000ffffffffff000ULL
#define PAE_PDPTE_RESERVED 0x1e6ULL /* bits 1-2 and 5-8 must be clear in a PDPTE */
#define CR3_PAE_MASK 0xffffffe0ULL
#define CR3_32_MASK 0xfffff000ULL
#define PAGE_OFFSET_MASK 0xfffULL
#define PAGE_2M_MASK 0x1fffffULL
#define PAGE_4M_MASK 0x3fffffULL
#define PSE_4M_FRAME_MASK 0xffc00000ULL

static bool usable(uint64_t entry, bool write)
{
    return (entry & PTE_P) && (!write || (entry & PTE_RW));
}

static int walk_long(const struct guest_paging *p, uint64_t gva, bool write, guest_read_fn read,
                     void *ctx, uint64_t *gpa)
{
    if ((uint64_t)((int64_t)(gva << 16) >> 16) != gva)
        return -XC_EFAULT; /* non-canonical */
    uint64_t table = p->cr3 & PTE_ADDR_MASK, entry;
    for (unsigned int level = 4; level >= 1; level--) {
        unsigned int shift = 12 + 9 * (level - 1);
        if (read(ctx, table + ((gva >> shift) & 511) * 8, 8, &entry) || !usable(entry, write))
            return -XC_EFAULT;
        if ((level == 3 || level == 2) && (entry & PTE_PS)) {
            uint64_t size = 1ULL << shift;
            *gpa = (entry & PTE_ADDR_MASK & ~(size - 1)) | (gva & (size - 1));
            return 0;
        }
        table = entry & PTE_ADDR_MASK;
    }
    *gpa = table | (gva & PAGE_OFFSET_MASK);
    return 0;
}

static int walk_pae(const struct guest_paging *p, uint64_t gva, bool write, guest_read_fn read,
                    void *ctx, uint64_t *gpa)
{
    uint64_t entry;
    if (read(ctx, (p->cr3 & CR3_PAE_MASK) + (gva >> 30) * 8, 8, &entry) || !(entry & PTE_P) ||
        (entry & PAE_PDPTE_RESERVED))
        return -XC_EFAULT;
    if (read(ctx, (entry & PTE_ADDR_MASK) + ((gva >> 21) & 511) * 8, 8, &entry) ||
        !usable(entry, write))
        return -XC_EFAULT;
    if (entry & PTE_PS) {
        *gpa = (entry & PTE_ADDR_MASK & ~PAGE_2M_MASK) | (gva & PAGE_2M_MASK);
        return 0;
    }
    if (read(ctx, (entry & PTE_ADDR_MASK) + ((gva >> 12) & 511) * 8, 8, &entry) ||
        !usable(entry, write))
        return -XC_EFAULT;
    *gpa = (entry & PTE_ADDR_MASK) | (gva & PAGE_OFFSET_MASK);
    return 0;
}

static int walk_32(const struct guest_paging *p, uint64_t gva, bool write, guest_read_fn read,
                   void *ctx, uint64_t *gpa)
{
    uint64_t entry;
    if (read(ctx, (p->cr3 & CR3_32_MASK) + (gva >> 22) * 4, 4, &entry) || !usable(entry, write))
        return -XC_EFAULT;
    if ((entry & PTE_PS) && (p->cr4 & X86_CR4_PSE)) {
        *gpa = (entry & PSE_4M_FRAME_MASK) | (gva & PAGE_4M_MASK);
        return 0;
    }
    if (read(ctx, (entry & CR3_32_MASK) + ((gva >> 12) & 1023) * 4, 4, &entry) ||
        !usable(entry, write))
        return -XC_EFAULT;
    *gpa = (entry & CR3_32_MASK) | (gva & PAGE_OFFSET_MASK);
    return 0;
}

int guest_walk(const struct guest_paging *paging, uint64_t gva, bool write, guest_read_fn read,
               void *context, uint64_t *gpa)
{
    if (!(paging->cr0 & X86_CR0_PG)) {
        *gpa = (paging->efer & EFER_LMA) ? gva : (uint32_t)gva;
        return 0;
    }
    if (paging->efer & EFER_LMA)
        return walk_long(paging, gva, write, read, context, gpa);
    if (gva > UINT32_MAX)
        return -XC_EFAULT;
    if (paging->cr4 & X86_CR4_PAE)
        return walk_pae(paging, gva, write, read, context, gpa);
    return walk_32(paging, gva, write, read, context, gpa);
}
