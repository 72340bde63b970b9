/* Boot-time CPU pools and domains from the manifest module.
 *
 * The manifest comes from the boot medium and is checked like any input
 * from outside: magic, version, sizes and counts first, then every record's
 * fields (terminated strings, valid names, sane numbers, CPU bitmaps within
 * this build's XENCORE_MAX_CPUS, no CPU in two pools). One bad record
 * rejects the whole manifest: starting half an appliance is worse than
 * stopping with a reason. Version 1 manifests (no scheduling fields, no
 * pools) are decoded too, their domains getting the defaults.
 *
 * What the bytes cannot tell (which CPUs came online on this machine, whether
 * a CPU can leave Pool-0) is found out at boot: a pool that cannot be made is
 * undone and skipped, a domain naming a missing pool or an offline CPU is
 * skipped, each with a console line naming it. Pools come first, because
 * domains name them. */
#include "core/manifest.h"

#include <xencore/domain.h>
#include <xencore/sched.h>

#include "arch/arch.h"
#include "lib/cpumask.h"
#include "lib/errno.h"
#include "lib/printk.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "sched/cpupool.h"

#define BOOT_POOL_NAME "Pool-0"
/* Room for a CPU list printed on the console ("0-3,5,..."). */
#define CPU_LIST_BYTES 160

static bool terminated(const char *s, size_t size)
{
    return memchr(s, '\0', size) != NULL;
}

/* ---- CPU bitmaps of the manifest (bit n: bit n % 8 of byte n / 8) ---------- */

static bool bitmap_test(const uint8_t *bits, unsigned int cpu)
{
    return (bits[cpu / 8] >> (cpu % 8)) & 1;
}

static bool bitmap_empty(const uint8_t *bits)
{
    for (unsigned int i = 0; i < XENCORE_MANIFEST_CPU_BYTES; i++)
        if (bits[i])
            return false;
    return true;
}

/* The highest CPU named, or -1 if none. */
static int bitmap_last(const uint8_t *bits)
{
    for (int i = XENCORE_MANIFEST_CPU_BYTES - 1; i >= 0; i--)
        if (bits[i])
            return i * 8 + 31 - __builtin_clz(bits[i]);
    return -1;
}

/* The lowest CPU in both, or -1. */
static int bitmap_first_common(const uint8_t *a, const uint8_t *b)
{
    for (unsigned int i = 0; i < XENCORE_MANIFEST_CPU_BYTES; i++)
        if (a[i] & b[i])
            return (int)(i * 8) + __builtin_ctz(a[i] & b[i]);
    return -1;
}

/* The decoder has made sure no bit is at or above XENCORE_MAX_CPUS. */
static void bitmap_to_mask(const uint8_t *bits, cpumask_t *mask)
{
    cpumask_clear_all(mask);
    for (unsigned int cpu = 0; cpu < XENCORE_MAX_CPUS && cpu < XENCORE_MANIFEST_CPU_BITS; cpu++)
        if (bitmap_test(bits, cpu))
            cpumask_set(mask, cpu);
}

/* Checks a bitmap field against @cpu_limit; on failure fills @why. */
static int bitmap_check(const uint8_t *bits, unsigned int cpu_limit, const char *owner_kind,
                        const char *owner, const char *field, char *why, size_t why_size)
{
    int last = bitmap_last(bits);
    if (last >= (int)cpu_limit)
        return xc_refuse(why, why_size,
                         "manifest %s '%s': %s names CPU %d, but this hypervisor has at most %u "
                         "CPUs",
                         owner_kind, owner, field, last, cpu_limit);
    return 0;
}

/* ---- Decoding ------------------------------------------------------------- */

static bool scheduler_known(uint32_t scheduler)
{
    return scheduler == 0 || scheduler == XENCORE_SCHED_CREDIT ||
           scheduler == XENCORE_SCHED_CREDIT2 || scheduler == XENCORE_SCHED_NULL;
}

