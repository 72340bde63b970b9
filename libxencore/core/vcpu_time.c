/* Time and waiting as a vCPU sees them.
 *
 * Guest time. A PVH guest reads system time from its vcpu_time_info (in its
 * vcpu_info: the shared_info slot or the one it registered) as Xen's pvclock:
 * system_time at tsc_timestamp plus the scaled TSC delta. The record is
 * written with Xen's version protocol (odd while it changes, a reader that
 * sees an odd or changed version retries) and is rewritten when the vCPU
 * starts running on a CPU other than the one it was written for (the
 * scheduler calls vcpu_time_refresh) and when shared_info is mapped. Writers
 * may be the vCPU's CPU and another vCPU's hypercall at once, so they
 * serialize on one lock; readers are the guest and never wait. The wall
 * clock (wc_*) is the time of day at system time 0.
 *
 * Waiting. SCHEDOP_block and HLT block unless an upcall is deliverable;
 * SCHEDOP_poll blocks until one of its ports becomes pending (masked or not)
 * or a timeout. Both follow the "announce, then check" order that keeps a
 * wake-up from being lost against an event raised on another CPU: the vCPU
 * sets blocked (and polling) with a full barrier, then looks at the upcall
 * flag and the ports; a raiser sets the bits with a full barrier, then looks
 * at blocked and polling. One of the two always sees the other. A vCPU woken
 * for any other reason leaves a stale polling flag at worst: a spurious
 * wake-up later, which Xen's ABI allows.
 *
 * The one-shot timer (VCPUOP_set_singleshot_timer) sends VIRQ_TIMER to its
 * vCPU from a per-CPU timer on the CPU the vCPU ran on when it was set. */
#include "core/vcpu_time.h"

#include <xencore/abi/guest.h>

#include "arch/arch.h"
#include "core/domain.h"
#include "core/event_channel.h"
#include "lib/errno.h"
#include "lib/spinlock.h"
#include "lib/string.h"
#include "sched/sched.h"

static spinlock_t time_lock = SPINLOCK_INIT;

static struct shared_info *shared_info_of(struct domain *d)
{
    return arch_phys_to_virt(d->shared_info_mfn << ARCH_PAGE_SHIFT);
}

/* ---- Timers' life cycle --------------------------------------------------- */

static void singleshot_fire(void *data)
{
    evtchn_send_virq(data, VIRQ_TIMER);
}

static void poll_timeout(void *data)
{
    struct vcpu *v = data;
    if (__atomic_exchange_n(&v->polling, false, __ATOMIC_SEQ_CST))
        vcpu_wake(v);
}

/* Timers are set up on first use by the vCPU itself, or at domain creation;
 * either way before anything else may touch them. */
static void timers_ready(struct vcpu *v)
{
    if (!v->singleshot_timer.fn)
        timer_init(&v->singleshot_timer, singleshot_fire, v);
    if (!v->poll_timer.fn)
        timer_init(&v->poll_timer, poll_timeout, v);
}

void vcpu_time_destroy(struct vcpu *v)
{
    if (v->singleshot_timer.fn)
        timer_kill(&v->singleshot_timer);
    if (v->poll_timer.fn)
        timer_kill(&v->poll_timer);
    __atomic_store_n(&v->polling, false, __ATOMIC_SEQ_CST);
}

/* ---- Guest time ----------------------------------------------------------- */

