/* Unit tests of event channels (libxencore/core/event_channel.c).
 *
 * What a guest relies on, checked through the same entry point the hypercall
 * uses (evtchn_op on the copied-in argument) against hand-built domains (see
 * fake_domain.h): ports are handed out 1..4095 and the next is -ENOSPC; a
 * port number outside the table is -EINVAL; a domain can reach only its own
 * ports, so nothing another domain does with a port number touches ours; an
 * interdomain send sets the peer's pending bit, selector bit and
 * upcall_pending; a masked port stays quiet until unmasked; closing one end
 * returns the other to unbound; status reports every state; the VIRQ rules
 * (per-vCPU VIRQs once per vCPU, global ones once, on vCPU 0); the callback
 * vector is offered only when it is set and the upcall is pending and
 * unmasked; a raise wakes a blocked vCPU and kicks the CPU of a running one;
 * destroying a domain with live channels leaves its peers unbound and usable
 * and gives every frame back. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake_domain.h"
#include "lib/errno.h"

#define DOM_A 1
#define DOM_B 2
#define DOM_ABSENT 77
#define FIRST_PORT 1
#define LAST_PORT (EVTCHN_2L_PORTS - 1)

struct fixture {
    struct fake_arena arena;
    uint64_t free_frames;
    struct domain *a, *b;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    assert_int_equal(fake_arena_init(&f->arena), 0);
    f->free_frames = frame_alloc_free_frames(&host_frames);
    host_set_cpu_count(2);
    host_set_this_cpu(0);
    f->a = fake_domain(DOM_A, 2);
    f->b = fake_domain(DOM_B, 2);
    assert_non_null(f->a);
    assert_non_null(f->b);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    if (f->a)
        fake_domain_destroy(f->a);
    if (f->b)
        fake_domain_destroy(f->b);
    /* Every frame of both domains (port tables, shared_info) came back. */
    assert_int_equal(frame_alloc_free_frames(&host_frames), f->free_frames);
    while (host_next_kick() >= 0)
        ;
    fake_arena_fini(&f->arena);
    free(f);
    return 0;
}

/* ---- Small wrappers: one sub-op each, as the guest issues them ------------ */

static long alloc_unbound(struct domain *d, uint16_t dom, uint16_t remote, uint32_t *port)
{
    union evtchn_op_arg a = {.alloc_unbound = {.dom = dom, .remote_dom = remote, .port = 0xdead}};
    long rc = evtchn_op(d->vcpus[0], EVTCHNOP_alloc_unbound, &a);
    if (port)
        *port = a.alloc_unbound.port;
    return rc;
}

static long bind_interdomain(struct domain *d, struct domain *remote, uint32_t rport,
                             uint32_t *port)
{
    struct evtchn_bind_interdomain b = {.remote_dom = remote->domid, .remote_port = rport};
    long rc = evtchn_bind_interdomain_with(d->vcpus[0], remote, &b);
    if (port)
        *port = b.local_port;
    return rc;
}

static long bind_virq(struct domain *d, uint32_t virq, uint32_t vcpu, uint32_t *port)
{
    union evtchn_op_arg b = {.bind_virq = {.virq = virq, .vcpu = vcpu}};
    long rc = evtchn_op(d->vcpus[0], EVTCHNOP_bind_virq, &b);
    if (port)
        *port = b.bind_virq.port;
    return rc;
}

static long bind_ipi(struct domain *d, uint32_t vcpu, uint32_t *port)
{
    union evtchn_op_arg b = {.bind_ipi = {.vcpu = vcpu}};
    long rc = evtchn_op(d->vcpus[0], EVTCHNOP_bind_ipi, &b);
    if (port)
        *port = b.bind_ipi.port;
    return rc;
}

static long send(struct domain *d, uint32_t port)
{
    union evtchn_op_arg s = {.send = {.port = port}};
    return evtchn_op(d->vcpus[0], EVTCHNOP_send, &s);
}

