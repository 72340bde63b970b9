/* The boot-manifest encoder: checks domains and pools as they are added and
 * lays them out exactly as xencore/abi/manifest.h (version 2) says.
 *
 * The checks mirror the hypervisor's decoder (which rejects the whole
 * manifest on the first bad field), so that a mistake is caught on the host
 * with a message naming the field. Bytes are written explicitly little-endian
 * at the offsets of the ABI structures, so the encoder does not depend on the
 * host's byte order or structure padding.
 *
 * What only the hypervisor knows (which CPUs exist and are online) cannot be
 * checked here; what spans records (a domain's pool is described, no CPU is
 * in two pools) is, so that a manifest this encoder writes is refused at boot
 * only for the machine it meets. */
#include <xenlight/manifest.h>

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xencore/abi/manifest.h>

_Static_assert(XL_MANIFEST_MAX_DOMAINS == XENCORE_MANIFEST_MAX_DOMAINS, "domain limit");
_Static_assert(XL_MANIFEST_NAME_MAX + 1 == sizeof(((struct xencore_domain_record *)0)->name),
               "name field");
_Static_assert(XL_MANIFEST_MODULE_NAME_MAX + 1 ==
                   sizeof(((struct xencore_domain_record *)0)->kernel_module),
               "kernel_module field");
_Static_assert(XL_MANIFEST_CMDLINE_MAX + 1 == sizeof(((struct xencore_domain_record *)0)->cmdline),
               "cmdline field");
_Static_assert(XL_MANIFEST_NAME_MAX + 1 == sizeof(((struct xencore_domain_record *)0)->pool),
               "pool field");
_Static_assert(XL_MANIFEST_NAME_MAX + 1 == sizeof(((struct xencore_pool_record *)0)->name),
               "pool name field");
_Static_assert(XL_CPUMAP_BITS == XENCORE_MANIFEST_CPU_BITS, "CPU bitmap size");
_Static_assert(XL_MANIFEST_MAX_POOLS == XENCORE_MANIFEST_MAX_POOLS, "pool limit");
_Static_assert(XL_MANIFEST_MAX_WEIGHT == XENCORE_MANIFEST_MAX_WEIGHT, "weight limit");
_Static_assert(XL_MANIFEST_CAP_PER_VCPU == XENCORE_MANIFEST_CAP_PERCENT_PER_VCPU, "cap limit");

#define MANIFEST_ERROR_BYTES 256
#define KIB_PER_PAGE 4u

struct manifest_entry {
    char name[XL_MANIFEST_NAME_MAX + 1];
    uint8_t uuid[16];
    uint64_t memory_kib;
    uint32_t vcpus;
    char kernel_module[XL_MANIFEST_MODULE_NAME_MAX + 1];
    char cmdline[XL_MANIFEST_CMDLINE_MAX + 1];
    uint32_t weight;
    uint32_t cap;
    char pool[XL_MANIFEST_NAME_MAX + 1];
    struct xl_cpumap cpus;      /* empty: every CPU */
    struct xl_cpumap cpus_soft; /* empty: none */
};

struct pool_entry {
    char name[XL_MANIFEST_NAME_MAX + 1];
    uint32_t scheduler;
    struct xl_cpumap cpus;
};

struct xl_manifest {
    struct manifest_entry domains[XL_MANIFEST_MAX_DOMAINS];
    unsigned int count;
    struct pool_entry pools[XL_MANIFEST_MAX_POOLS];
    unsigned int pool_count;
    char error[MANIFEST_ERROR_BYTES];
};

static int manifest_fail(struct xl_manifest *m, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int manifest_fail(struct xl_manifest *m, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->error, sizeof(m->error), fmt, ap);
    va_end(ap);
    return code;
}

struct xl_manifest *xl_manifest_new(void)
{
    return calloc(1, sizeof(struct xl_manifest));
}

void xl_manifest_free(struct xl_manifest *manifest)
{
    free(manifest);
}

const char *xl_manifest_error(const struct xl_manifest *manifest)
{
    return manifest->error;
}

unsigned int xl_manifest_domain_count(const struct xl_manifest *manifest)
{
    return manifest->count;
}