static int check_domain(const struct xencore_domain_record *r, uint32_t i, unsigned int cpu_limit,
                        char *why, size_t why_size)
{
    if (!terminated(r->name, sizeof(r->name)) || r->name[0] == '\0')
        return xc_refuse(why, why_size, "manifest domain %u has no terminated name", i);
    if (!xc_name_valid(r->name, sizeof(r->name) - 1))
        return xc_refuse(why, why_size,
                         "manifest domain %u: the name must be 1..63 of [A-Za-z0-9_.-]", i);
    if (!terminated(r->kernel_module, sizeof(r->kernel_module)) || !r->kernel_module[0])
        return xc_refuse(why, why_size, "manifest domain '%s' names no kernel module", r->name);
    if (!terminated(r->cmdline, sizeof(r->cmdline)))
        return xc_refuse(why, why_size, "manifest domain '%s' has an unterminated command line",
                         r->name);
    if (r->vcpus == 0 || r->vcpus > XENCORE_DOMAIN_MAX_VCPUS)
        return xc_refuse(why, why_size, "manifest domain '%s' asks for %u vcpus", r->name,
                         r->vcpus);
    if (r->memory_kib == 0)
        return xc_refuse(why, why_size, "manifest domain '%s' has no memory", r->name);
    if (r->flags != 0)
        return xc_refuse(why, why_size, "manifest domain '%s' has unknown flags 0x%x", r->name,
                         r->flags);
    if (r->weight > XENCORE_MANIFEST_MAX_WEIGHT)
        return xc_refuse(why, why_size, "manifest domain '%s' has weight %u, more than %u", r->name,
                         r->weight, XENCORE_MANIFEST_MAX_WEIGHT);
    /* vcpus <= 128 here, so the product cannot wrap. */
    if (r->cap > XENCORE_MANIFEST_CAP_PERCENT_PER_VCPU * r->vcpus)
        return xc_refuse(why, why_size,
                         "manifest domain '%s' has cap %u, more than 100 percent x %u vcpus",
                         r->name, r->cap, r->vcpus);
    if (!terminated(r->pool, sizeof(r->pool)))
        return xc_refuse(why, why_size, "manifest domain '%s' has an unterminated pool name",
                         r->name);
    if (r->pool[0] && !xc_name_valid(r->pool, sizeof(r->pool) - 1))
        return xc_refuse(why, why_size,
                         "manifest domain '%s': the pool name must be 0..63 of [A-Za-z0-9_.-]",
                         r->name);
    if (bitmap_check(r->cpus, cpu_limit, "domain", r->name, "cpus", why, why_size))
        return -XC_EINVAL;
    if (bitmap_check(r->cpus_soft, cpu_limit, "domain", r->name, "cpus_soft", why, why_size))
        return -XC_EINVAL;
    return 0;
}

static int check_pool(const struct xencore_pool_record *p, uint32_t i,
                      const struct xencore_pool_record *earlier, unsigned int cpu_limit, char *why,
                      size_t why_size)
{
    if (!terminated(p->name, sizeof(p->name)) || p->name[0] == '\0')
        return xc_refuse(why, why_size, "manifest pool %u has no terminated name", i);
    if (!xc_name_valid(p->name, sizeof(p->name) - 1))
        return xc_refuse(why, why_size,
                         "manifest pool %u: the name must be 1..63 of [A-Za-z0-9_.-]", i);
    if (!strcmp(p->name, BOOT_POOL_NAME))
        return xc_refuse(why, why_size, "manifest pool %u is named Pool-0, which always exists", i);
    if (!scheduler_known(p->scheduler))
        return xc_refuse(why, why_size, "manifest pool '%s' asks for unknown scheduler %u", p->name,
                         p->scheduler);
    if (p->flags != 0)
        return xc_refuse(why, why_size, "manifest pool '%s' has unknown flags 0x%x", p->name,
                         p->flags);
    if (bitmap_empty(p->cpus))
        return xc_refuse(why, why_size, "manifest pool '%s' has no cpus", p->name);
    if (bitmap_check(p->cpus, cpu_limit, "pool", p->name, "cpus", why, why_size))
        return -XC_EINVAL;
    for (uint32_t j = 0; j < i; j++) {
        if (!strcmp(earlier[j].name, p->name))
            return xc_refuse(why, why_size, "manifest pool '%s' is listed twice", p->name);
        int shared = bitmap_first_common(earlier[j].cpus, p->cpus);
        if (shared >= 0)
            return xc_refuse(why, why_size, "manifest pools '%s' and '%s' both have CPU %d",
                             earlier[j].name, p->name, shared);
    }
    return 0;
}