static long close_port(struct domain *d, uint32_t port)
{
    union evtchn_op_arg c = {.close = {.port = port}};
    return evtchn_op(d->vcpus[0], EVTCHNOP_close, &c);
}

static long unmask(struct domain *d, uint32_t port)
{
    union evtchn_op_arg u = {.unmask = {.port = port}};
    return evtchn_op(d->vcpus[0], EVTCHNOP_unmask, &u);
}

static long bind_vcpu(struct domain *d, uint32_t port, uint32_t vcpu)
{
    union evtchn_op_arg b = {.bind_vcpu = {.port = port, .vcpu = vcpu}};
    return evtchn_op(d->vcpus[0], EVTCHNOP_bind_vcpu, &b);
}

static struct evtchn_status status_of(struct domain *d, uint32_t port)
{
    union evtchn_op_arg s = {.status = {.dom = DOMID_SELF, .port = port, .status = 0xdead}};
    assert_int_equal(evtchn_op(d->vcpus[0], EVTCHNOP_status, &s), 0);
    return s.status;
}

/* ---- Allocation ----------------------------------------------------------- */

static void test_ports_until_exhaustion(void **state)
{
    struct fixture *f = *state;
    for (uint32_t expect = FIRST_PORT; expect <= LAST_PORT; expect++) {
        uint32_t port = 0;
        assert_int_equal(alloc_unbound(f->a, DOMID_SELF, DOM_B, &port), 0);
        assert_int_equal(port, expect);
    }
    uint32_t port = 0xdead;
    assert_int_equal(alloc_unbound(f->a, DOMID_SELF, DOM_B, &port), -XC_ENOSPC);
    assert_int_equal(bind_ipi(f->a, 0, NULL), -XC_ENOSPC);
    assert_int_equal(bind_virq(f->a, VIRQ_TIMER, 0, NULL), -XC_ENOSPC);
    /* The other domain's table is its own. */
    assert_int_equal(alloc_unbound(f->b, DOMID_SELF, DOM_A, &port), 0);
    assert_int_equal(port, FIRST_PORT);
    /* A closed port is the next one handed out. */
    assert_int_equal(close_port(f->a, 1234), 0);
    assert_int_equal(alloc_unbound(f->a, DOM_A, DOM_B, &port), 0);
    assert_int_equal(port, 1234);
}

static void test_bad_ports_are_einval(void **state)
{
    struct fixture *f = *state;
    static const uint32_t bad[] = {EVTCHN_2L_PORTS, EVTCHN_2L_PORTS + 1, 65536, UINT32_MAX};
    for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(send(f->a, bad[i]), -XC_EINVAL);
        assert_int_equal(close_port(f->a, bad[i]), -XC_EINVAL);
        assert_int_equal(unmask(f->a, bad[i]), -XC_EINVAL);
        assert_int_equal(bind_vcpu(f->a, bad[i], 0), -XC_EINVAL);
        union evtchn_op_arg s = {.status = {.dom = DOMID_SELF, .port = bad[i]}};
        assert_int_equal(evtchn_op(f->a->vcpus[0], EVTCHNOP_status, &s), -XC_EINVAL);
        assert_int_equal(bind_interdomain(f->b, f->a, bad[i], NULL), -XC_EINVAL);
    }
    /* Valid numbers that are not open: port 0 and a free port. */
    assert_int_equal(send(f->a, 0), -XC_EINVAL);
    assert_int_equal(close_port(f->a, 0), -XC_EINVAL);
    assert_int_equal(send(f->a, 5), -XC_EINVAL);
    assert_int_equal(close_port(f->a, 5), -XC_EINVAL);
    assert_int_equal(status_of(f->a, 0).status, EVTCHNSTAT_closed);
    assert_int_equal(status_of(f->a, 5).status, EVTCHNSTAT_closed);
    /* Binding to a port that is not unbound for us. */
    assert_int_equal(bind_interdomain(f->b, f->a, 5, NULL), -XC_EINVAL);
    uint32_t for_someone_else;
    assert_int_equal(alloc_unbound(f->a, DOMID_SELF, DOM_ABSENT, &for_someone_else), 0);
    assert_int_equal(bind_interdomain(f->b, f->a, for_someone_else, NULL), -XC_EINVAL);
    assert_int_equal(status_of(f->a, for_someone_else).status, EVTCHNSTAT_unbound);
}