unsigned int xl_manifest_pool_count(const struct xl_manifest *manifest)
{
    return manifest->pool_count;
}

static const struct {
    const char *name;
    uint32_t number;
} schedulers[] = {
    {"credit", XL_SCHED_CREDIT},
    {"credit2", XL_SCHED_CREDIT2},
    {"null", XL_SCHED_NULL},
};

int xl_scheduler_from_name(const char *name, uint32_t *scheduler)
{
    for (size_t i = 0; name != NULL && i < sizeof(schedulers) / sizeof(schedulers[0]); i++) {
        if (strcmp(name, schedulers[i].name) == 0) {
            *scheduler = schedulers[i].number;
            return XL_MANIFEST_OK;
        }
    }
    return XL_MANIFEST_EINVAL;
}

const char *xl_scheduler_name(uint32_t scheduler)
{
    if (scheduler == XL_SCHED_DEFAULT) {
        return "default";
    }
    for (size_t i = 0; i < sizeof(schedulers) / sizeof(schedulers[0]); i++) {
        if (schedulers[i].number == scheduler) {
            return schedulers[i].name;
        }
    }
    return NULL;
}

static bool name_char_ok(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
}

/* Checks a name field (a domain's, a pool's, a domain's pool): its length
 * and characters. @what is how messages name the field ("'name'"). */
static int check_name(struct xl_manifest *m, const char *prefix, const char *what, const char *name,
                      size_t *length_out)
{
    size_t length = strlen(name);
    if (length > XL_MANIFEST_NAME_MAX) {
        return manifest_fail(m, XL_MANIFEST_EINVAL, "%s%s must be at most %d characters, not %zu",
                             prefix, what, XL_MANIFEST_NAME_MAX, length);
    }
    for (size_t i = 0; i < length; i++) {
        if (!name_char_ok(name[i])) {
            return manifest_fail(m, XL_MANIFEST_EINVAL,
                                 "%s%s must use only A-Z a-z 0-9 _ . -, not '%s'", prefix, what,
                                 name);
        }
    }
    *length_out = length;
    return XL_MANIFEST_OK;
}

static bool module_char_ok(char c)
{
    /* GRUB passes the module string through unchanged; anything printable
     * without blanks or quotes survives grub.cfg and the boot loader. */
    return c > ' ' && c < 0x7f && c != '"' && c != '\'' && c != '\\';
}

