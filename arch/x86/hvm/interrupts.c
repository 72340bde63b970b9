/* Delivering interrupts to a guest: the NMI, the event-channel upcall (Xen's
 * callback vector) and the virtual LAPIC's vectors, by one policy for VMX
 * and SVM; the mechanics are in the back ends' ops.
 *
 * When we look. Only before entries that follow a change of state: the run
 * loops' re-check path. Every way something can become pending for a vCPU
 * ends there: an event, an IPI or a vLAPIC timer from another CPU sets its
 * state and kicks this one (vcpu_kick: an external-interrupt exit, which
 * re-checks); one raised by the vCPU's own hypercall or vLAPIC write comes
 * back with state_changed or as a re-checking WRMSR/CR8 exit; a timer firing
 * on this CPU while the guest runs is an external-interrupt exit too; a
 * vCPU that was blocked enters through the run loop's first entry. The fast
 * paths (CPUID, MSR reads, plain hypercalls) change nothing here and do not
 * pay for the question. Even on the re-check path the common answer is
 * "nothing": the vLAPIC is looked at only when its IRR may hold a bit
 * (arch_vcpu.vlapic_irr_hint, set by whoever may have set one).
 *
 * The order, at each such entry (one event can be injected per entry):
 *  1. A pending NMI, if the guest is not blocking NMIs, has no STI/MOV-SS
 *     shadow and no other event is queued. Blocking is tracked per back
 *     end: VMX with "virtual NMIs" (the CPU sets blocking on injection and
 *     clears it at the guest's IRET; NMI-window exiting tells us when it
 *     can take the next one); SVM by intercepting IRET after an injection,
 *     as Xen does: at the IRET exit we drop the intercept and set the
 *     interrupt shadow, so the next NMI waits until the IRET has retired
 *     (and, having no NMI window, uses the interrupt window, so it waits
 *     for RFLAGS.IF too).
 *  2. The event-channel upcall, as an external interrupt with no vLAPIC
 *     involvement at all: no IRR, no ISR, no EOI, and TPR/PPR do not hold it
 *     back, as in Xen. It is level-like: it stays pending until the guest
 *     clears evtchn_upcall_pending, so an extra delivery is harmless by the
 *     ABI. It comes before the vLAPIC's vectors.
 *  3. The vLAPIC's highest deliverable vector (above PPR): injected as an
 *     external interrupt with vlapic_ack() moving it from IRR to ISR; the
 *     guest EOIs it. With virtual-interrupt delivery (VMX APICv) nothing is
 *     injected: RVI is raised to at least the highest IRR and the CPU
 *     delivers it itself, against PPR and IF, with no exit.
 *  4. Whatever software must inject but could not now (IF clear, a shadow,
 *     another event queued at this entry) leaves the interrupt window (or
 *     NMI window) open: an exit as soon as the guest can take it, which
 *     comes back here. So nothing is lost when the upcall and a vLAPIC
 *     vector are pending together: one goes in, the window brings the next.
 * An injection the CPU could not complete (a fault while pushing the frame)
 * is re-queued by the back end from the exit's event information. */
#include "arch/arch.h"
#include "x86/hvm.h"

#define FIRST_INTERRUPT_VECTOR 32 /* 0-31 are exceptions */

static void window_set(struct vcpu *v, bool open)
{
    if (v->arch->interrupt_window == open)
        return;
    v->arch->interrupt_window = open;
    hvm->interrupt_window(v, open);
}

static void nmi_window_set(struct vcpu *v, bool open)
{
    if (v->arch->nmi_window == open)
        return;
    v->arch->nmi_window = open;
    hvm->nmi_window(v, open);
}

