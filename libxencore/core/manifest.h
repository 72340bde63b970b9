/* The boot manifest (include/xencore/abi/manifest.h): decoding and the
 * boot-time domains it describes. */
#ifndef XENCORE_CORE_MANIFEST_H
#define XENCORE_CORE_MANIFEST_H

#include <stddef.h>

#include <xencore/abi/manifest.h>
#include <xencore/boot_info.h>

/* Checks and decodes a manifest of @length bytes into @records (room for
 * XENCORE_MANIFEST_MAX_DOMAINS). Returns the number of domains, or -XC_EINVAL
 * with a sentence in @why naming the first bad field. Pure. */
int manifest_decode(const void *manifest, size_t length, struct xencore_domain_record *records,
                    char *why, size_t why_size);

/* Creates and starts the domains the boot manifest lists, if there is one
 * among the boot modules. A domain that cannot be built is reported and
 * skipped; the others still start. Returns the number started. */
unsigned int manifest_start_boot_domains(const struct xencore_boot_info *info);

#endif /* XENCORE_CORE_MANIFEST_H */
