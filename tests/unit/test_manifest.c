/* Unit tests of the boot-manifest decoder (manifest_decode() in
 * libxencore/core/manifest.c, layout in include/xencore/abi/manifest.h).
 *
 * The manifest decides which domains an appliance starts, and the same
 * decoder reads the management channel's "create domain" request, so it is
 * input from outside the hypervisor. The tests build manifests byte for byte
 * and pin down the contract the header documents: a good manifest arrives in
 * the records field for field (1 and the maximum of 64 domains and 63 pools,
 * a newer writer's larger header and records skipped correctly, version 1
 * manifests with the defaults for what they lack); every bad size, count or
 * field rejects the whole manifest with a sentence naming the domain, the
 * pool or the field. The decoder is always handed an exactly sized heap copy
 * and record arrays of exactly 64 domains and 63 pools, so AddressSanitizer
 * catches a read past the manifest or a write past the records.
 *
 * The host build has XENCORE_MAX_CPUS 4096; the decoder takes the limit as an
 * argument, and these tests pass 256 (the default build's) unless they say
 * otherwise, so "a CPU the hypervisor cannot have" is testable.
 *
 * The boot tests then hand manifests to the boot path on a host "machine" of
 * four CPUs (Pool-0 running null, as in test_cpupool) and check what an
 * operator sees: the pools made (and the console line each prints), the
 * domains started in them, and every failure (an offline CPU, a CPU that
 * cannot leave Pool-0, a pool that was not made, a rejected manifest)
 * reported by name, undone, and leaving the machine and its free memory as
 * they were. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <xencore/abi/manifest.h>
#include <xencore/domain.h>
#include <xencore/sched.h>

#include "le_put.h"
#include "tiny_kernel.h"

#include "arch/host/arch_host.h"
#include "core/manifest.h"
#include "lib/cpumask.h"
#include "lib/errno.h"
#include "mm/frame_alloc.h"
#include "sched/sched.h"

#define RECORD_BYTES sizeof(struct xencore_domain_record)
#define HEADER_BYTES sizeof(struct xencore_manifest_header)
#define POOL_BYTES sizeof(struct xencore_pool_record)
#define V1_HEADER_BYTES XENCORE_MANIFEST_V1_HEADER_BYTES
#define V1_RECORD_BYTES XENCORE_MANIFEST_V1_RECORD_BYTES
/* The default build's XENCORE_MAX_CPUS, handed to the decoder. */
#define CPU_LIMIT 256u

/* A manifest under construction: the header and records as they will be
 * encoded, plus how a (possibly newer, or version 1) writer lays them out. */
struct manifest {
    struct xencore_manifest_header header;
    struct xencore_domain_record records[XENCORE_MANIFEST_MAX_DOMAINS + 1];
    struct xencore_pool_record pools[XENCORE_MANIFEST_MAX_POOLS + 1];
    uint32_t count;      /* records to encode (may differ from header.domain_count) */
    uint32_t pool_count; /* pool records to encode */
    size_t header_extra; /* bytes a newer header has after ours */
    size_t record_extra; /* bytes a newer record has after ours */
    size_t pool_extra;   /* bytes a newer pool record has after ours */
    uint8_t *bytes;      /* the encoded form */
    size_t length;
};

static void cpu_set(uint8_t *bits, unsigned int cpu)
{
    bits[cpu / 8] |= (uint8_t)(1u << (cpu % 8));
}

static void record_fill(struct xencore_domain_record *r, unsigned int i)
{
    memset(r, 0, sizeof(*r));
    snprintf(r->name, sizeof(r->name), "dom-%u.test_%u", i, i * 7);
    for (unsigned int b = 0; b < sizeof(r->uuid); b++)
        r->uuid[b] = (uint8_t)(i * 16 + b);
    r->memory_kib = (uint64_t)(i + 1) * 65536;
    r->vcpus = 1 + i % 128;
    r->flags = 0;
    snprintf(r->kernel_module, sizeof(r->kernel_module), "kernel-%u", i);
    snprintf(r->cmdline, sizeof(r->cmdline), "console=hvc0 id=%u", i);
    /* Version 2 fields, different for each record. */
    r->weight = 1 + i * 1000;
    r->cap = i % 3 == 0 ? 0 : 50 * r->vcpus;
    if (i % 2)
        snprintf(r->pool, sizeof(r->pool), "pool-%u", i % 5);
    if (i % 4 != 3)
        cpu_set(r->cpus, i % CPU_LIMIT);
    if (i % 4 == 1) {
        cpu_set(r->cpus_soft, 0);
        cpu_set(r->cpus_soft, CPU_LIMIT - 1);
    }
}

static void pool_fill(struct xencore_pool_record *p, unsigned int i)
{
    static const uint32_t schedulers[] = {0, XENCORE_SCHED_CREDIT, XENCORE_SCHED_CREDIT2,
                                          XENCORE_SCHED_NULL};
    memset(p, 0, sizeof(*p));
    snprintf(p->name, sizeof(p->name), "pool-%u", i);
    p->scheduler = schedulers[i % 4];
    /* Pools never share a CPU: pool i has CPUs 2i+1 and 2i+2. */
    cpu_set(p->cpus, 2 * i + 1);
    cpu_set(p->cpus, 2 * i + 2);
}

static struct manifest *manifest_new_pools(uint32_t count, uint32_t pool_count)
{
    struct manifest *m = calloc(1, sizeof(*m));
    assert_non_null(m);
    assert_true(count <= XENCORE_MANIFEST_MAX_DOMAINS + 1);
    assert_true(pool_count <= XENCORE_MANIFEST_MAX_POOLS + 1);
    m->header.magic = XENCORE_MANIFEST_MAGIC;
    m->header.version = XENCORE_MANIFEST_VERSION;
    m->header.header_bytes = HEADER_BYTES;
    m->header.domain_count = count;
    m->header.record_bytes = RECORD_BYTES;
    m->header.pool_count = pool_count;
    m->header.pool_record_bytes = POOL_BYTES;
    m->count = count;
    m->pool_count = pool_count;
    for (unsigned int i = 0; i < count; i++)
        record_fill(&m->records[i], i);
    for (unsigned int i = 0; i < pool_count; i++)
        pool_fill(&m->pools[i], i);
    return m;
}

static struct manifest *manifest_new(uint32_t count)
{
    return manifest_new_pools(count, 0);
}

/* Turns @m into a version 1 manifest: 16-byte header, 1184-byte records,
 * no pools. The version 2 fields stay in m->records (they must not arrive). */