int xl_manifest_add_domain(struct xl_manifest *m, const struct xl_manifest_domain *d)
{
    m->error[0] = '\0';

    if (d->name == NULL || d->name[0] == '\0') {
        return manifest_fail(m, XL_MANIFEST_EINVAL, "'name' is required");
    }
    size_t name_length;
    int rc = check_name(m, "", "'name'", d->name, &name_length);
    if (rc != XL_MANIFEST_OK) {
        return rc;
    }
    if (d->memory_kib < XL_MANIFEST_MIN_MEMORY_KIB || d->memory_kib % KIB_PER_PAGE != 0) {
        return manifest_fail(m, XL_MANIFEST_EINVAL,
                             "'memory' must be a multiple of 4 KiB and at least 1 MiB, "
                             "not %llu KiB",
                             (unsigned long long)d->memory_kib);
    }
    if (d->vcpus < 1 || d->vcpus > XL_MANIFEST_MAX_VCPUS) {
        return manifest_fail(m, XL_MANIFEST_EINVAL, "'vcpus' must be 1 to %u, not %u",
                             XL_MANIFEST_MAX_VCPUS, d->vcpus);
    }
    if (d->kernel_module == NULL || d->kernel_module[0] == '\0') {
        return manifest_fail(m, XL_MANIFEST_EINVAL, "'kernel_module' is required");
    }
    size_t module_length = strlen(d->kernel_module);
    if (module_length > XL_MANIFEST_MODULE_NAME_MAX) {
        return manifest_fail(m, XL_MANIFEST_EINVAL,
                             "'kernel_module' must be at most %d characters, not %zu",
                             XL_MANIFEST_MODULE_NAME_MAX, module_length);
    }
    for (size_t i = 0; i < module_length; i++) {
        if (!module_char_ok(d->kernel_module[i])) {
            return manifest_fail(m, XL_MANIFEST_EINVAL,
                                 "'kernel_module' must not hold blanks, quotes or "
                                 "backslashes, not '%s'",
                                 d->kernel_module);
        }
    }
    const char *cmdline = d->cmdline != NULL ? d->cmdline : "";
    size_t cmdline_length = strlen(cmdline);
    if (cmdline_length > XL_MANIFEST_CMDLINE_MAX) {
        return manifest_fail(m, XL_MANIFEST_EINVAL, "'cmdline' must be at most %d bytes, not %zu",
                             XL_MANIFEST_CMDLINE_MAX, cmdline_length);
    }
    if (d->weight > XL_MANIFEST_MAX_WEIGHT) {
        return manifest_fail(m, XL_MANIFEST_EINVAL,
                             "'weight' must be 1 to %u (or 0 for the default), not %u",
                             XL_MANIFEST_MAX_WEIGHT, d->weight);
    }
    if (d->cap > XL_MANIFEST_CAP_PER_VCPU * d->vcpus) {
        return manifest_fail(m, XL_MANIFEST_EINVAL,
                             "'cap' must be at most %u percent (100 per vCPU, %u vCPUs), not %u",
                             XL_MANIFEST_CAP_PER_VCPU * d->vcpus, d->vcpus, d->cap);
    }
    const char *pool = d->pool != NULL ? d->pool : "";
    size_t pool_length;
    rc = check_name(m, "", "'pool'", pool, &pool_length);
    if (rc != XL_MANIFEST_OK) {
        return rc;
    }
    if (d->cpus != NULL && xl_cpumap_count(d->cpus) == 0) {
        return manifest_fail(m, XL_MANIFEST_EINVAL,
                             "'cpus' selects no CPU (give NULL for every CPU)");
    }
    if (d->cpus_soft != NULL && xl_cpumap_count(d->cpus_soft) == 0) {
        return manifest_fail(m, XL_MANIFEST_EINVAL,
                             "'cpus_soft' selects no CPU (give NULL for no preference)");
    }
    for (unsigned int i = 0; i < m->count; i++) {
        if (strcmp(m->domains[i].name, d->name) == 0) {
            return manifest_fail(m, XL_MANIFEST_EEXIST,
                                 "'name' must be unique: domain %u is already named '%s'", i + 1,
                                 d->name);
        }
    }
    if (m->count >= XL_MANIFEST_MAX_DOMAINS) {
        return manifest_fail(m, XL_MANIFEST_ENOSPC, "a manifest holds at most %u domains",
                             XL_MANIFEST_MAX_DOMAINS);
    }

    struct manifest_entry *e = &m->domains[m->count];
    memset(e, 0, sizeof(*e));
    memcpy(e->name, d->name, name_length);
    if (d->uuid != NULL) {
        memcpy(e->uuid, d->uuid, sizeof(e->uuid));
    }
    e->memory_kib = d->memory_kib;
    e->vcpus = d->vcpus;
    memcpy(e->kernel_module, d->kernel_module, module_length);
    memcpy(e->cmdline, cmdline, cmdline_length);
    e->weight = d->weight;
    e->cap = d->cap;
    memcpy(e->pool, pool, pool_length);
    if (d->cpus != NULL) {
        e->cpus = *d->cpus;
    }
    if (d->cpus_soft != NULL) {
        e->cpus_soft = *d->cpus_soft;
    }
    m->count++;
    return XL_MANIFEST_OK;
}

