/* hog: a CPU-bound guest that measures its progress, for the share tests.
 *
 * Command line: name=NAME from_ms=F to_ms=T. Every hog of a test gets the
 * same window [F, T) of system time (one clock for all domains), so they
 * compete for the CPU during all of it: each spins until F, then counts
 * units of work (a fixed loop) until T, and prints "hog: NAME count N".
 * A checker on the host (tests/system/check-shares.sh) compares the counts
 * with the weights. A hog that starts after F says so and fails: its count
 * would not cover the whole window. */
#include "runtime/runtime.h"

const char guest_name[] = "hog";

#define WORK_UNIT_ITERATIONS 256u /* loop iterations per counted unit */
#define DEFAULT_FROM_MS 3000u
#define DEFAULT_TO_MS 6000u

void guest_main(const struct hvm_start_info *si, const char *cmdline)
{
    (void)si;
    (void)cmdline;
    char name[64] = "hog";
    cmdline_get("name", name, sizeof(name));
    uint64_t from_ns = cmdline_u64("from_ms", DEFAULT_FROM_MS) * NS_PER_MS;
    uint64_t to_ns = cmdline_u64("to_ms", DEFAULT_TO_MS) * NS_PER_MS;
    if (!check(to_ns > from_ns, "the window ends after it starts") || shared_info_map() == NULL) {
        return;
    }
    uint64_t start = system_time_ns();
    printf("hog: %s starts at %lu ms, window %lu..%lu ms\n", name,
           (unsigned long)(start / NS_PER_MS), (unsigned long)(from_ns / NS_PER_MS),
           (unsigned long)(to_ns / NS_PER_MS));
    if (!check(start < from_ns, "the hog started before its window")) {
        return;
    }
    /* Spin with interrupts enabled, as real kernels do. Nothing is injected
     * (no callback vector is set). Under Bochs 2.7 a guest spinning with
     * RFLAGS.IF = 0 is never interrupted by the host's timer (measured: the
     * first hog kept the CPU until it exited, on VMX and SVM), although
     * external-interrupt exiting (VMX) and V_INTR_MASKING with host IF set
     * (SVM) make such interrupts exit whatever the guest's IF on hardware;
     * QEMU exits as hardware does, with IF = 0 or 1. */
    __asm__ volatile("sti");
    spin_until_ns(from_ns);

    volatile uint64_t sink = 0;
    uint64_t units = 0;
    uint64_t now = system_time_ns();
    while (now < to_ns) {
        for (unsigned int i = 0; i < WORK_UNIT_ITERATIONS; i++) {
            sink += i;
        }
        units++;
        now = system_time_ns();
    }
    printf("hog: %s count %lu\n", name, (unsigned long)units);
    printf("hog: %s ended at %lu ms\n", name, (unsigned long)(now / NS_PER_MS));
    check(units > 0, "the hog ran during its window");
}
