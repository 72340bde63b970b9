/* pingpong: two domains bounce an event over an interdomain event channel.
 *
 * Command line: role=ping|pong rounds=N wait=block|poll.
 *
 * There is no xenstore to exchange the port through, so the convention is:
 * domain ids are handed out in creation order (1, 2, ...), and the image
 * lists the ping domain just before the pong domain, so pong's id is ping's
 * plus one. Ping allocates an unbound port for that id; pong, which cannot
 * know the port's number, tries to bind each of ping's ports in turn (only a
 * port left unbound for pong's id can be bound) until it succeeds or its
 * time runs out. As in Xen, binding marks pong's new port pending (for a
 * notification that may have been lost while the other end was unbound):
 * pong clears that before it counts anything, since ping has sent nothing
 * yet. Pong then sends a first event to say it is there, and both
 * take turns: ping sends and waits, pong waits and sends back, N times.
 * Each side counts exactly N events: a lost or doubled event shows.
 *
 * Waiting is either the upcall (wait=block: SCHEDOP_block, event counted
 * by the handler; the one-shot timer is armed at the give-up time so a lost
 * wake-up fails the test instead of hanging it) or SCHEDOP_poll on the
 * masked port with a timeout (wait=poll). The tests give the domains
 * different CPUs (hard affinity), so every event crosses CPUs and the
 * receiver must be woken by an IPI: the average round trip must stay under
 * max_rtt_us (command line, default 2000), which a wake-up that waits for
 * the next scheduler tick or time slice does not. */
#include "runtime/runtime.h"

const char guest_name[] = "pingpong";

#define DEFAULT_ROUNDS 1000u
#define DEFAULT_MAX_RTT_US 2000u
#define SEARCH_PORTS_MAX 64u /* ping's ports pong tries */
#define FIND_PEER_TIMEOUT_NS (10 * NS_PER_S)
#define ROUND_TIMEOUT_NS (2 * NS_PER_S) /* per event: far beyond any scheduling delay */

static uint32_t port;
static uint32_t watchdog_port; /* VIRQ_TIMER: ends a block that nothing else ends */
static bool use_poll;

/* What a lost event left behind, for whoever debugs it. */
static void report_lost_event(uint64_t seen)
{
    volatile struct vcpu_info *vi = this_vcpu_info();
    printf("pingpong: no event after %lu: port %u pending %d masked %d, upcall_pending %u "
           "mask %u sel 0x%lx, events counted %lu, upcalls %lu\n",
           (unsigned long)seen, port, evtchn_pending(port),
           (int)((shared_info->evtchn_mask[port / 64] >> (port % 64)) & 1),
           vi->evtchn_upcall_pending, vi->evtchn_upcall_mask, (unsigned long)vi->evtchn_pending_sel,
           (unsigned long)evtchn_event_count(port), (unsigned long)upcall_count(0));
}

/* Waits for the next event on the port; false after @timeout_ns. */
static bool wait_event(uint64_t *seen, uint64_t timeout_ns)
{
    uint64_t give_up = system_time_ns() + timeout_ns;
    if (use_poll) {
        while (!evtchn_pending(port)) {
            if (system_time_ns() >= give_up) {
                report_lost_event(*seen);
                return false;
            }
            sched_poll_ports(&port, 1, give_up);
        }
        evtchn_clear_pending(port);
        (*seen)++;
        return true;
    }
    singleshot_timer_set(0, give_up, 0);
    while (evtchn_event_count(port) == *seen) {
        if (system_time_ns() >= give_up) {
            report_lost_event(*seen);
            return false;
        }
        wait_for_event();
    }
    (*seen)++;
    return true;
}

