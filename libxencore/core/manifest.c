/* Boot-time domains from the manifest module.
 *
 * The manifest comes from the boot medium and is checked like any input
 * from outside: magic, version, sizes and counts first, then every record's
 * fields (terminated strings, valid names, sane numbers). One bad record
 * rejects the whole manifest: starting half an appliance is worse than
 * stopping with a reason. */
#include "core/manifest.h"

#include <xencore/domain.h>

#include "arch/arch.h"
#include "lib/errno.h"
#include "lib/printk.h"
#include "lib/string.h"
#include "mm/mm.h"

static bool terminated(const char *s, size_t size)
{
    return memchr(s, '\0', size) != NULL;
}

/* The characters abi/manifest.h allows in a name (the length is checked by
 * the caller: terminated, not empty). */
static bool name_valid(const char *name)
{
    for (; *name; name++) {
        char c = *name;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            return false;
    }
    return true;
}

int manifest_decode(const void *manifest, size_t length, struct xencore_domain_record *records,
                    char *why, size_t why_size)
{
    struct xencore_manifest_header h;
    if (!manifest || length < sizeof(h))
        return xc_refuse(why, why_size, "manifest of %zu bytes is shorter than its header", length);
    memcpy(&h, manifest, sizeof(h));
    if (h.magic != XENCORE_MANIFEST_MAGIC)
        return xc_refuse(why, why_size, "manifest has a bad magic number 0x%x", h.magic);
    if (h.version != XENCORE_MANIFEST_VERSION)
        return xc_refuse(why, why_size, "manifest version %u is not supported (only %u)", h.version,
                    XENCORE_MANIFEST_VERSION);
    if (h.header_bytes < sizeof(h) || h.header_bytes > length)
        return xc_refuse(why, why_size, "manifest header size %u is invalid", h.header_bytes);
    if (h.domain_count > XENCORE_MANIFEST_MAX_DOMAINS)
        return xc_refuse(why, why_size, "manifest lists %u domains, more than %u", h.domain_count,
                    XENCORE_MANIFEST_MAX_DOMAINS);
    if (h.record_bytes < sizeof(struct xencore_domain_record) || h.record_bytes > 65536)
        return xc_refuse(why, why_size, "manifest record size %u is invalid", h.record_bytes);
    if ((uint64_t)h.record_bytes * h.domain_count > length - h.header_bytes)
        return xc_refuse(why, why_size, "manifest is truncated: %u records of %u bytes do not fit",
                    h.domain_count, h.record_bytes);

    const char *p = (const char *)manifest + h.header_bytes;
    for (uint32_t i = 0; i < h.domain_count; i++, p += h.record_bytes) {
        struct xencore_domain_record *r = &records[i];
        memcpy(r, p, sizeof(*r)); /* fields a newer writer appended are skipped */
        if (!terminated(r->name, sizeof(r->name)) || r->name[0] == '\0')
            return xc_refuse(why, why_size, "manifest domain %u has no terminated name", i);
        if (!name_valid(r->name))
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
    }
    return (int)h.domain_count;
}

static const struct xencore_boot_module *find_module(const struct xencore_boot_info *info,
                                                     const char *name)
{
    for (uint32_t i = 0; i < info->module_count; i++)
        if (!strcmp(info->modules[i].cmdline, name))
            return &info->modules[i];
    return NULL;
}

unsigned int manifest_start_boot_domains(const struct xencore_boot_info *info)
{
    const struct xencore_boot_module *m = find_module(info, XENCORE_MANIFEST_MODULE_NAME);
    if (!m)
        return 0;
    /* 74 KiB for the largest manifest: borrowed from the allocator for the
     * duration rather than kept in .bss for good. */
    const unsigned int records_order = 5;
    _Static_assert(sizeof(struct xencore_domain_record) * XENCORE_MANIFEST_MAX_DOMAINS <=
                       (ARCH_PAGE_SIZE << 5),
                   "records_order too small");
    uint64_t records_phys = mm_alloc_pages(records_order);
    if (!records_phys) {
        printk("xencore: boot manifest: no memory to decode it\n");
        return 0;
    }
    struct xencore_domain_record *records = arch_phys_to_virt(records_phys);
    char why[160];
    int count = manifest_decode(arch_phys_to_virt(m->base), (size_t)m->length, records, why,
                                sizeof(why));
    if (count < 0)
        printk("xencore: boot manifest rejected: %s\n", why);
    unsigned int started = 0;
    for (int i = 0; i < count; i++) {
        const struct xencore_domain_record *r = &records[i];
        const struct xencore_boot_module *k = find_module(info, r->kernel_module);
        if (!k) {
            printk("xencore: domain %s: no boot module '%s' holds its kernel\n", r->name,
                   r->kernel_module);
            continue;
        }
        struct xencore_domain_config config = {
            .name = r->name,
            .memory_kib = r->memory_kib,
            .vcpus = r->vcpus,
            .kernel = arch_phys_to_virt(k->base),
            .kernel_size = (size_t)k->length,
            .cmdline = r->cmdline[0] ? r->cmdline : NULL,
        };
        memcpy(config.uuid, r->uuid, sizeof(config.uuid));
        xencore_domid_t domid;
        if (xencore_domain_create(&config, &domid) == 0 && xencore_domain_unpause(domid) == 0)
            started++;
    }
    mm_free_pages(records_phys, records_order);
    return started;
}