static void write_time(struct vcpu_time_info *t)
{
    /* The guest may have scribbled on version: we only need odd, then even. */
    uint32_t version = __atomic_load_n(&t->version, __ATOMIC_RELAXED) | 1;
    __atomic_store_n(&t->version, version, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    arch_fill_vcpu_time(t);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    __atomic_store_n(&t->version, version + 1, __ATOMIC_RELAXED);
}

void vcpu_time_refresh(struct vcpu *v)
{
    struct vcpu_info *vi = evtchn_vcpu_info(v);
    if (vi) {
        unsigned long flags = spin_lock_irqsave(&time_lock);
        write_time(&vi->time);
        spin_unlock_irqrestore(&time_lock, flags);
    }
    v->time_cpu = v->processor;
}

void vcpu_time_wallclock_update(struct domain *d)
{
    if (!d->shared_info_mfn)
        return;
    uint64_t sec = 0;
    uint32_t nsec = 0;
    arch_wallclock_at_boot(&sec, &nsec);
    struct shared_info *si = shared_info_of(d);
    unsigned long flags = spin_lock_irqsave(&time_lock);
    uint32_t version = __atomic_load_n(&si->wc_version, __ATOMIC_RELAXED) | 1;
    __atomic_store_n(&si->wc_version, version, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    si->wc_sec = (uint32_t)sec;
    si->wc_nsec = nsec;
    si->wc_sec_hi = (uint32_t)(sec >> 32);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    __atomic_store_n(&si->wc_version, version + 1, __ATOMIC_RELAXED);
    spin_unlock_irqrestore(&time_lock, flags);
}

static void refresh_all(struct domain *d)
{
    vcpu_time_wallclock_update(d);
    for (uint32_t i = 0; i < d->nr_vcpus; i++)
        if (d->vcpus[i])
            vcpu_time_refresh(d->vcpus[i]);
}

void vcpu_time_domain_init(struct domain *d)
{
    for (uint32_t i = 0; i < d->nr_vcpus; i++)
        if (d->vcpus[i])
            timers_ready(d->vcpus[i]);
    refresh_all(d);
}

void vcpu_time_shared_info_mapped(struct domain *d)
{
    refresh_all(d);
}

/* ---- Run-state area ------------------------------------------------------- */

void vcpu_runstate_publish(struct vcpu *v)
{
    uint64_t gva = __atomic_load_n(&v->runstate_area_gva, __ATOMIC_ACQUIRE);
    if (!gva)
        return;
    struct vcpu_runstate_info info = {
        .state = (int32_t)v->runstate,
        .state_entry_time = v->runstate_entry_ns,
    };
    for (unsigned int i = 0; i < 4; i++)
        info.time[i] = v->runstate_time[i];
    (void)arch_copy_to_guest(v, gva, &info, sizeof(info));
}

/* ---- One-shot timer ------------------------------------------------------- */

long vcpu_singleshot_set(struct vcpu *v, uint64_t deadline_ns, uint32_t flags)
{
    timers_ready(v);
    if ((flags & VCPU_SSHOTTMR_future) && deadline_ns < arch_now_ns())
        return -XEN_ETIME;
    timer_set(&v->singleshot_timer, deadline_ns, v->processor);
    return 0;
}

void vcpu_singleshot_stop(struct vcpu *v)
{
    if (v->singleshot_timer.fn)
        timer_stop(&v->singleshot_timer);
}

/* ---- Block and poll ------------------------------------------------------- */

void vcpu_block(struct vcpu *v)
{
    __atomic_store_n(&v->polling, false, __ATOMIC_SEQ_CST);
    __atomic_store_n(&v->blocked, true, __ATOMIC_SEQ_CST);
    if (evtchn_upcall_deliverable(v) || arch_vcpu_interrupt_pending(v))
        __atomic_store_n(&v->blocked, false, __ATOMIC_SEQ_CST);
}

long vcpu_poll(struct vcpu *v, const uint32_t *ports, uint32_t nr_ports, uint64_t timeout_ns)
{
    if (nr_ports > SCHED_POLL_MAX_PORTS)
        return -XC_EINVAL;
    for (uint32_t i = 0; i < nr_ports; i++)
        if (ports[i] >= EVTCHN_2L_PORTS)
            return -XC_EINVAL;
    timers_ready(v);
    timer_stop(&v->poll_timer); /* a previous poll's, if it never fired */

    __atomic_store_n(&v->polling, false, __ATOMIC_SEQ_CST);
    if (nr_ports)
        memcpy(v->poll_ports, ports, nr_ports * sizeof(ports[0]));
    v->poll_count = nr_ports;
    __atomic_store_n(&v->blocked, true, __ATOMIC_SEQ_CST);
    __atomic_store_n(&v->polling, true, __ATOMIC_SEQ_CST);

    bool ready = evtchn_upcall_deliverable(v) || arch_vcpu_interrupt_pending(v);
    for (uint32_t i = 0; i < nr_ports && !ready; i++)
        ready = evtchn_port_pending(v->domain, ports[i]);
    if (!ready && timeout_ns && timeout_ns <= arch_now_ns())
        ready = true;
    if (ready) {
        __atomic_store_n(&v->polling, false, __ATOMIC_SEQ_CST);
        __atomic_store_n(&v->blocked, false, __ATOMIC_SEQ_CST);
        return 0;
    }
    if (timeout_ns)
        timer_set(&v->poll_timer, timeout_ns, v->processor);
    return 0;
}

static bool polls_port(const struct vcpu *v, uint32_t port)
{
    uint32_t count = v->poll_count;
    if (count == 0)
        return true; /* Xen: polling no port waits for any event of the domain */
    for (uint32_t i = 0; i < count && i < SCHED_POLL_MAX_PORTS; i++)
        if (v->poll_ports[i] == port)
            return true;
    return false;
}

void vcpu_poll_notify(struct domain *d, uint32_t port)
{
    for (uint32_t i = 0; i < d->nr_vcpus; i++) {
        struct vcpu *v = d->vcpus[i];
        if (!v || !__atomic_load_n(&v->polling, __ATOMIC_SEQ_CST) || !polls_port(v, port))
            continue;
        if (__atomic_exchange_n(&v->polling, false, __ATOMIC_SEQ_CST))
            vcpu_wake(v);
    }
}
