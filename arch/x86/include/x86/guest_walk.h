/* Translating guest-virtual addresses by walking the guest's page tables. */
#ifndef XENCORE_X86_GUEST_WALK_H
#define XENCORE_X86_GUEST_WALK_H

#include <stdbool.h>
#include <stdint.h>

/* The paging state that decides how to walk. */
struct guest_paging {
    uint64_t cr0, cr3, cr4, efer;
};

/* Reads @bytes (4 or 8) of guest-physical memory at @gpa into *@value;
 * returns 0, or non-zero if @gpa is not the guest's memory. */
typedef int (*guest_read_fn)(void *context, uint64_t gpa, unsigned int bytes, uint64_t *value);

/* Guest-virtual @gva to guest-physical in *@gpa for a read (or a write when
 * @write) in any of the four modes: no paging, 32-bit, PAE, 4-level. Returns
 * 0 or -XC_EFAULT (not present, not writable, non-canonical, reserved bits,
 * a table outside the guest's memory). Pure: only @read touches memory. */
int guest_walk(const struct guest_paging *paging, uint64_t gva, bool write, guest_read_fn read,
               void *context, uint64_t *gpa);

#endif /* XENCORE_X86_GUEST_WALK_H */