/* Step 1; returns true if the interrupt window must serve as NMI window. */
static bool __attribute__((noinline)) deliver_nmi(struct vcpu *v)
{
    bool wait = false;
    if (__atomic_load_n(&v->arch->nmi_pending, __ATOMIC_ACQUIRE)) {
        if (hvm->nmi_deliverable(v)) {
            __atomic_store_n(&v->arch->nmi_pending, false, __ATOMIC_RELAXED);
            hvm->inject_nmi(v);
        } else {
            wait = true;
        }
    }
    if (hvm->nmi_window) {
        nmi_window_set(v, wait);
        return false;
    }
    return wait;
}

/* Step 3; returns true if a vector waits for the interrupt window. */
static bool __attribute__((noinline)) deliver_lapic(struct vcpu *v)
{
    struct arch_vcpu *a = v->arch;
    /* Cleared before looking: a bit set after the look sets it again. */
    __atomic_store_n(&a->vlapic_irr_hint, false, __ATOMIC_SEQ_CST);
    int highest_irr = vlapic_highest_irr(&a->vlapic);
    if (highest_irr < 0)
        return false;
    hvm_vcpu_lapic_hint(v); /* IRR holds a bit: look again next time */
    if (hvm->virtual_interrupt_delivery) {
        hvm->update_rvi(v, (uint8_t)highest_irr);
        return false;
    }
    int vector = vlapic_pending_vector(&a->vlapic);
    if (vector < 0)
        return false; /* held back by PPR until an EOI or TPR write (which re-check) */
    if (!hvm->interrupt_deliverable(v))
        return true;
    vlapic_ack(&a->vlapic, (uint8_t)vector);
    hvm->inject_interrupt(v, (uint8_t)vector);
    return false;
}

/* Step 2 (the upcall), then the window (step 4); @window: a step before
 * or after this one waits for it. */
static inline __attribute__((always_inline)) bool deliver_upcall(struct vcpu *v, bool window)
{
    unsigned int vector = core_vcpu_upcall_vector(v);
    /* A vector the core should not have accepted (an exception vector) is
     * never delivered as an interrupt. */
    if (__builtin_expect(vector != 0, 0) && vector >= FIRST_INTERRUPT_VECTOR &&
        vector <= UINT8_MAX) {
        if (hvm->interrupt_deliverable(v))
            hvm->inject_interrupt(v, (uint8_t)vector);
        else
            window = true;
    }
    return window;
}

/* All four steps, when an NMI or the vLAPIC may have something. */
static void __attribute__((noinline)) deliver_all(struct vcpu *v)
{
    struct arch_vcpu *a = v->arch;
    bool window = false;
    if (__atomic_load_n(&a->nmi_pending, __ATOMIC_ACQUIRE) || a->nmi_window)
        window = deliver_nmi(v);
    window = deliver_upcall(v, window);
    if (__atomic_load_n(&a->vlapic_irr_hint, __ATOMIC_ACQUIRE))
        window |= deliver_lapic(v);
    window_set(v, window);
}

void hvm_deliver_interrupts(struct vcpu *v)
{
    struct arch_vcpu *a = v->arch;
    /* The common case: only the upcall to look at. A flag another CPU sets
     * after this look comes with a kick, hence another re-check. */
    if (__builtin_expect(a->nmi_pending | a->nmi_window | a->vlapic_irr_hint, 0)) {
        deliver_all(v);
        return;
    }
    /* As deliver_upcall(), with the window's value known at each end. */
    unsigned int vector = core_vcpu_upcall_vector(v);
    if (__builtin_expect(vector == 0, 1) || vector < FIRST_INTERRUPT_VECTOR || vector > UINT8_MAX) {
        window_set(v, false);
        return;
    }
    if (!hvm->interrupt_deliverable(v)) {
        window_set(v, true);
        return;
    }
    hvm->inject_interrupt(v, (uint8_t)vector);
    window_set(v, false);
}

void hvm_interrupt_window_exit(struct vcpu *v)
{
    window_set(v, false);
}

void hvm_nmi_window_exit(struct vcpu *v)
{
    nmi_window_set(v, false);
}

void hvm_interrupt_window_reset(struct vcpu *v)
{
    v->arch->interrupt_window = false;
    v->arch->nmi_window = false;
}
