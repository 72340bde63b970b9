/* Event channels: Xen's 2-level ABI (see event_channel.c for the design).
 *
 * Each domain owns ports 1..EVTCHN_2L_PORTS-1 from creation to destruction.
 * The hypercall layer (hypercall.c) copies a guest's argument in, calls
 * evtchn_op() on that copy and copies the result back; tests call the same
 * function with arguments of their own. The rest of the core raises events
 * with evtchn_send_virq(). */
#ifndef XENCORE_CORE_EVENT_CHANNEL_H
#define XENCORE_CORE_EVENT_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xencore/abi/guest.h>

struct domain;
struct vcpu;

/* Allocates @d's port table (page-backed; all ports closed). Call once at
 * domain creation, after d->vcpus[] and d->shared_info_mfn exist. Returns 0
 * or -XC_ENOMEM. */
int evtchn_domain_init(struct domain *d);
/* Closes every port of @d (each peer's end goes back to unbound, as in Xen)
 * and frees the table. Call once none of @d's vCPUs runs (after vcpu_sync)
 * and its vCPU timers are dead (vcpu_time_destroy), before its vCPUs leave
 * the scheduler and before its memory is freed. Other domains may be sending
 * to @d meanwhile on other CPUs: that is safe. Safe on a partly built domain
 * and when called twice. */
void evtchn_domain_destroy(struct domain *d);

/* The argument of any event_channel_op sub-op, as copied in from the guest. */
union evtchn_op_arg {
    struct evtchn_alloc_unbound alloc_unbound;
    struct evtchn_bind_interdomain bind_interdomain;
    struct evtchn_bind_virq bind_virq;
    struct evtchn_bind_ipi bind_ipi;
    struct evtchn_bind_vcpu bind_vcpu;
    struct evtchn_status status;
    struct evtchn_close close;
    struct evtchn_send send;
    struct evtchn_unmask unmask;
};

/* Size of the argument of event_channel_op @cmd (what to copy in and out),
 * or 0 if the sub-op is not offered (-ENOSYS). */
size_t evtchn_op_arg_size(unsigned int cmd);
/* Runs event_channel_op @cmd for the calling vCPU @v on @arg, the host copy
 * of the guest's argument (its first evtchn_op_arg_size(cmd) bytes). Output
 * fields are written into @arg only on success. Returns 0 or a negative
 * errno. */
long evtchn_op(struct vcpu *v, unsigned int cmd, union evtchn_op_arg *arg);

/* EVTCHNOP_bind_interdomain with the peer domain already found: for callers
 * that keep @rd from being destroyed meanwhile by other means (the core's
 * own users, tests). evtchn_op() looks the peer up by b->remote_dom. */
long evtchn_bind_interdomain_with(struct vcpu *v, struct domain *rd,
                                  struct evtchn_bind_interdomain *b);

/* Raises VIRQ @virq for @v (per-vCPU VIRQs) or for its domain (global VIRQs:
 * @v is any of its vCPUs); nothing happens if the domain has not bound it.
 * Safe from timer callbacks (interrupts off) and from any CPU. */
void evtchn_send_virq(struct vcpu *v, unsigned int virq);

/* True if @port is pending in @d's shared_info (a port out of range is not). */
bool evtchn_port_pending(struct domain *d, uint32_t port);

/* The vcpu_info @v's events and time go to: the one the guest registered, or
 * its slot in shared_info, or NULL (vCPU ids above 31 that registered none). */
struct vcpu_info *evtchn_vcpu_info(struct vcpu *v);
/* True if @v has an upcall pending that it does not mask (Xen's "local
 * events need delivery"): then it must not block. */
bool evtchn_upcall_deliverable(struct vcpu *v);
/* Marks @v's upcall pending and makes @v notice it: wakes it if it is blocked,
 * kicks its CPU if it runs elsewhere. */
void evtchn_mark_upcall_pending(struct vcpu *v);

/* HVMOP_set_param HVM_PARAM_CALLBACK_IRQ from @v: only "vector" delivery
 * (type 2, vector >= 0x20) or 0 (none). Returns 0 or -XC_EINVAL; on success
 * the domain's vCPUs re-check for an upcall. */
long evtchn_set_callback_irq(struct vcpu *v, uint64_t value);

#endif /* XENCORE_CORE_EVENT_CHANNEL_H */