static void test_other_domains_by_id(void **state)
{
    struct fixture *f = *state;
    /* No domain DOM_ABSENT: Xen's -ESRCH; nothing allocated. */
    assert_int_equal(alloc_unbound(f->a, DOM_ABSENT, DOMID_SELF, NULL), -XEN_ESRCH);
    union evtchn_op_arg s = {.status = {.dom = DOM_ABSENT, .port = 1}};
    assert_int_equal(evtchn_op(f->a->vcpus[0], EVTCHNOP_status, &s), -XEN_ESRCH);
    union evtchn_op_arg b = {.bind_interdomain = {.remote_dom = DOM_ABSENT, .remote_port = 1}};
    assert_int_equal(evtchn_op(f->a->vcpus[0], EVTCHNOP_bind_interdomain, &b), -XEN_ESRCH);
    assert_int_equal(status_of(f->a, 1).status, EVTCHNSTAT_closed);
    /* Its own id works like DOMID_SELF. */
    uint32_t port;
    assert_int_equal(alloc_unbound(f->a, DOM_A, DOMID_SELF, &port), 0);
    struct evtchn_status own = status_of(f->a, port);
    assert_int_equal(own.status, EVTCHNSTAT_unbound);
    assert_int_equal(own.u.unbound.dom, DOM_A); /* DOMID_SELF resolved */
}

/* A port number names a port of the caller's own domain only: whatever B
 * does with the numbers of A's ports reaches B's table, never A's. */
static void test_cannot_touch_another_domains_port(void **state)
{
    struct fixture *f = *state;
    uint32_t ipi;
    assert_int_equal(bind_ipi(f->a, 0, &ipi), 0);
    fake_mask(f->a, ipi);
    assert_int_equal(send(f->b, ipi), -XC_EINVAL);
    assert_int_equal(close_port(f->b, ipi), -XC_EINVAL);
    assert_int_equal(unmask(f->b, ipi), 0); /* B's own (free) port: harmless */
    assert_int_equal(bind_vcpu(f->b, ipi, 1), -XC_EINVAL);
    assert_int_equal(fake_port_pending(f->a, ipi), 0);
    assert_true(fake_shared_info(f->a)->evtchn_mask[ipi / 64] & (1ULL << (ipi % 64)));
    struct evtchn_status s = status_of(f->a, ipi);
    assert_int_equal(s.status, EVTCHNSTAT_ipi);
    assert_int_equal(s.vcpu, 0);
    /* A's own send still works. */
    assert_int_equal(send(f->a, ipi), 0);
    assert_int_equal(fake_port_pending(f->a, ipi), 1);
}

/* ---- Interdomain ---------------------------------------------------------- */

/* A allocates for B, B binds: returns both ports with all bits cleared. */
static void connect(struct fixture *f, uint32_t *pa, uint32_t *pb)
{
    assert_int_equal(alloc_unbound(f->a, DOMID_SELF, DOM_B, pa), 0);
    assert_int_equal(bind_interdomain(f->b, f->a, *pa, pb), 0);
    fake_clear_events(f->a);
    fake_clear_events(f->b);
}