int manifest_decode(const void *manifest, size_t length, unsigned int cpu_limit,
                    struct manifest_contents *out, char *why, size_t why_size)
{
    struct xencore_manifest_header h;
    memset(&h, 0, sizeof(h));
    if (!manifest || length < XENCORE_MANIFEST_V1_HEADER_BYTES)
        return xc_refuse(why, why_size, "manifest of %zu bytes is shorter than its header", length);
    memcpy(&h, manifest, XENCORE_MANIFEST_V1_HEADER_BYTES);
    if (h.magic != XENCORE_MANIFEST_MAGIC)
        return xc_refuse(why, why_size, "manifest has a bad magic number 0x%x", h.magic);
    if (h.version != XENCORE_MANIFEST_VERSION && h.version != XENCORE_MANIFEST_VERSION_1)
        return xc_refuse(why, why_size, "manifest version %u is not supported (only 1 and 2)",
                         h.version);
    bool v2 = h.version == XENCORE_MANIFEST_VERSION;
    size_t header_min = v2 ? sizeof(h) : XENCORE_MANIFEST_V1_HEADER_BYTES;
    size_t record_min =
        v2 ? sizeof(struct xencore_domain_record) : XENCORE_MANIFEST_V1_RECORD_BYTES;
    if (h.header_bytes < header_min || h.header_bytes > length)
        return xc_refuse(why, why_size, "manifest header size %u is invalid", h.header_bytes);
    if (v2)
        memcpy(&h, manifest, sizeof(h));
    if (h.domain_count > XENCORE_MANIFEST_MAX_DOMAINS)
        return xc_refuse(why, why_size, "manifest lists %u domains, more than %u", h.domain_count,
                         XENCORE_MANIFEST_MAX_DOMAINS);
    if (h.record_bytes < record_min || h.record_bytes > XENCORE_MANIFEST_MAX_RECORD_BYTES)
        return xc_refuse(why, why_size, "manifest record size %u is invalid", h.record_bytes);
    if (h.pool_count > XENCORE_MANIFEST_MAX_POOLS)
        return xc_refuse(why, why_size, "manifest lists %u pools, more than %u", h.pool_count,
                         XENCORE_MANIFEST_MAX_POOLS);
    if (v2 && (h.pool_record_bytes < sizeof(struct xencore_pool_record) ||
               h.pool_record_bytes > XENCORE_MANIFEST_MAX_RECORD_BYTES))
        return xc_refuse(why, why_size, "manifest pool record size %u is invalid",
                         h.pool_record_bytes);
    /* At most 64 x 64 KiB + 63 x 64 KiB: no overflow in 64 bits. */
    uint64_t domain_bytes = (uint64_t)h.record_bytes * h.domain_count;
    uint64_t pool_bytes = (uint64_t)h.pool_record_bytes * h.pool_count;
    if (domain_bytes > length - h.header_bytes)
        return xc_refuse(why, why_size, "manifest is truncated: %u records of %u bytes do not fit",
                         h.domain_count, h.record_bytes);
    if (pool_bytes > length - h.header_bytes - domain_bytes)
        return xc_refuse(why, why_size,
                         "manifest is truncated: %u pool records of %u bytes do not fit",
                         h.pool_count, h.pool_record_bytes);

    const char *p = (const char *)manifest + h.header_bytes;
    for (uint32_t i = 0; i < h.domain_count; i++, p += h.record_bytes) {
        struct xencore_domain_record *r = &out->domains[i];
        /* Fields a newer writer appended are skipped; a version 1 record
         * gets the defaults (zero) for the fields it does not have. */
        memset(r, 0, sizeof(*r));
        memcpy(r, p, record_min);
        if (check_domain(r, i, cpu_limit, why, why_size))
            return -XC_EINVAL;
    }
    for (uint32_t i = 0; i < h.pool_count; i++, p += h.pool_record_bytes) {
        struct xencore_pool_record *r = &out->pools[i];
        memcpy(r, p, sizeof(*r));
        if (check_pool(r, i, out->pools, cpu_limit, why, why_size))
            return -XC_EINVAL;
    }
    out->domain_count = h.domain_count;
    out->pool_count = h.pool_count;
    return (int)h.domain_count;
}

/* ---- Boot ------------------------------------------------------------------ */

static const struct xencore_boot_module *find_module(const struct xencore_boot_info *info,
                                                     const char *name)
{
    for (uint32_t i = 0; i < info->module_count; i++)
        if (!strcmp(info->modules[i].cmdline, name))
            return &info->modules[i];
    return NULL;
}

/* A CPU of @wanted that is not in @online, or XENCORE_MAX_CPUS. */
static unsigned int first_offline(const cpumask_t *wanted, const cpumask_t *online)
{
    cpumask_t missing;
    cpumask_andnot(&missing, wanted, online);
    return cpumask_first(&missing);
}

/* Makes one boot pool from CPUs of Pool-0, or undoes what it did and says
 * why. @online: the CPUs that could run guests before any pool was made. */
