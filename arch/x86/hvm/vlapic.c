/* The virtual x2APIC register model: RDMSR/WRMSR of 0x800-0x8ff and
 * IA32_TSC_DEADLINE, IRR/ISR/PPR bookkeeping and the APIC timer.
 *
 * Why it looks like this. The register page keeps the architectural layout
 * because Intel's APIC-register virtualization and virtual-interrupt
 * delivery read and write the very same page while the guest runs: IRR, ISR,
 * TPR and PPR live only there, and every answer (PPR, the pending vector) is
 * recomputed from the page, never from a copy that the CPU could have made
 * stale. IRR bits are set with an atomic OR on their 32-bit word because any
 * CPU may raise an interrupt at any time; everything else in the page is
 * written only by the owner vCPU (or by the CPU on its behalf while it runs).
 *
 * Every value comes from the guest, so each write is checked in full before
 * anything changes: a reserved register, a read of a write-only one, a
 * write of a read-only one, a reserved bit (including bits 63:32 of every
 * register but ICR) or a reserved encoding gives VLAPIC_GP and no effect,
 * as the SDM asks of x2APIC hardware (vol. 3, 11.12.1.2 and 11.12.1.3).
 *
 * Decisions where the SDM leaves room, all chosen so that the glue only ever
 * sees well-formed requests:
 * - ICR: bit 12 (delivery status) is ignored on write and never reads set
 *   (x2APIC has no delivery status); bits 13, 16-17 and 20-31 are reserved
 *   (#GP). Delivery modes 3 and 7 are reserved encodings: #GP. Level (14)
 *   and trigger (15) are accepted and ignored, as on Pentium 4 and later,
 *   except that the INIT level de-assert form (INIT, level 0, trigger 1)
 *   sends nothing: only Pentium and P6 implemented it (SDM 11.4.7.4).
 *   Combinations the SDM lists as invalid (shorthand "self" or "all
 *   including self" with anything but fixed delivery) send nothing either.
 *   SMI is passed on; the glue decides (no SMM here).
 * - A fixed or lowest-priority IPI (ICR or SELF_IPI) with a vector below 16
 *   sets "send illegal vector" in the pending errors and sends nothing.
 * - Software-disabled APIC (SVR bit 8 clear), SDM 11.4.7.2: every LVT is
 *   masked and stays masked, new fixed interrupts are refused, but vectors
 *   already in IRR/ISR are held and still delivered and EOI'd.
 * - The timer runs at the 1 GHz bus clock divided by TDCR. A TDCR write
 *   takes effect when the count is next started (a TMICT write); guests
 *   program TDCR first. Any change of the LVT timer mode disarms the timer
 *   (SDM 11.5.4.1) and clears IA32_TSC_DEADLINE. A masked LVT timer still
 *   counts and re-arms; it only raises nothing.
 * - The LVTs other than timer and error (CMCI, thermal, PMI, LINT0/1) are
 *   stored and read back; nothing in a guest drives them. */
#include <stddef.h>

#include "lib/string.h"
#include "x86/vlapic.h"

/* Page offsets that are not an x2APIC MSR of their own. */
#define VLAPIC_ICR_HIGH_OFFSET 0x310u /* bits 63:32 of ICR (the destination) */
#define VLAPIC_PAGE_BYTES 4096u

/* Bits software may write, per register; anything else is reserved (#GP). */
#define VLAPIC_TPR_WRITABLE 0xffu
#define VLAPIC_SVR_FOCUS_DISABLED (1u << 9)
#define VLAPIC_SVR_WRITABLE (0xffu | VLAPIC_SVR_ENABLED | VLAPIC_SVR_FOCUS_DISABLED)
#define VLAPIC_LVT_MODE_MASK (7u << 8) /* delivery mode of thermal/PMI/CMCI/LINT */
#define VLAPIC_LVT_POLARITY (1u << 13)
#define VLAPIC_LVT_REMOTE_IRR (1u << 14)
#define VLAPIC_LVT_TRIGGER_LEVEL (1u << 15)
#define VLAPIC_LVT_TIMER_WRITABLE                                                                  \
    (VLAPIC_LVT_VECTOR_MASK | VLAPIC_LVT_PENDING | VLAPIC_LVT_MASKED | VLAPIC_LVT_TIMER_MODE_MASK)