static void test_interdomain_send_sets_peer_bits(void **state)
{
    struct fixture *f = *state;
    uint32_t pa, pb;
    assert_int_equal(alloc_unbound(f->a, DOMID_SELF, DOM_B, &pa), 0);
    /* Move A's end above the first selector word, to see the word index. */
    for (uint32_t i = 0; i < 70; i++)
        assert_int_equal(bind_ipi(f->b, 1, NULL), 0);
    assert_int_equal(bind_interdomain(f->b, f->a, pa, &pb), 0);
    assert_int_equal(pb, 71);
    /* Xen raises the binder's new port once: nothing sent before is lost. */
    assert_int_equal(fake_port_pending(f->b, pb), 1);
    fake_clear_events(f->a);
    fake_clear_events(f->b);

    struct evtchn_status sa = status_of(f->a, pa), sb = status_of(f->b, pb);
    assert_int_equal(sa.status, EVTCHNSTAT_interdomain);
    assert_int_equal(sa.u.interdomain.dom, DOM_B);
    assert_int_equal(sa.u.interdomain.port, pb);
    assert_int_equal(sb.status, EVTCHNSTAT_interdomain);
    assert_int_equal(sb.u.interdomain.dom, DOM_A);
    assert_int_equal(sb.u.interdomain.port, pa);

    assert_int_equal(send(f->a, pa), 0);
    assert_int_equal(fake_port_pending(f->b, pb), 1);
    assert_int_equal(fake_port_pending(f->a, pa), 0);
    struct vcpu_info *vb = fake_vcpu_info(f->b, 0);
    assert_int_equal(vb->evtchn_pending_sel, 1ULL << (pb / 64));
    assert_int_equal(vb->evtchn_upcall_pending, 1);
    assert_int_equal(fake_vcpu_info(f->b, 1)->evtchn_upcall_pending, 0);

    assert_int_equal(send(f->b, pb), 0);
    assert_int_equal(fake_port_pending(f->a, pa), 1);
    assert_int_equal(fake_vcpu_info(f->a, 0)->evtchn_pending_sel, 1ULL << (pa / 64));
    assert_int_equal(fake_vcpu_info(f->a, 0)->evtchn_upcall_pending, 1);
}

static void test_bind_vcpu_retargets_notification(void **state)
{
    struct fixture *f = *state;
    uint32_t pa, pb;
    connect(f, &pa, &pb);
    assert_int_equal(bind_vcpu(f->b, pb, 1), 0);
    assert_int_equal(status_of(f->b, pb).vcpu, 1);
    assert_int_equal(bind_vcpu(f->b, pb, 2), -XC_ENOENT);
    assert_int_equal(send(f->a, pa), 0);
    assert_int_equal(fake_vcpu_info(f->b, 0)->evtchn_upcall_pending, 0);
    assert_int_equal(fake_vcpu_info(f->b, 1)->evtchn_upcall_pending, 1);
    assert_int_equal(fake_vcpu_info(f->b, 1)->evtchn_pending_sel, 1ULL << (pb / 64));
    /* IPI ports stay with the vCPU they were bound for. */
    uint32_t ipi;
    assert_int_equal(bind_ipi(f->b, 0, &ipi), 0);
    assert_int_equal(bind_vcpu(f->b, ipi, 1), -XC_EINVAL);
    assert_int_equal(status_of(f->b, ipi).vcpu, 0);
}

static void test_mask_and_unmask_reraises(void **state)
{
    struct fixture *f = *state;
    uint32_t pa, pb;
    connect(f, &pa, &pb);
    fake_mask(f->b, pb);
    assert_int_equal(send(f->a, pa), 0);
    struct vcpu_info *vb = fake_vcpu_info(f->b, 0);
    assert_int_equal(fake_port_pending(f->b, pb), 1); /* recorded ... */
    assert_int_equal(vb->evtchn_pending_sel, 0);      /* ... but not signalled */
    assert_int_equal(vb->evtchn_upcall_pending, 0);
    assert_int_equal(unmask(f->b, pb), 0);
    assert_false(fake_shared_info(f->b)->evtchn_mask[pb / 64] & (1ULL << (pb % 64)));
    assert_int_equal(vb->evtchn_pending_sel, 1ULL << (pb / 64));
    assert_int_equal(vb->evtchn_upcall_pending, 1);
    /* Unmasking a port that is not pending raises nothing. */
    fake_clear_events(f->b);
    fake_mask(f->b, pb);
    assert_int_equal(unmask(f->b, pb), 0);
    assert_int_equal(vb->evtchn_pending_sel, 0);
    assert_int_equal(vb->evtchn_upcall_pending, 0);
}

