/* The virtual local APIC of a vCPU, in x2APIC mode: the register model.
 *
 * Pure C over one 4 KiB page, so the same code runs in the hypervisor and in
 * the host unit tests. The page has the architectural layout of the APIC
 * register page (register at MSR 0x800 + i lives at byte offset i << 4; the
 * 64-bit ICR at 0x300), which is also the layout of Intel's virtual-APIC
 * page: with APIC-register virtualization and virtual-interrupt delivery the
 * CPU reads this very page and updates IRR, ISR, PPR and TPR in it itself,
 * and the model stays right because it keeps no copy of those registers.
 *
 * What the model owns outside the page: the timer (mode, start, period, the
 * TSC deadline) and the pending error bits (ESR shows them only after a
 * write to ESR, as on hardware). Everything that needs the outside world
 * goes through struct vlapic_ops: time, sending an IPI, arming the timer.
 *
 * Timer clock: the bus clock runs at 1 GHz (one count per nanosecond before
 * the divide configuration), as Xen's virtual LAPIC does, so a guest needs
 * no calibration. TSC-deadline mode takes deadlines in guest TSC ticks.
 *
 * Concurrency: the owner vCPU's exit handlers call everything on its own
 * CPU. Any CPU may call vlapic_set_irq() at any time (an IPI or the timer
 * from elsewhere): it only sets an IRR bit atomically. The timer state is
 * shared between the owner (writes to the timer registers) and the timer
 * callback (vlapic_timer_fire), under the model's lock.
 *
 * Errors: reads of reserved or write-only registers and writes of read-only
 * registers, of reserved bits, or of a non-zero value to EOI/ESR raise #GP,
 * as x2APIC hardware does (SDM vol. 3, 11.12.1.2): the calls return
 * VLAPIC_GP and change nothing. */
#ifndef XENCORE_X86_VLAPIC_H
#define XENCORE_X86_VLAPIC_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/spinlock.h"

/* The x2APIC MSR range; registers are defined up to 0x83f, the rest faults. */
#define VLAPIC_MSR_FIRST 0x800u
#define VLAPIC_MSR_LAST 0x8ffu
#define VLAPIC_MSR_TSC_DEADLINE 0x6e0u /* IA32_TSC_DEADLINE */

/* x2APIC MSRs (SDM vol. 3, table 11-6). */
#define VLAPIC_MSR_ID 0x802u
#define VLAPIC_MSR_VERSION 0x803u
#define VLAPIC_MSR_TPR 0x808u
#define VLAPIC_MSR_PPR 0x80au
#define VLAPIC_MSR_EOI 0x80bu
#define VLAPIC_MSR_LDR 0x80du
#define VLAPIC_MSR_SVR 0x80fu
#define VLAPIC_MSR_ISR0 0x810u  /* ..0x817 */
#define VLAPIC_MSR_TMR0 0x818u  /* ..0x81f */
#define VLAPIC_MSR_IRR0 0x820u  /* ..0x827 */
#define VLAPIC_MSR_ESR 0x828u
#define VLAPIC_MSR_LVT_CMCI 0x82fu
#define VLAPIC_MSR_ICR 0x830u
#define VLAPIC_MSR_LVT_TIMER 0x832u
#define VLAPIC_MSR_LVT_THERMAL 0x833u
#define VLAPIC_MSR_LVT_PMI 0x834u
#define VLAPIC_MSR_LVT_LINT0 0x835u
#define VLAPIC_MSR_LVT_LINT1 0x836u
#define VLAPIC_MSR_LVT_ERROR 0x837u
#define VLAPIC_MSR_TIMER_INITIAL 0x838u
#define VLAPIC_MSR_TIMER_CURRENT 0x839u
#define VLAPIC_MSR_TIMER_DIVIDE 0x83eu
#define VLAPIC_MSR_SELF_IPI 0x83fu

/* Byte offset of x2APIC MSR @msr in the register page. */
#define VLAPIC_REG_OFFSET(msr) (((msr) - VLAPIC_MSR_FIRST) << 4)

