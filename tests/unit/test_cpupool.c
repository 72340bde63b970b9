/* Unit tests of CPU pools (libxencore/sched/cpupool.c), the pool side of
 * domain creation (core/domain.c) and the null scheduler's placement.
 *
 * An operator partitions a machine with these calls; what they must see:
 * every CPU is in at most one pool; the pool's CPUs are the ones that run its
 * domains' vCPUs; a domain moved to another pool runs there; and every
 * request the documentation refuses (the last CPU of Pool-0, a CPU that is
 * busy in another pool, a pool still in use, a duplicate name, an unknown
 * scheduler, an affinity naming no CPU of the pool) returns its documented
 * error and changes nothing at all: each refusal is checked against a full
 * snapshot of the pools taken before the call, and the free memory is the
 * same after each test as before it.
 *
 * The host arch offers several virtual CPUs; a CPU "runs" a vCPU when the test
 * calls schedule_pick() as that CPU, as the real loop would. Real domains are
 * built through xencore_domain_create() from a tiny PVH ELF image, in an arena
 * of real memory handed to the frame allocator. Pool-0 runs the null
 * scheduler here (sched_default is set before the first CPU joins), so the
 * tests do not depend on the credit schedulers; where a test needs weights
 * it is skipped until a scheduler with weights is complete. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "le_put.h"
#include "tiny_kernel.h"

#include <xencore/domain.h>
#include <xencore/sched.h>

#include "arch/host/arch_host.h"
#include "core/domain.h"
#include "lib/errno.h"
#include "mm/frame_alloc.h"
#include "sched/cpupool.h"
#include "sched/sched.h"

#define PAGE_BYTES 4096ULL
#define ARENA_BYTES (64ULL << 20)
#define ARENA_FRAMES (ARENA_BYTES / PAGE_BYTES)
#define HOST_CPUS 4
#define GUEST_MEMORY_KIB 2048

/* ---- A machine: memory, four CPUs, Pool-0 --------------------------------- */

static uint8_t *arena_memory;
static void *arena_table;

static int machine_setup(void **state)
{
    (void)state;
    void *memory = NULL;
    assert_int_equal(posix_memalign(&memory, 2u << 20, ARENA_BYTES), 0);
    arena_memory = memory;
    pfn_t base = (uintptr_t)arena_memory / PAGE_BYTES;
    size_t bytes = frame_alloc_table_bytes(ARENA_FRAMES);
    arena_table = malloc(bytes);
    assert_non_null(arena_table);
    assert_int_equal(frame_alloc_init(&host_frames, arena_table, bytes, base, ARENA_FRAMES), 0);
    assert_int_equal(frame_alloc_add_range(&host_frames, base, ARENA_FRAMES), 0);
    host_p2m_reset();
    host_set_cpu_count(HOST_CPUS);
    sched_default = &sched_null_ops;
    for (unsigned int cpu = 0; cpu < HOST_CPUS; cpu++) {
        host_set_this_cpu(cpu);
        sched_cpu_add(cpu);
    }
    host_set_this_cpu(0);
    return 0;
}

static int machine_teardown(void **state)
{
    (void)state;
    host_p2m_reset();
    /* Pool-0's instance keeps its page; the arena goes with the process. */
    return 0;
}

static int clear_console(void **state)
{
    (void)state;
    host_console_clear();
    return 0;
}

/* ---- Snapshots ------------------------------------------------------------- */

struct pools_snapshot {
    bool exists[XENCORE_POOLS_MAX];
    struct xencore_cpupool_info info[XENCORE_POOLS_MAX];
    struct sched_instance *cpu_instance[HOST_CPUS];
    uint64_t free_frames;
};

static void snapshot(struct pools_snapshot *s)
{
    memset(s, 0, sizeof(*s));
    for (unsigned int id = 0; id < XENCORE_POOLS_MAX; id++)
        s->exists[id] = xencore_cpupool_get_info(id, &s->info[id]) == 0;
    for (unsigned int cpu = 0; cpu < HOST_CPUS; cpu++)
        s->cpu_instance[cpu] = sched_of_cpu(cpu);
    s->free_frames = frame_alloc_free_frames(&host_frames);
}

static void assert_unchanged(const struct pools_snapshot *before)
{
    struct pools_snapshot now;
    snapshot(&now);
    assert_memory_equal(now.exists, before->exists, sizeof(now.exists));
    for (unsigned int id = 0; id < XENCORE_POOLS_MAX; id++)
        if (now.exists[id])
            assert_memory_equal(&now.info[id], &before->info[id], sizeof(now.info[id]));
    assert_memory_equal(now.cpu_instance, before->cpu_instance, sizeof(now.cpu_instance));
    assert_int_equal(now.free_frames, before->free_frames);
}

/* The invariant of every state: each CPU is in at most one pool, and a pool's
 * CPU set is exactly the CPUs whose instance is the pool's. */
static void assert_pools_consistent(void)
{
    unsigned int owners[HOST_CPUS] = {0};
    for (unsigned int id = 0; id < XENCORE_POOLS_MAX; id++) {
        struct xencore_cpupool_info info;
        if (xencore_cpupool_get_info(id, &info))
            continue;
        unsigned int count = 0;
        for (unsigned int cpu = 0; cpu < XENCORE_MAX_CPUS; cpu++) {
            if (!cpumask_test(&info.cpus, cpu))
                continue;
            assert_true(cpu < HOST_CPUS);
            owners[cpu]++;
            count++;
            struct sched_instance *s = sched_of_cpu(cpu);
            assert_non_null(s);
            assert_int_equal(s->pool->id, id);
        }
        assert_int_equal(info.cpu_count, count);
    }
    for (unsigned int cpu = 0; cpu < HOST_CPUS; cpu++) {
        assert_true(owners[cpu] <= 1);
        assert_int_equal(owners[cpu] == 1, sched_of_cpu(cpu) != NULL);
    }
}

