/* The boot manifest (include/xencore/abi/manifest.h): decoding, and the
 * boot-time CPU pools and domains it describes. */
#ifndef XENCORE_CORE_MANIFEST_H
#define XENCORE_CORE_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include <xencore/abi/manifest.h>
#include <xencore/boot_info.h>

/* Where manifest_decode() puts what it found. The caller provides the
 * arrays; the counts are filled in. */
struct manifest_contents {
    struct xencore_domain_record *domains; /* room for XENCORE_MANIFEST_MAX_DOMAINS */
    struct xencore_pool_record *pools;     /* room for XENCORE_MANIFEST_MAX_POOLS */
    uint32_t domain_count;
    uint32_t pool_count;
};

/* Checks and decodes a manifest (version 1 or 2) of @length bytes into @out.
 * Version 1 records get the version 2 defaults (all zero). CPU bitmaps must
 * not name a CPU at or above @cpu_limit (the hypervisor passes
 * XENCORE_MAX_CPUS). Returns the number of domains, or -XC_EINVAL with a
 * sentence in @why naming the first bad field (and the domain or pool it
 * belongs to); then nothing in @out may be used. Pure. */
int manifest_decode(const void *manifest, size_t length, unsigned int cpu_limit,
                    struct manifest_contents *out, char *why, size_t why_size);

/* Boot, in two steps so that what pools take (scheduler instances) is not
 * counted as memory the domains left behind (the `poweroff` check):
 *
 * manifest_create_boot_pools() decodes the boot manifest, if there is one
 * among the boot modules (a rejected one is reported, and nothing of it is
 * made), and creates its CPU pools from CPUs of Pool-0. A pool that cannot
 * be made (a CPU offline or busy) is reported, undone and skipped. Prints one
 * line per pool made: "xencore: pool NAME (poolN): sched=SCHED cpus=LIST".
 * Until manifest_start_boot_domains() has run, later calls do nothing.
 *
 * manifest_start_boot_domains() then builds and starts the domains (calling
 * manifest_create_boot_pools() first if nobody has). A domain that cannot be
 * built (its pool missing, a CPU offline, a bad kernel) is reported and
 * skipped; the others still start. Returns the number started. */
void manifest_create_boot_pools(const struct xencore_boot_info *info);
unsigned int manifest_start_boot_domains(const struct xencore_boot_info *info);

#endif /* XENCORE_CORE_MANIFEST_H */