static void make_version_1(struct manifest *m)
{
    m->header.version = XENCORE_MANIFEST_VERSION_1;
    m->header.header_bytes = V1_HEADER_BYTES;
    m->header.record_bytes = V1_RECORD_BYTES;
    m->pool_count = 0;
}

static bool is_version_1(const struct manifest *m)
{
    return m->header.version == XENCORE_MANIFEST_VERSION_1;
}

/* Encodes @m into m->bytes; padding a newer writer added is 0xa5, so a
 * decoder that reads it as a field gets nonsense. */
static void manifest_encode(struct manifest *m)
{
    free(m->bytes);
    bool v1 = is_version_1(m);
    size_t our_header = v1 ? V1_HEADER_BYTES : HEADER_BYTES;
    size_t our_record = v1 ? V1_RECORD_BYTES : RECORD_BYTES;
    size_t header = our_header + m->header_extra;
    size_t record = our_record + m->record_extra;
    size_t pool = POOL_BYTES + m->pool_extra;
    m->length = header + (size_t)m->count * record + (size_t)m->pool_count * pool;
    m->bytes = malloc(m->length ? m->length : 1);
    assert_non_null(m->bytes);
    memset(m->bytes, 0xa5, m->length);
    memcpy(m->bytes, &m->header, our_header);
    for (uint32_t i = 0; i < m->count; i++)
        memcpy(m->bytes + header + i * record, &m->records[i], our_record);
    uint8_t *pools = m->bytes + header + (size_t)m->count * record;
    for (uint32_t i = 0; i < m->pool_count; i++)
        memcpy(pools + i * pool, &m->pools[i], POOL_BYTES);
}

static void manifest_free(struct manifest *m)
{
    free(m->bytes);
    free(m);
}

struct result {
    int rc;
    struct manifest_contents out;
    struct xencore_domain_record *records; /* exactly XENCORE_MANIFEST_MAX_DOMAINS */
    struct xencore_pool_record *pools;     /* exactly XENCORE_MANIFEST_MAX_POOLS */
    char why[160];
};

static void result_free(struct result *r)
{
    free(r->records);
    free(r->pools);
}

/* Decodes the first @length bytes of the encoded manifest through an exactly
 * sized copy. */
static struct result decode_bytes_limit(const struct manifest *m, size_t length,
                                        unsigned int cpu_limit)
{
    struct result r;
    memset(&r, 0, sizeof(r));
    r.records = calloc(XENCORE_MANIFEST_MAX_DOMAINS, sizeof(*r.records));
    r.pools = calloc(XENCORE_MANIFEST_MAX_POOLS, sizeof(*r.pools));
    assert_non_null(r.records);
    assert_non_null(r.pools);
    r.out.domains = r.records;
    r.out.pools = r.pools;
    uint8_t *copy = malloc(length ? length : 1);
    assert_non_null(copy);
    memcpy(copy, m->bytes, length);
    r.rc = manifest_decode(copy, length, cpu_limit, &r.out, r.why, sizeof(r.why));
    free(copy);
    return r;
}

static struct result decode_bytes(const struct manifest *m, size_t length)
{
    return decode_bytes_limit(m, length, CPU_LIMIT);
}

static struct result decode(struct manifest *m)
{
    manifest_encode(m);
    return decode_bytes(m, m->length);
}

static void assert_records_equal(const struct xencore_domain_record *got,
                                 const struct xencore_domain_record *want)
{
    assert_string_equal(got->name, want->name);
    assert_memory_equal(got->uuid, want->uuid, sizeof(got->uuid));
    assert_int_equal(got->memory_kib, want->memory_kib);
    assert_int_equal(got->vcpus, want->vcpus);
    assert_int_equal(got->flags, want->flags);
    assert_string_equal(got->kernel_module, want->kernel_module);
    assert_string_equal(got->cmdline, want->cmdline);
    assert_int_equal(got->weight, want->weight);
    assert_int_equal(got->cap, want->cap);
    assert_string_equal(got->pool, want->pool);
    assert_memory_equal(got->cpus, want->cpus, sizeof(got->cpus));
    assert_memory_equal(got->cpus_soft, want->cpus_soft, sizeof(got->cpus_soft));
}

static void assert_pools_equal(const struct xencore_pool_record *got,
                               const struct xencore_pool_record *want)
{
    assert_string_equal(got->name, want->name);
    assert_int_equal(got->scheduler, want->scheduler);
    assert_int_equal(got->flags, want->flags);
    assert_memory_equal(got->cpus, want->cpus, sizeof(got->cpus));
}

/* The manifest is rejected with -XC_EINVAL and a reason containing @word
 * (and @word2 unless NULL). */
static void assert_rejected_why(struct manifest *m, const char *word, const char *word2)
{
    struct result r = decode(m);
    if (r.rc != -XC_EINVAL)
        fail_msg("expected -XC_EINVAL (reason containing \"%s\"), got %d", word, r.rc);
    if (!strstr(r.why, word) || (word2 && !strstr(r.why, word2)))
        fail_msg("expected \"%s\"%s%s%s in the reason, got \"%s\"", word, word2 ? " and \"" : "",
                 word2 ? word2 : "", word2 ? "\"" : "", r.why);
    result_free(&r);
}

/* ---- Good manifests ---------------------------------------------------- */

static void test_one_domain(void **state)
{
    (void)state;
    struct manifest *m = manifest_new(1);
    strcpy(m->records[0].name, "web");
    strcpy(m->records[0].kernel_module, "vmlinux-web");
    strcpy(m->records[0].cmdline, "");
    memset(m->records[0].uuid, 0, sizeof(m->records[0].uuid));
    struct result r = decode(m);
    assert_int_equal(r.rc, 1);
    assert_records_equal(&r.records[0], &m->records[0]);
    result_free(&r);

    /* Longest name, longest command line. */
    memset(m->records[0].name, 'n', 63);
    memset(m->records[0].cmdline, 'c', 1023);
    m->records[0].vcpus = 128;
    r = decode(m);
    assert_int_equal(r.rc, 1);
    assert_records_equal(&r.records[0], &m->records[0]);
    assert_int_equal(strlen(r.records[0].name), 63);
    assert_int_equal(strlen(r.records[0].cmdline), 1023);
    result_free(&r);
    manifest_free(m);
}

static void test_no_domains(void **state)
{
    (void)state;
    struct manifest *m = manifest_new(0);
    struct result r = decode(m);
    assert_int_equal(r.rc, 0);
    result_free(&r);
    manifest_free(m);
}

