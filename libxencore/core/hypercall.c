/* Xen's hypercalls, as a PVH guest makes them.
 *
 * The arch layer hands over the registers; this file decides. Pointer
 * arguments are guest-virtual and are only ever read or written through
 * arch_copy_from_guest()/arch_copy_to_guest(), which fail with -EFAULT rather
 * than fault. Every number and sub-op not implemented returns -ENOSYS, so a
 * guest probing for features learns the truth. A call from guest user mode
 * (CPL != 0) is refused with -EPERM before anything is looked at.
 *
 * The handlers here copy arguments in and out and check what only the ABI
 * knows (sizes, counts, which vCPU may do what); the work is done by the
 * module that owns the state: event channels (event_channel.c), timers,
 * blocking and guest time (vcpu_time.c), the scheduler. */
#include <xencore/abi/guest.h>
#include <xencore/xencore.h>

#include "arch/arch.h"
#include "core/domain.h"
#include "core/event_channel.h"
#include "core/vcpu_time.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/p2m.h"
#include "sched/sched.h"

#define MEMOP_CMD_MASK 0x3f /* Xen's memory_op packs a start extent above bit 6 */
#define CONSOLE_CHUNK 256
#define CONSOLE_MAX_PER_CALL (1U << 20)
#define XEN_EXTRAVERSION "-xencore"
#define XEN_CAPABILITIES "hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64"
#define XEN_VIRT_START 0xffff800000000000ULL
#define XENFEAT_auto_translated_physmap 2
#define XENFEAT_hvm_safe_pvclock 9
#define GRANT_TABLE_FRAMES 1
#define GRANT_TABLE_MAX_FRAMES 1
#define INTERFACE_VERSION ((4UL << 16) | 17UL)
#define GUEST_FRAME_LIMIT (1ULL << 36) /* 48-bit guest-physical addresses */

/* A handler returns the result for RAX; it sets *state_changed when it may
 * have blocked or stopped the vCPU, or changed its p2m (see arch.h). */
typedef long (*hypercall_fn)(struct vcpu *v, const uint64_t *arg, bool *state_changed);

static long copy_in(struct vcpu *v, void *dst, uint64_t gva, size_t length)
{
    return arch_copy_from_guest(v, dst, gva, length) ? -XC_EFAULT : 0;
}

static long copy_out(struct vcpu *v, uint64_t gva, const void *src, size_t length)
{
    return arch_copy_to_guest(v, gva, src, length) ? -XC_EFAULT : 0;
}

/* A domid argument may name only the caller (DOMID_SELF or its own id). */
static bool is_self(struct vcpu *v, uint16_t domid)
{
    return domid == DOMID_SELF || domid == v->domain->domid;
}

/* ---- xen_version ---------------------------------------------------------- */

static long do_xen_version(struct vcpu *v, const uint64_t *arg, bool *state_changed)
{
    uint64_t buf = arg[1];
    switch (arg[0]) {
    case XENVER_version:
        return (long)INTERFACE_VERSION;
    case XENVER_extraversion: {
        char s[16] = XEN_EXTRAVERSION;
        return copy_out(v, buf, s, sizeof(s));
    }
    case XENVER_compile_info: {
        struct {
            char compiler[64], by[16], domain[32], date[32];
        } info = { "gcc", "xencore", "xencore", "" };
        return copy_out(v, buf, &info, sizeof(info));
    }
    case XENVER_capabilities: {
        char caps[1024] = XEN_CAPABILITIES;
        return copy_out(v, buf, caps, sizeof(caps));
    }
    case XENVER_changeset: {
        char cs[64] = "xencore " XENCORE_VERSION_STRING;
        return copy_out(v, buf, cs, sizeof(cs));
    }
    case XENVER_platform_parameters: {
        uint64_t virt_start = XEN_VIRT_START;
        return copy_out(v, buf, &virt_start, sizeof(virt_start));
    }
    case XENVER_get_features: {
        uint32_t fi[2];
        long rc = copy_in(v, fi, buf, sizeof(fi));
        if (rc)
            return rc;
        fi[1] = fi[0] == 0 ? (1U << XENFEAT_auto_translated_physmap) |
                                 (1U << XENFEAT_hvm_safe_pvclock)
                           : 0;
        return copy_out(v, buf, fi, sizeof(fi));
    }
    case XENVER_pagesize:
        return (long)ARCH_PAGE_SIZE;
    default:
        return -XC_ENOSYS;
    }
}