#define VLAPIC_LVT_LOCAL_WRITABLE                                                                  \
    (VLAPIC_LVT_VECTOR_MASK | VLAPIC_LVT_MODE_MASK | VLAPIC_LVT_PENDING | VLAPIC_LVT_MASKED)
#define VLAPIC_LVT_LINT_WRITABLE                                                                   \
    (VLAPIC_LVT_LOCAL_WRITABLE | VLAPIC_LVT_POLARITY | VLAPIC_LVT_REMOTE_IRR |                     \
     VLAPIC_LVT_TRIGGER_LEVEL)
#define VLAPIC_LVT_ERROR_WRITABLE (VLAPIC_LVT_VECTOR_MASK | VLAPIC_LVT_PENDING | VLAPIC_LVT_MASKED)
/* Status bits the hardware owns: accepted on write, never stored. */
#define VLAPIC_LVT_READ_ONLY (VLAPIC_LVT_PENDING | VLAPIC_LVT_REMOTE_IRR)
#define VLAPIC_TDCR_WRITABLE 0xbu /* bits 0, 1 and 3; bit 2 is reserved */
#define VLAPIC_SELF_IPI_WRITABLE 0xffu
#define VLAPIC_ICR_DELIVERY_STATUS (1u << 12)
#define VLAPIC_ICR_LOW_WRITABLE                                                                    \
    (VLAPIC_ICR_VECTOR_MASK | VLAPIC_ICR_MODE_MASK | VLAPIC_ICR_LOGICAL |                          \
     VLAPIC_ICR_DELIVERY_STATUS | VLAPIC_ICR_LEVEL_ASSERT | VLAPIC_ICR_TRIGGER_LEVEL |             \
     VLAPIC_ICR_SHORTHAND_MASK)
#define VLAPIC_ICR_MODE_RESERVED_3 3u
#define VLAPIC_ICR_MODE_RESERVED_7 7u

/* Vectors 0-15 are the exceptions: no APIC may deliver them. */
#define VLAPIC_FIRST_LEGAL_VECTOR 16u
#define VLAPIC_PRIORITY_CLASS(v) ((uint32_t)(v)&0xf0u)
#define VLAPIC_VECTOR_WORDS 8u /* IRR, ISR and TMR: 256 bits in 8 registers */

/* Reset values (SDM 11.4.7.1). */
#define VLAPIC_SVR_RESET 0xffu

static const uint32_t vlapic_lvt_msrs[] = {
    VLAPIC_MSR_LVT_CMCI,  VLAPIC_MSR_LVT_TIMER, VLAPIC_MSR_LVT_THERMAL, VLAPIC_MSR_LVT_PMI,
    VLAPIC_MSR_LVT_LINT0, VLAPIC_MSR_LVT_LINT1, VLAPIC_MSR_LVT_ERROR,
};

enum vlapic_access {
    VLAPIC_ACCESS_NONE, /* reserved: #GP both ways */
    VLAPIC_ACCESS_READ_ONLY,
    VLAPIC_ACCESS_WRITE_ONLY,
    VLAPIC_ACCESS_READ_WRITE,
};

