/* shared_info and guest time: the page every vCPU reads its time and
 * events from, and system time computed from it.
 *
 * System time is the hypervisor's clock in ns, one clock for every domain
 * and vCPU, so guests can compare times they read (the share tests put all
 * domains' measuring windows at the same system times). A vCPU reads its own
 * vcpu_time_info: system_time at tsc_timestamp, plus the TSC ticks since,
 * scaled by tsc_shift and the 0.32 fixed-point tsc_to_system_mul. The
 * hypervisor may rewrite the record at any time (a vCPU that moves to another
 * CPU gets a fresh one); it makes version odd while it writes, so a reader
 * retries until it saw the same even version before and after. */
#include "runtime.h"

#define PAGE_SHIFT 12
#define FIXED_POINT_SHIFT 32

volatile struct shared_info *shared_info;
static uint8_t shared_info_frame[4096] __attribute__((aligned(4096)));

volatile struct shared_info *shared_info_map(void)
{
    if (shared_info != NULL) {
        return shared_info;
    }
    struct xen_add_to_physmap map = {
        .domid = DOMID_SELF,
        .space = XENMAPSPACE_shared_info,
        .idx = 0,
        .gpfn = (uint64_t)(uintptr_t)shared_info_frame >> PAGE_SHIFT,
    };
    long rc = memory_op(XENMEM_add_to_physmap, &map);
    if (!check_eq_int("shared_info mapped", 0, rc)) {
        return NULL;
    }
    shared_info = (volatile struct shared_info *)shared_info_frame;
    return shared_info;
}

volatile struct vcpu_info *this_vcpu_info(void)
{
    return &shared_info->vcpu_info[this_vcpu_id()];
}

uint64_t system_time_ns(void)
{
    volatile struct vcpu_time_info *t = &this_vcpu_info()->time;
    uint32_t version;
    uint64_t stamp, system, tsc;
    uint32_t mul;
    int8_t shift;
    do {
        version = t->version;
        __asm__ volatile("" : : : "memory");
        stamp = t->tsc_timestamp;
        system = t->system_time;
        mul = t->tsc_to_system_mul;
        shift = t->tsc_shift;
        tsc = rdtsc();
        __asm__ volatile("" : : : "memory");
    } while ((version & 1) != 0 || version != t->version);
    uint64_t delta = tsc - stamp;
    if ((int64_t)delta < 0) {
        delta = 0; /* a TSC read just before the record's: no time has passed */
    }
    if (shift < 0) {
        delta >>= -shift;
    } else {
        delta <<= shift;
    }
    return system + (uint64_t)(((unsigned __int128)delta * mul) >> FIXED_POINT_SHIFT);
}

void spin_until_ns(uint64_t deadline_ns)
{
    while (system_time_ns() < deadline_ns) {
        __asm__ volatile("pause");
    }
}

/* This vCPU's current scale: ns = ((ticks << shift) * mul) >> 32. */
static void tsc_scale(uint32_t *mul, int8_t *shift)
{
    volatile struct vcpu_time_info *t = &this_vcpu_info()->time;
    uint32_t version;
    do {
        version = t->version;
        __asm__ volatile("" : : : "memory");
        *mul = t->tsc_to_system_mul;
        *shift = t->tsc_shift;
        __asm__ volatile("" : : : "memory");
    } while ((version & 1) != 0 || version != t->version);
}

uint64_t tsc_ticks_to_ns(uint64_t ticks)
{
    uint32_t mul;
    int8_t shift;
    tsc_scale(&mul, &shift);
    if (shift < 0) {
        ticks >>= -shift;
    } else {
        ticks <<= shift;
    }
    return (uint64_t)(((unsigned __int128)ticks * mul) >> FIXED_POINT_SHIFT);
}

uint64_t ns_to_tsc_ticks(uint64_t ns)
{
    uint32_t mul;
    int8_t shift;
    tsc_scale(&mul, &shift);
    if (mul == 0) {
        return 0;
    }
    /* (ns << 32) / mul, rounded up so that the ticks cover at least @ns, in
     * two 64-bit divisions (no 128-bit division without libgcc). */
    uint64_t remainder = ns % mul;
    uint64_t ticks =
        ((ns / mul) << FIXED_POINT_SHIFT) + ((remainder << FIXED_POINT_SHIFT) + mul - 1) / mul;
    if (shift < 0) {
        ticks <<= -shift;
    } else {
        ticks >>= shift;
    }
    return ticks;
}
