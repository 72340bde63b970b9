/* The local APIC, in x2APIC mode when the CPU has it, xAPIC otherwise. */
#ifndef XENCORE_X86_APIC_H
#define XENCORE_X86_APIC_H

#include <stdbool.h>
#include <stdint.h>

/* Register offsets in the xAPIC MMIO page; x2APIC MSR = 0x800 + offset / 16. */
#define APIC_REG_ID 0x020
#define APIC_REG_VERSION 0x030
#define APIC_REG_TPR 0x080
#define APIC_REG_EOI 0x0b0
#define APIC_REG_SVR 0x0f0
#define APIC_REG_ESR 0x280
#define APIC_REG_ICR_LOW 0x300
#define APIC_REG_ICR_HIGH 0x310
#define APIC_REG_LVT_TIMER 0x320
#define APIC_REG_LVT_LINT0 0x350
#define APIC_REG_LVT_LINT1 0x360
#define APIC_REG_LVT_ERROR 0x370
#define APIC_REG_TIMER_INITIAL 0x380
#define APIC_REG_TIMER_CURRENT 0x390
#define APIC_REG_TIMER_DIVIDE 0x3e0
#define X2APIC_MSR_BASE 0x800

#define APIC_SVR_ENABLE (1U << 8)
#define APIC_LVT_MASKED (1U << 16)
#define APIC_LVT_TIMER_TSC_DEADLINE (2U << 17)
#define APIC_TIMER_DIVIDE_BY_1 0xb

#define APIC_ICR_FIXED (0U << 8)
#define APIC_ICR_NMI (4U << 8)
#define APIC_ICR_INIT (5U << 8)
#define APIC_ICR_STARTUP (6U << 8)
#define APIC_ICR_DELIVERY_PENDING (1U << 12) /* xAPIC only */
#define APIC_ICR_LEVEL_ASSERT (1U << 14)
#define APIC_ICR_ALL_BUT_SELF (3U << 18)

#define XAPIC_MAX_ID 0xfe /* 0xff is broadcast */

/* Chooses the mode (x2APIC if present and allowed) and enables the boot CPU's
 * APIC. Panics if there is no APIC at all. */
void apic_init_boot_cpu(bool allow_x2apic);
/* Enables the calling CPU's APIC in the mode the boot CPU chose. */
void apic_init_this_cpu(void);
bool apic_is_x2apic(void);
uint32_t apic_this_id(void);
/* Largest APIC ID interrupts can be sent to in the chosen mode. */
uint32_t apic_max_addressable_id(void);

void apic_eoi(void);
void apic_send_ipi(uint32_t apic_id, uint32_t icr_low);
void apic_send_nmi_all_but_self(void);

/* The one-shot timer. apic_timer_init() picks TSC-deadline mode when the CPU
 * has it, else calibrates the APIC timer against the TSC. */
void apic_timer_init_boot_cpu(void);
void apic_timer_init_this_cpu(void);
void apic_timer_arm_tsc(uint64_t tsc_deadline);
bool apic_timer_uses_tsc_deadline(void);

#endif /* XENCORE_X86_APIC_H */
