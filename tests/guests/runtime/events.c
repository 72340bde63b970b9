/* Event channels from the guest's side: the hypercall wrappers, the upcall
 * handler and the two ways of waiting for an event.
 *
 * The 2-level ABI: bit p of shared_info's evtchn_pending says port p has an
 * event; the hypervisor also sets bit p/64 of the notified vCPU's
 * evtchn_pending_sel and its evtchn_upcall_pending unless the port is masked,
 * and then delivers the callback vector when the vCPU has RFLAGS.IF set. The
 * handler clears upcall_pending first, then takes the selector word with an
 * atomic exchange and each pending, unmasked port with an atomic and: an
 * event raised meanwhile sets the bits again and re-raises the upcall, so
 * nothing is lost.
 *
 * Waiting: the runtime keeps interrupts off, so an upcall can only arrive in
 * wait_for_event()'s window (sti; nop; cli) or in halt_for_event()'s sti;
 * hlt. SCHEDOP_block returns at once when an upcall is pending, which is what
 * makes "check a flag, then block" free of lost wake-ups. Ports a guest only
 * ever polls are masked: SCHEDOP_poll wakes on them all the same, and no
 * upcall is raised for them. */
#include "runtime.h"

static evtchn_handler_fn port_handlers[EVTCHN_TRACKED_PORTS];
static volatile uint64_t port_events[EVTCHN_TRACKED_PORTS];
static volatile uint64_t upcalls[GUEST_MAX_VCPUS];
static bool callback_registered;

#define BITS_PER_WORD 64

long vcpu_op(unsigned int cmd, unsigned int vcpu, void *arg)
{
    return hypercall(HYPERVISOR_vcpu_op, cmd, vcpu, arg, 0, 0);
}

long event_channel_op(unsigned int cmd, void *arg)
{
    return hypercall(HYPERVISOR_event_channel_op, cmd, arg, 0, 0, 0);
}

long evtchn_bind_virq_port(uint32_t virq, uint32_t vcpu, uint32_t *port)
{
    struct evtchn_bind_virq op = {.virq = virq, .vcpu = vcpu};
    long rc = event_channel_op(EVTCHNOP_bind_virq, &op);
    *port = op.port;
    return rc;
}

long evtchn_alloc_unbound_port(uint16_t remote_domid, uint32_t *port)
{
    struct evtchn_alloc_unbound op = {.dom = DOMID_SELF, .remote_dom = remote_domid};
    long rc = event_channel_op(EVTCHNOP_alloc_unbound, &op);
    *port = op.port;
    return rc;
}

long evtchn_bind_interdomain_port(uint16_t remote_domid, uint32_t remote_port, uint32_t *port)
{
    struct evtchn_bind_interdomain op = {.remote_dom = remote_domid, .remote_port = remote_port};
    long rc = event_channel_op(EVTCHNOP_bind_interdomain, &op);
    *port = op.local_port;
    return rc;
}

long evtchn_bind_ipi_port(uint32_t vcpu, uint32_t *port)
{
    struct evtchn_bind_ipi op = {.vcpu = vcpu};
    long rc = event_channel_op(EVTCHNOP_bind_ipi, &op);
    *port = op.port;
    return rc;
}

long evtchn_send_port(uint32_t port)
{
    struct evtchn_send op = {.port = port};
    return event_channel_op(EVTCHNOP_send, &op);
}

long evtchn_unmask_port(uint32_t port)
{
    struct evtchn_unmask op = {.port = port};
    return event_channel_op(EVTCHNOP_unmask, &op);
}

long evtchn_close_port(uint32_t port)
{
    struct evtchn_close op = {.port = port};
    return event_channel_op(EVTCHNOP_close, &op);
}

void evtchn_mask(uint32_t port)
{
    __atomic_fetch_or(&shared_info->evtchn_mask[port / BITS_PER_WORD],
                      1ull << (port % BITS_PER_WORD), __ATOMIC_SEQ_CST);
}