static cpumask_t mask_of(unsigned int first, unsigned int count)
{
    cpumask_t m;
    cpumask_clear_all(&m);
    for (unsigned int cpu = first; cpu < first + count; cpu++)
        cpumask_set(&m, cpu);
    return m;
}

static void assert_pool_cpus(xencore_poolid_t id, unsigned int first, unsigned int count)
{
    struct xencore_cpupool_info info;
    assert_int_equal(xencore_cpupool_get_info(id, &info), 0);
    cpumask_t want = mask_of(first, count);
    assert_memory_equal(&info.cpus, &want, sizeof(want));
    assert_int_equal(info.cpu_count, count);
}

/* ---- Domains ----------------------------------------------------------------- */

/* A minimal PVH kernel: one ELF32 PT_LOAD at 1 MiB and the Xen PHYS32_ENTRY note. */
static uint8_t kernel[TINY_KERNEL_BYTES];

static void build_kernel(void)
{
    tiny_kernel_build(kernel);
}

static struct xencore_domain_config config_for(const char *name, const char *pool, uint32_t vcpus)
{
    build_kernel();
    struct xencore_domain_config c = {
        .name = name,
        .memory_kib = GUEST_MEMORY_KIB,
        .vcpus = vcpus,
        .kernel = kernel,
        .kernel_size = sizeof(kernel),
        .pool = pool,
    };
    return c;
}

static xencore_domid_t make_domain(const char *name, const char *pool)
{
    struct xencore_domain_config c = config_for(name, pool, 1);
    xencore_domid_t domid = 0;
    assert_int_equal(xencore_domain_create(&c, &domid), 0);
    assert_int_equal(xencore_domain_unpause(domid), 0);
    return domid;
}

static struct vcpu *vcpu_of(xencore_domid_t domid, unsigned int id)
{
    struct domain *d = domain_find(domid);
    assert_non_null(d);
    assert_true(id < d->nr_vcpus);
    return d->vcpus[id];
}

/* What @cpu runs when it chooses now (and it gives it back at once). */
static struct vcpu *runs_on(unsigned int cpu)
{
    host_set_this_cpu(cpu);
    struct vcpu *v = schedule_pick(cpu);
    if (v) {
        assert_true(v->is_running);
        assert_int_equal(v->processor, cpu);
        assert_int_equal(v->runstate, RUNSTATE_running);
        schedule_put(cpu, v);
        assert_false(v->is_running);
    }
    host_set_this_cpu(0);
    return v;
}

/* The CPU of Pool-0's CPUs [first, first+count) that runs @v, asserting that no
 * other CPU of the machine does. */
static int cpu_running(struct vcpu *v)
{
    int found = -1;
    for (unsigned int cpu = 0; cpu < HOST_CPUS; cpu++) {
        if (runs_on(cpu) == v) {
            assert_int_equal(found, -1);
            found = (int)cpu;
        }
    }
    return found;
}

static xencore_poolid_t make_pool(const char *name, unsigned int first_cpu, unsigned int count)
{
    xencore_poolid_t id = 0;
    assert_int_equal(xencore_cpupool_create(name, XENCORE_SCHED_NULL, &id), 0);
    for (unsigned int cpu = first_cpu; cpu < first_cpu + count; cpu++) {
        assert_int_equal(xencore_cpupool_cpu_remove(0, cpu), 0);
        assert_int_equal(xencore_cpupool_cpu_add(id, cpu), 0);
    }
    assert_pools_consistent();
    return id;
}

static void drop_pool(xencore_poolid_t id)
{
    struct xencore_cpupool_info info;
    assert_int_equal(xencore_cpupool_get_info(id, &info), 0);
    for_each_cpu(cpu, &info.cpus)
    {
        assert_int_equal(xencore_cpupool_cpu_remove(id, cpu), 0);
        assert_int_equal(xencore_cpupool_cpu_add(0, cpu), 0);
    }
    assert_int_equal(xencore_cpupool_destroy(id), 0);
    assert_pools_consistent();
}

/* ---- Pool-0 ----------------------------------------------------------------- */

static void test_pool0_holds_every_cpu(void **state)
{
    (void)state;
    struct xencore_cpupool_info info;
    assert_int_equal(xencore_cpupool_get_info(0, &info), 0);
    assert_string_equal(info.name, "Pool-0");
    assert_int_equal(info.id, 0);
    assert_int_equal(info.scheduler, XENCORE_SCHED_NULL);
    assert_pool_cpus(0, 0, HOST_CPUS);
    assert_int_equal(info.domain_count, 0);
    xencore_poolid_t id = 99;
    assert_int_equal(xencore_cpupool_find("Pool-0", &id), 0);
    assert_int_equal(id, 0);
    assert_int_equal(xencore_cpupool_find("Pool-1", &id), XENCORE_ENOENT);
    assert_int_equal(xencore_cpupool_get_info(1, &info), XENCORE_ENOENT);
    assert_int_equal(xencore_cpupool_get_info(XENCORE_POOLS_MAX, &info), XENCORE_ENOENT);
    assert_pools_consistent();
}

