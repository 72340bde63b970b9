/* timer: a guest that sleeps on its one-shot timer and must wake on time.
 *
 * For each deadline (odd offsets from "now", so that a wake-up that only
 * comes with some periodic tick shows up as a late one) it arms
 * VCPUOP_set_singleshot_timer and sleeps three ways:
 *   block: SCHEDOP_block with the VIRQ_TIMER port unmasked; the upcall
 *          handler counts the event;
 *   poll:  SCHEDOP_poll on the VIRQ_TIMER port, masked (no upcall);
 *   hlt:   sti; hlt, woken by the upcall.
 * and checks that it woke after the deadline and at most tolerance_us
 * (command line, default 1000) after it, that the event came, and that
 * nothing else woke it. Also: a deadline in the past with
 * VCPU_SSHOTTMR_future is refused (-ETIME), without the flag it fires at
 * once; SCHEDOP_poll with a timeout and no event returns at the timeout;
 * VCPUOP_stop_singleshot_timer disarms. The wall clock in shared_info is
 * set (after 2020) and consistent (even version). Prints "timer: <mode> max
 * late <ns>" for the record. */
#include "runtime/runtime.h"

const char guest_name[] = "timer";

#define DEFAULT_TOLERANCE_US 1000u
/* Offsets of the deadlines from the moment they are armed, in µs. */
#define WALLCLOCK_2020_S 1577836800ull /* 2020-01-01 00:00:00 UTC */
static const uint32_t deadline_offsets_us[] = {1300, 3700, 7100, 500, 2900, 11300};

enum sleep_mode { SLEEP_BLOCK, SLEEP_POLL, SLEEP_HLT };
static const char *const mode_names[] = {"block", "poll", "hlt"};

static uint32_t timer_port;
static uint64_t tolerance_ns;

/* Sleeps until the timer event; returns the system time it woke at. */
static uint64_t sleep_until_event(enum sleep_mode mode, uint64_t give_up_ns, bool *got_event)
{
    uint64_t events_before = evtchn_event_count(timer_port);
    *got_event = false;
    while (!*got_event && system_time_ns() < give_up_ns) {
        switch (mode) {
        case SLEEP_BLOCK:
            wait_for_event();
            *got_event = evtchn_event_count(timer_port) != events_before;
            break;
        case SLEEP_HLT:
            halt_for_event();
            *got_event = evtchn_event_count(timer_port) != events_before;
            break;
        case SLEEP_POLL:
            sched_poll_ports(&timer_port, 1, give_up_ns);
            *got_event = evtchn_pending(timer_port);
            evtchn_clear_pending(timer_port);
            break;
        }
    }
    return system_time_ns();
}

static void sleep_test(enum sleep_mode mode)
{
    if (mode == SLEEP_POLL) {
        evtchn_mask(timer_port);
    } else {
        evtchn_unmask_port(timer_port);
    }
    evtchn_clear_pending(timer_port);
    int64_t max_late = 0, min_late = INT64_MAX;
    unsigned int on_time = 0, woke = 0;
    for (unsigned int i = 0; i < ARRAY_SIZE(deadline_offsets_us); i++) {
        uint64_t deadline = system_time_ns() + deadline_offsets_us[i] * NS_PER_US;
        long rc = singleshot_timer_set(0, deadline, 0);
        if (rc != 0) {
            check_eq_int("set_singleshot_timer succeeds", 0, rc);
            return;
        }
        bool got_event;
        /* Give up well after the tolerance: a lost timer fails, not hangs. */
        uint64_t woke_at = sleep_until_event(mode, deadline + 100 * tolerance_ns, &got_event);
        int64_t late = (int64_t)(woke_at - deadline);
        printf("timer: %s deadline +%u us: woke %ld ns late%s\n", mode_names[mode],
               deadline_offsets_us[i], (long)late, got_event ? "" : " WITHOUT the event");
        woke += got_event;
        on_time += got_event && late >= 0 && (uint64_t)late <= tolerance_ns;
        max_late = late > max_late ? late : max_late;
        min_late = late < min_late ? late : min_late;
    }
    char what[96];
    snprintf(what, sizeof(what), "%s: every timer event arrived", mode_names[mode]);
    check_eq_int(what, ARRAY_SIZE(deadline_offsets_us), woke);
    snprintf(what, sizeof(what), "%s: never woke before the deadline", mode_names[mode]);
    check(min_late >= 0, what);
    snprintf(what, sizeof(what), "%s: woke within %lu us of every deadline", mode_names[mode],
             (unsigned long)(tolerance_ns / NS_PER_US));
    check_eq_int(what, ARRAY_SIZE(deadline_offsets_us), on_time);
    printf("timer: %s max late %ld ns\n", mode_names[mode], (long)max_late);
}