/* ---- console_io ----------------------------------------------------------- */

static long do_console_io(struct vcpu *v, const uint64_t *arg, bool *state_changed)
{
    if (arg[0] != CONSOLEIO_write)
        return -XC_ENOSYS;
    uint64_t count = arg[1], gva = arg[2];
    if (count > CONSOLE_MAX_PER_CALL)
        return -XC_EINVAL;
    char chunk[CONSOLE_CHUNK];
    for (uint64_t done = 0; done < count;) {
        size_t n = count - done < sizeof(chunk) ? (size_t)(count - done) : sizeof(chunk);
        long rc = copy_in(v, chunk, gva + done, n);
        if (rc)
            return rc;
        domain_console_write(v->domain, chunk, n);
        done += n;
    }
    return 0;
}

/* ---- sched_op ------------------------------------------------------------- */

static long sched_poll(struct vcpu *v, uint64_t gva)
{
    struct sched_poll poll;
    long rc = copy_in(v, &poll, gva, sizeof(poll));
    if (rc)
        return rc;
    if (poll.nr_ports > SCHED_POLL_MAX_PORTS)
        return -XC_EINVAL;
    uint32_t ports[SCHED_POLL_MAX_PORTS];
    rc = copy_in(v, ports, poll.ports, poll.nr_ports * sizeof(ports[0]));
    if (rc)
        return rc;
    return vcpu_poll(v, ports, poll.nr_ports, poll.timeout);
}

static long do_sched_op(struct vcpu *v, const uint64_t *arg, bool *state_changed)
{
    *state_changed = true; /* yield, block, poll and shutdown all ask the scheduler */
    switch (arg[0]) {
    case SCHEDOP_yield:
        sched_vcpu_yield(v);
        return 0;
    case SCHEDOP_block:
        vcpu_block(v);
        return 0;
    case SCHEDOP_shutdown: {
        struct sched_shutdown s;
        long rc = copy_in(v, &s, arg[1], sizeof(s));
        if (rc)
            return rc;
        if (s.reason > SHUTDOWN_watchdog)
            return -XC_EINVAL;
        domain_shutdown(v->domain, (enum xencore_shutdown_reason)s.reason);
        return 0;
    }
    case SCHEDOP_poll:
        return sched_poll(v, arg[1]);
    case SCHEDOP_remote_shutdown:
        return -XC_EPERM; /* no domain here may stop another */
    default:
        return -XC_ENOSYS;
    }
}

/* ---- memory_op ------------------------------------------------------------ */

static long add_to_physmap(struct vcpu *v, uint64_t gva)
{
    struct xen_add_to_physmap x;
    long rc = copy_in(v, &x, gva, sizeof(x));
    if (rc)
        return rc;
    if (!is_self(v, x.domid))
        return -XC_EPERM;
    if (x.space != XENMAPSPACE_shared_info)
        return -XC_ENOSYS;
    if (x.idx != 0 || x.gpfn >= GUEST_FRAME_LIMIT)
        return -XC_EINVAL;
    struct domain *d = v->domain;
    /* The RAM frame it replaces stays the domain's until destroy. */
    rc = arch_p2m_map(d, x.gpfn, d->shared_info_mfn, 0);
    if (rc)
        return rc;
    d->shared_info_gfn = x.gpfn;
    vcpu_time_shared_info_mapped(d);
    return 0;
}

static long memory_map(struct vcpu *v, uint64_t gva)
{
    struct xen_memory_map map;
    long rc = copy_in(v, &map, gva, sizeof(map));
    if (rc)
        return rc;
    if (map.nr_entries < 1)
        return -XC_EINVAL;
    struct hvm_memmap_table_entry ram = {
        .addr = 0,
        .size = v->domain->max_gfn << ARCH_PAGE_SHIFT,
        .type = HVM_MEMMAP_TYPE_RAM,
    };
    rc = copy_out(v, map.buffer, &ram, sizeof(ram));
    if (rc)
        return rc;
    map.nr_entries = 1;
    return copy_out(v, gva, &map, sizeof(map));
}