static void test_sixty_four_domains(void **state)
{
    (void)state;
    struct manifest *m = manifest_new(XENCORE_MANIFEST_MAX_DOMAINS);
    struct result r = decode(m);
    assert_int_equal(r.rc, XENCORE_MANIFEST_MAX_DOMAINS);
    for (unsigned int i = 0; i < XENCORE_MANIFEST_MAX_DOMAINS; i++)
        assert_records_equal(&r.records[i], &m->records[i]);
    result_free(&r);
    manifest_free(m);
}

/* A newer writer's larger header and records: the decoder steps by the sizes
 * the header gives and ignores the bytes it does not know. */
static void test_newer_writer_sizes(void **state)
{
    (void)state;
    static const size_t extras[][3] = {
        {0, 8, 0}, {16, 0, 0}, {48, 200, 8}, {0, 65536 - 2280, 0}, {0, 0, 65536 - 584}};
    for (unsigned int k = 0; k < sizeof(extras) / sizeof(extras[0]); k++) {
        struct manifest *m = manifest_new_pools(3, 2);
        m->header_extra = extras[k][0];
        m->record_extra = extras[k][1];
        m->pool_extra = extras[k][2];
        m->header.header_bytes = (uint16_t)(HEADER_BYTES + m->header_extra);
        m->header.record_bytes = (uint32_t)(RECORD_BYTES + m->record_extra);
        m->header.pool_record_bytes = (uint32_t)(POOL_BYTES + m->pool_extra);
        struct result r = decode(m);
        if (r.rc != 3)
            fail_msg("header +%zu, records +%zu, pools +%zu: got %d (%s)", extras[k][0],
                     extras[k][1], extras[k][2], r.rc, r.why);
        for (unsigned int i = 0; i < 3; i++)
            assert_records_equal(&r.records[i], &m->records[i]);
        assert_int_equal(r.out.pool_count, 2);
        for (unsigned int i = 0; i < 2; i++)
            assert_pools_equal(&r.pools[i], &m->pools[i]);
        result_free(&r);
        manifest_free(m);
    }
}

/* Version 1 (before pools and scheduling settings): still decoded, each
 * domain with the defaults: weight 256 (0), no cap, Pool-0, no affinity. A
 * newer version 1 writer's extra bytes are skipped, not read as version 2
 * fields. */
static void test_version_1_accepted(void **state)
{
    (void)state;
    static const size_t extras[][2] = {{0, 0}, {8, 0}, {0, 1096}, {16, 40}};
    for (unsigned int k = 0; k < sizeof(extras) / sizeof(extras[0]); k++) {
        struct manifest *m = manifest_new(5);
        make_version_1(m);
        m->header_extra = extras[k][0];
        m->record_extra = extras[k][1];
        m->header.header_bytes = (uint16_t)(V1_HEADER_BYTES + m->header_extra);
        m->header.record_bytes = (uint32_t)(V1_RECORD_BYTES + m->record_extra);
        struct result r = decode(m);
        if (r.rc != 5)
            fail_msg("v1 header +%zu, records +%zu: got %d (%s)", extras[k][0], extras[k][1], r.rc,
                     r.why);
        assert_int_equal(r.out.domain_count, 5);
        assert_int_equal(r.out.pool_count, 0);
        static const uint8_t no_cpus[XENCORE_MANIFEST_CPU_BYTES];
        for (unsigned int i = 0; i < 5; i++) {
            struct xencore_domain_record want = m->records[i];
            want.weight = 0;
            want.cap = 0;
            memset(want.pool, 0, sizeof(want.pool));
            memset(want.cpus, 0, sizeof(want.cpus));
            memset(want.cpus_soft, 0, sizeof(want.cpus_soft));
            assert_records_equal(&r.records[i], &want);
            assert_memory_equal(r.records[i].cpus, no_cpus, sizeof(no_cpus));
        }
        result_free(&r);
        manifest_free(m);
    }

    /* A version 1 manifest's own checks still hold: a record of 1183 bytes. */
    struct manifest *m = manifest_new(1);
    make_version_1(m);
    m->header.record_bytes = V1_RECORD_BYTES - 1;
    assert_rejected_why(m, "record size 1183", NULL);
    m->header.record_bytes = V1_RECORD_BYTES;
    m->header.header_bytes = V1_HEADER_BYTES - 1;
    assert_rejected_why(m, "header size 15", NULL);
    manifest_free(m);
}

/* Pools: 1 and the maximum of 63, every field arriving as written. */
static void test_pools_decoded(void **state)
{
    (void)state;
    struct manifest *m = manifest_new_pools(2, 1);
    struct result r = decode(m);
    assert_int_equal(r.rc, 2);
    assert_int_equal(r.out.domain_count, 2);
    assert_int_equal(r.out.pool_count, 1);
    assert_pools_equal(&r.pools[0], &m->pools[0]);
    assert_string_equal(r.pools[0].name, "pool-0");
    assert_int_equal(r.pools[0].cpus[0], 0x06); /* CPUs 1 and 2 */
    result_free(&r);
    manifest_free(m);

    m = manifest_new_pools(0, XENCORE_MANIFEST_MAX_POOLS);
    r = decode(m);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.out.pool_count, XENCORE_MANIFEST_MAX_POOLS);
    for (unsigned int i = 0; i < XENCORE_MANIFEST_MAX_POOLS; i++)
        assert_pools_equal(&r.pools[i], &m->pools[i]);
    result_free(&r);
    manifest_free(m);
}

/* CPU bitmaps are 4096 bits whatever the build: the limit is the
 * hypervisor's, so the same bytes pass a 4096-CPU build and fail a 256-CPU
 * one, naming the CPU. */
static void test_cpu_limit_is_the_hypervisors(void **state)
{
    (void)state;
    struct manifest *m = manifest_new_pools(1, 1);
    cpu_set(m->records[0].cpus, CPU_LIMIT - 1);
    cpu_set(m->records[0].cpus_soft, CPU_LIMIT - 1);
    cpu_set(m->pools[0].cpus, CPU_LIMIT - 1);
    struct result r = decode(m);
    assert_int_equal(r.rc, 1);
    result_free(&r);

    memset(m->records[0].cpus, 0, sizeof(m->records[0].cpus));
    cpu_set(m->records[0].cpus, 4095);
    manifest_encode(m);
    r = decode_bytes_limit(m, m->length, 4096);
    assert_int_equal(r.rc, 1);
    assert_true(r.records[0].cpus[511] & 0x80);
    result_free(&r);
    r = decode_bytes_limit(m, m->length, CPU_LIMIT);
    assert_int_equal(r.rc, -XC_EINVAL);
    assert_non_null(strstr(r.why, "domain 'dom-0.test_0': cpus names CPU 4095"));
    assert_non_null(strstr(r.why, "at most 256 CPUs"));
    result_free(&r);
    r = decode_bytes_limit(m, m->length, 1);
    assert_int_equal(r.rc, -XC_EINVAL);
    result_free(&r);
    manifest_free(m);
}