static void edge_cases(void)
{
    evtchn_mask(timer_port);
    evtchn_clear_pending(timer_port);
    uint64_t now = system_time_ns();
    check_eq_int("a past deadline with VCPU_SSHOTTMR_future is -ETIME", -XEN_ETIME,
                 singleshot_timer_set(0, now - NS_PER_MS, VCPU_SSHOTTMR_future));

    /* Without the flag a past deadline fires at once. */
    singleshot_timer_set(0, now - NS_PER_MS, 0);
    long rc = sched_poll_ports(&timer_port, 1, system_time_ns() + 100 * tolerance_ns);
    check_eq_int("poll after a past deadline returns 0", 0, rc);
    check(evtchn_pending(timer_port), "a past deadline fires at once");
    evtchn_clear_pending(timer_port);

    /* A stopped timer does not fire: poll runs into its own timeout. */
    singleshot_timer_set(0, system_time_ns() + 2 * NS_PER_MS, 0);
    check_eq_int("stop_singleshot_timer succeeds", 0,
                 vcpu_op(VCPUOP_stop_singleshot_timer, 0, NULL));
    uint64_t timeout = system_time_ns() + 5 * NS_PER_MS;
    rc = sched_poll_ports(&timer_port, 1, timeout);
    uint64_t woke_at = system_time_ns();
    check_eq_int("poll with a timeout and no event returns 0", 0, rc);
    check(!evtchn_pending(timer_port), "a stopped timer does not fire");
    check(woke_at >= timeout && woke_at - timeout <= tolerance_ns, "poll's timeout wakes on time");
    printf("timer: poll timeout woke %ld ns late\n", (long)(woke_at - timeout));

    uint32_t bad_port = 4096; /* past the 2-level ABI's 4096 ports */
    check_eq_int("poll on a port past the last is -EINVAL", -XEN_EINVAL,
                 sched_poll_ports(&bad_port, 1, 0));
}

static void wall_clock(void)
{
    uint32_t version, sec, sec_hi, nsec;
    do {
        version = shared_info->wc_version;
        __asm__ volatile("" : : : "memory");
        sec = shared_info->wc_sec;
        sec_hi = shared_info->wc_sec_hi;
        nsec = shared_info->wc_nsec;
        __asm__ volatile("" : : : "memory");
    } while ((version & 1) != 0 || version != shared_info->wc_version);
    uint64_t boot_s = ((uint64_t)sec_hi << 32) | sec;
    uint64_t now_s = boot_s + (system_time_ns() + nsec) / NS_PER_S;
    printf("timer: wall clock at boot %lu s since 1970, now %lu\n", (unsigned long)boot_s,
           (unsigned long)now_s);
    check(now_s >= WALLCLOCK_2020_S, "the wall clock in shared_info is after 2020");
    check(nsec < NS_PER_S, "the wall clock's nanoseconds are below a second");
}

void guest_main(const struct hvm_start_info *si, const char *cmdline)
{
    (void)si;
    (void)cmdline;
    tolerance_ns = cmdline_u64("tolerance_us", DEFAULT_TOLERANCE_US) * NS_PER_US;
    if (shared_info_map() == NULL) {
        return;
    }
    wall_clock();
    long rc = evtchn_bind_virq_port(VIRQ_TIMER, 0, &timer_port);
    if (!check_eq_int("bind_virq(VIRQ_TIMER) succeeds", 0, rc)) {
        return;
    }
    printf("timer: VIRQ_TIMER on port %u, tolerance %lu us\n", timer_port,
           (unsigned long)(tolerance_ns / NS_PER_US));
    check_eq_int("upcall vector registered", 0, upcall_setup());
    evtchn_set_handler(timer_port, NULL);
    sleep_test(SLEEP_BLOCK);
    sleep_test(SLEEP_POLL);
    sleep_test(SLEEP_HLT);
    check(upcall_count(0) > 0, "upcalls arrived on the callback vector");
    edge_cases();
}
