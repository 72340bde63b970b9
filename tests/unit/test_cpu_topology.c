/* Unit tests of the CPU topology computation (arch/x86/topology.c).
 *
 * credit2 makes one runqueue per socket (or per last-level cache): a wrong
 * socket id puts CPUs of different packages in one queue, or splits one
 * package into many, and load balancing then works against the caches. The
 * emulators only show one socket, so these tests feed the computation the
 * CPUID answers of machines we cannot boot: Intel with leaf 0xB and leaf 4
 * (2 sockets x 8 cores x 2 threads, L3 per socket; a part with two L3
 * slices per package), AMD without leaf 0xB but with TOPOEXT, an old CPU
 * with only leaf 1 HTT, one without HTT, and a leaf 0xB that lists no
 * level. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "x86/topology.h"

#define MAX_ENTRIES 32

struct fake_cpuid {
    unsigned int count;
    struct {
        uint32_t leaf, subleaf;
        struct x86_cpuid_result r;
    } entries[MAX_ENTRIES];
};

static void add(struct fake_cpuid *f, uint32_t leaf, uint32_t subleaf, uint32_t eax, uint32_t ebx,
                uint32_t ecx, uint32_t edx)
{
    assert_true(f->count < MAX_ENTRIES);
    f->entries[f->count].leaf = leaf;
    f->entries[f->count].subleaf = subleaf;
    f->entries[f->count].r = (struct x86_cpuid_result){eax, ebx, ecx, edx};
    f->count++;
}

/* Unlisted leaves read as zero, as out-of-range subleaves do. */
static void fake(void *context, uint32_t leaf, uint32_t subleaf, struct x86_cpuid_result *out)
{
    const struct fake_cpuid *f = context;
    memset(out, 0, sizeof(*out));
    for (unsigned int i = 0; i < f->count; i++)
        if (f->entries[i].leaf == leaf && f->entries[i].subleaf == subleaf)
            *out = f->entries[i].r;
}

/* Cache descriptor EAX for leaf 4 / 0x8000001D. */
static uint32_t cache(unsigned int type, unsigned int level, unsigned int sharing)
{
    return type | level << 5 | (sharing - 1) << 14;
}

#define DATA 1
#define CODE 2
#define UNIFIED 3
#define LEVEL_SMT (1U << 8)
#define LEVEL_CORE (2U << 8)

/* 2 threads per core (shift 1), 8 cores (package shift 4), L3 shared by all
 * 16 logical CPUs of the package. */
static void intel_two_sockets(struct fake_cpuid *f, unsigned int l3_sharing)
{
    memset(f, 0, sizeof(*f));
    add(f, 0, 0, 0x16, 0, 0, 0);
    add(f, 1, 0, 0, 16 << 16, 0, 1U << 28);
    add(f, 4, 0, cache(DATA, 1, 2), 0, 0, 0);
    add(f, 4, 1, cache(CODE, 1, 2), 0, 0, 0);
    add(f, 4, 2, cache(UNIFIED, 2, 2), 0, 0, 0);
    add(f, 4, 3, cache(UNIFIED, 3, l3_sharing), 0, 0, 0);
    add(f, 0xb, 0, 1, 2, LEVEL_SMT | 0, 0);
    add(f, 0xb, 1, 4, 16, LEVEL_CORE | 1, 0);
    add(f, 0x80000000U, 0, 0x80000008U, 0, 0, 0);
}

static void test_intel_leaf_b(void **state)
{
    (void)state;
    struct fake_cpuid f;
    intel_two_sockets(&f, 16);
    uint32_t socket, llc;
    x86_topology_compute(fake, &f, 0, &socket, &llc);
    assert_int_equal(socket, 0);
    uint32_t llc0 = llc;
    x86_topology_compute(fake, &f, 15, &socket, &llc);
    assert_int_equal(socket, 0);
    assert_int_equal(llc, llc0); /* one L3 per package */
    x86_topology_compute(fake, &f, 16, &socket, &llc);
    assert_int_equal(socket, 1);
    assert_int_not_equal(llc, llc0); /* the other package's L3 */
    x86_topology_compute(fake, &f, 0x21, &socket, &llc);
    assert_int_equal(socket, 2);
}