/* ---- Bad sizes and counts ---------------------------------------------- */

static void test_short_buffer(void **state)
{
    (void)state;
    struct manifest *m = manifest_new(1);
    manifest_encode(m);
    for (size_t length = 0; length < V1_HEADER_BYTES; length++) {
        struct result r = decode_bytes(m, length);
        assert_int_equal(r.rc, -XC_EINVAL);
        assert_non_null(strstr(r.why, "shorter than its header"));
        result_free(&r);
    }
    /* Long enough for a version 1 header, not for this version 2 one. */
    for (size_t length = V1_HEADER_BYTES; length < HEADER_BYTES; length++) {
        struct result r = decode_bytes(m, length);
        assert_int_equal(r.rc, -XC_EINVAL);
        assert_non_null(strstr(r.why, "header size 24"));
        result_free(&r);
    }
    static struct xencore_domain_record records[XENCORE_MANIFEST_MAX_DOMAINS];
    static struct xencore_pool_record pools[XENCORE_MANIFEST_MAX_POOLS];
    struct manifest_contents out = {.domains = records, .pools = pools};
    char why[160];
    assert_int_equal(manifest_decode(NULL, 4096, CPU_LIMIT, &out, why, sizeof(why)), -XC_EINVAL);
    assert_non_null(strstr(why, "manifest"));
    manifest_free(m);
}

/* Every prefix of a good manifest is rejected (a record that does not fit is
 * never read), and the full one is accepted. */
static void test_every_truncation_rejected(void **state)
{
    (void)state;
    for (unsigned int version = 1; version <= 2; version++) {
        struct manifest *m = manifest_new_pools(2, 2);
        if (version == 1)
            make_version_1(m);
        manifest_encode(m);
        for (size_t length = 0; length < m->length; length++) {
            struct result r = decode_bytes(m, length);
            if (r.rc != -XC_EINVAL)
                fail_msg("version %u, %zu of %zu bytes: got %d", version, length, m->length, r.rc);
            assert_true(strlen(r.why) > 0);
            result_free(&r);
        }
        struct result r = decode_bytes(m, m->length);
        assert_int_equal(r.rc, 2);
        assert_int_equal(r.out.pool_count, version == 1 ? 0 : 2);
        result_free(&r);
        manifest_free(m);
    }
}

static void test_bad_magic_or_version(void **state)
{
    (void)state;
    struct manifest *m = manifest_new(1);
    m->header.magic = 0x584d4358u; /* "XCMX" */
    assert_rejected_why(m, "magic", "0x584d4358");
    m->header.magic = __builtin_bswap32(XENCORE_MANIFEST_MAGIC); /* big-endian writer */
    assert_rejected_why(m, "magic", NULL);

    m->header.magic = XENCORE_MANIFEST_MAGIC;
    m->header.version = 3;
    assert_rejected_why(m, "version 3", "only 1 and 2");
    m->header.version = 0;
    assert_rejected_why(m, "version 0", NULL);
    m->header.version = 0xffff;
    assert_rejected_why(m, "version 65535", NULL);
    manifest_free(m);
}

static void test_bad_header_size(void **state)
{
    (void)state;
    struct manifest *m = manifest_new(1);
    m->header.header_bytes = HEADER_BYTES - 1;
    assert_rejected_why(m, "header size 23", NULL);
    m->header.header_bytes = V1_HEADER_BYTES; /* a version 2 header is longer */
    assert_rejected_why(m, "header size 16", NULL);
    m->header.header_bytes = 0;
    assert_rejected_why(m, "header size 0", NULL);

    /* Larger than the whole manifest. */
    m->header.header_bytes = (uint16_t)(HEADER_BYTES + RECORD_BYTES + 1);
    assert_rejected_why(m, "header size", NULL);
    m->header.header_bytes = 0xffff;
    assert_rejected_why(m, "header size 65535", NULL);
    /* Within the file, but then the record no longer fits after it. */
    m->header.header_bytes = HEADER_BYTES + 8;
    assert_rejected_why(m, "truncated", NULL);
    manifest_free(m);
}

static void test_too_many_domains(void **state)
{
    (void)state;
    struct manifest *m = manifest_new(XENCORE_MANIFEST_MAX_DOMAINS + 1);
    assert_rejected_why(m, "65 domains", "more than 64");
    m->header.domain_count = UINT32_MAX;
    assert_rejected_why(m, "4294967295 domains", NULL);
    manifest_free(m);
}

static void test_bad_record_size(void **state)
{
    (void)state;
    struct manifest *m = manifest_new(2);
    m->header.record_bytes = RECORD_BYTES - 1;
    assert_rejected_why(m, "record size 2279", NULL);
    m->header.record_bytes = V1_RECORD_BYTES; /* a version 2 record is longer */
    assert_rejected_why(m, "record size 1184", NULL);
    m->header.record_bytes = 65537;
    assert_rejected_why(m, "record size 65537", NULL);
    m->header.record_bytes = 0;
    assert_rejected_why(m, "record size 0", NULL);
    m->header.record_bytes = UINT32_MAX;
    assert_rejected_why(m, "record size", NULL);
    manifest_free(m);
}

static void test_records_do_not_fit(void **state)
{
    (void)state;
    struct manifest *m = manifest_new(3);
    m->count = 2; /* the header says 3, the bytes hold 2 */
    assert_rejected_why(m, "truncated", "3 records of 2280 bytes");

    /* Records as large as the format allows, more than the bytes hold. */
    m->count = 3;
    m->record_extra = 100;
    m->header.record_bytes = RECORD_BYTES + 200;
    assert_rejected_why(m, "truncated", NULL);
    /* 64 records of 64 KiB: the product must not wrap in 32 bits. */
    m->header.domain_count = 64;
    m->header.record_bytes = 65536;
    assert_rejected_why(m, "truncated", NULL);
    manifest_free(m);
}

/* ---- Bad records ------------------------------------------------------- */

/* Index of the record the field tests break: in the middle of several, so
 * the reason must name the right one. */
#define BAD 4
#define RECORDS 7

