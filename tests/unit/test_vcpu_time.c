/* Unit tests of vCPU time, blocking and polling (libxencore/core/vcpu_time.c)
 * and of the vcpu_op / sched_op hypercalls that need no guest memory.
 *
 * What a guest relies on, against hand-built domains (fake_domain.h) and the
 * host arch's virtual clock: the one-shot timer sends VIRQ_TIMER to its vCPU
 * at its deadline and not before, can be stopped, and refuses a past deadline
 * with VCPU_SSHOTTMR_future (-ETIME); SCHEDOP_poll returns at once when a port
 * is pending, else sleeps until an event on one of its ports (masked or not)
 * or its timeout, and ignores other ports; a bad port or too many ports is
 * -EINVAL and leaves the vCPU running; SCHEDOP_block does not sleep over a
 * deliverable upcall; vcpu_time_info and the wall clock are valid (even
 * version, non-zero scale, the platform's boot time); VCPUOP_up needs an
 * initialised vCPU, is_up/down report and change what the guest sees, and
 * vCPU ids are range-checked. */
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
#define DEADLINE_NS 1000000ULL           /* 1 ms */
#define HOST_WALLCLOCK_SEC 1700000000ULL /* what arch/host reports as boot time */

struct fixture {
    struct fake_arena arena;
    uint64_t free_frames;
    struct domain *a, *b;
    uint32_t timer_port; /* A's VIRQ_TIMER on vCPU 0, masked (poll only) */
    uint32_t pa, pb;     /* A <-> B interdomain */
};

static long bind_virq(struct domain *d, uint32_t virq, uint32_t vcpu, uint32_t *port)
{
    union evtchn_op_arg b = {.bind_virq = {.virq = virq, .vcpu = vcpu}};
    long rc = evtchn_op(d->vcpus[0], EVTCHNOP_bind_virq, &b);
    *port = b.bind_virq.port;
    return rc;
}

static long send(struct domain *d, uint32_t port)
{
    union evtchn_op_arg s = {.send = {.port = port}};
    return evtchn_op(d->vcpus[0], EVTCHNOP_send, &s);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    assert_int_equal(fake_arena_init(&f->arena), 0);
    f->free_frames = frame_alloc_free_frames(&host_frames);
    host_set_cpu_count(2);
    host_set_this_cpu(0);
    f->a = fake_domain(DOM_A, 2);
    f->b = fake_domain(DOM_B, 1);
    assert_non_null(f->a);
    assert_non_null(f->b);
    assert_int_equal(bind_virq(f->a, VIRQ_TIMER, 0, &f->timer_port), 0);
    fake_mask(f->a, f->timer_port);
    union evtchn_op_arg u = {.alloc_unbound = {.dom = DOMID_SELF, .remote_dom = DOM_B}};
    assert_int_equal(evtchn_op(f->a->vcpus[0], EVTCHNOP_alloc_unbound, &u), 0);
    f->pa = u.alloc_unbound.port;
    struct evtchn_bind_interdomain b = {.remote_dom = DOM_A, .remote_port = f->pa};
    assert_int_equal(evtchn_bind_interdomain_with(f->b->vcpus[0], f->a, &b), 0);
    f->pb = b.local_port;
    fake_mask(f->a, f->pa);
    fake_clear_events(f->a);
    fake_clear_events(f->b);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    /* Arm every timer a vCPU has, then destroy: none may fire into freed
     * memory afterwards (AddressSanitizer watches the freed vCPUs). */
    for (unsigned int i = 0; i < f->a->nr_vcpus; i++)
        assert_int_equal(vcpu_singleshot_set(f->a->vcpus[i], arch_now_ns() + DEADLINE_NS, 0), 0);
    uint32_t ports[] = {f->pb};
    assert_int_equal(vcpu_poll(f->b->vcpus[0], ports, 1, arch_now_ns() + DEADLINE_NS), 0);
    fake_domain_destroy(f->a);
    fake_domain_destroy(f->b);
    host_advance_time(100 * DEADLINE_NS);
    assert_int_equal(frame_alloc_free_frames(&host_frames), f->free_frames);
    while (host_next_kick() >= 0)
        ;
    fake_arena_fini(&f->arena);
    free(f);
    return 0;
}

