/* The virtual local APIC of each vCPU: the glue between the register model
 * (x86/vlapic.h, hvm/vlapic.c) and the hypervisor - its page, its clock, its
 * timer, and where its IPIs go.
 *
 * Page. One zeroed frame per vCPU from the frame allocator, freed at
 * teardown. With VMX APICv it is also the virtual-APIC page the CPU reads
 * and writes (the model keeps no copy of IRR/ISR/TPR/PPR, see vlapic.h).
 *
 * Time. The model's clock is system time (arch_now_ns). The guest's TSC is
 * the host's TSC on both back ends: VMX runs without TSC offsetting, SVM
 * with a zero TSC offset, RDTSC is not intercepted, and RDMSR of
 * IA32_TIME_STAMP_COUNTER returns RDTSC (writes #GP). So a TSC deadline
 * converts to system time through the hypervisor's own TSC scale.
 *
 * Timer. One core one-shot timer per vCPU (core/timer.h). Its callback runs
 * vlapic_timer_fire() (which takes the model's lock and, in periodic mode,
 * re-arms through ops->timer_arm) and then kicks the vCPU. Lock order: the
 * model's lock, then a timer list's lock. timers_run() drops the list lock
 * while a callback runs, and ops->timer_arm (called with the model's lock
 * held) only takes list locks, so the order never inverts; timer_kill()
 * (which waits for a running callback that may want the model's lock) is
 * only called at teardown, without the model's lock. The timer is armed on
 * the CPU the vCPU runs or last ran on (vcpu.processor), so a vCPU that
 * moved takes its timer along at the next arming; one armed before a move
 * fires on the old CPU, and vcpu_kick() reaches the vCPU wherever it is.
 *
 * IPIs, within the sender's domain only: physical destination = x2APIC id =
 * vCPU id, 0xffffffff = broadcast; logical destination = cluster << 16 |
 * bitmap, matched against each target's LDR (cluster id >> 4, bit id & 15);
 * shorthands self, all, all-but-self. Delivery modes:
 *  - fixed: vlapic_set_irq() on every target, then vcpu_kick();
 *  - lowest priority: to the lowest-numbered vCPU among the targets (no
 *    arbitration by priority: guests cannot tell, and it is deterministic);
 *  - NMI: the target's pending NMI is set and it is kicked; hvm/interrupts.c
 *    injects it;
 *  - INIT and SIPI: ignored. PVH vCPUs are started by VCPUOP_initialise and
 *    VCPUOP_up, which give a full start state; INIT/SIPI would need the
 *    core to take a vCPU down and up again in real mode at the SIPI vector,
 *    and the arch contract gives the arch no way to change whether a vCPU
 *    is up (that is the core's). A guest that sends them sees nothing
 *    happen, as for a CPU that is not there;
 *  - SMI: ignored (no SMM in guests).
 * A destination that matches no vCPU is dropped, as on hardware. */
#include "arch/arch.h"
#include "core/domain.h"
#include "core/timer.h"
#include "lib/errno.h"
#include "mm/mm.h"
#include "x86/hvm.h"
#include "x86/insn.h"
#include "x86/tsc.h"

#define LAPIC_BROADCAST 0xffffffffu
#define LOGICAL_CLUSTER_SHIFT 16
#define LOGICAL_BITMAP_MASK 0xffffu
/* Further than this many TSC ticks ahead is "never" (converting more could
 * overflow 64-bit nanoseconds on a slow TSC); 2^52 ticks is weeks. */
#define TSC_DEADLINE_FAR_TICKS (1ULL << 52)
#define FAR_FUTURE_NS (1ULL << 62)

static uint64_t lapic_now_ns(void *ctx)
{
    (void)ctx;
    return arch_now_ns();
}

static uint64_t lapic_guest_tsc(void *ctx)
{
    (void)ctx;
    return rdtsc();
}

/* The system time at which the guest's TSC reaches @tsc: read the TSC
 * first, so the answer errs late by the few ns between the two reads. */
static uint64_t lapic_tsc_to_ns(void *ctx, uint64_t tsc)
{
    (void)ctx;
    uint64_t now_tsc = rdtsc();
    uint64_t now_ns = arch_now_ns();
    if (tsc <= now_tsc)
        return now_ns;
    if (tsc - now_tsc > TSC_DEADLINE_FAR_TICKS)
        return now_ns + FAR_FUTURE_NS;
    return now_ns + tsc_to_ns(tsc - now_tsc);
}

static uint32_t lapic_ldr(struct vcpu *v)
{
    uint32_t ldr;
    __builtin_memcpy(&ldr, v->arch->vlapic.regs + VLAPIC_REG_OFFSET(VLAPIC_MSR_LDR), sizeof(ldr));
    return ldr;
}