static long reservation(struct vcpu *v, uint64_t gva)
{
    struct xen_memory_reservation r;
    long rc = copy_in(v, &r, gva, sizeof(r));
    if (rc)
        return rc;
    if (!is_self(v, r.domid))
        return -XC_EPERM;
    /* A domain's reservation is fixed at its configured size (no
     * ballooning): nothing is added or released, which the guest learns
     * from the count of extents done. */
    return 0;
}

static long do_memory_op(struct vcpu *v, const uint64_t *arg, bool *state_changed)
{
    switch (arg[0] & MEMOP_CMD_MASK) {
    case XENMEM_increase_reservation:
    case XENMEM_decrease_reservation:
        return reservation(v, arg[1]);
    case XENMEM_maximum_ram_page:
        return (long)(v->domain->max_gfn - 1);
    case XENMEM_add_to_physmap:
        *state_changed = true; /* the p2m changes */
        return add_to_physmap(v, arg[1]);
    case XENMEM_memory_map:
        return memory_map(v, arg[1]);
    default:
        return -XC_ENOSYS;
    }
}

/* ---- vcpu_op -------------------------------------------------------------- */

#define VCPU_INFO_ALIGN 8 /* its 64-bit words are updated with atomics */

/* initialise, up, down and register_vcpu_info may name any vCPU of the
 * domain, from any of its vCPUs at once: they serialize on d->lock. */
static long vcpu_initialise(struct vcpu *v, struct vcpu *target, uint64_t gva)
{
    struct vcpu_hvm_context ctx;
    long rc = copy_in(v, &ctx, gva, sizeof(ctx));
    if (rc)
        return rc;
    struct domain *d = v->domain;
    spin_lock(&d->lock);
    /* Xen: a vCPU gets its start state once; a vCPU brought down keeps its
     * state and resumes where it stopped when brought up again. */
    if (__atomic_load_n(&target->initialised, __ATOMIC_ACQUIRE) || target->up)
        rc = -XC_EEXIST;
    else
        rc = arch_vcpu_set_context(target, &ctx);
    if (!rc)
        __atomic_store_n(&target->initialised, true, __ATOMIC_RELEASE);
    spin_unlock(&d->lock);
    return rc;
}

static long vcpu_up(struct vcpu *target)
{
    struct domain *d = target->domain;
    long rc = 0;
    bool wake = false;
    spin_lock(&d->lock);
    if (!__atomic_load_n(&target->initialised, __ATOMIC_ACQUIRE)) {
        rc = -XC_EINVAL;
    } else if (!target->up) {
        __atomic_store_n(&target->up, true, __ATOMIC_SEQ_CST);
        wake = true;
    }
    spin_unlock(&d->lock);
    if (wake)
        sched_vcpu_wake(target);
    return rc;
}

static long vcpu_down(struct vcpu *target)
{
    struct domain *d = target->domain;
    bool others_up = false;
    spin_lock(&d->lock);
    for (uint32_t i = 0; i < d->nr_vcpus; i++)
        if (d->vcpus[i] && d->vcpus[i] != target && d->vcpus[i]->up)
            others_up = true;
    if (others_up)
        __atomic_store_n(&target->up, false, __ATOMIC_SEQ_CST);
    spin_unlock(&d->lock);
    if (!others_up) {
        /* Xen: the last vCPU going down powers the domain off. */
        domain_shutdown(d, XENCORE_SHUTDOWN_POWEROFF);
        return 0;
    }
    /* Not runnable now: a CPU running it notices before the next entry. */
    if (__atomic_load_n(&target->is_running, __ATOMIC_SEQ_CST))
        sched_request_reschedule(__atomic_load_n(&target->processor, __ATOMIC_RELAXED));
    sched_runstate_refresh(target);
    return 0;
}