static void test_close_returns_peer_to_unbound(void **state)
{
    struct fixture *f = *state;
    uint32_t pa, pb;
    connect(f, &pa, &pb);
    assert_int_equal(send(f->a, pa), 0);
    assert_int_equal(close_port(f->b, pb), 0);
    assert_int_equal(fake_port_pending(f->b, pb), 0); /* a closed port starts clean */
    assert_int_equal(status_of(f->b, pb).status, EVTCHNSTAT_closed);
    struct evtchn_status sa = status_of(f->a, pa);
    assert_int_equal(sa.status, EVTCHNSTAT_unbound);
    assert_int_equal(sa.u.unbound.dom, DOM_B);
    /* Sending on an unbound port is accepted and goes nowhere. */
    fake_clear_events(f->b);
    assert_int_equal(send(f->a, pa), 0);
    for (unsigned int w = 0; w < XEN_EVTCHN_WORDS; w++)
        assert_int_equal(fake_shared_info(f->b)->evtchn_pending[w], 0);
    /* B may connect again. */
    uint32_t again;
    assert_int_equal(bind_interdomain(f->b, f->a, pa, &again), 0);
    assert_int_equal(status_of(f->a, pa).u.interdomain.port, again);
    assert_int_equal(close_port(f->a, pa), 0);
    assert_int_equal(status_of(f->b, again).status, EVTCHNSTAT_unbound);
    assert_int_equal(status_of(f->b, again).u.unbound.dom, DOM_A);
    assert_int_equal(close_port(f->a, pa), -XC_EINVAL); /* closed twice */
}

static void test_loopback(void **state)
{
    struct fixture *f = *state;
    uint32_t p1, p2;
    assert_int_equal(alloc_unbound(f->a, DOMID_SELF, DOMID_SELF, &p1), 0);
    assert_int_equal(bind_interdomain(f->a, f->a, p1, &p2), 0);
    fake_clear_events(f->a);
    assert_int_equal(send(f->a, p1), 0);
    assert_int_equal(fake_port_pending(f->a, p2), 1);
    assert_int_equal(fake_port_pending(f->a, p1), 0);
    assert_int_equal(close_port(f->a, p2), 0);
    assert_int_equal(status_of(f->a, p1).status, EVTCHNSTAT_unbound);
}

/* ---- VIRQs and IPIs ------------------------------------------------------- */