static struct hypercall_args call(struct vcpu *v, uint64_t number, uint64_t a0, uint64_t a1,
                                  uint64_t a2)
{
    static uint64_t regs[5];
    regs[0] = a0;
    regs[1] = a1;
    regs[2] = a2;
    regs[3] = regs[4] = 0;
    struct hypercall_args args = {.number = number, .arg = regs, .cpl = 0};
    core_hypercall(v, &args);
    return args;
}

/* ---- One-shot timer ------------------------------------------------------- */

static void test_singleshot_fires_virq_timer_at_deadline(void **state)
{
    struct fixture *f = *state;
    struct vcpu *v = f->a->vcpus[0];
    uint32_t port1;
    assert_int_equal(bind_virq(f->a, VIRQ_TIMER, 1, &port1), 0);
    uint64_t deadline = arch_now_ns() + DEADLINE_NS;
    assert_int_equal(vcpu_singleshot_set(v, deadline, VCPU_SSHOTTMR_future), 0);
    host_advance_time(DEADLINE_NS - 1);
    assert_int_equal(fake_port_pending(f->a, f->timer_port), 0);
    host_advance_time(1);
    assert_int_equal(fake_port_pending(f->a, f->timer_port), 1);
    assert_int_equal(fake_port_pending(f->a, port1), 0); /* vCPU 1's timer is its own */
    /* One shot: nothing more fires. */
    fake_clear_events(f->a);
    host_advance_time(10 * DEADLINE_NS);
    assert_int_equal(fake_port_pending(f->a, f->timer_port), 0);
}

static void test_singleshot_past_deadline(void **state)
{
    struct fixture *f = *state;
    struct vcpu *v = f->a->vcpus[0];
    host_advance_time(DEADLINE_NS);
    uint64_t past = arch_now_ns() - 1;
    assert_int_equal(vcpu_singleshot_set(v, past, VCPU_SSHOTTMR_future), -XEN_ETIME);
    host_advance_time(DEADLINE_NS);
    assert_int_equal(fake_port_pending(f->a, f->timer_port), 0); /* nothing armed */
    /* Without the flag a past deadline fires at once. */
    assert_int_equal(vcpu_singleshot_set(v, past, 0), 0);
    host_advance_time(0);
    assert_int_equal(fake_port_pending(f->a, f->timer_port), 1);
}

static void test_singleshot_stop_and_rearm(void **state)
{
    struct fixture *f = *state;
    struct vcpu *v = f->a->vcpus[0];
    assert_int_equal(vcpu_singleshot_set(v, arch_now_ns() + DEADLINE_NS, 0), 0);
    vcpu_singleshot_stop(v);
    host_advance_time(2 * DEADLINE_NS);
    assert_int_equal(fake_port_pending(f->a, f->timer_port), 0);
    /* Setting again replaces the deadline. */
    assert_int_equal(vcpu_singleshot_set(v, arch_now_ns() + DEADLINE_NS, 0), 0);
    assert_int_equal(vcpu_singleshot_set(v, arch_now_ns() + 3 * DEADLINE_NS, 0), 0);
    host_advance_time(2 * DEADLINE_NS);
    assert_int_equal(fake_port_pending(f->a, f->timer_port), 0);
    host_advance_time(DEADLINE_NS);
    assert_int_equal(fake_port_pending(f->a, f->timer_port), 1);
}

/* ---- Poll ----------------------------------------------------------------- */

static void test_poll_returns_at_once_when_pending(void **state)
{
    struct fixture *f = *state;
    struct vcpu *v = f->a->vcpus[0];
    assert_int_equal(send(f->b, f->pb), 0);
    uint32_t ports[] = {f->timer_port, f->pa};
    assert_int_equal(vcpu_poll(v, ports, 2, 0), 0);
    assert_false(v->blocked);
    assert_false(v->polling);
}

