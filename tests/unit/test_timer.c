/* Unit tests of the per-CPU one-shot timers (libxencore/core/timer.c).
 *
 * What the rest of the core relies on: a timer fires once, at or after its
 * deadline and never before; timers on one CPU fire in deadline order; re-arming
 * replaces the old deadline; a stopped timer never fires; a timer moved to
 * another CPU fires there and not on the old one; the hardware timer is never
 * armed later than the earliest pending deadline; arming a remote CPU's earliest timer
 * sends it an IPI so it can re-arm. Driven by the host arch's virtual CPUs and
 * clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "arch/arch.h"
#include "arch/host/arch_host.h"
#include "core/timer.h"

#define MS 1000000ULL

struct record {
    unsigned int fired;
    uint64_t when;
    unsigned int on_cpu;
    unsigned int order; /* global firing sequence number */
};

static unsigned int sequence;

static void on_fire(void *data)
{
    struct record *r = data;
    r->fired++;
    r->when = arch_now_ns();
    r->on_cpu = arch_this_cpu();
    r->order = ++sequence;
}

static int setup(void **state)
{
    (void)state;
    host_set_cpu_count(4);
    host_set_this_cpu(0);
    sequence = 0;
    return 0;
}

static void fires_once_at_deadline_in_order(void **state)
{
    (void)state;
    uint64_t base = arch_now_ns();
    struct record a = { 0 }, b = { 0 }, c = { 0 };
    struct timer ta, tb, tc;
    timer_init(&ta, on_fire, &a);
    timer_init(&tb, on_fire, &b);
    timer_init(&tc, on_fire, &c);
    timer_set(&tc, base + 3 * MS, 0);
    timer_set(&ta, base + 1 * MS, 0);
    timer_set(&tb, base + 2 * MS, 0);
    assert_int_equal(host_timer_deadline(0), base + 1 * MS);

    host_advance_time(1 * MS - 1);
    assert_int_equal(a.fired, 0); /* never early */
    host_advance_time(10 * MS);
    assert_int_equal(a.fired, 1);
    assert_int_equal(b.fired, 1);
    assert_int_equal(c.fired, 1);
    assert_true(a.when >= base + 1 * MS);
    assert_true(a.order < b.order && b.order < c.order);
    assert_false(timer_armed(&ta));
    host_advance_time(10 * MS);
    assert_int_equal(a.fired + b.fired + c.fired, 3); /* one-shot */
}

static void rearm_replaces_and_stop_cancels(void **state)
{
    (void)state;
    uint64_t base = arch_now_ns();
    struct record a = { 0 }, b = { 0 };
    struct timer ta, tb;
    timer_init(&ta, on_fire, &a);
    timer_init(&tb, on_fire, &b);
    timer_set(&ta, base + 1 * MS, 0);
    timer_set(&ta, base + 5 * MS, 0); /* later: the first deadline is gone */
    timer_set(&tb, base + 2 * MS, 0);
    timer_stop(&tb);
    assert_false(timer_armed(&tb));
    /* Stopping does not re-program the hardware: it may fire early for
     * nothing (timers_run re-arms), but never later than the earliest. */
    assert_true(host_timer_deadline(0) <= base + 5 * MS);
    host_advance_time(4 * MS);
    assert_int_equal(a.fired, 0);
    assert_int_equal(b.fired, 0);
    host_advance_time(2 * MS);
    assert_int_equal(a.fired, 1);
    assert_int_equal(b.fired, 0);
    timer_stop(&ta); /* harmless when not armed */
    timer_kill(&tb);
}

static void past_deadline_fires_at_next_run(void **state)
{
    (void)state;
    host_advance_time(10 * MS);
    struct record a = { 0 };
    struct timer ta;
    timer_init(&ta, on_fire, &a);
    timer_set(&ta, arch_now_ns() - 5 * MS, 0);
    assert_true(timer_armed(&ta));
    host_advance_time(0);
    timers_run(0);
    assert_int_equal(a.fired, 1);
}

static void moved_timer_fires_on_new_cpu_only(void **state)
{
    (void)state;
    uint64_t base = arch_now_ns();
    struct record a = { 0 };
    struct timer ta;
    timer_init(&ta, on_fire, &a);
    timer_set(&ta, base + 1 * MS, 0);
    uint64_t ipis_before = host_ipis_sent(2);
    timer_set(&ta, base + 2 * MS, 2); /* from CPU 0 to CPU 2 */
    /* The earliest timer of a remote CPU changed: it is told to re-arm. */
    assert_true(host_ipis_sent(2) > ipis_before);
    while (host_deliver_ipi())
        ;
    assert_int_equal(host_timer_deadline(2), base + 2 * MS);
    assert_true(host_timer_deadline(0) == HOST_NO_DEADLINE ||
                host_timer_deadline(0) < base + 2 * MS);
    host_advance_time(3 * MS);
    assert_int_equal(a.fired, 1);
    assert_int_equal(a.on_cpu, 2);
    host_set_this_cpu(0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(fires_once_at_deadline_in_order, setup),
        cmocka_unit_test_setup(rearm_replaces_and_stop_cancels, setup),
        cmocka_unit_test_setup(past_deadline_fires_at_next_run, setup),
        cmocka_unit_test_setup(moved_timer_fires_on_new_cpu_only, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