static void test_virq_binding_rules(void **state)
{
    struct fixture *f = *state;
    uint32_t t0, t1, con;
    assert_int_equal(bind_virq(f->a, VIRQ_TIMER, 0, &t0), 0);
    assert_int_equal(bind_virq(f->a, VIRQ_TIMER, 0, NULL), -XC_EEXIST);
    assert_int_equal(bind_virq(f->a, VIRQ_TIMER, 1, &t1), 0); /* per vCPU */
    assert_int_not_equal(t0, t1);
    assert_int_equal(bind_virq(f->a, VIRQ_TIMER, 2, NULL), -XC_ENOENT);
    assert_int_equal(bind_virq(f->a, VIRQ_CONSOLE, 1, NULL), -XC_EINVAL); /* global: vCPU 0 */
    assert_int_equal(bind_virq(f->a, VIRQ_CONSOLE, 0, &con), 0);
    assert_int_equal(bind_virq(f->a, VIRQ_CONSOLE, 0, NULL), -XC_EEXIST);
    assert_int_equal(bind_virq(f->a, NR_VIRQS, 0, NULL), -XC_EINVAL);
    assert_int_equal(bind_virq(f->a, UINT32_MAX, 0, NULL), -XC_EINVAL);

    struct evtchn_status s = status_of(f->a, t1);
    assert_int_equal(s.status, EVTCHNSTAT_virq);
    assert_int_equal(s.u.virq, VIRQ_TIMER);
    assert_int_equal(s.vcpu, 1);
    /* A per-vCPU VIRQ stays on its vCPU; a global one may move. */
    assert_int_equal(bind_vcpu(f->a, t0, 1), -XC_EINVAL);
    assert_int_equal(bind_vcpu(f->a, con, 1), 0);
    assert_int_equal(send(f->a, t0), -XC_EINVAL); /* guests do not send on VIRQs */

    fake_clear_events(f->a);
    evtchn_send_virq(f->a->vcpus[1], VIRQ_TIMER);
    assert_int_equal(fake_port_pending(f->a, t1), 1);
    assert_int_equal(fake_port_pending(f->a, t0), 0);
    assert_int_equal(fake_vcpu_info(f->a, 1)->evtchn_upcall_pending, 1);
    assert_int_equal(fake_vcpu_info(f->a, 0)->evtchn_upcall_pending, 0);
    fake_clear_events(f->a);
    evtchn_send_virq(f->a->vcpus[0], VIRQ_CONSOLE); /* to vCPU 1 since bind_vcpu */
    assert_int_equal(fake_port_pending(f->a, con), 1);
    assert_int_equal(fake_vcpu_info(f->a, 1)->evtchn_upcall_pending, 1);
    assert_int_equal(fake_vcpu_info(f->a, 0)->evtchn_upcall_pending, 0);

    /* Closing frees the VIRQ for binding again; an unbound VIRQ goes nowhere. */
    assert_int_equal(close_port(f->a, t0), 0);
    fake_clear_events(f->a);
    evtchn_send_virq(f->a->vcpus[0], VIRQ_TIMER);
    for (unsigned int w = 0; w < XEN_EVTCHN_WORDS; w++)
        assert_int_equal(fake_shared_info(f->a)->evtchn_pending[w], 0);
    assert_int_equal(bind_virq(f->a, VIRQ_TIMER, 0, NULL), 0);
}

static void test_ipi_reaches_its_vcpu(void **state)
{
    struct fixture *f = *state;
    uint32_t ipi;
    assert_int_equal(bind_ipi(f->a, 5, NULL), -XC_ENOENT);
    assert_int_equal(bind_ipi(f->a, 1, &ipi), 0);
    assert_int_equal(status_of(f->a, ipi).status, EVTCHNSTAT_ipi);
    assert_int_equal(status_of(f->a, ipi).vcpu, 1);
    fake_clear_events(f->a);
    assert_int_equal(send(f->a, ipi), 0);
    assert_int_equal(fake_port_pending(f->a, ipi), 1);
    assert_int_equal(fake_vcpu_info(f->a, 1)->evtchn_upcall_pending, 1);
    assert_int_equal(fake_vcpu_info(f->a, 0)->evtchn_upcall_pending, 0);
}

/* ---- Upcall vector, wake and kick ----------------------------------------- */