static void test_bad_names(void **state)
{
    (void)state;
    struct manifest *m = manifest_new(RECORDS);
    memset(m->records[BAD].name, 'x', sizeof(m->records[BAD].name)); /* no NUL */
    assert_rejected_why(m, "domain 4", "name");
    m->records[BAD].name[0] = '\0';
    assert_rejected_why(m, "domain 4", "name");
    m->records[0].name[0] = '\0';
    assert_rejected_why(m, "domain 0", "name");
    manifest_free(m);

    /* The documented character set: [A-Za-z0-9_.-]. */
    static const char *const bad[] = {"web server", "a/b", "../etc", "x\n", "dom%s", "caf\xc3\xa9"};
    for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        m = manifest_new(RECORDS);
        strcpy(m->records[BAD].name, bad[i]);
        struct result r = decode(m);
        if (r.rc != -XC_EINVAL)
            fail_msg("name \"%s\" accepted (%d)", bad[i], r.rc);
        assert_non_null(strstr(r.why, "domain 4"));
        assert_non_null(strstr(r.why, "name"));
        result_free(&r);
        manifest_free(m);
    }
}

static void test_bad_kernel_module(void **state)
{
    (void)state;
    struct manifest *m = manifest_new(RECORDS);
    strcpy(m->records[BAD].name, "db");
    memset(m->records[BAD].kernel_module, 'k', sizeof(m->records[BAD].kernel_module));
    assert_rejected_why(m, "'db'", "kernel module");
    m->records[BAD].kernel_module[0] = '\0';
    assert_rejected_why(m, "'db'", "kernel module");
    manifest_free(m);
}

static void test_unterminated_cmdline(void **state)
{
    (void)state;
    struct manifest *m = manifest_new(RECORDS);
    strcpy(m->records[BAD].name, "db");
    memset(m->records[BAD].cmdline, 'c', sizeof(m->records[BAD].cmdline));
    assert_rejected_why(m, "'db'", "command line");
    manifest_free(m);
}

static void test_bad_vcpus(void **state)
{
    (void)state;
    struct manifest *m = manifest_new(RECORDS);
    strcpy(m->records[BAD].name, "db");
    m->records[BAD].vcpus = 0;
    assert_rejected_why(m, "'db'", "0 vcpus");
    m->records[BAD].vcpus = 129;
    assert_rejected_why(m, "'db'", "129 vcpus");
    m->records[BAD].vcpus = UINT32_MAX;
    assert_rejected_why(m, "'db'", "4294967295 vcpus");
    m->records[BAD].vcpus = 128;
    struct result r = decode(m);
    assert_int_equal(r.rc, RECORDS);
    assert_int_equal(r.records[BAD].vcpus, 128);
    result_free(&r);
    manifest_free(m);
}

static void test_no_memory(void **state)
{
    (void)state;
    struct manifest *m = manifest_new(RECORDS);
    strcpy(m->records[BAD].name, "db");
    m->records[BAD].memory_kib = 0;
    assert_rejected_why(m, "'db'", "no memory");
    manifest_free(m);
}

static void test_unknown_flags(void **state)
{
    (void)state;
    struct manifest *m = manifest_new(RECORDS);
    strcpy(m->records[BAD].name, "db");
    m->records[BAD].flags = 1;
    assert_rejected_why(m, "'db'", "flags 0x1");
    m->records[BAD].flags = 0x80000000u;
    assert_rejected_why(m, "'db'", "flags 0x80000000");
    manifest_free(m);
}

/* One bad record rejects the whole manifest, even the last of 64. */
static void test_last_record_bad(void **state)
{
    (void)state;
    struct manifest *m = manifest_new(XENCORE_MANIFEST_MAX_DOMAINS);
    m->records[63].memory_kib = 0;
    struct result r = decode(m);
    assert_int_equal(r.rc, -XC_EINVAL);
    assert_non_null(strstr(r.why, m->records[63].name));
    result_free(&r);
    manifest_free(m);
}

/* ---- Version 2 fields ---------------------------------------------------- */

static void test_too_many_pools(void **state)
{
    (void)state;
    struct manifest *m = manifest_new_pools(1, XENCORE_MANIFEST_MAX_POOLS + 1);
    assert_rejected_why(m, "64 pools", "more than 63");
    m->header.pool_count = UINT32_MAX;
    assert_rejected_why(m, "4294967295 pools", NULL);
    manifest_free(m);
}

static void test_bad_pool_record_size(void **state)
{
    (void)state;
    struct manifest *m = manifest_new_pools(1, 2);
    m->header.pool_record_bytes = POOL_BYTES - 1;
    assert_rejected_why(m, "pool record size 583", NULL);
    m->header.pool_record_bytes = 0;
    assert_rejected_why(m, "pool record size 0", NULL);
    m->header.pool_record_bytes = 65537;
    assert_rejected_why(m, "pool record size 65537", NULL);
    manifest_free(m);
}

static void test_pools_do_not_fit(void **state)
{
    (void)state;
    struct manifest *m = manifest_new_pools(2, 3);
    m->pool_count = 2; /* the header says 3 */
    assert_rejected_why(m, "truncated", "3 pool records of 584 bytes");
    /* 63 pools of 64 KiB after 64 domains of 64 KiB: no wrap. */
    m->header.domain_count = 64;
    m->header.record_bytes = 65536;
    m->header.pool_count = 63;
    m->header.pool_record_bytes = 65536;
    assert_rejected_why(m, "truncated", NULL);
    manifest_free(m);
}

static void test_bad_weight_and_cap(void **state)
{
    (void)state;
    struct manifest *m = manifest_new(RECORDS);
    strcpy(m->records[BAD].name, "db");
    m->records[BAD].vcpus = 2;
    m->records[BAD].weight = 65536;
    assert_rejected_why(m, "'db'", "weight 65536");
    m->records[BAD].weight = UINT32_MAX;
    assert_rejected_why(m, "'db'", "weight 4294967295");
    m->records[BAD].weight = 65535;
    m->records[BAD].cap = 201;
    assert_rejected_why(m, "'db'", "cap 201");
    m->records[BAD].cap = UINT32_MAX;
    assert_rejected_why(m, "'db'", "cap 4294967295");
    m->records[BAD].cap = 200; /* 100 percent of each of 2 vCPUs */
    struct result r = decode(m);
    assert_int_equal(r.rc, RECORDS);
    assert_int_equal(r.records[BAD].weight, 65535);
    assert_int_equal(r.records[BAD].cap, 200);
    result_free(&r);
    manifest_free(m);
}