static bool find_ping(uint16_t ping_domid)
{
    uint64_t give_up = system_time_ns() + FIND_PEER_TIMEOUT_NS;
    while (system_time_ns() < give_up) {
        for (uint32_t remote = 1; remote < SEARCH_PORTS_MAX; remote++) {
            if (evtchn_bind_interdomain_port(ping_domid, remote, &port) == 0) {
                printf("pingpong: bound to dom%u port %u as port %u\n", ping_domid, remote, port);
                return true;
            }
        }
        sched_op(SCHEDOP_yield, NULL);
    }
    return false;
}

void guest_main(const struct hvm_start_info *si, const char *cmdline)
{
    (void)si;
    (void)cmdline;
    char role[8] = "", wait[8] = "block";
    cmdline_get("role", role, sizeof(role));
    cmdline_get("wait", wait, sizeof(wait));
    uint64_t rounds = cmdline_u64("rounds", DEFAULT_ROUNDS);
    bool ping = strcmp(role, "ping") == 0;
    use_poll = strcmp(wait, "poll") == 0;
    if (!check(ping || strcmp(role, "pong") == 0, "role is ping or pong") ||
        shared_info_map() == NULL) {
        return;
    }
    uint16_t domid = cpuid_domid();
    printf("pingpong: %s is dom%u, waits by %s\n", role, domid, use_poll ? "poll" : "block");

    /* No domain may signal a port it does not have. */
    check_eq_int("send on a port never allocated is -EINVAL", -XEN_EINVAL, evtchn_send_port(200));

    if (ping) {
        long rc = evtchn_alloc_unbound_port((uint16_t)(domid + 1), &port);
        if (!check_eq_int("alloc_unbound for the next domain succeeds", 0, rc)) {
            return;
        }
        printf("pingpong: port %u is for dom%u\n", port, domid + 1);
    } else if (!check(find_ping((uint16_t)(domid - 1)), "bound to ping's port")) {
        return;
    } else {
        evtchn_clear_pending(port); /* the bind's own notification */
    }
    if (use_poll) {
        evtchn_mask(port);
    } else {
        evtchn_set_handler(port, NULL);
        check_eq_int("upcall vector registered", 0, upcall_setup());
        check_eq_int("VIRQ_TIMER bound as a watchdog", 0,
                     evtchn_bind_virq_port(VIRQ_TIMER, 0, &watchdog_port));
        evtchn_unmask_port(port);
    }

    uint64_t seen = 0, sent = 0;
    bool ok = true;
    if (ping) {
        ok = check(wait_event(&seen, FIND_PEER_TIMEOUT_NS), "pong said hello");
    } else {
        ok = check_eq_int("the hello is sent", 0, evtchn_send_port(port));
    }
    uint64_t hello = seen; /* ping has counted pong's hello */
    uint64_t start = system_time_ns();
    for (uint64_t i = 0; ok && i < rounds; i++) {
        if (ping) {
            ok = evtchn_send_port(port) == 0 && wait_event(&seen, ROUND_TIMEOUT_NS);
        } else {
            ok = wait_event(&seen, ROUND_TIMEOUT_NS) && evtchn_send_port(port) == 0;
        }
        sent += ok;
    }
    uint64_t elapsed = system_time_ns() - start;
    check_eq_int("every round trip completed", (int64_t)rounds, (int64_t)sent);
    check_eq_int("one event per round", (int64_t)rounds, (int64_t)(seen - hello));
    if (sent > 0) {
        uint64_t max_rtt_ns = cmdline_u64("max_rtt_us", DEFAULT_MAX_RTT_US) * NS_PER_US;
        printf("pingpong: %s %lu round trips, %lu ns each\n", role, (unsigned long)sent,
               (unsigned long)(elapsed / sent));
        char what[80];
        snprintf(what, sizeof(what), "a round trip takes under %lu us on average",
                 (unsigned long)(max_rtt_ns / NS_PER_US));
        check(elapsed / sent <= max_rtt_ns, what);
    }
    if (!ping) {
        /* Let ping see the last reply before this domain (and its port) goes. */
        spin_until_ns(system_time_ns() + 10 * NS_PER_MS);
    }
}