static void test_callback_vector(void **state)
{
    struct fixture *f = *state;
    struct vcpu *v = f->a->vcpus[0];
    uint32_t ipi;
    assert_int_equal(bind_ipi(f->a, 0, &ipi), 0);
    assert_int_equal(send(f->a, ipi), 0);
    assert_int_equal(core_vcpu_upcall_vector(v), 0); /* no callback set */

    static const uint64_t refused[] = {
        5,                                         /* type 0: a GSI */
        (1ULL << 56) | 0x0000000000010203ULL,      /* type 1: PCI INTx */
        (2ULL << 56) | 0x0f,                       /* an exception vector */
        (2ULL << 56) | 0x100 | FAKE_UPCALL_VECTOR, /* reserved bits */
        (3ULL << 56) | FAKE_UPCALL_VECTOR,         /* unknown type */
    };
    for (unsigned int i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        assert_int_equal(evtchn_set_callback_irq(v, refused[i]), -XC_EINVAL);
        assert_int_equal(f->a->hvm_params[HVM_PARAM_CALLBACK_IRQ], 0);
    }
    assert_int_equal(evtchn_set_callback_irq(v, FAKE_CALLBACK_VALUE), 0);
    assert_int_equal(core_vcpu_upcall_vector(v), FAKE_UPCALL_VECTOR);
    assert_int_equal(core_vcpu_upcall_vector(f->a->vcpus[1]), 0); /* nothing for vCPU 1 */
    assert_int_equal(core_vcpu_upcall_vector(f->b->vcpus[0]), 0); /* B set no callback */
    fake_vcpu_info(f->a, 0)->evtchn_upcall_mask = 1;
    assert_int_equal(core_vcpu_upcall_vector(v), 0);
    fake_vcpu_info(f->a, 0)->evtchn_upcall_mask = 0;
    fake_vcpu_info(f->a, 0)->evtchn_upcall_pending = 0; /* the guest took it */
    assert_int_equal(core_vcpu_upcall_vector(v), 0);
    assert_int_equal(evtchn_set_callback_irq(v, 0), 0); /* off again */
    fake_vcpu_info(f->a, 0)->evtchn_upcall_pending = 1;
    assert_int_equal(core_vcpu_upcall_vector(v), 0);
}

static void test_raise_wakes_blocked_and_kicks_running(void **state)
{
    struct fixture *f = *state;
    uint32_t pa, pb;
    connect(f, &pa, &pb);
    assert_int_equal(evtchn_set_callback_irq(f->b->vcpus[0], FAKE_CALLBACK_VALUE), 0);
    struct vcpu *b0 = f->b->vcpus[0], *b1 = f->b->vcpus[1];

    b0->blocked = true;
    assert_int_equal(send(f->a, pa), 0);
    assert_false(b0->blocked);

    /* vCPU 1 runs on CPU 1: an event for it kicks that CPU. */
    assert_int_equal(bind_vcpu(f->b, pb, 1), 0);
    fake_clear_events(f->b);
    b1->processor = 1;
    b1->is_running = true;
    uint64_t kicks = host_kicks_sent(1);
    assert_int_equal(send(f->a, pa), 0);
    assert_int_equal(host_kicks_sent(1), kicks + 1);
    /* Already pending: no second kick. */
    assert_int_equal(send(f->a, pa), 0);
    assert_int_equal(host_kicks_sent(1), kicks + 1);
    b1->is_running = false;
}

/* ---- Destruction ---------------------------------------------------------- */

static void test_destroy_leaves_peer_consistent(void **state)
{
    struct fixture *f = *state;
    uint32_t pa[3], pb[3];
    for (int i = 0; i < 3; i++) {
        assert_int_equal(alloc_unbound(f->a, DOMID_SELF, DOM_B, &pa[i]), 0);
        assert_int_equal(bind_interdomain(f->b, f->a, pa[i], &pb[i]), 0);
    }
    uint32_t pending_for_b;
    assert_int_equal(alloc_unbound(f->a, DOMID_SELF, DOM_B, &pending_for_b), 0);
    assert_int_equal(bind_virq(f->b, VIRQ_TIMER, 0, NULL), 0);
    assert_int_equal(vcpu_singleshot_set(f->b->vcpus[0], arch_now_ns() + 1000, 0), 0);

    fake_domain_destroy(f->b);
    f->b = NULL;
    host_advance_time(2000); /* B's timer died with it */
    for (int i = 0; i < 3; i++) {
        struct evtchn_status s = status_of(f->a, pa[i]);
        assert_int_equal(s.status, EVTCHNSTAT_unbound);
        assert_int_equal(s.u.unbound.dom, DOM_B);
        assert_int_equal(send(f->a, pa[i]), 0); /* dropped, nobody to reach */
    }
    assert_int_equal(status_of(f->a, pending_for_b).status, EVTCHNSTAT_unbound);
    /* A new domain may connect to the freed ends. */
    f->b = fake_domain(DOM_B, 1);
    assert_non_null(f->b);
    uint32_t again;
    assert_int_equal(bind_interdomain(f->b, f->a, pa[1], &again), 0);
    fake_clear_events(f->b);
    assert_int_equal(send(f->a, pa[1]), 0);
    assert_int_equal(fake_port_pending(f->b, again), 1);
}

