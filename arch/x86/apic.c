/* Local APIC access, IPIs and the per-CPU one-shot timer.
 *
 * x2APIC is preferred: 32-bit APIC IDs (so more than 255 CPUs), MSR access
 * instead of MMIO, and an ICR write that needs no delivery-status polling.
 * xAPIC remains for CPUs without it (Sandy Bridge, QEMU's TCG); there IDs
 * above 254 cannot be addressed and such CPUs are left out at enumeration.
 * Every CPU uses the mode the boot CPU chose. */
#include "x86/apic.h"

#include "arch/arch.h"
#include "lib/panic.h"
#include "lib/printk.h"
#include "x86/insn.h"
#include "x86/paging.h"
#include "x86/regs.h"
#include "x86/traps.h"
#include "x86/tsc.h"

#define XAPIC_MMIO_BYTES 0x1000
#define ICR_SPIN_LIMIT 1000000
#define TIMER_CALIBRATION_NS 1000000ULL /* 1 ms */
#define TIMER_MAX_ONE_SHOT_NS 1000000000ULL /* 1 s: keeps ticks * rate in 64 bits */

static bool apic_ready; /* the boot CPU's APIC is set up: IPIs can be sent */
static bool x2apic_mode;
static volatile uint32_t *xapic_mmio;
static bool tsc_deadline;
static uint64_t timer_ticks_per_ms; /* APIC timer (divide by 1) when not TSC-deadline */

bool apic_is_x2apic(void)
{
    return x2apic_mode;
}

static uint32_t apic_read(uint32_t reg)
{
    if (x2apic_mode)
        return (uint32_t)rdmsr(X2APIC_MSR_BASE + (reg >> 4));
    return xapic_mmio[reg / 4];
}

static void apic_write(uint32_t reg, uint32_t value)
{
    if (x2apic_mode)
        wrmsr(X2APIC_MSR_BASE + (reg >> 4), value);
    else
        xapic_mmio[reg / 4] = value;
}

uint32_t apic_this_id(void)
{
    uint32_t id = apic_read(APIC_REG_ID);
    return x2apic_mode ? id : id >> 24;
}

uint32_t apic_max_addressable_id(void)
{
    return x2apic_mode ? UINT32_MAX - 1 : XAPIC_MAX_ID;
}

void apic_init_this_cpu(void)
{
    /* Disabled -> x2APIC directly is an invalid transition: enable first. */
    uint64_t base = rdmsr(MSR_IA32_APIC_BASE) | APIC_BASE_ENABLE;
    wrmsr(MSR_IA32_APIC_BASE, base);
    if (x2apic_mode && !(base & APIC_BASE_EXTD))
        wrmsr(MSR_IA32_APIC_BASE, base | APIC_BASE_EXTD);

    apic_write(APIC_REG_TPR, 0);
    apic_write(APIC_REG_LVT_TIMER, APIC_LVT_MASKED | X86_VECTOR_TIMER);
    apic_write(APIC_REG_LVT_LINT0, APIC_LVT_MASKED);
    apic_write(APIC_REG_LVT_LINT1, APIC_LVT_MASKED);
    apic_write(APIC_REG_LVT_ERROR, APIC_LVT_MASKED);
    apic_write(APIC_REG_SVR, APIC_SVR_ENABLE | X86_VECTOR_SPURIOUS);
}

void apic_init_boot_cpu(bool allow_x2apic)
{
    if (!(cpuid(1).edx & CPUID1_EDX_APIC))
        panic("this CPU has no local APIC");
    bool has_x2apic = cpuid(1).ecx & CPUID1_ECX_X2APIC;
    uint64_t base = rdmsr(MSR_IA32_APIC_BASE);
    /* Leaving x2APIC mode once firmware entered it needs a disable/enable
     * cycle that loses state; keep it, whatever the command line says. */
    x2apic_mode = has_x2apic && (allow_x2apic || (base & APIC_BASE_EXTD));
    if (!x2apic_mode)
        xapic_mmio = x86_map_mmio(base & APIC_BASE_ADDR_MASK, XAPIC_MMIO_BYTES);
    apic_init_this_cpu();
    apic_ready = true;
}

