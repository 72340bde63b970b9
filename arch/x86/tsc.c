/* TSC calibration and time keeping.
 *
 * The rate is measured once against PIT channel 2 (the one channel whose
 * output software can read, through port 0x61), over 20 ms. Conversions use
 * fixed-point multipliers so no division happens after boot. Time is counted
 * from the calibration, the same on every CPU (the emulators and current
 * hardware keep the TSCs of all CPUs in step). */
#include "x86/tsc.h"

#include <xencore/abi/guest.h>

#include "arch/arch.h"
#include "lib/panic.h"
#include "lib/printk.h"
#include "x86/apic.h"
#include "x86/insn.h"

#define PIT_HZ 1193182ULL
#define PIT_PORT_CHANNEL2 0x42
#define PIT_PORT_COMMAND 0x43
#define PIT_CMD_CHANNEL2_ONESHOT 0xb0 /* channel 2, lobyte/hibyte, mode 0, binary */
#define PORT_SYSTEM_CONTROL_B 0x61
#define SYSCTL_B_GATE2 0x01
#define SYSCTL_B_SPEAKER 0x02
#define SYSCTL_B_OUT2 0x20
#define CALIBRATION_MS 20ULL
#define CALIBRATION_SPIN_LIMIT 100000000ULL

#define NS_PER_SEC 1000000000ULL
#define TO_NS_SHIFT 32
#define FROM_NS_SHIFT 32
#define NS_PER_SEC_ODD_PART 1953125ULL /* 10^9 = 2^9 * 1953125 */

static uint64_t tsc_hz;
static uint64_t tsc_at_boot;
static uint64_t to_ns_mul;   /* ns = ticks * to_ns_mul >> TO_NS_SHIFT */
static uint64_t from_ns_mul; /* ticks = ns * from_ns_mul >> FROM_NS_SHIFT */

void tsc_calibrate(void)
{
    uint16_t latch = (uint16_t)(PIT_HZ * CALIBRATION_MS / 1000);
    uint8_t control = inb(PORT_SYSTEM_CONTROL_B);
    outb(PORT_SYSTEM_CONTROL_B, (uint8_t)((control & ~SYSCTL_B_SPEAKER) | SYSCTL_B_GATE2));
    outb(PIT_PORT_COMMAND, PIT_CMD_CHANNEL2_ONESHOT);
    outb(PIT_PORT_CHANNEL2, (uint8_t)latch);
    outb(PIT_PORT_CHANNEL2, (uint8_t)(latch >> 8));

    uint64_t start = rdtsc();
    uint64_t spins = 0;
    while (!(inb(PORT_SYSTEM_CONTROL_B) & SYSCTL_B_OUT2))
        if (++spins > CALIBRATION_SPIN_LIMIT)
            panic("cannot calibrate the TSC: PIT channel 2 does not count");
    uint64_t ticks = rdtsc() - start;
    outb(PORT_SYSTEM_CONTROL_B, control);

    tsc_hz = ticks * 1000 / CALIBRATION_MS;
    if (tsc_hz < 1000000)
        panic("TSC rate of %llu Hz is implausible", (unsigned long long)tsc_hz);
    to_ns_mul = (NS_PER_SEC << TO_NS_SHIFT) / tsc_hz;
    /* Rounded up, and precise to about 1e-7 even for a 4 MHz TSC: a timer
     * programmed through it must never fire before arch_now_ns() reaches its
     * deadline. (With 24 bits and rounding down, a 4 MHz TSC's deadlines
     * came 1.3e-5 of the uptime early: after ten minutes the interrupt came
     * 10 ms before its time, was found early, re-armed, came again, and the
     * CPU did nothing else until the deadline passed.) */
    from_ns_mul = (tsc_hz * (1ULL << (FROM_NS_SHIFT - 9)) + NS_PER_SEC_ODD_PART - 1) /
                  NS_PER_SEC_ODD_PART;
    tsc_at_boot = rdtsc();
    printk("xencore: TSC %llu kHz\n", (unsigned long long)(tsc_hz / 1000));
}

uint64_t tsc_khz(void)
{
    return tsc_hz / 1000;
}

uint64_t tsc_to_ns(uint64_t ticks)
{
    return (uint64_t)(((unsigned __int128)ticks * to_ns_mul) >> TO_NS_SHIFT);
}

uint64_t tsc_from_ns(uint64_t ns)
{
    return (uint64_t)(((unsigned __int128)ns * from_ns_mul) >> FROM_NS_SHIFT);
}

void tsc_delay_ns(uint64_t ns)
{
    uint64_t end = rdtsc() + tsc_from_ns(ns);
    while (rdtsc() < end)
        pause();
}

uint64_t arch_now_ns(void)
{
    return tsc_to_ns(rdtsc() - tsc_at_boot);
}

void arch_timer_arm(uint64_t deadline_ns)
{
    /* One tick late rather than a few ns early (see tsc_calibrate). */
    apic_timer_arm_tsc(tsc_at_boot + tsc_from_ns(deadline_ns) + 1);
}

#define XEN_TIME_TSC_STABLE 0x01

void arch_fill_vcpu_time(struct vcpu_time_info *time)
{
    /* Xen's scale: ns = ((ticks << shift) * mul) >> 32, mul a 32-bit value. */
    uint64_t mul = to_ns_mul;
    int shift = 0;
    while (mul > UINT32_MAX) {
        mul >>= 1;
        shift++;
    }
    uint64_t now = rdtsc();
    time->tsc_timestamp = now;
    time->system_time = tsc_to_ns(now - tsc_at_boot);
    time->tsc_to_system_mul = (uint32_t)mul;
    time->tsc_shift = (int8_t)shift;
    time->flags = XEN_TIME_TSC_STABLE;
}