/* Does @target (not NULL, with a vLAPIC) receive @ipi sent by @sender? */
static bool ipi_targets(const struct vlapic_ipi *ipi, struct vcpu *sender, struct vcpu *target)
{
    switch (ipi->shorthand) {
    case VLAPIC_SHORTHAND_SELF:
        return target == sender;
    case VLAPIC_SHORTHAND_ALL:
        return true;
    case VLAPIC_SHORTHAND_ALL_BUT_SELF:
        return target != sender;
    case VLAPIC_SHORTHAND_NONE:
    default:
        break;
    }
    if (ipi->destination == LAPIC_BROADCAST)
        return true;
    if (!ipi->logical)
        return ipi->destination == target->id;
    uint32_t ldr = lapic_ldr(target);
    return (ipi->destination >> LOGICAL_CLUSTER_SHIFT) == (ldr >> LOGICAL_CLUSTER_SHIFT) &&
           (ipi->destination & ldr & LOGICAL_BITMAP_MASK) != 0;
}

static void deliver_one(struct vcpu *target, const struct vlapic_ipi *ipi)
{
    switch (ipi->mode) {
    case VLAPIC_DELIVERY_FIXED:
    case VLAPIC_DELIVERY_LOWEST:
        vlapic_set_irq(&target->arch->vlapic, ipi->vector);
        hvm_vcpu_lapic_hint(target);
        vcpu_kick(target);
        break;
    case VLAPIC_DELIVERY_NMI:
        __atomic_store_n(&target->arch->nmi_pending, true, __ATOMIC_RELEASE);
        vcpu_kick(target);
        break;
    case VLAPIC_DELIVERY_SMI:
    case VLAPIC_DELIVERY_INIT:
    case VLAPIC_DELIVERY_SIPI:
    default:
        break; /* see the top of this file */
    }
}

static void lapic_send_ipi(void *ctx, const struct vlapic_ipi *ipi)
{
    struct vcpu *sender = ctx;
    struct domain *d = sender->domain;
    uint32_t count = d->nr_vcpus;
    if (count > XENCORE_DOMAIN_MAX_VCPUS)
        count = XENCORE_DOMAIN_MAX_VCPUS;
    for (uint32_t i = 0; i < count; i++) {
        struct vcpu *target = d->vcpus[i];
        if (!target || !target->arch || !ipi_targets(ipi, sender, target))
            continue;
        deliver_one(target, ipi);
        if (ipi->mode == VLAPIC_DELIVERY_LOWEST)
            break; /* the lowest-numbered target takes it */
    }
}

static void lapic_timer_arm(void *ctx, uint64_t deadline_ns)
{
    struct vcpu *v = ctx;
    if (deadline_ns == 0)
        timer_stop(&v->arch->vlapic_timer);
    else
        timer_set(&v->arch->vlapic_timer, deadline_ns,
                  __atomic_load_n(&v->processor, __ATOMIC_RELAXED));
}

static const struct vlapic_ops lapic_ops = {
    .now_ns = lapic_now_ns,
    .guest_tsc = lapic_guest_tsc,
    .tsc_to_ns = lapic_tsc_to_ns,
    .send_ipi = lapic_send_ipi,
    .timer_arm = lapic_timer_arm,
};

/* Timer callback (any CPU, interrupts off, no timer lock held). */
static void lapic_timer_fired(void *data)
{
    struct vcpu *v = data;
    vlapic_timer_fire(&v->arch->vlapic);
    hvm_vcpu_lapic_hint(v);
    vcpu_kick(v);
}

int hvm_vcpu_lapic_init(struct vcpu *v)
{
    struct arch_vcpu *a = v->arch;
    uint64_t page = mm_alloc_pages(0);
    if (!page)
        return -XC_ENOMEM;
    a->vlapic_page_phys = page;
    timer_init(&a->vlapic_timer, lapic_timer_fired, v);
    vlapic_init(&a->vlapic, arch_phys_to_virt(page), v->id, &lapic_ops, v);
    return 0;
}

void hvm_vcpu_lapic_teardown(struct arch_vcpu *a)
{
    if (!a || !a->vlapic_page_phys)
        return;
    timer_kill(&a->vlapic_timer);
    mm_free_pages(a->vlapic_page_phys, 0);
    a->vlapic_page_phys = 0;
    a->vlapic.regs = NULL;
}

uint8_t hvm_vcpu_lapic_tpr(struct vcpu *v)
{
    uint64_t tpr = 0;
    vlapic_rdmsr(&v->arch->vlapic, VLAPIC_MSR_TPR, &tpr);
    return (uint8_t)tpr;
}

void hvm_vcpu_lapic_set_cr8(struct vcpu *v, uint64_t cr8)
{
    vlapic_wrmsr(&v->arch->vlapic, VLAPIC_MSR_TPR, (cr8 & 0xf) << 4);
}

/* HLT, SCHEDOP_block and SCHEDOP_poll must not sleep past an NMI or a
 * vLAPIC vector above PPR (whatever RFLAGS.IF says, as a CPU leaves HLT).
 * Reads only; the IRR bits are set atomically by any CPU. */
bool arch_vcpu_interrupt_pending(struct vcpu *v)
{
    struct arch_vcpu *a = v->arch;
    if (!a || !a->vlapic.regs)
        return false;
    return __atomic_load_n(&a->nmi_pending, __ATOMIC_ACQUIRE) ||
           vlapic_pending_vector(&a->vlapic) >= 0;
}