/* ---- Creating and destroying pools ---------------------------------------------- */

static void test_create_find_destroy(void **state)
{
    (void)state;
    uint64_t free_before = frame_alloc_free_frames(&host_frames);
    xencore_poolid_t id = 0, found = 0;
    assert_int_equal(xencore_cpupool_create("rt-pool", XENCORE_SCHED_NULL, &id), 0);
    assert_true(id > 0 && id < XENCORE_POOLS_MAX);
    assert_int_equal(xencore_cpupool_find("rt-pool", &found), 0);
    assert_int_equal(found, id);
    struct xencore_cpupool_info info;
    assert_int_equal(xencore_cpupool_get_info(id, &info), 0);
    assert_string_equal(info.name, "rt-pool");
    assert_int_equal(info.scheduler, XENCORE_SCHED_NULL);
    assert_int_equal(info.cpu_count, 0);
    assert_int_equal(info.domain_count, 0);
    assert_non_null(strstr(host_console_text(), "rt-pool"));

    assert_int_equal(xencore_cpupool_destroy(id), 0);
    assert_int_equal(xencore_cpupool_find("rt-pool", &found), XENCORE_ENOENT);
    assert_int_equal(xencore_cpupool_destroy(id), XENCORE_ENOENT);
    assert_int_equal(frame_alloc_free_frames(&host_frames), free_before);
    /* The name is free again. */
    assert_int_equal(xencore_cpupool_create("rt-pool", XENCORE_SCHED_NULL, &id), 0);
    assert_int_equal(xencore_cpupool_destroy(id), 0);
    assert_pools_consistent();
}