/* The version register: version 0x14, six LVT entries (max LVT 5), no
 * directed-EOI support. */
#define VLAPIC_VERSION 0x00050014u

/* ICR fields (SDM vol. 3, 11.6.1). */
#define VLAPIC_ICR_VECTOR_MASK 0xffu
#define VLAPIC_ICR_MODE_SHIFT 8
#define VLAPIC_ICR_MODE_MASK (7u << 8)
#define VLAPIC_ICR_LOGICAL (1u << 11)
#define VLAPIC_ICR_LEVEL_ASSERT (1u << 14)
#define VLAPIC_ICR_TRIGGER_LEVEL (1u << 15)
#define VLAPIC_ICR_SHORTHAND_SHIFT 18
#define VLAPIC_ICR_SHORTHAND_MASK (3u << 18)

enum vlapic_delivery {
    VLAPIC_DELIVERY_FIXED = 0,
    VLAPIC_DELIVERY_LOWEST = 1,
    VLAPIC_DELIVERY_SMI = 2,
    VLAPIC_DELIVERY_NMI = 4,
    VLAPIC_DELIVERY_INIT = 5,
    VLAPIC_DELIVERY_SIPI = 6,
};

enum vlapic_shorthand {
    VLAPIC_SHORTHAND_NONE = 0,
    VLAPIC_SHORTHAND_SELF = 1,
    VLAPIC_SHORTHAND_ALL = 2,          /* all including self */
    VLAPIC_SHORTHAND_ALL_BUT_SELF = 3,
};

/* ESR bits (SDM vol. 3, 11.5.3). */
#define VLAPIC_ESR_SEND_ILLEGAL_VECTOR (1u << 5)
#define VLAPIC_ESR_RECEIVE_ILLEGAL_VECTOR (1u << 6)
#define VLAPIC_ESR_ILLEGAL_REGISTER (1u << 7)

/* LVT bits. */
#define VLAPIC_LVT_VECTOR_MASK 0xffu
#define VLAPIC_LVT_PENDING (1u << 12)
#define VLAPIC_LVT_MASKED (1u << 16)
#define VLAPIC_LVT_TIMER_MODE_SHIFT 17
#define VLAPIC_LVT_TIMER_MODE_MASK (3u << 17)

enum vlapic_timer_mode {
    VLAPIC_TIMER_ONESHOT = 0,
    VLAPIC_TIMER_PERIODIC = 1,
    VLAPIC_TIMER_TSC_DEADLINE = 2,
};

/* SVR bits. */
#define VLAPIC_SVR_ENABLED (1u << 8)

/* An interprocessor interrupt the guest asked for by writing ICR (or
 * SELF_IPI, which the model turns into a fixed self-IPI). */
struct vlapic_ipi {
    uint32_t destination;        /* x2APIC id, logical cluster/bitmap, or 0xffffffff */
    uint8_t vector;
    enum vlapic_delivery mode;
    enum vlapic_shorthand shorthand;
    bool logical;                /* destination is logical (cluster << 16 | bitmap) */
};

struct vlapic;

/* What the model needs from its surroundings; @ctx is vlapic.ctx. */
struct vlapic_ops {
    /* System time in ns (the timer's clock). */
    uint64_t (*now_ns)(void *ctx);
    /* The guest's TSC now, and the system time (ns) at which the guest's TSC
     * reaches @tsc (now_ns() or earlier if it already has). */
    uint64_t (*guest_tsc)(void *ctx);
    uint64_t (*tsc_to_ns)(void *ctx, uint64_t tsc);
    /* Deliver an IPI. Called with the model's lock not held. A fixed or
     * self IPI to this very vCPU comes here too (the glue calls
     * vlapic_set_irq on the targets). */
    void (*send_ipi)(void *ctx, const struct vlapic_ipi *ipi);
    /* (Re)arm the timer to call vlapic_timer_fire() at @deadline_ns, or
     * stop it (@deadline_ns == 0). Called with the model's lock held: the
     * callee must not call back into the model. */
    void (*timer_arm)(void *ctx, uint64_t deadline_ns);
};