static void test_bad_domain_pool_name(void **state)
{
    (void)state;
    struct manifest *m = manifest_new(RECORDS);
    strcpy(m->records[BAD].name, "db");
    memset(m->records[BAD].pool, 'p', sizeof(m->records[BAD].pool));
    assert_rejected_why(m, "'db'", "unterminated pool name");
    static const char *const bad[] = {"real time", "a/b", "rt\n", "caf\xc3\xa9"};
    for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(m->records[BAD].pool, 0, sizeof(m->records[BAD].pool));
        strcpy(m->records[BAD].pool, bad[i]);
        assert_rejected_why(m, "'db'", "pool name");
    }
    /* Pool-0 by name, and no name at all, are both fine. */
    strcpy(m->records[BAD].pool, "Pool-0");
    struct result r = decode(m);
    assert_int_equal(r.rc, RECORDS);
    assert_string_equal(r.records[BAD].pool, "Pool-0");
    result_free(&r);
    manifest_free(m);
}

static void test_domain_cpus_beyond_limit(void **state)
{
    (void)state;
    struct manifest *m = manifest_new(RECORDS);
    strcpy(m->records[BAD].name, "db");
    cpu_set(m->records[BAD].cpus, CPU_LIMIT);
    assert_rejected_why(m, "domain 'db': cpus names CPU 256", "at most 256 CPUs");
    memset(m->records[BAD].cpus, 0, sizeof(m->records[BAD].cpus));
    cpu_set(m->records[BAD].cpus_soft, 300);
    assert_rejected_why(m, "domain 'db': cpus_soft names CPU 300", NULL);
    manifest_free(m);
}

#define BAD_POOL 2
#define POOLS 4

static void test_bad_pools(void **state)
{
    (void)state;
    struct manifest *m = manifest_new_pools(2, POOLS);
    struct xencore_pool_record *p = &m->pools[BAD_POOL];
    const struct xencore_pool_record good = *p;

    memset(p->name, 'x', sizeof(p->name));
    assert_rejected_why(m, "pool 2", "name");
    memset(p->name, 0, sizeof(p->name));
    assert_rejected_why(m, "pool 2", "name");
    strcpy(p->name, "real time");
    assert_rejected_why(m, "pool 2", "name");
    strcpy(p->name, "Pool-0");
    assert_rejected_why(m, "pool 2", "Pool-0");
    strcpy(p->name, "pool-1"); /* the name of pool 1 */
    assert_rejected_why(m, "'pool-1'", "listed twice");
    *p = good;

    static const uint32_t bad_schedulers[] = {1, 4, 7, 8, 10, UINT32_MAX};
    for (unsigned int i = 0; i < sizeof(bad_schedulers) / sizeof(bad_schedulers[0]); i++) {
        p->scheduler = bad_schedulers[i];
        char want[64];
        snprintf(want, sizeof(want), "unknown scheduler %u", bad_schedulers[i]);
        assert_rejected_why(m, "'pool-2'", want);
    }
    *p = good;
    p->flags = 2;
    assert_rejected_why(m, "'pool-2'", "flags 0x2");
    *p = good;
    memset(p->cpus, 0, sizeof(p->cpus));
    assert_rejected_why(m, "'pool-2'", "no cpus");
    cpu_set(p->cpus, CPU_LIMIT);
    assert_rejected_why(m, "pool 'pool-2': cpus names CPU 256", NULL);
    *p = good;
    cpu_set(p->cpus, 3); /* pool 1 has CPUs 3 and 4 */
    assert_rejected_why(m, "'pool-1' and 'pool-2' both have CPU 3", NULL);

    /* Every known scheduler, and 0 (Pool-0's), is accepted. */
    static const uint32_t good_schedulers[] = {0, 5, 6, 9};
    for (unsigned int i = 0; i < sizeof(good_schedulers) / sizeof(good_schedulers[0]); i++) {
        *p = good;
        p->scheduler = good_schedulers[i];
        struct result r = decode(m);
        assert_int_equal(r.rc, 2);
        assert_int_equal(r.pools[BAD_POOL].scheduler, good_schedulers[i]);
        result_free(&r);
    }
    manifest_free(m);
}

/* ---- Boot: pools and domains on a host machine --------------------------- */

#define PAGE_BYTES 4096ULL
#define ARENA_BYTES (64ULL << 20)
#define ARENA_FRAMES (ARENA_BYTES / PAGE_BYTES)
#define HOST_CPUS 4
#define GUEST_MEMORY_KIB 2048
#define MAX_DOMID_SCANNED 512

static int machine_setup(void **state)
{
    (void)state;
    void *memory = NULL;
    assert_int_equal(posix_memalign(&memory, 2u << 20, ARENA_BYTES), 0);
    pfn_t base = (uintptr_t)memory / PAGE_BYTES;
    size_t bytes = frame_alloc_table_bytes(ARENA_FRAMES);
    void *table = malloc(bytes);
    assert_non_null(table);
    assert_int_equal(frame_alloc_init(&host_frames, table, bytes, base, ARENA_FRAMES), 0);
    assert_int_equal(frame_alloc_add_range(&host_frames, base, ARENA_FRAMES), 0);
    host_p2m_reset();
    host_set_cpu_count(HOST_CPUS);
    sched_default = &sched_null_ops;
    for (unsigned int cpu = 0; cpu < HOST_CPUS; cpu++) {
        host_set_this_cpu(cpu);
        sched_cpu_add(cpu);
    }
    host_set_this_cpu(0);
    return 0; /* the arena goes with the process */
}

/* A minimal PVH kernel: one ELF32 PT_LOAD at 1 MiB and Xen's PHYS32_ENTRY note. */
static uint8_t kernel_image[TINY_KERNEL_BYTES];

static void build_kernel(void)
{
    tiny_kernel_build(kernel_image);
}

static struct xencore_boot_info boot;

/* The boot modules of an image made from @m: the manifest and one kernel,
 * "vmlinux". */
static void boot_modules(struct manifest *m)
{
    manifest_encode(m);
    build_kernel();
    memset(&boot, 0, sizeof(boot));
    boot.module_count = 2;
    boot.modules[0].base = (uintptr_t)m->bytes;
    boot.modules[0].length = m->length;
    strcpy(boot.modules[0].cmdline, XENCORE_MANIFEST_MODULE_NAME);
    boot.modules[1].base = (uintptr_t)kernel_image;
    boot.modules[1].length = sizeof(kernel_image);
    strcpy(boot.modules[1].cmdline, "vmlinux");
}