static void test_create_refusals_change_nothing(void **state)
{
    (void)state;
    xencore_poolid_t id = 0;
    assert_int_equal(xencore_cpupool_create("taken", XENCORE_SCHED_NULL, &id), 0);
    struct pools_snapshot before;
    snapshot(&before);
    xencore_poolid_t out = 77;

    assert_int_equal(xencore_cpupool_create("taken", XENCORE_SCHED_NULL, &out), XENCORE_EEXIST);
    assert_int_equal(xencore_cpupool_create("Pool-0", XENCORE_SCHED_NULL, &out), XENCORE_EEXIST);
    assert_int_equal(xencore_cpupool_create("", XENCORE_SCHED_NULL, &out), XENCORE_EINVAL);
    assert_int_equal(xencore_cpupool_create(NULL, XENCORE_SCHED_NULL, &out), XENCORE_EINVAL);
    assert_int_equal(xencore_cpupool_create("has space", XENCORE_SCHED_NULL, &out), XENCORE_EINVAL);
    assert_int_equal(xencore_cpupool_create("slash/", XENCORE_SCHED_NULL, &out), XENCORE_EINVAL);
    char long_name[XENCORE_POOL_NAME_MAX + 2];
    memset(long_name, 'p', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    assert_int_equal(xencore_cpupool_create(long_name, XENCORE_SCHED_NULL, &out), XENCORE_EINVAL);
    assert_int_equal(xencore_cpupool_create("ok", XENCORE_SCHED_NULL, NULL), XENCORE_EINVAL);
    /* Unknown schedulers: a number Xen uses for something we lack, and nonsense. */
    assert_int_equal(xencore_cpupool_create("ok", (enum xencore_scheduler)7, &out), XENCORE_EINVAL);
    assert_int_equal(xencore_cpupool_create("ok", (enum xencore_scheduler)0, &out), XENCORE_EINVAL);
    assert_int_equal(out, 77);
    assert_unchanged(&before);

    /* The longest valid name is fine. */
    long_name[XENCORE_POOL_NAME_MAX] = '\0';
    assert_int_equal(xencore_cpupool_create(long_name, XENCORE_SCHED_NULL, &out), 0);
    assert_int_equal(xencore_cpupool_destroy(out), 0);
    assert_int_equal(xencore_cpupool_destroy(id), 0);
    assert_pools_consistent();
}

static void test_pool_table_full(void **state)
{
    (void)state;
    uint64_t free_before = frame_alloc_free_frames(&host_frames);
    xencore_poolid_t ids[XENCORE_POOLS_MAX];
    unsigned int made = 0;
    char name[16];
    for (; made < XENCORE_POOLS_MAX - 1; made++) {
        snprintf(name, sizeof(name), "p%u", made);
        assert_int_equal(xencore_cpupool_create(name, XENCORE_SCHED_NULL, &ids[made]), 0);
    }
    struct pools_snapshot before;
    snapshot(&before);
    xencore_poolid_t out;
    assert_int_equal(xencore_cpupool_create("one-more", XENCORE_SCHED_NULL, &out), XENCORE_ENOSPC);
    assert_unchanged(&before);
    for (unsigned int i = 0; i < made; i++)
        assert_int_equal(xencore_cpupool_destroy(ids[i]), 0);
    assert_int_equal(frame_alloc_free_frames(&host_frames), free_before);
}

static void test_destroy_refusals(void **state)
{
    (void)state;
    xencore_poolid_t id = make_pool("busy", 3, 1);
    struct pools_snapshot before;
    snapshot(&before);
    assert_int_equal(xencore_cpupool_destroy(0), XENCORE_EPERM);
    assert_int_equal(xencore_cpupool_destroy(id), XENCORE_EBUSY); /* it has CPU 3 */
    assert_int_equal(xencore_cpupool_destroy(XENCORE_POOLS_MAX), XENCORE_ENOENT);
    assert_int_equal(xencore_cpupool_destroy(XENCORE_POOLS_MAX - 1), XENCORE_ENOENT);
    assert_unchanged(&before);
    drop_pool(id);
}

/* ---- Moving CPUs ------------------------------------------------------------- */

static void test_move_cpu_between_pools(void **state)
{
    (void)state;
    xencore_poolid_t id = 0;
    assert_int_equal(xencore_cpupool_create("pair", XENCORE_SCHED_NULL, &id), 0);
    struct sched_instance *pool0 = sched_of_cpu(0);

    /* A CPU in Pool-0 is busy for another pool. */
    struct pools_snapshot before;
    snapshot(&before);
    assert_int_equal(xencore_cpupool_cpu_add(id, 2), XENCORE_EBUSY);
    assert_unchanged(&before);

    assert_int_equal(xencore_cpupool_cpu_remove(0, 2), 0);
    assert_null(sched_of_cpu(2)); /* free: in no pool */
    assert_int_equal(xencore_cpupool_cpu_remove(0, 3), 0);
    assert_pool_cpus(0, 0, 2);
    assert_int_equal(xencore_cpupool_cpu_add(id, 2), 0);
    assert_int_equal(xencore_cpupool_cpu_add(id, 3), 0);
    assert_pool_cpus(id, 2, 2);
    assert_pool_cpus(0, 0, 2);
    assert_ptr_equal(sched_of_cpu(0), pool0);
    assert_ptr_equal(sched_of_cpu(2)->pool->id, id);
    assert_pools_consistent();

    /* Refusals: each changes nothing. */
    snapshot(&before);
    assert_int_equal(xencore_cpupool_cpu_add(id, 3), XENCORE_EBUSY);     /* already there */
    assert_int_equal(xencore_cpupool_cpu_add(0, 2), XENCORE_EBUSY);      /* in the other pool */
    assert_int_equal(xencore_cpupool_cpu_remove(id, 0), XENCORE_EINVAL); /* not in that pool */
    assert_int_equal(xencore_cpupool_cpu_remove(0, 3), XENCORE_EINVAL);
    assert_int_equal(xencore_cpupool_cpu_add(id, HOST_CPUS), XENCORE_EINVAL); /* never checked */
    assert_int_equal(xencore_cpupool_cpu_add(id, XENCORE_MAX_CPUS), XENCORE_EINVAL);
    assert_int_equal(xencore_cpupool_cpu_add(id + 1, 2), XENCORE_ENOENT);
    assert_int_equal(xencore_cpupool_cpu_remove(id + 1, 2), XENCORE_ENOENT);
    assert_int_equal(xencore_cpupool_cpu_remove(id, XENCORE_MAX_CPUS), XENCORE_EINVAL);
    assert_unchanged(&before);

    /* A pool without domains may give up its last CPU. */
    drop_pool(id);
    assert_pool_cpus(0, 0, HOST_CPUS);
}

static void test_last_cpu_of_pool0_stays(void **state)
{
    (void)state;
    for (unsigned int cpu = 1; cpu < HOST_CPUS; cpu++)
        assert_int_equal(xencore_cpupool_cpu_remove(0, cpu), 0);
    assert_pool_cpus(0, 0, 1);
    struct pools_snapshot before;
    snapshot(&before);
    assert_int_equal(xencore_cpupool_cpu_remove(0, 0), XENCORE_EBUSY);
    assert_unchanged(&before);
    for (unsigned int cpu = 1; cpu < HOST_CPUS; cpu++)
        assert_int_equal(xencore_cpupool_cpu_add(0, cpu), 0);
    assert_pool_cpus(0, 0, HOST_CPUS);
    assert_pools_consistent();
}

/* ---- Domains in pools -------------------------------------------------------- */

static void test_domain_runs_only_on_its_pool(void **state)
{
    (void)state;
    uint64_t free_before = frame_alloc_free_frames(&host_frames);
    xencore_poolid_t id = make_pool("guests", 3, 1);
    xencore_domid_t a = make_domain("in-pool", "guests");
    xencore_domid_t b = make_domain("in-pool0", NULL);
    struct xencore_cpupool_info info;
    assert_int_equal(xencore_cpupool_get_info(id, &info), 0);
    assert_int_equal(info.domain_count, 1);
    assert_int_equal(xencore_cpupool_get_info(0, &info), 0);
    assert_int_equal(info.domain_count, 1);

    assert_int_equal(cpu_running(vcpu_of(a, 0)), 3);
    int cpu_b = cpu_running(vcpu_of(b, 0));
    assert_true(cpu_b >= 0 && cpu_b < 3);

    /* The pool's last CPU cannot go while a domain lives there, nor the pool. */
    struct pools_snapshot before;
    snapshot(&before);
    assert_int_equal(xencore_cpupool_cpu_remove(id, 3), XENCORE_EBUSY);
    assert_int_equal(xencore_cpupool_destroy(id), XENCORE_EBUSY);
    assert_unchanged(&before);

    assert_int_equal(xencore_domain_destroy(a), 0);
    assert_int_equal(xencore_cpupool_get_info(id, &info), 0);
    assert_int_equal(info.domain_count, 0);
    assert_int_equal(xencore_domain_destroy(b), 0);
    drop_pool(id);
    assert_int_equal(frame_alloc_free_frames(&host_frames), free_before);
}

static void test_domain_create_pool_refusals(void **state)
{
    (void)state;
    xencore_poolid_t id = make_pool("small", 3, 1);
    struct pools_snapshot before;
    snapshot(&before);
    xencore_domid_t domid = 0;

    struct xencore_domain_config c = config_for("nowhere", "no-such-pool", 1);
    assert_int_equal(xencore_domain_create(&c, &domid), XENCORE_EINVAL);
    assert_non_null(strstr(host_console_text(), "no-such-pool"));

    /* Hard affinity naming only CPUs outside the pool. */
    cpumask_t outside = mask_of(0, 3);
    c = config_for("misplaced", "small", 1);
    c.cpus = &outside;
    assert_int_equal(xencore_domain_create(&c, &domid), XENCORE_EINVAL);
    cpumask_t none = mask_of(0, 0);
    c.cpus = &none;
    assert_int_equal(xencore_domain_create(&c, &domid), XENCORE_EINVAL);

    /* The null scheduler has no weight or cap. */
    c = config_for("weighty", "small", 1);
    c.weight = 512;
    assert_int_equal(xencore_domain_create(&c, &domid), XENCORE_EINVAL);
    c.weight = 0;
    c.cap = 50;
    assert_int_equal(xencore_domain_create(&c, &domid), XENCORE_EINVAL);

    /* Out of range whatever the scheduler. */
    c = config_for("heavy", NULL, 2);
    c.weight = 65536;
    assert_int_equal(xencore_domain_create(&c, &domid), XENCORE_EINVAL);
    c.weight = 0;
    c.cap = 201; /* more than 100 per vCPU */
    assert_int_equal(xencore_domain_create(&c, &domid), XENCORE_EINVAL);

    assert_int_equal(domain_count(), 0);
    assert_unchanged(&before);
    drop_pool(id);
}

static void test_domain_affinity_from_config(void **state)
{
    (void)state;
    cpumask_t hard = mask_of(1, 1), soft = mask_of(2, 2);
    struct xencore_domain_config c = config_for("pinned", NULL, 1);
    c.cpus = &hard;
    c.cpus_soft = &soft;
    c.weight = 256; /* the default: fine even for null */
    xencore_domid_t domid = 0;
    assert_int_equal(xencore_domain_create(&c, &domid), 0);
    assert_int_equal(xencore_domain_unpause(domid), 0);
    cpumask_t got_hard, got_soft;
    assert_int_equal(xencore_vcpu_get_affinity(domid, 0, &got_hard, &got_soft), 0);
    assert_memory_equal(&got_hard, &hard, sizeof(hard));
    assert_memory_equal(&got_soft, &soft, sizeof(soft));
    assert_int_equal(cpu_running(vcpu_of(domid, 0)), 1);

    /* Its only CPU cannot leave Pool-0. */
    struct pools_snapshot before;
    snapshot(&before);
    assert_int_equal(xencore_cpupool_cpu_remove(0, 1), XENCORE_EBUSY);
    assert_unchanged(&before);
    assert_int_equal(xencore_domain_destroy(domid), 0);
}

static void test_null_places_by_affinity(void **state)
{
    (void)state;
    /* Soft affinity steers the choice when the CPU is free. */
    cpumask_t soft = mask_of(2, 1);
    struct xencore_domain_config c = config_for("soft", NULL, 1);
    c.cpus_soft = &soft;
    xencore_domid_t s = 0;
    assert_int_equal(xencore_domain_create(&c, &s), 0);
    assert_int_equal(xencore_domain_unpause(s), 0);
    assert_int_equal(cpu_running(vcpu_of(s, 0)), 2);

    /* Two vCPUs wanting the same single CPU: the second waits. */
    cpumask_t only0 = mask_of(0, 1);
    c = config_for("first", NULL, 1);
    c.cpus = &only0;
    xencore_domid_t a = 0, b = 0;
    assert_int_equal(xencore_domain_create(&c, &a), 0);
    c = config_for("second", NULL, 1);
    c.cpus = &only0;
    assert_int_equal(xencore_domain_create(&c, &b), 0);
    assert_int_equal(xencore_domain_unpause(a), 0);
    assert_int_equal(xencore_domain_unpause(b), 0);
    assert_int_equal(cpu_running(vcpu_of(a, 0)), 0);
    assert_int_equal(cpu_running(vcpu_of(b, 0)), -1);
    /* Moving the waiter's affinity to a free CPU lets it run there. */
    cpumask_t only3 = mask_of(3, 1);
    assert_int_equal(xencore_vcpu_set_affinity(b, 0, &only3, NULL), 0);
    assert_int_equal(cpu_running(vcpu_of(b, 0)), 3);
    /* When the first goes, CPU 0 is free for whoever may use it. */
    assert_int_equal(xencore_domain_destroy(a), 0);
    assert_int_equal(xencore_vcpu_set_affinity(b, 0, &only0, NULL), 0);
    assert_int_equal(cpu_running(vcpu_of(b, 0)), 0);

    assert_int_equal(xencore_domain_destroy(b), 0);
    assert_int_equal(xencore_domain_destroy(s), 0);
}

static void test_affinity_refusals(void **state)
{
    (void)state;
    xencore_poolid_t id = make_pool("aff", 3, 1);
    xencore_domid_t domid = make_domain("aff-dom", "aff");
    cpumask_t hard_before, soft_before;
    assert_int_equal(xencore_vcpu_get_affinity(domid, 0, &hard_before, &soft_before), 0);

    cpumask_t outside = mask_of(0, 3), none = mask_of(0, 0);
    assert_int_equal(xencore_vcpu_set_affinity(domid, 0, &outside, NULL), XENCORE_EINVAL);
    assert_int_equal(xencore_vcpu_set_affinity(domid, 0, &none, &none), XENCORE_EINVAL);
    assert_int_equal(xencore_vcpu_set_affinity(domid, 1, NULL, &none), XENCORE_ENOENT);
    assert_int_equal(xencore_vcpu_set_affinity(domid + 100, 0, NULL, &none), XENCORE_ENOENT);
    cpumask_t hard, soft;
    assert_int_equal(xencore_vcpu_get_affinity(domid, 0, &hard, &soft), 0);
    assert_memory_equal(&hard, &hard_before, sizeof(hard));
    assert_memory_equal(&soft, &soft_before, sizeof(soft));
    assert_int_equal(xencore_vcpu_get_affinity(domid, 1, &hard, NULL), XENCORE_ENOENT);
    assert_int_equal(cpu_running(vcpu_of(domid, 0)), 3);

    /* An empty soft affinity is allowed: no preference. */
    assert_int_equal(xencore_vcpu_set_affinity(domid, 0, NULL, &none), 0);
    assert_int_equal(cpu_running(vcpu_of(domid, 0)), 3);

    assert_int_equal(xencore_domain_destroy(domid), 0);
    drop_pool(id);
}

static void test_move_domain(void **state)
{
    (void)state;
    uint64_t free_before = frame_alloc_free_frames(&host_frames);
    cpumask_t only1 = mask_of(1, 1);
    struct xencore_domain_config c = config_for("mover", NULL, 1);
    c.cpus = &only1;
    xencore_domid_t domid = 0;
    assert_int_equal(xencore_domain_create(&c, &domid), 0);
    assert_int_equal(xencore_domain_unpause(domid), 0);
    assert_int_equal(cpu_running(vcpu_of(domid, 0)), 1);

    xencore_poolid_t empty = 0;
    assert_int_equal(xencore_cpupool_create("empty", XENCORE_SCHED_NULL, &empty), 0);
    xencore_poolid_t id = make_pool("target", 3, 1);

    struct pools_snapshot before;
    snapshot(&before);
    assert_int_equal(xencore_cpupool_move_domain(empty, domid), XENCORE_EBUSY);
    assert_int_equal(xencore_cpupool_move_domain(XENCORE_POOLS_MAX - 1, domid), XENCORE_ENOENT);
    assert_int_equal(xencore_cpupool_move_domain(id, domid + 100), XENCORE_ENOENT);
    assert_unchanged(&before);

    host_console_clear();
    assert_int_equal(xencore_cpupool_move_domain(id, domid), 0);
    /* Its affinity (CPU 1) names no CPU of the new pool: reset, and said so. */
    assert_non_null(strstr(host_console_text(), "reset to all CPUs"));
    cpumask_t hard;
    assert_int_equal(xencore_vcpu_get_affinity(domid, 0, &hard, NULL), 0);
    cpumask_t all;
    cpumask_set_all(&all);
    assert_memory_equal(&hard, &all, sizeof(all));
    assert_int_equal(cpu_running(vcpu_of(domid, 0)), 3);
    struct xencore_cpupool_info info;
    assert_int_equal(xencore_cpupool_get_info(id, &info), 0);
    assert_int_equal(info.domain_count, 1);
    assert_int_equal(xencore_cpupool_get_info(0, &info), 0);
    assert_int_equal(info.domain_count, 0);

    /* Back again; moving to the pool it is in is a no-op. */
    assert_int_equal(xencore_cpupool_move_domain(0, domid), 0);
    assert_int_equal(xencore_cpupool_move_domain(0, domid), 0);
    int cpu = cpu_running(vcpu_of(domid, 0));
    assert_true(cpu >= 0 && cpu < 3);
    assert_int_equal(xencore_cpupool_get_info(id, &info), 0);
    assert_int_equal(info.domain_count, 0);

    assert_int_equal(xencore_domain_destroy(domid), 0);
    assert_int_equal(xencore_cpupool_destroy(empty), 0);
    drop_pool(id);
    assert_int_equal(frame_alloc_free_frames(&host_frames), free_before);
}

/* A CPU that runs a vCPU of its pool leaves only once that vCPU stops. */
static void test_busy_cpu_leaves_at_its_next_choice(void **state)
{
    (void)state;
    xencore_poolid_t id = make_pool("two", 2, 2);
    xencore_domid_t domid = make_domain("busy", "two");
    struct vcpu *v = vcpu_of(domid, 0);
    int cpu = cpu_running(v);
    assert_true(cpu == 2 || cpu == 3);
    unsigned int other = cpu == 2 ? 3 : 2;

    /* The CPU removes itself while it runs the vCPU (as from a hypercall). */
    host_set_this_cpu((unsigned int)cpu);
    assert_ptr_equal(schedule_pick((unsigned int)cpu), v);
    assert_int_equal(xencore_cpupool_cpu_remove(id, (unsigned int)cpu), 0);
    assert_true(core_cpu_should_reschedule());
    schedule_put((unsigned int)cpu, v);
    assert_null(schedule_pick((unsigned int)cpu)); /* applies the change */
    host_set_this_cpu(0);
    assert_null(sched_of_cpu((unsigned int)cpu));
    assert_pool_cpus(id, other, 1);
    assert_int_equal(cpu_running(v), (int)other);
    assert_pools_consistent();

    assert_int_equal(xencore_cpupool_cpu_add(0, (unsigned int)cpu), 0);
    assert_int_equal(xencore_domain_destroy(domid), 0);
    drop_pool(id);
}

static void test_sched_params_on_null(void **state)
{
    (void)state;
    xencore_domid_t domid = make_domain("plain", NULL);
    struct xencore_sched_params p = {.weight = 512, .cap = 0};
    assert_int_equal(xencore_sched_domain_get(domid, &p), XENCORE_EINVAL);
    assert_int_equal(xencore_sched_domain_set(domid, &p), XENCORE_EINVAL);
    assert_int_equal(xencore_sched_domain_get(domid + 100, &p), XENCORE_ENOENT);
    struct xencore_sched_pool_params pp = {.tslice_ms = 30, .ratelimit_us = 1000};
    assert_int_equal(xencore_sched_pool_get(0, &pp), XENCORE_EINVAL);
    assert_int_equal(xencore_sched_pool_set(0, &pp), XENCORE_EINVAL);
    assert_int_equal(xencore_sched_pool_get(XENCORE_POOLS_MAX - 1, &pp), XENCORE_ENOENT);
    assert_int_equal(xencore_domain_destroy(domid), 0);
}

/* Weights need credit or credit2: skipped until one of them is complete. */
static void test_sched_params_with_weights(void **state)
{
    (void)state;
    enum xencore_scheduler which = XENCORE_SCHED_CREDIT2;
    if (!sched_policy_available(&sched_credit2_ops)) {
        which = XENCORE_SCHED_CREDIT;
        if (!sched_policy_available(&sched_credit_ops))
            skip();
    }
    xencore_poolid_t id = 0;
    assert_int_equal(xencore_cpupool_create("weighted", which, &id), 0);
    assert_int_equal(xencore_cpupool_cpu_remove(0, 3), 0);
    assert_int_equal(xencore_cpupool_cpu_add(id, 3), 0);
    struct xencore_domain_config c = config_for("w", "weighted", 2);
    c.weight = 512;
    c.cap = 150;
    xencore_domid_t domid = 0;
    assert_int_equal(xencore_domain_create(&c, &domid), 0);
    struct xencore_sched_params p;
    assert_int_equal(xencore_sched_domain_get(domid, &p), 0);
    assert_int_equal(p.weight, 512);
    assert_int_equal(p.cap, 150);
    struct xencore_sched_params bad = {.weight = 65536, .cap = 0};
    assert_int_equal(xencore_sched_domain_set(domid, &bad), XENCORE_EINVAL);
    bad = (struct xencore_sched_params){.weight = 100, .cap = 201};
    assert_int_equal(xencore_sched_domain_set(domid, &bad), XENCORE_EINVAL);
    assert_int_equal(xencore_sched_domain_get(domid, &p), 0);
    assert_int_equal(p.weight, 512);
    assert_int_equal(p.cap, 150);
    struct xencore_sched_params keep_weight = {.weight = 0, .cap = 0};
    assert_int_equal(xencore_sched_domain_set(domid, &keep_weight), 0);
    assert_int_equal(xencore_sched_domain_get(domid, &p), 0);
    assert_int_equal(p.weight, 512);
    assert_int_equal(p.cap, 0);
    struct xencore_sched_pool_params pp;
    assert_int_equal(xencore_sched_pool_get(id, &pp), 0);
    struct xencore_sched_pool_params bad_pool = pp;
    bad_pool.ratelimit_us = 99;
    assert_int_equal(xencore_sched_pool_set(id, &bad_pool), XENCORE_EINVAL);
    struct xencore_sched_pool_params again;
    assert_int_equal(xencore_sched_pool_get(id, &again), 0);
    assert_memory_equal(&again, &pp, sizeof(pp));
    assert_int_equal(xencore_domain_destroy(domid), 0);
    drop_pool(id);
}

/* ---- Run states and the slice timer (schedule.c) ------------------------------ */

static uint64_t runstate_total(const struct vcpu *v)
{
    uint64_t sum = 0;
    for (unsigned int i = 0; i < 4; i++)
        sum += v->runstate_time[i];
    return sum + (arch_now_ns() - v->runstate_entry_ns);
}

/* Xen's run states, as the guest's runstate area reports them: time on a
 * CPU is "running", waiting for a CPU "runnable", waiting for an event
 * "blocked", paused "offline"; every nanosecond is in exactly one. */
static void test_run_states(void **state)
{
    (void)state;
    xencore_domid_t domid = make_domain("states", NULL);
    struct vcpu *v = vcpu_of(domid, 0);
    int cpu_found = cpu_running(v);
    assert_true(cpu_found >= 0);
    unsigned int cpu = (unsigned int)cpu_found;
    assert_int_equal(v->runstate, RUNSTATE_runnable);
    uint64_t t = arch_now_ns();
    uint64_t total = runstate_total(v);
    uint64_t before[4];
    memcpy(before, v->runstate_time, sizeof(before));

    host_set_this_cpu(cpu);
    host_set_time(t + 1000);
    assert_ptr_equal(schedule_pick(cpu), v);
    assert_int_equal(v->runstate, RUNSTATE_running);
    assert_int_equal(v->runstate_time[RUNSTATE_runnable], before[RUNSTATE_runnable] + 1000);

    host_set_time(t + 3000);
    __atomic_store_n(&v->blocked, true, __ATOMIC_SEQ_CST); /* as vcpu_block() does */
    schedule_put(cpu, v);
    assert_int_equal(v->runstate, RUNSTATE_blocked);
    assert_int_equal(v->runstate_time[RUNSTATE_running], before[RUNSTATE_running] + 2000);
    assert_null(schedule_pick(cpu)); /* nothing to run while it waits */

    host_set_time(t + 7000);
    vcpu_wake(v);
    assert_int_equal(v->runstate, RUNSTATE_runnable);
    assert_int_equal(v->runstate_time[RUNSTATE_blocked], before[RUNSTATE_blocked] + 4000);
    assert_true(core_cpu_should_reschedule()); /* its CPU was asked to look */

    host_set_time(t + 8000);
    assert_ptr_equal(schedule_pick(cpu), v);
    host_set_time(t + 9000);
    schedule_put(cpu, v);
    host_set_this_cpu(0);

    host_set_time(t + 10000);
    assert_int_equal(xencore_domain_pause(domid), 0);
    assert_int_equal(v->runstate, RUNSTATE_offline);
    host_set_time(t + 15000);
    assert_int_equal(xencore_domain_unpause(domid), 0);
    assert_int_equal(v->runstate, RUNSTATE_runnable);
    assert_int_equal(v->runstate_time[RUNSTATE_offline], before[RUNSTATE_offline] + 5000);
    assert_int_equal(v->runstate_time[RUNSTATE_running], before[RUNSTATE_running] + 3000);
    assert_int_equal(runstate_total(v), total + 15000);
    assert_int_equal(xencore_domain_destroy(domid), 0);
}

/* With two CPU-bound vCPUs on one CPU, a time-sharing scheduler arms the
 * CPU's timer for the end of the slice; when it fires the CPU chooses again
 * and the other vCPU gets its turn. Needs credit or credit2. */
static void test_slice_timer_shares_the_cpu(void **state)
{
    (void)state;
    enum xencore_scheduler which = XENCORE_SCHED_CREDIT2;
    if (!sched_policy_available(&sched_credit2_ops)) {
        which = XENCORE_SCHED_CREDIT;
        if (!sched_policy_available(&sched_credit_ops))
            skip();
    }
    xencore_poolid_t id = 0;
    assert_int_equal(xencore_cpupool_create("shared", which, &id), 0);
    assert_int_equal(xencore_cpupool_cpu_remove(0, 3), 0);
    assert_int_equal(xencore_cpupool_cpu_add(id, 3), 0);
    xencore_domid_t a = make_domain("hog-a", "shared");
    xencore_domid_t b = make_domain("hog-b", "shared");

    host_set_this_cpu(3);
    struct vcpu *first = schedule_pick(3);
    assert_non_null(first);
    uint64_t deadline = host_timer_deadline(3);
    assert_true(deadline != HOST_NO_DEADLINE && deadline > arch_now_ns());
    assert_false(core_cpu_should_reschedule());
    host_set_time(deadline);
    host_fire_timer(3);
    host_set_this_cpu(3);
    assert_true(core_cpu_should_reschedule());
    schedule_put(3, first);
    struct vcpu *second = schedule_pick(3);
    assert_non_null(second);
    assert_ptr_not_equal(second, first);
    schedule_put(3, second);
    host_set_this_cpu(0);

    assert_int_equal(xencore_domain_destroy(a), 0);
    assert_int_equal(xencore_domain_destroy(b), 0);
    drop_pool(id);
}

/* The null scheduler never gives up a CPU for a yield: nothing else could
 * run there, so no reschedule is asked for. */
static void test_null_yield_keeps_the_cpu(void **state)
{
    (void)state;
    xencore_domid_t domid = make_domain("yielder", NULL);
    struct vcpu *v = vcpu_of(domid, 0);
    unsigned int cpu = (unsigned int)cpu_running(v);
    host_set_this_cpu(cpu);
    assert_ptr_equal(schedule_pick(cpu), v);
    sched_vcpu_yield(v);
    assert_false(core_cpu_should_reschedule());
    schedule_put(cpu, v);
    host_set_this_cpu(0);
    assert_int_equal(xencore_domain_destroy(domid), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_pool0_holds_every_cpu, clear_console),
        cmocka_unit_test_setup(test_create_find_destroy, clear_console),
        cmocka_unit_test_setup(test_create_refusals_change_nothing, clear_console),
        cmocka_unit_test_setup(test_pool_table_full, clear_console),
        cmocka_unit_test_setup(test_destroy_refusals, clear_console),
        cmocka_unit_test_setup(test_move_cpu_between_pools, clear_console),
        cmocka_unit_test_setup(test_last_cpu_of_pool0_stays, clear_console),
        cmocka_unit_test_setup(test_domain_runs_only_on_its_pool, clear_console),
        cmocka_unit_test_setup(test_domain_create_pool_refusals, clear_console),
        cmocka_unit_test_setup(test_domain_affinity_from_config, clear_console),
        cmocka_unit_test_setup(test_null_places_by_affinity, clear_console),
        cmocka_unit_test_setup(test_affinity_refusals, clear_console),
        cmocka_unit_test_setup(test_move_domain, clear_console),
        cmocka_unit_test_setup(test_busy_cpu_leaves_at_its_next_choice, clear_console),
        cmocka_unit_test_setup(test_sched_params_on_null, clear_console),
        cmocka_unit_test_setup(test_sched_params_with_weights, clear_console),
        cmocka_unit_test_setup(test_run_states, clear_console),
        cmocka_unit_test_setup(test_slice_timer_shares_the_cpu, clear_console),
        cmocka_unit_test_setup(test_null_yield_keeps_the_cpu, clear_console),
    };
    return cmocka_run_group_tests(tests, machine_setup, machine_teardown);
}