void evtchn_clear_pending(uint32_t port)
{
    __atomic_fetch_and(&shared_info->evtchn_pending[port / BITS_PER_WORD],
                       ~(1ull << (port % BITS_PER_WORD)), __ATOMIC_SEQ_CST);
}

bool evtchn_pending(uint32_t port)
{
    return (shared_info->evtchn_pending[port / BITS_PER_WORD] >> (port % BITS_PER_WORD)) & 1;
}

long sched_poll_ports(const uint32_t *ports, unsigned int count, uint64_t timeout_abs_ns)
{
    struct sched_poll poll = {
        .ports = (uint64_t)(uintptr_t)ports, .nr_ports = count, .timeout = timeout_abs_ns};
    return sched_op(SCHEDOP_poll, &poll);
}

long singleshot_timer_set(unsigned int vcpu, uint64_t deadline_ns, uint32_t flags)
{
    struct vcpu_set_singleshot_timer timer = {.timeout_abs_ns = deadline_ns, .flags = flags};
    return vcpu_op(VCPUOP_set_singleshot_timer, vcpu, &timer);
}

/* ---- The upcall ---------------------------------------------------------------- */

void evtchn_set_handler(uint32_t port, evtchn_handler_fn fn)
{
    if (port < EVTCHN_TRACKED_PORTS) {
        port_handlers[port] = fn;
    }
}

uint64_t evtchn_event_count(uint32_t port)
{
    return port < EVTCHN_TRACKED_PORTS ? port_events[port] : 0;
}

uint64_t upcall_count(unsigned int vcpu)
{
    return vcpu < GUEST_MAX_VCPUS ? upcalls[vcpu] : 0;
}

void runtime_upcall(void);

/* Called from upcall_entry (entry.S) with interrupts off. */
void runtime_upcall(void)
{
    unsigned int id = this_vcpu_id();
    volatile struct vcpu_info *vi = &shared_info->vcpu_info[id];
    upcalls[id]++;
    vi->evtchn_upcall_pending = 0;
    uint64_t selector = __atomic_exchange_n(&vi->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
    while (selector != 0) {
        unsigned int word = (unsigned int)__builtin_ctzll(selector);
        selector &= selector - 1;
        uint64_t ready = shared_info->evtchn_pending[word] & ~shared_info->evtchn_mask[word];
        while (ready != 0) {
            unsigned int bit = (unsigned int)__builtin_ctzll(ready);
            ready &= ready - 1;
            uint32_t port = word * BITS_PER_WORD + bit;
            evtchn_clear_pending(port);
            if (port < EVTCHN_TRACKED_PORTS) {
                __atomic_fetch_add(&port_events[port], 1, __ATOMIC_SEQ_CST);
                if (port_handlers[port] != NULL) {
                    port_handlers[port](port);
                }
            }
        }
    }
}

extern char upcall_entry[];

long upcall_setup(void)
{
    if (!callback_registered) {
        runtime_idt_set_interrupt(UPCALL_VECTOR, (uint64_t)(uintptr_t)upcall_entry);
        struct xen_hvm_param param = {
            .domid = DOMID_SELF,
            .index = HVM_PARAM_CALLBACK_IRQ,
            .value = ((uint64_t)HVM_PARAM_CALLBACK_TYPE_VECTOR << HVM_PARAM_CALLBACK_TYPE_SHIFT) |
                     UPCALL_VECTOR,
        };
        long rc = hvm_op(HVMOP_set_param, &param);
        if (rc != 0) {
            return rc;
        }
        callback_registered = true;
    }
    this_vcpu_info()->evtchn_upcall_mask = 0;
    return 0;
}

long wait_for_event(void)
{
    long rc = sched_op(SCHEDOP_block, NULL);
    __asm__ volatile("sti; nop; cli" : : : "memory");
    return rc;
}

void halt_for_event(void)
{
    __asm__ volatile("sti; hlt; cli" : : : "memory");
}