static enum vlapic_access vlapic_msr_access(uint32_t msr)
{
    if (msr >= VLAPIC_MSR_ISR0 && msr < VLAPIC_MSR_IRR0 + VLAPIC_VECTOR_WORDS)
        return VLAPIC_ACCESS_READ_ONLY; /* ISR, TMR, IRR */
    switch (msr) {
    case VLAPIC_MSR_ID:
    case VLAPIC_MSR_VERSION:
    case VLAPIC_MSR_PPR:
    case VLAPIC_MSR_LDR:
    case VLAPIC_MSR_TIMER_CURRENT:
        return VLAPIC_ACCESS_READ_ONLY;
    case VLAPIC_MSR_EOI:
    case VLAPIC_MSR_SELF_IPI:
        return VLAPIC_ACCESS_WRITE_ONLY;
    case VLAPIC_MSR_TPR:
    case VLAPIC_MSR_SVR:
    case VLAPIC_MSR_ESR:
    case VLAPIC_MSR_LVT_CMCI:
    case VLAPIC_MSR_ICR:
    case VLAPIC_MSR_LVT_TIMER:
    case VLAPIC_MSR_LVT_THERMAL:
    case VLAPIC_MSR_LVT_PMI:
    case VLAPIC_MSR_LVT_LINT0:
    case VLAPIC_MSR_LVT_LINT1:
    case VLAPIC_MSR_LVT_ERROR:
    case VLAPIC_MSR_TIMER_INITIAL:
    case VLAPIC_MSR_TIMER_DIVIDE:
        return VLAPIC_ACCESS_READ_WRITE;
    default:
        return VLAPIC_ACCESS_NONE;
    }
}

/* ---- The register page ---------------------------------------------- */

static uint32_t *vlapic_word(const struct vlapic *l, uint32_t offset)
{
    return (uint32_t *)(void *)(l->regs + offset);
}

static uint32_t *vlapic_reg(const struct vlapic *l, uint32_t msr)
{
    return vlapic_word(l, VLAPIC_REG_OFFSET(msr));
}

static uint32_t vlapic_get(const struct vlapic *l, uint32_t msr)
{
    return __atomic_load_n(vlapic_reg(l, msr), __ATOMIC_RELAXED);
}

static void vlapic_set(struct vlapic *l, uint32_t msr, uint32_t value)
{
    __atomic_store_n(vlapic_reg(l, msr), value, __ATOMIC_RELAXED);
}

/* Word @i (0..7) of the 256-bit register starting at MSR @first. */
static uint32_t *vlapic_vector_word(const struct vlapic *l, uint32_t first, uint32_t i)
{
    return vlapic_reg(l, first + i);
}

static int vlapic_highest_in(const struct vlapic *l, uint32_t first)
{
    for (int i = VLAPIC_VECTOR_WORDS - 1; i >= 0; i--) {
        uint32_t word =
            __atomic_load_n(vlapic_vector_word(l, first, (uint32_t)i), __ATOMIC_RELAXED);
        if (word != 0)
            return i * 32 + 31 - __builtin_clz(word);
    }
    return -1;
}

static bool vlapic_sw_enabled(const struct vlapic *l)
{
    return (vlapic_get(l, VLAPIC_MSR_SVR) & VLAPIC_SVR_ENABLED) != 0;
}

static void vlapic_irr_set_bit(struct vlapic *l, uint8_t vector, uint32_t *old)
{
    uint32_t bit = 1u << (vector & 31);
    *old = __atomic_fetch_or(vlapic_vector_word(l, VLAPIC_MSR_IRR0, vector >> 5), bit,
                             __ATOMIC_ACQ_REL);
}

/* ---- Priorities ------------------------------------------------------ */

uint32_t vlapic_ppr(const struct vlapic *l)
{
    uint32_t tpr = vlapic_get(l, VLAPIC_MSR_TPR) & VLAPIC_TPR_WRITABLE;
    int isrv = vlapic_highest_isr(l);
    uint32_t isr_class = isrv < 0 ? 0 : VLAPIC_PRIORITY_CLASS(isrv);

    return VLAPIC_PRIORITY_CLASS(tpr) >= isr_class ? tpr : isr_class;
}

/* Keeps the page's PPR what the CPU's PPR virtualization would make it. */
static void vlapic_update_ppr(struct vlapic *l)
{
    vlapic_set(l, VLAPIC_MSR_PPR, vlapic_ppr(l));
}

int vlapic_highest_irr(const struct vlapic *l)
{
    return vlapic_highest_in(l, VLAPIC_MSR_IRR0);
}

int vlapic_highest_isr(const struct vlapic *l)
{
    return vlapic_highest_in(l, VLAPIC_MSR_ISR0);
}

int vlapic_pending_vector(const struct vlapic *l)
{
    int irr = vlapic_highest_irr(l);

    if (irr < 0 || VLAPIC_PRIORITY_CLASS(irr) <= VLAPIC_PRIORITY_CLASS(vlapic_ppr(l)))
        return -1;
    return irr;
}