static void test_poll_wakes_on_masked_event(void **state)
{
    struct fixture *f = *state;
    struct vcpu *v = f->a->vcpus[0];
    uint32_t ports[] = {f->pa};
    assert_int_equal(vcpu_poll(v, ports, 1, 0), 0);
    assert_true(v->blocked);
    host_advance_time(DEADLINE_NS);
    assert_true(v->blocked);                /* no timeout given */
    assert_int_equal(send(f->b, f->pb), 0); /* pa is masked: no upcall, still a wake */
    assert_false(v->blocked);
    assert_false(v->polling);
    assert_int_equal(fake_vcpu_info(f->a, 0)->evtchn_upcall_pending, 0);
}

static void test_poll_ignores_other_ports(void **state)
{
    struct fixture *f = *state;
    struct vcpu *v = f->a->vcpus[0];
    uint32_t ports[] = {f->timer_port};
    assert_int_equal(vcpu_poll(v, ports, 1, 0), 0);
    assert_int_equal(send(f->b, f->pb), 0);
    assert_true(v->blocked);
    /* Its timer's VIRQ is what it waits for. */
    assert_int_equal(vcpu_singleshot_set(v, arch_now_ns() + DEADLINE_NS, 0), 0);
    host_advance_time(DEADLINE_NS);
    assert_false(v->blocked);
}

static void test_poll_times_out(void **state)
{
    struct fixture *f = *state;
    struct vcpu *v = f->a->vcpus[0];
    uint32_t ports[] = {f->pa};
    uint64_t timeout = arch_now_ns() + DEADLINE_NS;
    assert_int_equal(vcpu_poll(v, ports, 1, timeout), 0);
    host_advance_time(DEADLINE_NS - 1);
    assert_true(v->blocked);
    host_advance_time(1);
    assert_false(v->blocked);
    assert_int_equal(fake_port_pending(f->a, f->pa), 0);
    /* A timeout already past returns at once. */
    assert_int_equal(vcpu_poll(v, ports, 1, arch_now_ns()), 0);
    assert_false(v->blocked);
}

static void test_poll_with_no_ports_waits_for_any(void **state)
{
    struct fixture *f = *state;
    struct vcpu *v = f->a->vcpus[0];
    assert_int_equal(vcpu_poll(v, NULL, 0, 0), 0);
    assert_true(v->blocked);
    assert_int_equal(send(f->b, f->pb), 0);
    assert_false(v->blocked);
}

static void test_poll_bad_arguments(void **state)
{
    struct fixture *f = *state;
    struct vcpu *v = f->a->vcpus[0];
    uint32_t ports[SCHED_POLL_MAX_PORTS + 1];
    for (unsigned int i = 0; i <= SCHED_POLL_MAX_PORTS; i++)
        ports[i] = f->pa;
    assert_int_equal(vcpu_poll(v, ports, SCHED_POLL_MAX_PORTS + 1, 0), -XC_EINVAL);
    assert_false(v->blocked);
    ports[3] = EVTCHN_2L_PORTS;
    assert_int_equal(vcpu_poll(v, ports, 4, 0), -XC_EINVAL);
    assert_false(v->blocked);
    ports[3] = UINT32_MAX;
    assert_int_equal(vcpu_poll(v, ports, 4, 0), -XC_EINVAL);
    assert_false(v->blocked);
    assert_false(v->polling);
    /* The most ports allowed is fine. */
    ports[3] = f->timer_port;
    assert_int_equal(vcpu_poll(v, ports, SCHED_POLL_MAX_PORTS, 0), 0);
    assert_true(v->blocked);
}

/* ---- Block ---------------------------------------------------------------- */