static void make_pool(const struct xencore_pool_record *r, const cpumask_t *online,
                      uint32_t default_scheduler)
{
    cpumask_t cpus;
    bitmap_to_mask(r->cpus, &cpus);
    char list[CPU_LIST_BYTES];
    cpumask_format(&cpus, list, sizeof(list));
    unsigned int offline = first_offline(&cpus, online);
    if (offline < XENCORE_MAX_CPUS) {
        printk("xencore: pool %s: cpus=%s names CPU %u, which is not online; pool not created\n",
               r->name, list, offline);
        return;
    }
    uint32_t scheduler = r->scheduler ? r->scheduler : default_scheduler;
    xencore_poolid_t id;
    int rc = xencore_cpupool_create(r->name, (enum xencore_scheduler)scheduler, &id);
    if (rc) {
        printk("xencore: pool %s: cannot create it (error %d); pool not created\n", r->name, rc);
        return;
    }
    cpumask_t moved;
    cpumask_clear_all(&moved);
    for_each_cpu(cpu, &cpus)
    {
        rc = xencore_cpupool_cpu_remove(0, cpu);
        if (rc) {
            printk("xencore: pool %s: CPU %u cannot leave Pool-0 (error %d); pool not created\n",
                   r->name, cpu, rc);
            goto undo;
        }
        rc = xencore_cpupool_cpu_add(id, cpu);
        if (rc) {
            printk("xencore: pool %s: CPU %u cannot join it (error %d); pool not created\n",
                   r->name, cpu, rc);
            if (xencore_cpupool_cpu_add(0, cpu))
                printk("xencore: pool %s: CPU %u could not return to Pool-0\n", r->name, cpu);
            goto undo;
        }
        cpumask_set(&moved, cpu);
    }
    cpupool_print(id);
    return;

undo:
    for_each_cpu(cpu, &moved)
    {
        if (xencore_cpupool_cpu_remove(id, cpu) || xencore_cpupool_cpu_add(0, cpu))
            printk("xencore: pool %s: CPU %u could not return to Pool-0\n", r->name, cpu);
    }
    if (xencore_cpupool_destroy(id))
        printk("xencore: pool %s: could not be destroyed again\n", r->name);
}

/* Builds and starts one domain; false (and a console line) if it cannot. */
static bool start_domain(const struct xencore_boot_info *info,
                         const struct xencore_domain_record *r, const cpumask_t *online)
{
    const struct xencore_boot_module *k = find_module(info, r->kernel_module);
    if (!k) {
        printk("xencore: domain %s: no boot module '%s' holds its kernel\n", r->name,
               r->kernel_module);
        return false;
    }
    xencore_poolid_t pool_id;
    if (r->pool[0] && xencore_cpupool_find(r->pool, &pool_id)) {
        printk("xencore: domain %s: pool '%s' does not exist; domain not created\n", r->name,
               r->pool);
        return false;
    }
    cpumask_t hard, soft;
    bitmap_to_mask(r->cpus, &hard);
    bitmap_to_mask(r->cpus_soft, &soft);
    unsigned int offline = first_offline(&hard, online);
    if (offline < XENCORE_MAX_CPUS) {
        printk("xencore: domain %s: cpus names CPU %u, which is not online; domain not created\n",
               r->name, offline);
        return false;
    }
    offline = first_offline(&soft, online);
    if (offline < XENCORE_MAX_CPUS) {
        printk("xencore: domain %s: cpus_soft names CPU %u, which is not online; domain not "
               "created\n",
               r->name, offline);
        return false;
    }
    struct xencore_domain_config config = {
        .name = r->name,
        .memory_kib = r->memory_kib,
        .vcpus = r->vcpus,
        .kernel = arch_phys_to_virt(k->base),
        .kernel_size = (size_t)k->length,
        .cmdline = r->cmdline[0] ? r->cmdline : NULL,
        .pool = r->pool[0] ? r->pool : NULL,
        .weight = r->weight,
        .cap = r->cap,
        .cpus = cpumask_empty(&hard) ? NULL : &hard,
        .cpus_soft = cpumask_empty(&soft) ? NULL : &soft,
    };
    memcpy(config.uuid, r->uuid, sizeof(config.uuid));
    xencore_domid_t domid;
    int rc = xencore_domain_create(&config, &domid);
    if (rc) {
        printk("xencore: domain %s: not created (error %d)\n", r->name, rc);
        return false;
    }
    rc = xencore_domain_unpause(domid);
    if (rc) {
        printk("xencore: domain %s: created but cannot be started (error %d)\n", r->name, rc);
        return false;
    }
    return true;
}

/* What the pool step leaves for the domain step: the manifest is decoded
 * again there (its buffer is not kept in between, so the free memory noted
 * for `poweroff` between the two steps is what the domains will leave). */