struct vlapic {
    uint8_t *regs;               /* the register page (4 KiB, page-aligned) */
    uint32_t id;                 /* x2APIC id (the vCPU id) */
    const struct vlapic_ops *ops;
    void *ctx;
    spinlock_t lock;             /* timer state and the pending errors */
    uint32_t esr_pending;        /* errors since ESR was last written */
    /* Timer (under lock). */
    uint64_t timer_start_ns;     /* when the current count started */
    uint64_t timer_period_ns;    /* initial count x divisor, in ns; 0: stopped */
    uint64_t timer_deadline_ns;  /* next expiry armed, or 0 */
    uint64_t tsc_deadline;       /* IA32_TSC_DEADLINE as written, 0: disarmed */
    uint32_t timer_initial;      /* the initial count the current count started from */
    uint32_t timer_divisor;      /* the divide value (1..128) the current count runs at */
};

/* vlapic_rdmsr/vlapic_wrmsr results. */
#define VLAPIC_OK 0
#define VLAPIC_GP (-1) /* the access raises #GP; nothing changed */

/* Puts @l in its reset state on @page (zeroed here): software-disabled
 * (SVR 0xff), every LVT masked, TPR 0, ID @id, LDR from the ID (cluster
 * id >> 4, bit id & 15), timer stopped. */
void vlapic_init(struct vlapic *l, void *page, uint32_t id, const struct vlapic_ops *ops,
                 void *ctx);

/* RDMSR/WRMSR of @msr in 0x800..0x8ff or IA32_TSC_DEADLINE. A write that
 * changes what may be delivered (EOI, TPR, SVR, ICR, SELF_IPI, timer) has
 * taken effect when this returns; the caller then re-evaluates delivery.
 * ICR writes reach ops->send_ipi only as well-formed requests: delivery
 * modes 3 and 7 fault; a fixed/lowest-priority vector below 16, the INIT
 * level de-assert form and shorthand self/all with a mode other than fixed
 * send nothing (see hvm/vlapic.c for the SDM references). TDCR takes effect
 * at the next TMICT write. IA32_TSC_DEADLINE writes outside TSC-deadline
 * mode are ignored (no #GP), as the SDM specifies. */
int vlapic_rdmsr(struct vlapic *l, uint32_t msr, uint64_t *value);
int vlapic_wrmsr(struct vlapic *l, uint32_t msr, uint64_t value);

/* Sets IRR bit @vector (from any CPU). Vectors 0-15 are illegal: they set
 * "receive illegal vector" in the pending errors instead (and raise the
 * error LVT if unmasked). Returns true if the bit was newly set. An APIC
 * that is software-disabled (SVR bit 8 clear) refuses fixed interrupts and
 * returns false (SDM vol. 3, 11.4.7.2: it still responds to NMI, SMI, INIT
 * and SIPI, which the glue handles without the IRR); bits already in IRR
 * stay there and are still delivered. */
bool vlapic_set_irq(struct vlapic *l, uint8_t vector);

/* The processor priority (SDM 11.8.3.1): from TPR and the highest ISR. */
uint32_t vlapic_ppr(const struct vlapic *l);
/* The highest vector in IRR whose priority class is above PPR's, or -1. */
int vlapic_pending_vector(const struct vlapic *l);
/* The highest vector in IRR, or -1 (what RVI must be at least). */
int vlapic_highest_irr(const struct vlapic *l);
/* The highest vector in ISR, or -1 (SVI). */
int vlapic_highest_isr(const struct vlapic *l);
/* The CPU delivered @vector (it was pending): IRR -> ISR, PPR updated. */
void vlapic_ack(struct vlapic *l, uint8_t vector);

/* The timer armed through ops->timer_arm fired (or is late): if the
 * current deadline has passed, raises the timer LVT's vector (unless
 * masked), and for periodic mode arms the next period. Any CPU. */
void vlapic_timer_fire(struct vlapic *l);

/* Current count register for the timer (0 when expired / stopped). */
uint32_t vlapic_timer_current(struct vlapic *l);

#endif /* XENCORE_X86_VLAPIC_H */