static void test_block_and_upcalls(void **state)
{
    struct fixture *f = *state;
    struct vcpu *v = f->a->vcpus[0];
    assert_int_equal(evtchn_set_callback_irq(v, FAKE_CALLBACK_VALUE), 0);
    uint32_t ipi;
    union evtchn_op_arg b = {.bind_ipi = {.vcpu = 0}};
    assert_int_equal(evtchn_op(v, EVTCHNOP_bind_ipi, &b), 0);
    ipi = b.bind_ipi.port;

    vcpu_block(v);
    assert_true(v->blocked);
    assert_int_equal(send(f->a, ipi), 0); /* unmasked: upcall, wake */
    assert_false(v->blocked);
    /* The upcall is still pending (not yet taken): block returns at once. */
    vcpu_block(v);
    assert_false(v->blocked);
    /* Masked upcalls do not keep it awake (HLT with events masked). */
    fake_vcpu_info(f->a, 0)->evtchn_upcall_mask = 1;
    vcpu_block(v);
    assert_true(v->blocked);
    fake_vcpu_info(f->a, 0)->evtchn_upcall_mask = 0;
    vcpu_wake(v);
    /* Through the hypercall, which reports the state change. */
    fake_clear_events(f->a);
    struct hypercall_args r = call(v, HYPERVISOR_sched_op, SCHEDOP_block, 0, 0);
    assert_int_equal((long)r.result, 0);
    assert_true(r.state_changed);
    assert_true(v->blocked);
}

/* ---- Guest time ----------------------------------------------------------- */

static void test_time_info_and_wallclock(void **state)
{
    struct fixture *f = *state;
    struct vcpu *v = f->a->vcpus[1];
    struct shared_info *si = fake_shared_info(f->a);
    assert_int_equal(si->wc_version % 2, 0);
    assert_int_not_equal(si->wc_version, 0);
    assert_int_equal(si->wc_sec, (uint32_t)HOST_WALLCLOCK_SEC);
    assert_int_equal(si->wc_sec_hi, (uint32_t)(HOST_WALLCLOCK_SEC >> 32));

    struct vcpu_time_info *t = &si->vcpu_info[1].time;
    assert_int_equal(t->version % 2, 0);
    assert_int_not_equal(t->tsc_to_system_mul, 0);
    uint32_t version = t->version;
    host_advance_time(5 * DEADLINE_NS);
    v->processor = 1;
    vcpu_time_refresh(v);
    assert_int_equal(v->time_cpu, 1);
    assert_int_equal(t->version, version + 2);
    assert_int_equal(t->system_time, arch_now_ns());
    /* A guest that scribbled an odd version still gets an even one. */
    t->version = 7;
    vcpu_time_refresh(v);
    assert_int_equal(t->version, 8);
    /* Mapping shared_info rewrites the wall clock (version moves on). */
    uint32_t wc = si->wc_version;
    vcpu_time_shared_info_mapped(f->a);
    assert_int_equal(si->wc_version, wc + 2);
}

/* ---- vcpu_op and sched_op without guest memory ---------------------------- */

static void test_vcpu_up_down_is_up(void **state)
{
    struct fixture *f = *state;
    struct vcpu *v0 = f->a->vcpus[0], *v1 = f->a->vcpus[1];
    v1->up = false;
    v1->initialised = false;
    assert_int_equal((long)call(v0, HYPERVISOR_vcpu_op, VCPUOP_is_up, 1, 0).result, 0);
    assert_int_equal((long)call(v0, HYPERVISOR_vcpu_op, VCPUOP_up, 1, 0).result, -XC_EINVAL);
    assert_false(v1->up);
    v1->initialised = true; /* as VCPUOP_initialise leaves it */
    assert_int_equal((long)call(v0, HYPERVISOR_vcpu_op, VCPUOP_up, 1, 0).result, 0);
    assert_true(v1->up);
    assert_int_equal((long)call(v0, HYPERVISOR_vcpu_op, VCPUOP_is_up, 1, 0).result, 1);
    assert_int_equal((long)call(v0, HYPERVISOR_vcpu_op, VCPUOP_up, 1, 0).result, 0); /* again */
    /* Down, from itself: the caller learns to stop at once. */
    struct hypercall_args r = call(v1, HYPERVISOR_vcpu_op, VCPUOP_down, 1, 0);
    assert_int_equal((long)r.result, 0);
    assert_true(r.state_changed);
    assert_false(v1->up);
    assert_int_equal((long)call(v0, HYPERVISOR_vcpu_op, VCPUOP_is_up, 1, 0).result, 0);
    /* Down on another CPU: that CPU is asked to choose again. */
    assert_int_equal((long)call(v0, HYPERVISOR_vcpu_op, VCPUOP_up, 1, 0).result, 0);
    v1->processor = 1;
    v1->is_running = true;
    uint64_t kicks = host_kicks_sent(1);
    assert_int_equal((long)call(v0, HYPERVISOR_vcpu_op, VCPUOP_down, 1, 0).result, 0);
    assert_true(host_kicks_sent(1) > kicks);
    v1->is_running = false;
    /* VCPUOP_initialise reads its argument first (Xen's order): a pointer
     * the host cannot reach is -EFAULT and the vCPU stays as it was. */
    assert_int_equal((long)call(v0, HYPERVISOR_vcpu_op, VCPUOP_initialise, 1, 0x1000).result,
                     -XC_EFAULT);
    assert_false(v1->up);
}

