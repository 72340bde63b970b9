/* vcpus: a multi-vCPU guest brings up its secondary vCPUs.
 *
 * Command line: vcpus=N (the domain's vCPU count, 2..GUEST_MAX_VCPUS).
 * vCPU 0 gives each other vCPU a 64-bit start state (VCPUOP_initialise) and
 * starts it (VCPUOP_up). Each one reports in: it says who it is (its stack
 * and CPUID leaf 0x40000004 must agree), reads system time from its own
 * vcpu_time_info, binds an IPI event channel to itself and waits for an
 * event on it with upcalls; vCPU 0 sends one event to each, and each must
 * take it in its own upcall. Then each takes itself down (VCPUOP_down) and
 * vCPU 0 sees VCPUOP_is_up go to 0. Each vCPU also reads system time
 * across many yields (which lets the scheduler move it between CPUs) and
 * checks that it never goes backwards. Also: initialising a vCPU that is up is
 * -EEXIST, starting one past the domain's count is -ENOENT, and a vCPU that
 * was never initialised cannot be started (-EINVAL). */
#include "runtime/runtime.h"

const char guest_name[] = "vcpus";

#define REPORT_TIMEOUT_NS (10 * NS_PER_S)

static volatile bool reported[GUEST_MAX_VCPUS];
static volatile bool identity_ok[GUEST_MAX_VCPUS];
static volatile bool got_ipi[GUEST_MAX_VCPUS];
static volatile uint32_t ipi_port[GUEST_MAX_VCPUS];
static volatile uint64_t seen_time[GUEST_MAX_VCPUS];
static volatile bool time_monotonic[GUEST_MAX_VCPUS];

#define MONOTONIC_YIELDS 200u

/* System time read around MONOTONIC_YIELDS yields never goes backwards. */
static bool time_stays_monotonic(void)
{
    uint64_t last = system_time_ns();
    bool ok = true;
    for (unsigned int i = 0; i < MONOTONIC_YIELDS; i++) {
        sched_op(SCHEDOP_yield, NULL);
        uint64_t now = system_time_ns();
        ok = ok && now >= last;
        last = now;
    }
    return ok;
}

static void secondary(unsigned int id)
{
    unsigned int from_cpuid = cpuid_vcpu_id();
    identity_ok[id] = from_cpuid == id;
    time_monotonic[id] = time_stays_monotonic();
    seen_time[id] = system_time_ns();
    uint32_t port = 0;
    long rc = evtchn_bind_ipi_port(id, &port);
    printf("guest: vcpu %u up (CPUID says %u), time %lu ms, IPI port %u (rc %ld)\n", id, from_cpuid,
           (unsigned long)(seen_time[id] / NS_PER_MS), port, rc);
    if (rc == 0) {
        upcall_setup();
        ipi_port[id] = port;
    }
    __atomic_store_n(&reported[id], true, __ATOMIC_SEQ_CST);
    if (rc != 0) {
        vcpu_exit();
    }
    uint64_t give_up = system_time_ns() + REPORT_TIMEOUT_NS;
    while (evtchn_event_count(port) == 0 && system_time_ns() < give_up) {
        wait_for_event();
    }
    got_ipi[id] = evtchn_event_count(port) > 0 && upcall_count(id) > 0;
    vcpu_exit();
}

static bool wait_all(volatile bool *flags, unsigned int count)
{
    uint64_t give_up = system_time_ns() + REPORT_TIMEOUT_NS;
    for (;;) {
        bool all = true;
        for (unsigned int id = 1; id < count; id++) {
            all = all && flags[id];
        }
        if (all) {
            return true;
        }
        if (system_time_ns() >= give_up) {
            return false;
        }
        sched_op(SCHEDOP_yield, NULL);
    }
}

void guest_main(const struct hvm_start_info *si, const char *cmdline)
{
    (void)si;
    (void)cmdline;
    unsigned int count = (unsigned int)cmdline_u64("vcpus", 4);
    if (!check(count >= 2 && count <= GUEST_MAX_VCPUS, "vcpus= is 2..8") ||
        shared_info_map() == NULL) {
        return;
    }
    check_eq_int("VCPUOP_is_up(1) before it starts", 0, vcpu_op(VCPUOP_is_up, 1, NULL));
    check_eq_int("VCPUOP_up of a vCPU never initialised is -EINVAL", -XEN_EINVAL,
                 vcpu_op(VCPUOP_up, 1, NULL));
    check_eq_int("VCPUOP_up past the domain's vCPUs is -ENOENT", -XEN_ENOENT,
                 vcpu_op(VCPUOP_up, count, NULL));

    for (unsigned int id = 1; id < count; id++) {
        char what[64];
        snprintf(what, sizeof(what), "vcpu %u initialised and started", id);
        check_eq_int(what, 0, vcpu_start(id, secondary));
    }
    check(time_stays_monotonic(), "vcpu 0: system time never went backwards");
    check(wait_all(reported, count), "every secondary vCPU reported in");
    uint64_t now = system_time_ns();
    for (unsigned int id = 1; id < count; id++) {
        char what[80];
        snprintf(what, sizeof(what), "vcpu %u: its stack and CPUID agree on its id", id);
        check(identity_ok[id], what);
        snprintf(what, sizeof(what), "vcpu %u: its system time is the domain's", id);
        check(reported[id] && seen_time[id] > 0 && seen_time[id] <= now, what);
        snprintf(what, sizeof(what), "vcpu %u: system time never went backwards", id);
        check(time_monotonic[id], what);
        snprintf(what, sizeof(what), "vcpu %u: VCPUOP_is_up is 1", id);
        check_eq_int(what, 1, vcpu_op(VCPUOP_is_up, id, NULL));
    }
    struct vcpu_hvm_context ctx;
    vcpu_start_context(&ctx, 1, secondary);
    check_eq_int("VCPUOP_initialise of a vCPU that is up is -EEXIST", -XEN_EEXIST,
                 vcpu_op(VCPUOP_initialise, 1, &ctx));

    for (unsigned int id = 1; id < count; id++) {
        if (ipi_port[id] != 0) {
            evtchn_send_port(ipi_port[id]);
        }
    }
    uint64_t give_up = system_time_ns() + REPORT_TIMEOUT_NS;
    for (unsigned int id = 1; id < count; id++) {
        while (vcpu_op(VCPUOP_is_up, id, NULL) != 0 && system_time_ns() < give_up) {
            sched_op(SCHEDOP_yield, NULL);
        }
        char what[80];
        snprintf(what, sizeof(what), "vcpu %u: took the IPI event in its own upcall", id);
        check(got_ipi[id], what);
        snprintf(what, sizeof(what), "vcpu %u: VCPUOP_down on itself, is_up is 0", id);
        check_eq_int(what, 0, vcpu_op(VCPUOP_is_up, id, NULL));
    }
}
