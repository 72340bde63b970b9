/* arch_copy_from_guest / arch_copy_to_guest: guest-virtual memory as the
 * vCPU sees it now, page by page, through guest_walk() and the p2m. */
#include "arch/arch.h"
#include "lib/errno.h"
#include "mm/p2m.h"
#include "x86/guest_walk.h"
#include "x86/hvm.h"

#define PAGE_OFFSET_MASK (ARCH_PAGE_SIZE - 1)

static int read_guest_physical(void *context, uint64_t gpa, unsigned int bytes, uint64_t *value)
{
    void *p = p2m_gpa_to_virt(context, gpa, bytes);
    if (!p)
        return -XC_EFAULT;
    *value = bytes == 8 ? __atomic_load_n((uint64_t *)p, __ATOMIC_RELAXED)
                        : __atomic_load_n((uint32_t *)p, __ATOMIC_RELAXED);
    return 0;
}

static int copy_guest(struct vcpu *v, uint64_t gva, void *buf, size_t length, bool to_guest)
{
    struct hvm_state s;
    hvm->get_state(v, &s);
    struct guest_paging paging = { s.cr0, s.cr3, s.cr4, s.efer };
    char *p = buf;
    while (length) {
        size_t chunk = ARCH_PAGE_SIZE - (gva & PAGE_OFFSET_MASK);
        if (chunk > length)
            chunk = length;
        uint64_t gpa;
        if (guest_walk(&paging, gva, to_guest, read_guest_physical, v->domain, &gpa))
            return -XC_EFAULT;
        int rc = to_guest ? p2m_copy_to_gpa(v->domain, gpa, p, chunk)
                          : p2m_copy_from_gpa(v->domain, p, gpa, chunk);
        if (rc)
            return rc;
        gva += chunk;
        p += chunk;
        length -= chunk;
    }
    return 0;
}

int arch_copy_from_guest(struct vcpu *v, void *dst, uint64_t gva, size_t length)
{
    return copy_guest(v, gva, dst, length, false);
}

int arch_copy_to_guest(struct vcpu *v, uint64_t gva, const void *src, size_t length)
{
    return copy_guest(v, gva, (void *)src, length, true);
}