void vlapic_ack(struct vlapic *l, uint8_t vector)
{
    uint32_t bit = 1u << (vector & 31);

    __atomic_fetch_and(vlapic_vector_word(l, VLAPIC_MSR_IRR0, vector >> 5), ~bit, __ATOMIC_ACQ_REL);
    *vlapic_vector_word(l, VLAPIC_MSR_ISR0, vector >> 5) |= bit;
    vlapic_update_ppr(l);
}

static void vlapic_eoi(struct vlapic *l)
{
    int vector = vlapic_highest_isr(l);

    if (vector < 0)
        return; /* an EOI with nothing in service changes nothing */
    uint32_t bit = 1u << (vector & 31);
    *vlapic_vector_word(l, VLAPIC_MSR_ISR0, (uint32_t)vector >> 5) &= ~bit;
    *vlapic_vector_word(l, VLAPIC_MSR_TMR0, (uint32_t)vector >> 5) &= ~bit;
    vlapic_update_ppr(l);
}

/* ---- Errors and interrupt acceptance --------------------------------- */

/* Records @error in the pending set and raises the error LVT if it may. */
static void vlapic_error(struct vlapic *l, uint32_t error)
{
    __atomic_fetch_or(&l->esr_pending, error, __ATOMIC_ACQ_REL);

    uint32_t lvt = vlapic_get(l, VLAPIC_MSR_LVT_ERROR);
    if ((lvt & VLAPIC_LVT_MASKED) || !vlapic_sw_enabled(l))
        return;
    uint8_t vector = (uint8_t)(lvt & VLAPIC_LVT_VECTOR_MASK);
    if (vector < VLAPIC_FIRST_LEGAL_VECTOR) {
        /* An illegal error vector is itself an error; record it without
         * raising again, or this would never end. */
        __atomic_fetch_or(&l->esr_pending, VLAPIC_ESR_RECEIVE_ILLEGAL_VECTOR, __ATOMIC_ACQ_REL);
        return;
    }
    uint32_t old;
    vlapic_irr_set_bit(l, vector, &old);
}

bool vlapic_set_irq(struct vlapic *l, uint8_t vector)
{
    if (vector < VLAPIC_FIRST_LEGAL_VECTOR) {
        vlapic_error(l, VLAPIC_ESR_RECEIVE_ILLEGAL_VECTOR);
        return false;
    }
    if (!vlapic_sw_enabled(l))
        return false;
    uint32_t old;
    vlapic_irr_set_bit(l, vector, &old);
    return (old & (1u << (vector & 31))) == 0;
}

/* ---- Timer (callers hold l->lock) ------------------------------------ */

static enum vlapic_timer_mode vlapic_timer_mode(const struct vlapic *l)
{
    uint32_t lvt = vlapic_get(l, VLAPIC_MSR_LVT_TIMER);
    return (enum vlapic_timer_mode)((lvt & VLAPIC_LVT_TIMER_MODE_MASK) >>
                                    VLAPIC_LVT_TIMER_MODE_SHIFT);
}

/* TDCR bits 3,1:0 = n encode a divisor of 2^(n+1), with 7 meaning 1. */
static uint32_t vlapic_timer_divisor(const struct vlapic *l)
{
    uint32_t tdcr = vlapic_get(l, VLAPIC_MSR_TIMER_DIVIDE);
    uint32_t n = ((tdcr >> 1) & 4u) | (tdcr & 3u);
    return 1u << ((n + 1) & 7u);
}

static void vlapic_timer_stop(struct vlapic *l)
{
    l->timer_period_ns = 0;
    l->timer_initial = 0;
    if (l->timer_deadline_ns != 0) {
        l->timer_deadline_ns = 0;
        l->ops->timer_arm(l->ctx, 0);
    }
}

static void vlapic_timer_arm(struct vlapic *l, uint64_t deadline_ns)
{
    /* 0 means "stopped" to the ops; a deadline at time 0 is already due. */
    l->timer_deadline_ns = deadline_ns != 0 ? deadline_ns : 1;
    l->ops->timer_arm(l->ctx, l->timer_deadline_ns);
}