static long register_vcpu_info(struct vcpu *v, struct vcpu *target, uint64_t gva)
{
    struct domain *d = v->domain;
    struct vcpu_register_vcpu_info r;
    long rc = copy_in(v, &r, gva, sizeof(r));
    if (rc)
        return rc;
    /* gfn 0 stands for "not registered" (struct vcpu), so it is refused. */
    if (r.offset > ARCH_PAGE_SIZE - sizeof(struct vcpu_info) || r.offset % VCPU_INFO_ALIGN ||
        r.mfn == 0 || r.mfn >= d->max_gfn)
        return -XC_EINVAL;
    struct vcpu_info *info = p2m_gpa_to_virt(d, (r.mfn << ARCH_PAGE_SHIFT) + r.offset,
                                             sizeof(struct vcpu_info));
    if (!info)
        return -XC_EINVAL;
    spin_lock(&d->lock);
    if (__atomic_load_n(&target->vcpu_info_gfn, __ATOMIC_ACQUIRE)) {
        spin_unlock(&d->lock);
        return -XC_EINVAL; /* Xen: once only */
    }
    struct vcpu_info *old = evtchn_vcpu_info(target);
    if (old)
        memcpy(info, old, sizeof(*info));
    else
        memset(info, 0, sizeof(*info));
    target->vcpu_info_offset = r.offset;
    __atomic_store_n(&target->vcpu_info_gfn, r.mfn, __ATOMIC_RELEASE);
    spin_unlock(&d->lock);
    /* As Xen does: everything may be pending, so nothing raised during the
     * move is lost; the guest copes with a spurious upcall. */
    __atomic_store_n(&info->evtchn_pending_sel, ~0ULL, __ATOMIC_SEQ_CST);
    evtchn_mark_upcall_pending(target);
    vcpu_time_refresh(target);
    return 0;
}

static long register_runstate_area(struct vcpu *v, struct vcpu *target, uint64_t gva)
{
    struct vcpu_register_runstate_memory_area area;
    long rc = copy_in(v, &area, gva, sizeof(area));
    if (rc)
        return rc;
    __atomic_store_n(&target->runstate_area_gva, area.addr, __ATOMIC_RELEASE);
    /* Written at once only from the vCPU itself (its own page tables); any
     * other gets it at its next state change. */
    if (target == v)
        vcpu_runstate_publish(v);
    return 0;
}

static long do_vcpu_op(struct vcpu *v, const uint64_t *arg, bool *state_changed)
{
    struct domain *d = v->domain;
    uint64_t cmd = arg[0], id = arg[1], gva = arg[2];
    if (id >= d->nr_vcpus || !d->vcpus[id])
        return -XC_ENOENT;
    struct vcpu *target = d->vcpus[id];
    switch (cmd) {
    case VCPUOP_initialise:
        return vcpu_initialise(v, target, gva);
    case VCPUOP_up:
        return vcpu_up(target);
    case VCPUOP_down:
        *state_changed = true; /* it may be the caller: it stops at once */
        return vcpu_down(target);
    case VCPUOP_is_up:
        return __atomic_load_n(&target->up, __ATOMIC_ACQUIRE) ? 1 : 0;
    case VCPUOP_get_runstate_info: {
        struct vcpu_runstate_info info = {
            .state = (int32_t)target->runstate,
            .state_entry_time = target->runstate_entry_ns,
        };
        for (unsigned int i = 0; i < 4; i++)
            info.time[i] = target->runstate_time[i];
        return copy_out(v, gva, &info, sizeof(info));
    }
    case VCPUOP_register_runstate_memory_area:
        return register_runstate_area(v, target, gva);
    case VCPUOP_stop_periodic_timer:
        return 0; /* PVH vCPUs have no periodic timer: nothing to stop (as Xen) */
    case VCPUOP_set_singleshot_timer: {
        if (target != v)
            return -XC_EINVAL; /* Xen: only a vCPU's own */
        struct vcpu_set_singleshot_timer t;
        long rc = copy_in(v, &t, gva, sizeof(t));
        return rc ? rc : vcpu_singleshot_set(v, t.timeout_abs_ns, t.flags);
    }
    case VCPUOP_stop_singleshot_timer:
        if (target != v)
            return -XC_EINVAL;
        vcpu_singleshot_stop(v);
        return 0;
    case VCPUOP_register_vcpu_info:
        *state_changed = true; /* an upcall is now pending */
        return register_vcpu_info(v, target, gva);
    default:
        return -XC_ENOSYS; /* set_periodic_timer, send_nmi, ... */
    }
}

/* ---- hvm_op, grant_table_op, event_channel_op ----------------------------- */