int xl_manifest_add_pool(struct xl_manifest *m, const struct xl_manifest_pool *p)
{
    m->error[0] = '\0';

    if (p->name == NULL || p->name[0] == '\0') {
        return manifest_fail(m, XL_MANIFEST_EINVAL, "pool: 'name' is required");
    }
    size_t name_length;
    int rc = check_name(m, "pool: ", "'name'", p->name, &name_length);
    if (rc != XL_MANIFEST_OK) {
        return rc;
    }
    if (strcmp(p->name, XL_MANIFEST_BOOT_POOL) == 0) {
        return manifest_fail(m, XL_MANIFEST_EEXIST,
                             "pool: 'name' must not be Pool-0: it is the pool every CPU starts "
                             "in, and always exists");
    }
    if (xl_scheduler_name(p->scheduler) == NULL) {
        return manifest_fail(m, XL_MANIFEST_EINVAL,
                             "pool '%s': 'sched' must be credit (5), credit2 (6), null (9) or "
                             "the default (0), not %u",
                             p->name, p->scheduler);
    }
    if (p->cpus == NULL || xl_cpumap_count(p->cpus) == 0) {
        return manifest_fail(m, XL_MANIFEST_EINVAL,
                             "pool '%s': 'cpus' is required: the CPUs it takes from Pool-0",
                             p->name);
    }
    for (unsigned int i = 0; i < m->pool_count; i++) {
        if (strcmp(m->pools[i].name, p->name) == 0) {
            return manifest_fail(m, XL_MANIFEST_EEXIST,
                                 "pool: 'name' must be unique: pool %u is already named '%s'",
                                 i + 1, p->name);
        }
        unsigned int shared = xl_cpumap_first_common(&m->pools[i].cpus, p->cpus);
        if (shared < XL_CPUMAP_BITS) {
            return manifest_fail(m, XL_MANIFEST_EINVAL,
                                 "pool '%s': 'cpus' CPU %u is already in pool '%s' (a CPU is in "
                                 "one pool only)",
                                 p->name, shared, m->pools[i].name);
        }
    }
    if (m->pool_count >= XL_MANIFEST_MAX_POOLS) {
        return manifest_fail(m, XL_MANIFEST_ENOSPC,
                             "a manifest holds at most %u pools besides Pool-0",
                             XL_MANIFEST_MAX_POOLS);
    }
    struct pool_entry *e = &m->pools[m->pool_count];
    memset(e, 0, sizeof(*e));
    memcpy(e->name, p->name, name_length);
    e->scheduler = p->scheduler;
    e->cpus = *p->cpus;
    m->pool_count++;
    return XL_MANIFEST_OK;
}

int xl_manifest_check(struct xl_manifest *m)
{
    m->error[0] = '\0';
    for (unsigned int i = 0; i < m->count; i++) {
        const char *pool = m->domains[i].pool;
        if (pool[0] == '\0' || strcmp(pool, XL_MANIFEST_BOOT_POOL) == 0) {
            continue;
        }
        bool found = false;
        for (unsigned int j = 0; j < m->pool_count && !found; j++) {
            found = strcmp(m->pools[j].name, pool) == 0;
        }
        if (!found) {
            return manifest_fail(m, XL_MANIFEST_EINVAL,
                                 "domain '%s': 'pool' '%s' is not one of the manifest's pools "
                                 "(nor Pool-0)",
                                 m->domains[i].name, pool);
        }
    }
    return XL_MANIFEST_OK;
}

size_t xl_manifest_encoded_size(const struct xl_manifest *manifest)
{
    return sizeof(struct xencore_manifest_header) +
           (size_t)manifest->count * sizeof(struct xencore_domain_record) +
           (size_t)manifest->pool_count * sizeof(struct xencore_pool_record);
}

static void put_le(uint8_t *at, uint64_t value, unsigned int bytes)
{
    for (unsigned int i = 0; i < bytes; i++) {
        at[i] = (uint8_t)(value >> (8 * i));
    }
}

#define PUT_FIELD(base, type, field, value)                                                        \
    put_le((base) + offsetof(type, field), (value), sizeof(((type *)0)->field))
#define COPY_FIELD(base, type, field, source, length)                                              \
    memcpy((base) + offsetof(type, field), (source), (length))

/* A set as the ABI's byte array: bit n is bit n % 8 of byte n / 8. */
static void put_cpus(uint8_t *at, const struct xl_cpumap *cpus)
{
    for (unsigned int cpu = 0; cpu < XL_CPUMAP_BITS; cpu++) {
        if (xl_cpumap_test(cpus, cpu)) {
            at[cpu / 8] |= (uint8_t)(1u << (cpu % 8));
        }
    }
}