/* Starts counting down from @count in one-shot or periodic mode. */
static void vlapic_timer_start(struct vlapic *l, uint32_t count)
{
    if (count == 0) {
        vlapic_timer_stop(l); /* a zero initial count stops the timer */
        return;
    }
    l->timer_divisor = vlapic_timer_divisor(l);
    l->timer_initial = count;
    l->timer_start_ns = l->ops->now_ns(l->ctx);
    l->timer_period_ns = (uint64_t)count * l->timer_divisor;
    vlapic_timer_arm(l, l->timer_start_ns + l->timer_period_ns);
}

static void vlapic_timer_raise(struct vlapic *l)
{
    uint32_t lvt = vlapic_get(l, VLAPIC_MSR_LVT_TIMER);
    if (!(lvt & VLAPIC_LVT_MASKED))
        vlapic_set_irq(l, (uint8_t)(lvt & VLAPIC_LVT_VECTOR_MASK));
}

static uint32_t vlapic_timer_current_locked(struct vlapic *l)
{
    if (l->timer_period_ns == 0 || vlapic_timer_mode(l) == VLAPIC_TIMER_TSC_DEADLINE)
        return 0;
    uint64_t now = l->ops->now_ns(l->ctx);
    uint64_t elapsed = now > l->timer_start_ns ? now - l->timer_start_ns : 0;
    uint64_t ticks = elapsed / l->timer_divisor;

    if (vlapic_timer_mode(l) == VLAPIC_TIMER_PERIODIC)
        return l->timer_initial - (uint32_t)(ticks % l->timer_initial);
    return ticks >= l->timer_initial ? 0 : l->timer_initial - (uint32_t)ticks;
}

uint32_t vlapic_timer_current(struct vlapic *l)
{
    unsigned long flags = spin_lock_irqsave(&l->lock);
    uint32_t count = vlapic_timer_current_locked(l);
    spin_unlock_irqrestore(&l->lock, flags);
    return count;
}

void vlapic_timer_fire(struct vlapic *l)
{
    unsigned long flags = spin_lock_irqsave(&l->lock);
    uint64_t now = l->ops->now_ns(l->ctx);

    if (l->timer_deadline_ns == 0)
        goto out; /* stopped or re-programmed since it was armed */

    if (vlapic_timer_mode(l) == VLAPIC_TIMER_TSC_DEADLINE) {
        if (now < l->timer_deadline_ns && l->ops->guest_tsc(l->ctx) < l->tsc_deadline)
            goto out; /* early: the armed timer is still coming */
        /* The deadline disarms itself and clears the MSR (SDM 11.5.4.1). */
        l->tsc_deadline = 0;
        l->timer_deadline_ns = 0;
        vlapic_timer_raise(l);
        goto out;
    }

    if (now < l->timer_deadline_ns)
        goto out;
    vlapic_timer_raise(l);
    if (vlapic_timer_mode(l) == VLAPIC_TIMER_PERIODIC) {
        /* Next period boundary after now; missed periods coalesce into this
         * one interrupt, as an IRR bit can hold only one. */
        uint64_t periods = (now - l->timer_start_ns) / l->timer_period_ns + 1;
        vlapic_timer_arm(l, l->timer_start_ns + periods * l->timer_period_ns);
    } else {
        l->timer_deadline_ns = 0;
        l->timer_period_ns = 0; /* expired: the current count reads 0 */
    }
out:
    spin_unlock_irqrestore(&l->lock, flags);
}

/* ---- Set-up ---------------------------------------------------------- */