void apic_eoi(void)
{
    apic_write(APIC_REG_EOI, 0);
}

void apic_send_ipi(uint32_t apic_id, uint32_t icr_low)
{
    if (!apic_ready) /* a panic before the APIC was set up: no one to tell */
        return;
    if (x2apic_mode) {
        wrmsr(X2APIC_MSR_BASE + (APIC_REG_ICR_LOW >> 4), ((uint64_t)apic_id << 32) | icr_low);
        return;
    }
    unsigned long flags = arch_irq_save();
    apic_write(APIC_REG_ICR_HIGH, apic_id << 24);
    apic_write(APIC_REG_ICR_LOW, icr_low);
    for (unsigned int i = 0; i < ICR_SPIN_LIMIT; i++) {
        if (!(apic_read(APIC_REG_ICR_LOW) & APIC_ICR_DELIVERY_PENDING))
            break;
        pause();
    }
    arch_irq_restore(flags);
}

void apic_send_nmi_all_but_self(void)
{
    apic_send_ipi(0, APIC_ICR_NMI | APIC_ICR_ALL_BUT_SELF);
}

bool apic_timer_uses_tsc_deadline(void)
{
    return tsc_deadline;
}

void apic_timer_init_this_cpu(void)
{
    if (tsc_deadline) {
        apic_write(APIC_REG_LVT_TIMER, APIC_LVT_TIMER_TSC_DEADLINE | X86_VECTOR_TIMER);
        return;
    }
    apic_write(APIC_REG_TIMER_DIVIDE, APIC_TIMER_DIVIDE_BY_1);
    apic_write(APIC_REG_LVT_TIMER, X86_VECTOR_TIMER); /* one-shot */
}

void apic_timer_init_boot_cpu(void)
{
    tsc_deadline = cpuid(1).ecx & CPUID1_ECX_TSC_DEADLINE;
    if (!tsc_deadline) {
        /* Count the APIC timer down for 1 ms of TSC time. */
        apic_write(APIC_REG_TIMER_DIVIDE, APIC_TIMER_DIVIDE_BY_1);
        apic_write(APIC_REG_LVT_TIMER, APIC_LVT_MASKED | X86_VECTOR_TIMER);
        apic_write(APIC_REG_TIMER_INITIAL, UINT32_MAX);
        uint64_t end = rdtsc() + tsc_from_ns(TIMER_CALIBRATION_NS);
        while (rdtsc() < end)
            pause();
        timer_ticks_per_ms = UINT32_MAX - apic_read(APIC_REG_TIMER_CURRENT);
        apic_write(APIC_REG_TIMER_INITIAL, 0);
        if (timer_ticks_per_ms == 0)
            panic("the local APIC timer does not count");
    }
    apic_timer_init_this_cpu();
    printk("xencore: timer: %s\n", tsc_deadline ? "TSC-deadline" : "local APIC one-shot");
    if (!tsc_deadline)
        printk("xencore: APIC timer %llu kHz\n", (unsigned long long)timer_ticks_per_ms);
}

void apic_timer_arm_tsc(uint64_t deadline)
{
    if (tsc_deadline) {
        wrmsr(MSR_IA32_TSC_DEADLINE, deadline ? deadline : 1);
        return;
    }
    uint64_t now = rdtsc();
    uint64_t delta_ns = deadline > now ? tsc_to_ns(deadline - now) : 0;
    if (delta_ns > TIMER_MAX_ONE_SHOT_NS)
        delta_ns = TIMER_MAX_ONE_SHOT_NS; /* fires early; the core re-arms */
    uint64_t ticks = delta_ns * timer_ticks_per_ms / TIMER_CALIBRATION_NS;
    if (ticks == 0)
        ticks = 1;
    if (ticks > UINT32_MAX)
        ticks = UINT32_MAX; /* fires early; the core re-arms */
    apic_write(APIC_REG_TIMER_INITIAL, (uint32_t)ticks);
}
