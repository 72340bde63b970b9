/* latency: how late a sleeping vCPU runs again while its siblings spin.
 *
 * Command line: spinners=N (the domain has N+1 vCPUs) periods=P work_us=W.
 * vCPU 0 sleeps on its one-shot timer (SCHEDOP_poll on its masked
 * VIRQ_TIMER port) until a deadline, then records how late it runs (system
 * time when poll returns minus the deadline), works W µs (default 50) and
 * arms the next deadline. Twice: a fixed 1 ms period, then a period that
 * jitters between 1 and 2 ms (a fixed pseudo-random sequence, so runs
 * repeat). vCPUs 1..N spin all the time and count their work.
 *
 * Prints, per phase, "latency: period=fixed|jitter spinners=N n=.. p50_ns=..
 * p99_ns=.. max_ns=.. late_ms=.. spin_err_permille=..", where late_ms counts
 * wake-ups more than 1 ms late and spin_err_permille is the spinners' worst
 * deviation from their mean count (equal weights: equal shares). Run in QEMU
 * with -icount shift=0,sleep=off (guest time = instructions): the figures
 * are then exact and repeatable. tests/bench/run-bench.sh reads the lines. */
#include "runtime/runtime.h"

const char guest_name[] = "latency";

#define DEFAULT_PERIODS 1000u
#define MAX_PERIODS 8192u
#define DEFAULT_WORK_US 50u
#define PERIOD_NS NS_PER_MS
#define JITTER_RANGE_NS NS_PER_MS /* jittered period: 1..2 ms */
#define WARMUP_PERIODS 20u
#define TIMER_LOST_NS NS_PER_S /* a wake-up this late is a lost timer */
#define PERMILLE 1000u
#define LCG_MULTIPLIER 6364136223846793005ull /* Knuth's MMIX constants */
#define LCG_INCREMENT 1442695040888963407ull

static uint32_t delays[MAX_PERIODS];
static volatile uint64_t spin_counts[GUEST_MAX_VCPUS];
static volatile bool spinning;
static uint32_t timer_port;

static void spinner(unsigned int id)
{
    while (!__atomic_load_n(&spinning, __ATOMIC_SEQ_CST)) {
        sched_op(SCHEDOP_yield, NULL);
    }
    while (__atomic_load_n(&spinning, __ATOMIC_RELAXED)) {
        spin_counts[id]++;
    }
}

static void sort(uint32_t *v, unsigned int n)
{
    /* Shell sort with Ciura's gaps: a few thousand entries, no recursion. */
    static const unsigned int gaps[] = {701, 301, 132, 57, 23, 10, 4, 1};
    for (unsigned int g = 0; g < ARRAY_SIZE(gaps); g++) {
        unsigned int gap = gaps[g];
        for (unsigned int i = gap; i < n; i++) {
            uint32_t x = v[i];
            unsigned int j = i;
            for (; j >= gap && v[j - gap] > x; j -= gap) {
                v[j] = v[j - gap];
            }
            v[j] = x;
        }
    }
}

static bool run_phase(bool jitter, unsigned int periods, uint64_t work_ns, unsigned int spinners)
{
    uint64_t seed = 1;
    uint64_t counts_before[GUEST_MAX_VCPUS];
    for (unsigned int i = 1; i <= spinners; i++) {
        counts_before[i] = spin_counts[i];
    }
    uint64_t deadline = system_time_ns() + PERIOD_NS;
    unsigned int recorded = 0, late_ms = 0;
    for (unsigned int i = 0; i < periods + WARMUP_PERIODS; i++) {
        if (singleshot_timer_set(0, deadline, 0) != 0) {
            check(false, "set_singleshot_timer succeeds");
            return false;
        }
        while (!evtchn_pending(timer_port)) {
            sched_poll_ports(&timer_port, 1, deadline + TIMER_LOST_NS);
            if (!evtchn_pending(timer_port) && system_time_ns() >= deadline + TIMER_LOST_NS) {
                check(false, "the timer fired within a second of its deadline");
                return false;
            }
        }
        evtchn_clear_pending(timer_port);
        uint64_t now = system_time_ns();
        uint64_t delay = now > deadline ? now - deadline : 0;
        if (i >= WARMUP_PERIODS) {
            delays[recorded++] = delay > UINT32_MAX ? UINT32_MAX : (uint32_t)delay;
            late_ms += delay > NS_PER_MS;
        }
        spin_until_ns(now + work_ns);
        uint64_t period = PERIOD_NS;
        if (jitter) {
            seed = seed * LCG_MULTIPLIER + LCG_INCREMENT;
            period += (seed >> 33) % JITTER_RANGE_NS;
        }
        deadline += period;
        uint64_t after_work = system_time_ns();
        if (deadline <= after_work) {
            deadline = after_work + period; /* overran: start again from now */
        }
    }
    uint64_t min = UINT64_MAX, max = 0, sum = 0;
    for (unsigned int i = 1; i <= spinners; i++) {
        uint64_t c = spin_counts[i] - counts_before[i];
        min = c < min ? c : min;
        max = c > max ? c : max;
        sum += c;
    }
    uint64_t err = 0;
    if (spinners > 0 && sum > 0) {
        uint64_t mean = sum / spinners;
        uint64_t worst = max - mean > mean - min ? max - mean : mean - min;
        err = worst * PERMILLE / (mean > 0 ? mean : 1);
    }
    sort(delays, recorded);
    unsigned int p99 = recorded * 99 / 100;
    printf("latency: period=%s spinners=%u n=%u p50_ns=%u p99_ns=%u max_ns=%u late_ms=%u "
           "spin_err_permille=%lu\n",
           jitter ? "jitter" : "fixed", spinners, recorded, delays[recorded / 2],
           delays[p99 < recorded ? p99 : recorded - 1], delays[recorded - 1], late_ms,
           (unsigned long)err);
    return true;
}

void guest_main(const struct hvm_start_info *si, const char *cmdline)
{
    (void)si;
    (void)cmdline;
    unsigned int spinners = (unsigned int)cmdline_u64("spinners", 0);
    unsigned int periods = (unsigned int)cmdline_u64("periods", DEFAULT_PERIODS);
    uint64_t work_ns = cmdline_u64("work_us", DEFAULT_WORK_US) * NS_PER_US;
    if (!check(spinners < GUEST_MAX_VCPUS, "spinners= is 0..7") ||
        !check(periods > 0 && periods <= MAX_PERIODS, "periods= is 1..8192") ||
        shared_info_map() == NULL) {
        return;
    }
    if (!check_eq_int("bind_virq(VIRQ_TIMER) succeeds", 0,
                      evtchn_bind_virq_port(VIRQ_TIMER, 0, &timer_port))) {
        return;
    }
    evtchn_mask(timer_port);
    for (unsigned int id = 1; id <= spinners; id++) {
        char what[48];
        snprintf(what, sizeof(what), "spinner vcpu %u started", id);
        check_eq_int(what, 0, vcpu_start(id, spinner));
    }
    __atomic_store_n(&spinning, true, __ATOMIC_SEQ_CST);
    bool ok =
        run_phase(false, periods, work_ns, spinners) && run_phase(true, periods, work_ns, spinners);
    __atomic_store_n(&spinning, false, __ATOMIC_SEQ_CST);
    check(ok, "both phases measured");
}