void vlapic_init(struct vlapic *l, void *page, uint32_t id, const struct vlapic_ops *ops, void *ctx)
{
    memset(l, 0, sizeof(*l));
    memset(page, 0, VLAPIC_PAGE_BYTES);
    l->regs = page;
    l->id = id;
    l->ops = ops;
    l->ctx = ctx;
    l->lock = (spinlock_t)SPINLOCK_INIT;
    l->timer_divisor = 2;

    /* ID and version also live in the page, where virtualized reads find them. */
    vlapic_set(l, VLAPIC_MSR_ID, id);
    vlapic_set(l, VLAPIC_MSR_VERSION, VLAPIC_VERSION);
    vlapic_set(l, VLAPIC_MSR_LDR, ((id >> 4) << 16) | (1u << (id & 15)));
    vlapic_set(l, VLAPIC_MSR_SVR, VLAPIC_SVR_RESET);
    for (size_t i = 0; i < sizeof(vlapic_lvt_msrs) / sizeof(vlapic_lvt_msrs[0]); i++)
        vlapic_set(l, vlapic_lvt_msrs[i], VLAPIC_LVT_MASKED);
}

/* ---- RDMSR ----------------------------------------------------------- */

int vlapic_rdmsr(struct vlapic *l, uint32_t msr, uint64_t *value)
{
    if (msr == VLAPIC_MSR_TSC_DEADLINE) {
        unsigned long flags = spin_lock_irqsave(&l->lock);
        *value = vlapic_timer_mode(l) == VLAPIC_TIMER_TSC_DEADLINE ? l->tsc_deadline : 0;
        spin_unlock_irqrestore(&l->lock, flags);
        return VLAPIC_OK;
    }
    if (msr < VLAPIC_MSR_FIRST || msr > VLAPIC_MSR_LAST)
        return VLAPIC_GP;
    enum vlapic_access access = vlapic_msr_access(msr);
    if (access != VLAPIC_ACCESS_READ_ONLY && access != VLAPIC_ACCESS_READ_WRITE)
        return VLAPIC_GP;

    switch (msr) {
    case VLAPIC_MSR_ID:
        *value = l->id;
        break;
    case VLAPIC_MSR_VERSION:
        *value = VLAPIC_VERSION;
        break;
    case VLAPIC_MSR_PPR:
        *value = vlapic_ppr(l);
        break;
    case VLAPIC_MSR_ICR:
        *value = ((uint64_t)*vlapic_word(l, VLAPIC_ICR_HIGH_OFFSET) << 32) |
                 (vlapic_get(l, VLAPIC_MSR_ICR) & ~VLAPIC_ICR_DELIVERY_STATUS);
        break;
    case VLAPIC_MSR_TIMER_CURRENT:
        *value = vlapic_timer_current(l);
        break;
    default:
        *value = vlapic_get(l, msr);
        break;
    }
    return VLAPIC_OK;
}

/* ---- WRMSR ----------------------------------------------------------- */

static int vlapic_write_lvt(struct vlapic *l, uint32_t msr, uint32_t value, uint32_t writable)
{
    if (value & ~writable)
        return VLAPIC_GP;
    value &= ~VLAPIC_LVT_READ_ONLY;
    /* A software-disabled APIC keeps every LVT masked (SDM 11.4.7.2). */
    if (!vlapic_sw_enabled(l))
        value |= VLAPIC_LVT_MASKED;
    vlapic_set(l, msr, value);
    return VLAPIC_OK;
}

static int vlapic_write_lvt_timer(struct vlapic *l, uint32_t value)
{
    uint32_t mode = (value & VLAPIC_LVT_TIMER_MODE_MASK) >> VLAPIC_LVT_TIMER_MODE_SHIFT;
    if (mode > VLAPIC_TIMER_TSC_DEADLINE || (value & ~VLAPIC_LVT_TIMER_WRITABLE))
        return VLAPIC_GP; /* mode 3 is reserved */

    unsigned long flags = spin_lock_irqsave(&l->lock);
    enum vlapic_timer_mode old_mode = vlapic_timer_mode(l);
    int rc = vlapic_write_lvt(l, VLAPIC_MSR_LVT_TIMER, value, VLAPIC_LVT_TIMER_WRITABLE);
    if (rc == VLAPIC_OK && (enum vlapic_timer_mode)mode != old_mode) {
        vlapic_timer_stop(l);
        l->tsc_deadline = 0;
    }
    spin_unlock_irqrestore(&l->lock, flags);
    return rc;
}