static void test_intel_split_l3(void **state)
{
    (void)state;
    struct fake_cpuid f;
    intel_two_sockets(&f, 8); /* two L3 slices per package */
    uint32_t socket_a, llc_a, socket_b, llc_b, socket_c, llc_c;
    x86_topology_compute(fake, &f, 3, &socket_a, &llc_a);
    x86_topology_compute(fake, &f, 12, &socket_b, &llc_b);
    x86_topology_compute(fake, &f, 7, &socket_c, &llc_c);
    assert_int_equal(socket_a, socket_b);
    assert_int_not_equal(llc_a, llc_b);
    assert_int_equal(llc_a, llc_c);
    /* A cache reported wider than the package is clamped to it. */
    intel_two_sockets(&f, 64);
    x86_topology_compute(fake, &f, 3, &socket_a, &llc_a);
    x86_topology_compute(fake, &f, 19, &socket_b, &llc_b);
    assert_int_not_equal(llc_a, llc_b);
}

static void test_amd_without_leaf_b(void **state)
{
    (void)state;
    struct fake_cpuid f;
    memset(&f, 0, sizeof(f));
    add(&f, 0, 0, 0xd, 0, 0, 0);
    add(&f, 1, 0, 0, 8 << 16, 0, 1U << 28);
    add(&f, 0x80000000U, 0, 0x8000001fU, 0, 0, 0);
    add(&f, 0x80000001U, 0, 0, 0, 1U << 22, 0);        /* TOPOEXT */
    add(&f, 0x80000008U, 0, 0, 0, (4U << 12) | 15, 0); /* 16 cores, ApicIdCoreIdSize 4 */
    add(&f, 0x8000001dU, 0, cache(DATA, 1, 1), 0, 0, 0);
    add(&f, 0x8000001dU, 1, cache(UNIFIED, 2, 1), 0, 0, 0);
    add(&f, 0x8000001dU, 2, cache(UNIFIED, 3, 4), 0, 0, 0); /* a CCX of 4 cores */
    uint32_t socket, llc, socket2, llc2;
    x86_topology_compute(fake, &f, 5, &socket, &llc);
    x86_topology_compute(fake, &f, 6, &socket2, &llc2);
    assert_int_equal(socket, 0); /* 16 IDs per package */
    assert_int_equal(llc, llc2); /* 4..7 share an L3 */
    x86_topology_compute(fake, &f, 8, &socket2, &llc2);
    assert_int_equal(socket2, 0);
    assert_int_not_equal(llc, llc2);
    x86_topology_compute(fake, &f, 16, &socket2, &llc2);
    assert_int_equal(socket2, 1);
}

static void test_old_cpus(void **state)
{
    (void)state;
    struct fake_cpuid f;
    uint32_t socket, llc;
    /* HTT with 2 logical CPUs per package, no cache leaves. */
    memset(&f, 0, sizeof(f));
    add(&f, 0, 0, 2, 0, 0, 0);
    add(&f, 1, 0, 0, 2 << 16, 0, 1U << 28);
    x86_topology_compute(fake, &f, 3, &socket, &llc);
    assert_int_equal(socket, 1);
    assert_int_equal(llc, 1); /* no cache leaf: the package is the cache domain */
    /* No HTT: every CPU is its own package. */
    memset(&f, 0, sizeof(f));
    add(&f, 0, 0, 1, 0, 0, 0);
    x86_topology_compute(fake, &f, 3, &socket, &llc);
    assert_int_equal(socket, 3);
    /* Leaf 0xB present but listing no level: fall back to leaf 1. */
    memset(&f, 0, sizeof(f));
    add(&f, 0, 0, 0xb, 0, 0, 0);
    add(&f, 1, 0, 0, 4 << 16, 0, 1U << 28);
    x86_topology_compute(fake, &f, 9, &socket, &llc);
    assert_int_equal(socket, 2);
}

static void test_emulator_single_socket(void **state)
{
    (void)state;
    /* QEMU -smp 4 / Bochs count=4: APIC IDs 0-3, leaf 0xB says 4 per package. */
    struct fake_cpuid f;
    memset(&f, 0, sizeof(f));
    add(&f, 0, 0, 0xd, 0, 0, 0);
    add(&f, 1, 0, 0, 4 << 16, 0, 1U << 28);
    add(&f, 0xb, 0, 0, 1, LEVEL_SMT, 0);
    add(&f, 0xb, 1, 2, 4, LEVEL_CORE | 1, 0);
    for (uint32_t id = 0; id < 4; id++) {
        uint32_t socket, llc;
        x86_topology_compute(fake, &f, id, &socket, &llc);
        assert_int_equal(socket, 0);
        assert_int_equal(llc, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_intel_leaf_b),           cmocka_unit_test(test_intel_split_l3),
        cmocka_unit_test(test_amd_without_leaf_b),     cmocka_unit_test(test_old_cpus),
        cmocka_unit_test(test_emulator_single_socket),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
