/* Delivering the event-channel upcall (Xen's callback vector) to a guest:
 * one policy for VMX and SVM, the mechanics in the back ends' ops.
 *
 * When we look. Only before entries that follow a change of state: the run
 * loops' re-check path. Every way an event can become pending for a vCPU
 * ends there: an event sent from another CPU kicks this one with an IPI (an
 * external-interrupt exit, which re-checks); one raised by the vCPU's own
 * hypercall comes back with state_changed (re-check); a timer of the core
 * firing while the guest runs is an external-interrupt exit too; a vCPU that
 * was blocked enters through the run loop's first entry. The fast paths
 * (CPUID, MSR reads, plain hypercalls) change nothing the core's answer
 * depends on and do not pay for the question.
 *
 * What we do. The upcall is level-like: it stays pending until the guest
 * clears evtchn_upcall_pending, and the guest sends no EOI. So it is enough
 * to inject it whenever the core says it is pending and the guest can take
 * an external interrupt at this entry (IF set, no STI/MOV-SS shadow, no
 * other event queued for it, such as a re-injected exception); when it
 * cannot, we ask for an interrupt-window exit, which comes back here the
 * moment it can. An extra delivery (the guest had not cleared the flag yet)
 * is harmless by the ABI. Nothing is lost: a pending upcall either is
 * injected or leaves the window open, and an injection the CPU could not
 * complete (a fault while pushing the frame) is re-queued by the back end
 * from the exit's event information. */
#include "arch/arch.h"
#include "x86/hvm.h"

#define FIRST_INTERRUPT_VECTOR 32 /* 0-31 are exceptions */

/* The common answer is "nothing pending, no window open": the state is
 * kept here so that it costs no call into the back end. */
static void window_set(struct vcpu *v, bool open)
{
    if (v->arch->interrupt_window == open)
        return;
    v->arch->interrupt_window = open;
    hvm->interrupt_window(v, open);
}

void hvm_deliver_upcall(struct vcpu *v)
{
    unsigned int vector = core_vcpu_upcall_vector(v);
    if (__builtin_expect(vector == 0, 1) || vector < FIRST_INTERRUPT_VECTOR || vector > UINT8_MAX) {
        /* None pending, or a vector the core should not have accepted: an
         * exception vector is never delivered as an interrupt. */
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

void hvm_interrupt_window_reset(struct vcpu *v)
{
    v->arch->interrupt_window = false;
}
