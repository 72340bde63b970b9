/* bench: the cost of the guest-visible operations that exit to the
 * hypervisor, in TSC ticks per operation. On the Bochs rig with ips=1e9 and
 * clock sync=none, a TSC tick is one emulated instruction, so the figures
 * are instructions per operation (guest and hypervisor together).
 *
 * Each operation runs BENCH_WARMUP times, then BENCH_ITERATIONS times
 * between two RDTSCs; the cost of an empty iteration of the same loop is
 * subtracted. Prints "bench: <operation> <n>" for hypercall (xen_version(0)
 * through the hypercall page), cpuid (leaf 0), rdmsr (0x1b) and yield
 * (sched_op yield through the page); tests/bench/run-bench.sh reads them. */
#include "runtime/runtime.h"

const char guest_name[] = "bench";

#define BENCH_ITERATIONS 10000u
#define BENCH_WARMUP 200u
#define MSR_APIC_BASE 0x1b

static void *stub(unsigned int nr)
{
    return hypercall_page + nr * XEN_HYPERCALL_STUB_BYTES;
}

static inline long op_hypercall(void *stub_address, unsigned long a1, unsigned long a2)
{
    long result;
    register unsigned long rdi __asm__("rdi") = a1;
    register unsigned long rsi __asm__("rsi") = a2;
    __asm__ volatile("call *%[stub]"
                     : "=a"(result), "+r"(rdi), "+r"(rsi)
                     : [stub] "r"(stub_address)
                     : "memory", "cc");
    return result;
}

static inline uint32_t op_cpuid(void)
{
    uint32_t a = 0, b, c = 0, d;
    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
    return a;
}

static inline uint64_t op_rdmsr(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(MSR_APIC_BASE));
    return ((uint64_t)hi << 32) | lo;
}

enum bench_op { OP_EMPTY, OP_HYPERCALL, OP_CPUID, OP_RDMSR, OP_YIELD };

/* The TSC ticks BENCH_ITERATIONS operations take; *last gets one result. */
static uint64_t run(enum bench_op op, unsigned int iterations, long *last)
{
    void *version_stub = stub(HYPERVISOR_xen_version);
    void *sched_stub = stub(HYPERVISOR_sched_op);
    long result = 0;
    uint64_t start = rdtsc();
    switch (op) {
    case OP_EMPTY:
        for (unsigned int i = 0; i < iterations; i++) {
            __asm__ volatile("" : : : "memory");
        }
        break;
    case OP_HYPERCALL:
        for (unsigned int i = 0; i < iterations; i++) {
            result = op_hypercall(version_stub, XENVER_version, 0);
        }
        break;
    case OP_CPUID:
        for (unsigned int i = 0; i < iterations; i++) {
            result = op_cpuid();
        }
        break;
    case OP_RDMSR:
        for (unsigned int i = 0; i < iterations; i++) {
            result = (long)op_rdmsr();
        }
        break;
    case OP_YIELD:
        for (unsigned int i = 0; i < iterations; i++) {
            result = op_hypercall(sched_stub, SCHEDOP_yield, 0);
        }
        break;
    }
    uint64_t ticks = rdtsc() - start;
    *last = result;
    return ticks;
}

static uint64_t per_operation(enum bench_op op, uint64_t empty_ticks, long *last)
{
    run(op, BENCH_WARMUP, last);
    uint64_t ticks = run(op, BENCH_ITERATIONS, last);
    uint64_t net = ticks > empty_ticks ? ticks - empty_ticks : 0;
    return (net + BENCH_ITERATIONS / 2) / BENCH_ITERATIONS;
}

void guest_main(const struct hvm_start_info *si, const char *cmdline)
{
    (void)si;
    (void)cmdline;
    long last;
    run(OP_EMPTY, BENCH_WARMUP, &last);
    uint64_t empty = run(OP_EMPTY, BENCH_ITERATIONS, &last);
    printf("bench: empty-loop %lu\n",
           (unsigned long)((empty + BENCH_ITERATIONS / 2) / BENCH_ITERATIONS));

    uint64_t n = per_operation(OP_HYPERCALL, empty, &last);
    printf("bench: hypercall %lu\n", (unsigned long)n);
    check(last > 0, "xen_version(0) through the page returned a version");

    n = per_operation(OP_CPUID, empty, &last);
    printf("bench: cpuid %lu\n", (unsigned long)n);
    check(last > 0, "cpuid leaf 0 returned a highest leaf");

    n = per_operation(OP_RDMSR, empty, &last);
    printf("bench: rdmsr %lu\n", (unsigned long)n);
    check_eq_hex("rdmsr 0x1b", 0xfee00d00u, (uint64_t)last);

    n = per_operation(OP_YIELD, empty, &last);
    printf("bench: yield %lu\n", (unsigned long)n);
    check_eq_int("sched_op yield returned 0", 0, last);
}
