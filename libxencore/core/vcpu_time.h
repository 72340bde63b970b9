/* Time and waiting as a vCPU sees them (see vcpu_time.c for the design):
 * its one-shot timer, blocking and polling, the wall clock and
 * vcpu_time_info in shared memory, and its run-state area. */
#ifndef XENCORE_CORE_VCPU_TIME_H
#define XENCORE_CORE_VCPU_TIME_H

#include <stdbool.h>
#include <stdint.h>

struct domain;
struct vcpu;

/* Domain creation, once shared_info exists: writes the wall clock there. */
void vcpu_time_domain_init(struct domain *d);
/* Domain destruction, for each vCPU once it no longer runs (after vcpu_sync)
 * and before evtchn_domain_destroy(): stops its timers and waits for their
 * callbacks. Safe on a vCPU whose timers were never used, and twice. */
void vcpu_time_destroy(struct vcpu *v);

/* Rewrites @v's vcpu_time_info (version protocol: odd while it changes) for
 * the CPU it is about to run on, and sets v->time_cpu = v->processor. The
 * scheduler calls it when v->time_cpu differs from the CPU that picked @v. */
void vcpu_time_refresh(struct vcpu *v);
/* Rewrites the wall clock (wc_*) in @d's shared_info. */
void vcpu_time_wallclock_update(struct domain *d);
/* The guest mapped shared_info: every vcpu_time_info and the wall clock are
 * made valid at once. */
void vcpu_time_shared_info_mapped(struct domain *d);

/* Writes @v's run state to the guest-virtual area it registered, if any.
 * Only on the CPU that has @v claimed (about to run it, or descheduling it):
 * the copy goes through @v's own page tables. A failed copy is ignored, as
 * in Xen. */
void vcpu_runstate_publish(struct vcpu *v);

/* VCPUOP_set_singleshot_timer from @v itself: fires VIRQ_TIMER to @v at
 * @deadline_ns (system time) on the CPU it runs on now. With
 * VCPU_SSHOTTMR_future in @flags a deadline already past is -XEN_ETIME. */
long vcpu_singleshot_set(struct vcpu *v, uint64_t deadline_ns, uint32_t flags);
void vcpu_singleshot_stop(struct vcpu *v);

/* SCHEDOP_poll from @v itself, with the guest's ports already copied in:
 * returns 0 at once if an upcall is deliverable or a port is pending; else
 * @v blocks until an event on one of @ports (masked or not; any port of the
 * domain when @nr_ports is 0), a deliverable upcall, or @timeout_ns (absolute,
 * 0: none). A port out of range or more than SCHED_POLL_MAX_PORTS ports is
 * -XC_EINVAL and nothing changes. The caller reports a state change. */
long vcpu_poll(struct vcpu *v, const uint32_t *ports, uint32_t nr_ports, uint64_t timeout_ns);
/* An event became pending on @port of @d: wakes the vCPUs polling it. */
void vcpu_poll_notify(struct domain *d, uint32_t port);

#endif /* XENCORE_CORE_VCPU_TIME_H */