static int vlapic_write_svr(struct vlapic *l, uint32_t value)
{
    if (value & ~VLAPIC_SVR_WRITABLE)
        return VLAPIC_GP;
    unsigned long flags = spin_lock_irqsave(&l->lock);
    vlapic_set(l, VLAPIC_MSR_SVR, value);
    if (!(value & VLAPIC_SVR_ENABLED)) {
        for (size_t i = 0; i < sizeof(vlapic_lvt_msrs) / sizeof(vlapic_lvt_msrs[0]); i++)
            vlapic_set(l, vlapic_lvt_msrs[i],
                       vlapic_get(l, vlapic_lvt_msrs[i]) | VLAPIC_LVT_MASKED);
    }
    spin_unlock_irqrestore(&l->lock, flags);
    return VLAPIC_OK;
}

static void vlapic_send(struct vlapic *l, const struct vlapic_ipi *ipi)
{
    bool needs_vector = ipi->mode == VLAPIC_DELIVERY_FIXED || ipi->mode == VLAPIC_DELIVERY_LOWEST;

    if (needs_vector && ipi->vector < VLAPIC_FIRST_LEGAL_VECTOR) {
        vlapic_error(l, VLAPIC_ESR_SEND_ILLEGAL_VECTOR);
        return;
    }
    l->ops->send_ipi(l->ctx, ipi);
}

static int vlapic_write_icr(struct vlapic *l, uint64_t value)
{
    uint32_t low = (uint32_t)value;
    uint32_t mode = (low & VLAPIC_ICR_MODE_MASK) >> VLAPIC_ICR_MODE_SHIFT;

    if ((low & ~VLAPIC_ICR_LOW_WRITABLE) || mode == VLAPIC_ICR_MODE_RESERVED_3 ||
        mode == VLAPIC_ICR_MODE_RESERVED_7)
        return VLAPIC_GP;

    low &= ~VLAPIC_ICR_DELIVERY_STATUS;
    vlapic_set(l, VLAPIC_MSR_ICR, low);
    *vlapic_word(l, VLAPIC_ICR_HIGH_OFFSET) = (uint32_t)(value >> 32);

    struct vlapic_ipi ipi = {
        .destination = (uint32_t)(value >> 32),
        .vector = (uint8_t)(low & VLAPIC_ICR_VECTOR_MASK),
        .mode = (enum vlapic_delivery)mode,
        .shorthand = (enum vlapic_shorthand)((low & VLAPIC_ICR_SHORTHAND_MASK) >>
                                             VLAPIC_ICR_SHORTHAND_SHIFT),
        .logical = (low & VLAPIC_ICR_LOGICAL) != 0,
    };
    if (ipi.mode == VLAPIC_DELIVERY_INIT &&
        (low & (VLAPIC_ICR_LEVEL_ASSERT | VLAPIC_ICR_TRIGGER_LEVEL)) == VLAPIC_ICR_TRIGGER_LEVEL)
        return VLAPIC_OK; /* INIT level de-assert: nothing to do since the P6 */
    if ((ipi.shorthand == VLAPIC_SHORTHAND_SELF || ipi.shorthand == VLAPIC_SHORTHAND_ALL) &&
        ipi.mode != VLAPIC_DELIVERY_FIXED)
        return VLAPIC_OK; /* invalid combination (SDM table "valid ICR combinations") */
    vlapic_send(l, &ipi);
    return VLAPIC_OK;
}

static int vlapic_write_tsc_deadline(struct vlapic *l, uint64_t value)
{
    unsigned long flags = spin_lock_irqsave(&l->lock);
    /* Outside TSC-deadline mode the write is ignored (SDM 11.5.4.1). */
    if (vlapic_timer_mode(l) == VLAPIC_TIMER_TSC_DEADLINE) {
        l->tsc_deadline = value;
        if (value == 0)
            vlapic_timer_stop(l);
        else
            vlapic_timer_arm(l, l->ops->tsc_to_ns(l->ctx, value));
    }
    spin_unlock_irqrestore(&l->lock, flags);
    return VLAPIC_OK;
}