static void boot_domain(struct xencore_domain_record *r, const char *name, const char *pool)
{
    memset(r, 0, sizeof(*r));
    strcpy(r->name, name);
    r->memory_kib = GUEST_MEMORY_KIB;
    r->vcpus = 1;
    strcpy(r->kernel_module, "vmlinux");
    strcpy(r->pool, pool);
}

static void boot_pool(struct xencore_pool_record *p, const char *name, uint32_t scheduler,
                      unsigned int first, unsigned int last)
{
    memset(p, 0, sizeof(*p));
    strcpy(p->name, name);
    p->scheduler = scheduler;
    for (unsigned int cpu = first; cpu <= last; cpu++)
        cpu_set(p->cpus, cpu);
}

/* Both steps, in the order xencore_start() takes them. */
static unsigned int boot_run(void)
{
    host_console_clear();
    manifest_create_boot_pools(&boot);
    return manifest_start_boot_domains(&boot);
}

static void assert_console_has(const char *line)
{
    if (!strstr(host_console_text(), line))
        fail_msg("console lacks \"%s\"; it says:\n%s", line, host_console_text());
}

static xencore_domid_t domid_of(const char *name)
{
    for (xencore_domid_t domid = 1; domid < MAX_DOMID_SCANNED; domid++) {
        struct xencore_domain_info info;
        if (xencore_domain_get_info(domid, &info) == 0 && !strcmp(info.name, name))
            return domid;
    }
    return 0;
}

static cpumask_t mask_of(unsigned int first, unsigned int last)
{
    cpumask_t m;
    cpumask_clear_all(&m);
    for (unsigned int cpu = first; cpu <= last; cpu++)
        cpumask_set(&m, cpu);
    return m;
}

static void assert_pool_has(const char *name, unsigned int first, unsigned int last)
{
    xencore_poolid_t id;
    if (xencore_cpupool_find(name, &id))
        fail_msg("pool %s does not exist", name);
    struct xencore_cpupool_info info;
    assert_int_equal(xencore_cpupool_get_info(id, &info), 0);
    cpumask_t want = mask_of(first, last);
    assert_memory_equal(&info.cpus, &want, sizeof(want));
}

/* Destroys every domain and every pool but Pool-0, and checks that the
 * machine is back where it started: all CPUs in Pool-0, the memory free. */
static void machine_reset(uint64_t free_before)
{
    for (xencore_domid_t domid = 1; domid < MAX_DOMID_SCANNED; domid++)
        xencore_domain_destroy(domid);
    for (xencore_poolid_t id = 1; id < XENCORE_POOLS_MAX; id++) {
        struct xencore_cpupool_info info;
        if (xencore_cpupool_get_info(id, &info))
            continue;
        for_each_cpu(cpu, &info.cpus)
        {
            assert_int_equal(xencore_cpupool_cpu_remove(id, cpu), 0);
            assert_int_equal(xencore_cpupool_cpu_add(0, cpu), 0);
        }
        assert_int_equal(xencore_cpupool_destroy(id), 0);
    }
    assert_pool_has("Pool-0", 0, HOST_CPUS - 1);
    assert_int_equal(frame_alloc_free_frames(&host_frames), free_before);
}

static void test_boot_makes_pools_then_domains(void **state)
{
    (void)state;
    uint64_t free_before = frame_alloc_free_frames(&host_frames);
    struct manifest *m = manifest_new_pools(3, 2);
    boot_pool(&m->pools[0], "rt", XENCORE_SCHED_NULL, 2, 3);
    boot_pool(&m->pools[1], "solo", 0, 1, 1); /* Pool-0's scheduler */
    boot_domain(&m->records[0], "a", "rt");
    cpu_set(m->records[0].cpus, 3);
    boot_domain(&m->records[1], "b", "");
    boot_domain(&m->records[2], "c", "Pool-0");
    cpu_set(m->records[2].cpus_soft, 0);
    boot_modules(m);

    assert_int_equal(boot_run(), 3);
    xencore_poolid_t rt, solo;
    assert_int_equal(xencore_cpupool_find("rt", &rt), 0);
    assert_int_equal(xencore_cpupool_find("solo", &solo), 0);
    char line[128];
    snprintf(line, sizeof(line), "xencore: pool rt (pool%u): sched=null cpus=2-3\n", rt);
    assert_console_has(line);
    snprintf(line, sizeof(line), "xencore: pool solo (pool%u): sched=null cpus=1\n", solo);
    assert_console_has(line);
    assert_pool_has("Pool-0", 0, 0);
    assert_pool_has("rt", 2, 3);
    assert_pool_has("solo", 1, 1);

    /* a lives in rt, pinned to CPU 3; b and c in Pool-0, c preferring CPU 0. */
    struct xencore_cpupool_info info;
    assert_int_equal(xencore_cpupool_get_info(rt, &info), 0);
    assert_int_equal(info.domain_count, 1);
    assert_int_equal(xencore_cpupool_get_info(0, &info), 0);
    assert_int_equal(info.domain_count, 2);
    cpumask_t hard, soft;
    assert_int_equal(xencore_vcpu_get_affinity(domid_of("a"), 0, &hard, NULL), 0);
    assert_true(cpumask_test(&hard, 3));
    assert_int_equal(cpumask_weight(&hard), 1);
    assert_int_equal(xencore_vcpu_get_affinity(domid_of("c"), 0, NULL, &soft), 0);
    assert_true(cpumask_test(&soft, 0));
    assert_false(cpumask_test(&soft, 1));
    machine_reset(free_before);
    manifest_free(m);
}

static void test_boot_pool_with_offline_cpu_is_skipped(void **state)
{
    (void)state;
    uint64_t free_before = frame_alloc_free_frames(&host_frames);
    struct manifest *m = manifest_new_pools(2, 1);
    boot_pool(&m->pools[0], "rt", XENCORE_SCHED_NULL, 3, 5); /* CPUs 4, 5 do not exist */
    boot_domain(&m->records[0], "a", "rt");
    boot_domain(&m->records[1], "b", "");
    boot_modules(m);

    assert_int_equal(boot_run(), 1);
    assert_console_has(
        "xencore: pool rt: cpus=3-5 names CPU 4, which is not online; pool not created\n");
    assert_console_has("xencore: domain a: pool 'rt' does not exist; domain not created\n");
    xencore_poolid_t id;
    assert_int_equal(xencore_cpupool_find("rt", &id), XENCORE_ENOENT);
    assert_pool_has("Pool-0", 0, HOST_CPUS - 1);
    assert_int_equal(domid_of("a"), 0);
    assert_true(domid_of("b") != 0);
    machine_reset(free_before);
    manifest_free(m);
}