/* Another CPU keeps sending to B while B is destroyed: every send succeeds
 * (delivered, or dropped once A's end is unbound), and nothing touches B's
 * freed structures (AddressSanitizer watches them). */
struct sender {
    struct domain *a;
    uint32_t port;
    bool stop;
    uint64_t sends, failures;
};

static void *sender_main(void *arg)
{
    struct sender *s = arg;
    while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
        union evtchn_op_arg op = {.send = {.port = s->port}};
        if (evtchn_op(s->a->vcpus[1], EVTCHNOP_send, &op) != 0)
            s->failures++;
        s->sends++;
    }
    return NULL;
}

static void test_destroy_while_peer_sends(void **state)
{
    struct fixture *f = *state;
    uint32_t pa, pb;
    connect(f, &pa, &pb);
    struct sender s = {.a = f->a, .port = pa};
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, sender_main, &s), 0);
    /* Let it deliver for real a while: B's "guest" keeps taking the event. */
    struct shared_info *sib = fake_shared_info(f->b);
    while (__atomic_load_n(&s.sends, __ATOMIC_RELAXED) < 20000)
        __atomic_fetch_and(&sib->evtchn_pending[pb / 64], ~(1ULL << (pb % 64)), __ATOMIC_SEQ_CST);
    fake_domain_destroy(f->b);
    f->b = NULL;
    uint64_t after = __atomic_load_n(&s.sends, __ATOMIC_RELAXED);
    while (__atomic_load_n(&s.sends, __ATOMIC_RELAXED) < after + 20000)
        ;
    __atomic_store_n(&s.stop, true, __ATOMIC_RELEASE);
    assert_int_equal(pthread_join(thread, NULL), 0);
    assert_int_equal(s.failures, 0);
    assert_int_equal(status_of(f->a, pa).status, EVTCHNSTAT_unbound);
}

static void test_unknown_and_fifo_ops(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(evtchn_op_arg_size(EVTCHNOP_init_control), 0);
    assert_int_equal(evtchn_op_arg_size(EVTCHNOP_expand_array), 0);
    assert_int_equal(evtchn_op_arg_size(EVTCHNOP_bind_pirq), 0);
    assert_int_equal(evtchn_op_arg_size(999), 0);
    union evtchn_op_arg dummy = {0};
    assert_int_equal(evtchn_op(f->a->vcpus[0], EVTCHNOP_init_control, &dummy), -XC_ENOSYS);
    assert_int_equal(evtchn_op_arg_size(EVTCHNOP_status), sizeof(struct evtchn_status));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ports_until_exhaustion, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_ports_are_einval, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_domains_by_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cannot_touch_another_domains_port, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interdomain_send_sets_peer_bits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bind_vcpu_retargets_notification, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mask_and_unmask_reraises, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_returns_peer_to_unbound, setup, teardown),
        cmocka_unit_test_setup_teardown(test_loopback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_virq_binding_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ipi_reaches_its_vcpu, setup, teardown),
        cmocka_unit_test_setup_teardown(test_callback_vector, setup, teardown),
        cmocka_unit_test_setup_teardown(test_raise_wakes_blocked_and_kicks_running, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_destroy_leaves_peer_consistent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_destroy_while_peer_sends, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_and_fifo_ops, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