int vlapic_wrmsr(struct vlapic *l, uint32_t msr, uint64_t value)
{
    if (msr == VLAPIC_MSR_TSC_DEADLINE)
        return vlapic_write_tsc_deadline(l, value);
    if (msr < VLAPIC_MSR_FIRST || msr > VLAPIC_MSR_LAST)
        return VLAPIC_GP;
    enum vlapic_access access = vlapic_msr_access(msr);
    if (access != VLAPIC_ACCESS_WRITE_ONLY && access != VLAPIC_ACCESS_READ_WRITE)
        return VLAPIC_GP;
    if (msr == VLAPIC_MSR_ICR)
        return vlapic_write_icr(l, value);
    if (value >> 32)
        return VLAPIC_GP; /* bits 63:32 are reserved in every other register */

    uint32_t v = (uint32_t)value;
    unsigned long flags;
    switch (msr) {
    case VLAPIC_MSR_TPR:
        if (v & ~VLAPIC_TPR_WRITABLE)
            return VLAPIC_GP;
        vlapic_set(l, VLAPIC_MSR_TPR, v);
        vlapic_update_ppr(l);
        return VLAPIC_OK;
    case VLAPIC_MSR_EOI:
        if (v != 0)
            return VLAPIC_GP;
        vlapic_eoi(l);
        return VLAPIC_OK;
    case VLAPIC_MSR_SVR:
        return vlapic_write_svr(l, v);
    case VLAPIC_MSR_ESR:
        if (v != 0)
            return VLAPIC_GP;
        /* A write latches the errors seen since the last one (SDM 11.5.3). */
        vlapic_set(l, VLAPIC_MSR_ESR, __atomic_exchange_n(&l->esr_pending, 0, __ATOMIC_ACQ_REL));
        return VLAPIC_OK;
    case VLAPIC_MSR_LVT_TIMER:
        return vlapic_write_lvt_timer(l, v);
    case VLAPIC_MSR_LVT_CMCI:
    case VLAPIC_MSR_LVT_THERMAL:
    case VLAPIC_MSR_LVT_PMI:
        return vlapic_write_lvt(l, msr, v, VLAPIC_LVT_LOCAL_WRITABLE);
    case VLAPIC_MSR_LVT_LINT0:
    case VLAPIC_MSR_LVT_LINT1:
        return vlapic_write_lvt(l, msr, v, VLAPIC_LVT_LINT_WRITABLE);
    case VLAPIC_MSR_LVT_ERROR:
        return vlapic_write_lvt(l, msr, v, VLAPIC_LVT_ERROR_WRITABLE);
    case VLAPIC_MSR_TIMER_INITIAL:
        flags = spin_lock_irqsave(&l->lock);
        /* In TSC-deadline mode the write is ignored (SDM 11.5.4.1). */
        if (vlapic_timer_mode(l) != VLAPIC_TIMER_TSC_DEADLINE) {
            vlapic_set(l, VLAPIC_MSR_TIMER_INITIAL, v);
            vlapic_timer_start(l, v); /* restarts the count; 0 stops it */
        }
        spin_unlock_irqrestore(&l->lock, flags);
        return VLAPIC_OK;
    case VLAPIC_MSR_TIMER_DIVIDE:
        if (v & ~VLAPIC_TDCR_WRITABLE)
            return VLAPIC_GP;
        flags = spin_lock_irqsave(&l->lock);
        vlapic_set(l, VLAPIC_MSR_TIMER_DIVIDE, v);
        spin_unlock_irqrestore(&l->lock, flags);
        return VLAPIC_OK;
    case VLAPIC_MSR_SELF_IPI: {
        if (v & ~VLAPIC_SELF_IPI_WRITABLE)
            return VLAPIC_GP;
        struct vlapic_ipi ipi = {
            .destination = l->id,
            .vector = (uint8_t)v,
            .mode = VLAPIC_DELIVERY_FIXED,
            .shorthand = VLAPIC_SHORTHAND_SELF,
            .logical = false,
        };
        vlapic_send(l, &ipi);
        return VLAPIC_OK;
    }
    default:
        return VLAPIC_GP; /* unreachable: the access table lists every writable MSR */
    }
}