/* Pool-0 keeps its last CPU: a pool asking for all of them fails on the last
 * one, and the CPUs it had already taken go back. */
static void test_boot_pool_failure_is_undone(void **state)
{
    (void)state;
    uint64_t free_before = frame_alloc_free_frames(&host_frames);
    struct manifest *m = manifest_new_pools(1, 2);
    boot_pool(&m->pools[0], "greedy", XENCORE_SCHED_NULL, 0, HOST_CPUS - 1);
    boot_pool(&m->pools[1], "fine", XENCORE_SCHED_NULL, HOST_CPUS, HOST_CPUS); /* offline */
    boot_domain(&m->records[0], "b", "");
    boot_modules(m);

    assert_int_equal(boot_run(), 1);
    assert_console_has("xencore: pool greedy: CPU 3 cannot leave Pool-0 (error -16); pool not "
                       "created\n");
    assert_console_has("xencore: pool fine: cpus=4 names CPU 4, which is not online");
    assert_false(strstr(host_console_text(), "could not return"));
    xencore_poolid_t id;
    assert_int_equal(xencore_cpupool_find("greedy", &id), XENCORE_ENOENT);
    assert_pool_has("Pool-0", 0, HOST_CPUS - 1);
    machine_reset(free_before);
    manifest_free(m);
}

static void test_boot_domain_naming_offline_cpu_is_skipped(void **state)
{
    (void)state;
    uint64_t free_before = frame_alloc_free_frames(&host_frames);
    struct manifest *m = manifest_new_pools(3, 0);
    boot_domain(&m->records[0], "hard", "");
    cpu_set(m->records[0].cpus, 1);
    cpu_set(m->records[0].cpus, 7);
    boot_domain(&m->records[1], "soft", "");
    cpu_set(m->records[1].cpus_soft, 2);
    cpu_set(m->records[1].cpus_soft, 9);
    boot_domain(&m->records[2], "fine", "");
    cpu_set(m->records[2].cpus, 1);
    boot_modules(m);

    assert_int_equal(boot_run(), 1);
    assert_console_has(
        "xencore: domain hard: cpus names CPU 7, which is not online; domain not created\n");
    assert_console_has(
        "xencore: domain soft: cpus_soft names CPU 9, which is not online; domain not created\n");
    assert_int_equal(domid_of("hard"), 0);
    assert_int_equal(domid_of("soft"), 0);
    assert_true(domid_of("fine") != 0);
    machine_reset(free_before);
    manifest_free(m);
}

static void test_boot_rejected_manifest_makes_nothing(void **state)
{
    (void)state;
    uint64_t free_before = frame_alloc_free_frames(&host_frames);
    struct manifest *m = manifest_new_pools(2, 1);
    boot_pool(&m->pools[0], "rt", XENCORE_SCHED_NULL, 2, 3);
    boot_domain(&m->records[0], "a", "rt");
    boot_domain(&m->records[1], "bad", "");
    m->records[1].vcpus = 0;
    boot_modules(m);

    assert_int_equal(boot_run(), 0);
    assert_console_has("xencore: boot manifest rejected: manifest domain 'bad' asks for 0 vcpus\n");
    xencore_poolid_t id;
    assert_int_equal(xencore_cpupool_find("rt", &id), XENCORE_ENOENT);
    assert_int_equal(domid_of("a"), 0);
    machine_reset(free_before);
    manifest_free(m);
}

static void test_boot_version_1_and_no_manifest(void **state)
{
    (void)state;
    uint64_t free_before = frame_alloc_free_frames(&host_frames);
    struct manifest *m = manifest_new(1);
    boot_domain(&m->records[0], "old", "");
    make_version_1(m);
    boot_modules(m);
    assert_int_equal(boot_run(), 1);
    assert_true(domid_of("old") != 0);
    assert_null(strstr(host_console_text(), "xencore: pool"));
    machine_reset(free_before);

    /* No manifest among the modules: nothing is made, nothing is said. */
    boot.modules[0] = boot.modules[1];
    boot.module_count = 1;
    assert_int_equal(boot_run(), 0);
    assert_null(strstr(host_console_text(), "manifest"));
    machine_reset(free_before);
    manifest_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_domain),
        cmocka_unit_test(test_no_domains),
        cmocka_unit_test(test_sixty_four_domains),
        cmocka_unit_test(test_newer_writer_sizes),
        cmocka_unit_test(test_version_1_accepted),
        cmocka_unit_test(test_pools_decoded),
        cmocka_unit_test(test_cpu_limit_is_the_hypervisors),
        cmocka_unit_test(test_short_buffer),
        cmocka_unit_test(test_every_truncation_rejected),
        cmocka_unit_test(test_bad_magic_or_version),
        cmocka_unit_test(test_bad_header_size),
        cmocka_unit_test(test_too_many_domains),
        cmocka_unit_test(test_bad_record_size),
        cmocka_unit_test(test_records_do_not_fit),
        cmocka_unit_test(test_bad_names),
        cmocka_unit_test(test_bad_kernel_module),
        cmocka_unit_test(test_unterminated_cmdline),
        cmocka_unit_test(test_bad_vcpus),
        cmocka_unit_test(test_no_memory),
        cmocka_unit_test(test_unknown_flags),
        cmocka_unit_test(test_last_record_bad),
        cmocka_unit_test(test_too_many_pools),
        cmocka_unit_test(test_bad_pool_record_size),
        cmocka_unit_test(test_pools_do_not_fit),
        cmocka_unit_test(test_bad_weight_and_cap),
        cmocka_unit_test(test_bad_domain_pool_name),
        cmocka_unit_test(test_domain_cpus_beyond_limit),
        cmocka_unit_test(test_bad_pools),
    };
    const struct CMUnitTest boot_tests[] = {
        cmocka_unit_test(test_boot_makes_pools_then_domains),
        cmocka_unit_test(test_boot_pool_with_offline_cpu_is_skipped),
        cmocka_unit_test(test_boot_pool_failure_is_undone),
        cmocka_unit_test(test_boot_domain_naming_offline_cpu_is_skipped),
        cmocka_unit_test(test_boot_rejected_manifest_makes_nothing),
        cmocka_unit_test(test_boot_version_1_and_no_manifest),
    };
    int failures = cmocka_run_group_tests(tests, NULL, NULL);
    failures += cmocka_run_group_tests(boot_tests, machine_setup, NULL);
    return failures;
}