static long do_hvm_op(struct vcpu *v, const uint64_t *arg, bool *state_changed)
{
    if (arg[0] != HVMOP_set_param && arg[0] != HVMOP_get_param)
        return -XC_ENOSYS;
    struct xen_hvm_param p;
    long rc = copy_in(v, &p, arg[1], sizeof(p));
    if (rc)
        return rc;
    if (!is_self(v, p.domid))
        return -XC_EPERM;
    if (p.index >= HVM_NR_PARAMS)
        return -XC_EINVAL;
    if (arg[0] == HVMOP_set_param) {
        if (p.index != HVM_PARAM_CALLBACK_IRQ)
            return -XC_EPERM; /* the others are the toolstack's to set */
        *state_changed = true; /* an upcall may be deliverable now */
        return evtchn_set_callback_irq(v, p.value);
    }
    p.value = v->domain->hvm_params[p.index];
    return copy_out(v, arg[1], &p, sizeof(p));
}

static long do_grant_table_op(struct vcpu *v, const uint64_t *arg, bool *state_changed)
{
    if (arg[2] != 1)
        return -XC_EINVAL;
    if (arg[0] == GNTTABOP_query_size) {
        struct gnttab_query_size q;
        long rc = copy_in(v, &q, arg[1], sizeof(q));
        if (rc)
            return rc;
        if (!is_self(v, q.dom)) {
            q.status = -1; /* GNTST_general_error */
        } else {
            q.nr_frames = GRANT_TABLE_FRAMES;
            q.max_nr_frames = GRANT_TABLE_MAX_FRAMES;
            q.status = 0;
        }
        return copy_out(v, arg[1], &q, sizeof(q));
    }
    if (arg[0] == GNTTABOP_set_version) {
        struct gnttab_set_version s;
        long rc = copy_in(v, &s, arg[1], sizeof(s));
        if (rc)
            return rc;
        if (s.version != 1)
            return -XC_EINVAL; /* version 2 is not offered */
        return copy_out(v, arg[1], &s, sizeof(s));
    }
    return -XC_ENOSYS;
}

static long do_event_channel_op(struct vcpu *v, const uint64_t *arg, bool *state_changed)
{
    union evtchn_op_arg op;
    size_t size = arg[0] <= UINT32_MAX ? evtchn_op_arg_size((unsigned int)arg[0]) : 0;
    if (size == 0 || size > sizeof(op))
        return -XC_ENOSYS; /* init_control and expand_array included: 2-level only */
    long rc = copy_in(v, &op, arg[1], size);
    if (rc)
        return rc;
    rc = evtchn_op(v, (unsigned int)arg[0], &op);
    /* Sending to an IPI port of its own, unmasking, binding: the caller's own
     * upcall may have become pending; otherwise it may re-enter at once. */
    *state_changed = evtchn_upcall_deliverable(v);
    bool has_output = arg[0] == EVTCHNOP_alloc_unbound || arg[0] == EVTCHNOP_bind_interdomain ||
                      arg[0] == EVTCHNOP_bind_virq || arg[0] == EVTCHNOP_bind_ipi ||
                      arg[0] == EVTCHNOP_status;
    if (rc == 0 && has_output)
        rc = copy_out(v, arg[1], &op, size);
    return rc;
}

static const hypercall_fn hypercall_table[HYPERVISOR_MAX] = {
    [HYPERVISOR_memory_op] = do_memory_op,
    [HYPERVISOR_xen_version] = do_xen_version,
    [HYPERVISOR_console_io] = do_console_io,
    [HYPERVISOR_grant_table_op] = do_grant_table_op,
    [HYPERVISOR_vcpu_op] = do_vcpu_op,
    [HYPERVISOR_sched_op] = do_sched_op,
    [HYPERVISOR_event_channel_op] = do_event_channel_op,
    [HYPERVISOR_hvm_op] = do_hvm_op,
};

void core_hypercall(struct vcpu *v, struct hypercall_args *args)
{
    if (args->cpl != 0) {
        args->result = (uint64_t)-XC_EPERM;
        return;
    }
    hypercall_fn fn = args->number < HYPERVISOR_MAX ? hypercall_table[args->number] : NULL;
    args->result = (uint64_t)(fn ? fn(v, args->arg, &args->state_changed) : -XC_ENOSYS);
}