static enum {
    MANIFEST_NOT_READ,
    MANIFEST_ABSENT,
    MANIFEST_REJECTED,
    MANIFEST_POOLS_MADE
} boot_manifest_state;
/* The CPUs that could run guests before any boot pool took some of Pool-0's. */
static cpumask_t boot_online_cpus;

/* 179 KiB for the largest manifest: borrowed from the allocator for the
 * duration of each step rather than kept in .bss for good. */
#define DECODED_ORDER 6
_Static_assert(sizeof(struct xencore_domain_record) * XENCORE_MANIFEST_MAX_DOMAINS +
                       sizeof(struct xencore_pool_record) * XENCORE_MANIFEST_MAX_POOLS <=
                   (ARCH_PAGE_SIZE << DECODED_ORDER),
               "DECODED_ORDER too small");
_Static_assert(XENCORE_MANIFEST_MAX_POOLS < XENCORE_POOLS_MAX, "room for Pool-0");

/* Decodes the boot manifest into freshly allocated memory (*phys, order
 * DECODED_ORDER; 0 if none was allocated). Returns the domain count, or -1
 * (absent, out of memory, or rejected; reported only if @report). */
static int decode_boot_manifest(const struct xencore_boot_info *info,
                                struct manifest_contents *contents, uint64_t *phys, bool report)
{
    *phys = 0;
    const struct xencore_boot_module *m = find_module(info, XENCORE_MANIFEST_MODULE_NAME);
    if (!m)
        return -1;
    uint64_t decoded_phys = mm_alloc_pages(DECODED_ORDER);
    if (!decoded_phys) {
        printk("xencore: boot manifest: no memory to decode it\n");
        return -1;
    }
    char *decoded = arch_phys_to_virt(decoded_phys);
    contents->domains = (struct xencore_domain_record *)decoded;
    contents->pools =
        (struct xencore_pool_record *)(decoded + sizeof(struct xencore_domain_record) *
                                                     XENCORE_MANIFEST_MAX_DOMAINS);
    char why[160];
    int count = manifest_decode(arch_phys_to_virt(m->base), (size_t)m->length, XENCORE_MAX_CPUS,
                                contents, why, sizeof(why));
    if (count < 0) {
        if (report)
            printk("xencore: boot manifest rejected: %s\n", why);
        mm_free_pages(decoded_phys, DECODED_ORDER);
        return -1;
    }
    *phys = decoded_phys;
    return count;
}

void manifest_create_boot_pools(const struct xencore_boot_info *info)
{
    if (boot_manifest_state != MANIFEST_NOT_READ)
        return;
    if (!find_module(info, XENCORE_MANIFEST_MODULE_NAME)) {
        boot_manifest_state = MANIFEST_ABSENT;
        return;
    }
    struct manifest_contents contents;
    uint64_t decoded_phys;
    boot_manifest_state = MANIFEST_REJECTED; /* until shown otherwise */
    if (decode_boot_manifest(info, &contents, &decoded_phys, true) < 0)
        return;
    /* Pool-0 holds every CPU that can run guests until the first pool is made. */
    struct xencore_cpupool_info pool0;
    if (xencore_cpupool_get_info(0, &pool0)) {
        printk("xencore: boot manifest: Pool-0 is missing; no pool or domain created\n");
    } else {
        boot_online_cpus = pool0.cpus;
        for (uint32_t i = 0; i < contents.pool_count; i++)
            make_pool(&contents.pools[i], &boot_online_cpus, pool0.scheduler);
        boot_manifest_state = MANIFEST_POOLS_MADE;
    }
    mm_free_pages(decoded_phys, DECODED_ORDER);
}

unsigned int manifest_start_boot_domains(const struct xencore_boot_info *info)
{
    manifest_create_boot_pools(info); /* if the caller has not */
    bool pools_made = boot_manifest_state == MANIFEST_POOLS_MADE;
    boot_manifest_state = MANIFEST_NOT_READ; /* the pair is done */
    if (!pools_made)
        return 0;
    struct manifest_contents contents;
    uint64_t decoded_phys;
    /* The same bytes passed a moment ago; a failure now is out of memory. */
    if (decode_boot_manifest(info, &contents, &decoded_phys, false) < 0)
        return 0;
    unsigned int started = 0;
    for (uint32_t i = 0; i < contents.domain_count; i++)
        if (start_domain(info, &contents.domains[i], &boot_online_cpus))
            started++;
    mm_free_pages(decoded_phys, DECODED_ORDER);
    return started;
}