int xl_manifest_encode(struct xl_manifest *manifest, void *buffer, size_t size)
{
    struct xl_manifest *m = manifest;
    size_t needed = xl_manifest_encoded_size(manifest);
    if (size < needed) {
        return manifest_fail(m, XL_MANIFEST_ENOSPC,
                             "the manifest needs %zu bytes, the buffer has %zu", needed, size);
    }
    int rc = xl_manifest_check(m);
    if (rc != XL_MANIFEST_OK) {
        return rc;
    }

    uint8_t *out = buffer;
    memset(out, 0, needed);
    typedef struct xencore_manifest_header header_t;
    typedef struct xencore_domain_record record_t;
    typedef struct xencore_pool_record pool_t;
    PUT_FIELD(out, header_t, magic, XENCORE_MANIFEST_MAGIC);
    PUT_FIELD(out, header_t, version, XENCORE_MANIFEST_VERSION);
    PUT_FIELD(out, header_t, header_bytes, sizeof(header_t));
    PUT_FIELD(out, header_t, domain_count, manifest->count);
    PUT_FIELD(out, header_t, record_bytes, sizeof(record_t));
    PUT_FIELD(out, header_t, pool_count, manifest->pool_count);
    PUT_FIELD(out, header_t, pool_record_bytes, sizeof(pool_t));

    for (unsigned int i = 0; i < manifest->count; i++) {
        const struct manifest_entry *e = &manifest->domains[i];
        uint8_t *r = out + sizeof(header_t) + (size_t)i * sizeof(record_t);
        /* Strings: the fields were zeroed, so each stays NUL-terminated. */
        COPY_FIELD(r, record_t, name, e->name, strlen(e->name));
        COPY_FIELD(r, record_t, uuid, e->uuid, sizeof(e->uuid));
        PUT_FIELD(r, record_t, memory_kib, e->memory_kib);
        PUT_FIELD(r, record_t, vcpus, e->vcpus);
        PUT_FIELD(r, record_t, flags, 0);
        COPY_FIELD(r, record_t, kernel_module, e->kernel_module, strlen(e->kernel_module));
        COPY_FIELD(r, record_t, cmdline, e->cmdline, strlen(e->cmdline));
        PUT_FIELD(r, record_t, weight, e->weight);
        PUT_FIELD(r, record_t, cap, e->cap);
        COPY_FIELD(r, record_t, pool, e->pool, strlen(e->pool));
        put_cpus(r + offsetof(record_t, cpus), &e->cpus);
        put_cpus(r + offsetof(record_t, cpus_soft), &e->cpus_soft);
    }
    uint8_t *pools = out + sizeof(header_t) + (size_t)manifest->count * sizeof(record_t);
    for (unsigned int i = 0; i < manifest->pool_count; i++) {
        const struct pool_entry *e = &manifest->pools[i];
        uint8_t *r = pools + (size_t)i * sizeof(pool_t);
        COPY_FIELD(r, pool_t, name, e->name, strlen(e->name));
        PUT_FIELD(r, pool_t, scheduler, e->scheduler);
        PUT_FIELD(r, pool_t, flags, 0);
        put_cpus(r + offsetof(pool_t, cpus), &e->cpus);
    }
    return XL_MANIFEST_OK;
}

int xl_manifest_write_file(struct xl_manifest *manifest, const char *path)
{
    struct xl_manifest *m = manifest;
    int rc = xl_manifest_check(m);
    if (rc != XL_MANIFEST_OK) {
        return rc;
    }
    size_t size = xl_manifest_encoded_size(manifest);
    uint8_t *bytes = malloc(size);
    if (bytes == NULL) {
        return manifest_fail(m, XL_MANIFEST_ENOMEM, "out of memory encoding the manifest");
    }
    rc = xl_manifest_encode(manifest, bytes, size);
    if (rc != XL_MANIFEST_OK) {
        free(bytes);
        return rc;
    }
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        rc = manifest_fail(m, XL_MANIFEST_EIO, "cannot create '%s': %s", path, strerror(errno));
        free(bytes);
        return rc;
    }
    bool ok = fwrite(bytes, 1, size, f) == size;
    int write_errno = errno;
    if (fclose(f) != 0 && ok) {
        ok = false;
        write_errno = errno;
    }
    free(bytes);
    if (!ok) {
        remove(path);
        return manifest_fail(m, XL_MANIFEST_EIO, "cannot write '%s': %s", path,
                             strerror(write_errno));
    }
    return XL_MANIFEST_OK;
}