static void test_vcpu_op_checks(void **state)
{
    struct fixture *f = *state;
    struct vcpu *v0 = f->a->vcpus[0];
    static const uint64_t bad_ids[] = {2, 128, 1ULL << 32, UINT64_MAX};
    for (unsigned int i = 0; i < sizeof(bad_ids) / sizeof(bad_ids[0]); i++)
        assert_int_equal((long)call(v0, HYPERVISOR_vcpu_op, VCPUOP_is_up, bad_ids[i], 0).result,
                         -XC_ENOENT);
    assert_int_equal((long)call(v0, HYPERVISOR_vcpu_op, VCPUOP_stop_periodic_timer, 0, 0).result,
                     0);
    assert_int_equal((long)call(v0, HYPERVISOR_vcpu_op, VCPUOP_set_periodic_timer, 0, 0).result,
                     -XC_ENOSYS);
    /* Another vCPU's one-shot timer is not ours to touch (Xen: -EINVAL). */
    assert_int_equal((long)call(v0, HYPERVISOR_vcpu_op, VCPUOP_stop_singleshot_timer, 1, 0).result,
                     -XC_EINVAL);
    assert_int_equal(
        (long)call(v0, HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, 1, 0x1000).result,
        -XC_EINVAL);
    /* Pointers the host cannot reach are -EFAULT, never a crash. */
    assert_int_equal(
        (long)call(v0, HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, 0, 0x1000).result,
        -XC_EFAULT);
    assert_int_equal((long)call(v0, HYPERVISOR_sched_op, SCHEDOP_poll, 0x1000, 0).result,
                     -XC_EFAULT);
    assert_int_equal((long)call(v0, HYPERVISOR_event_channel_op, EVTCHNOP_send, 0x1000, 0).result,
                     -XC_EFAULT);
    assert_int_equal((long)call(v0, HYPERVISOR_sched_op, SCHEDOP_remote_shutdown, 0, 0).result,
                     -XC_EPERM);
    assert_int_equal(
        (long)call(v0, HYPERVISOR_event_channel_op, EVTCHNOP_init_control, 0x1000, 0).result,
        -XC_ENOSYS);
    assert_int_equal(
        (long)call(v0, HYPERVISOR_event_channel_op, EVTCHNOP_expand_array, 0x1000, 0).result,
        -XC_ENOSYS);
    assert_false(v0->blocked);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_singleshot_fires_virq_timer_at_deadline, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_singleshot_past_deadline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_singleshot_stop_and_rearm, setup, teardown),
        cmocka_unit_test_setup_teardown(test_poll_returns_at_once_when_pending, setup, teardown),
        cmocka_unit_test_setup_teardown(test_poll_wakes_on_masked_event, setup, teardown),
        cmocka_unit_test_setup_teardown(test_poll_ignores_other_ports, setup, teardown),
        cmocka_unit_test_setup_teardown(test_poll_times_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_poll_with_no_ports_waits_for_any, setup, teardown),
        cmocka_unit_test_setup_teardown(test_poll_bad_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_block_and_upcalls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_time_info_and_wallclock, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vcpu_up_down_is_up, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vcpu_op_checks, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
