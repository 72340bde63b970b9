/**
 * @file abi/manifest.h
 * @brief The boot manifest: which domains an image starts, as bytes.
 *
 * Host tools (xencore-mkimage, libxenlight) encode it; the hypervisor decodes
 * it from the boot module whose string is @ref XENCORE_MANIFEST_MODULE_NAME.
 * The same record describes a domain on the management channel's "create
 * domain" request, so there is one decoder. All integers little-endian;
 * strings NUL-terminated inside their fixed fields. A decoder checks every
 * field and rejects the whole manifest on the first bad one.
 */
#ifndef XENCORE_ABI_MANIFEST_H
#define XENCORE_ABI_MANIFEST_H

#include <stdint.h>

/** @brief Boot-module string that marks the manifest. */
#define XENCORE_MANIFEST_MODULE_NAME "xencore-manifest"
/** @brief "XCMF" read as a little-endian u32. */
#define XENCORE_MANIFEST_MAGIC 0x464d4358u
/** @brief The version this header describes. */
#define XENCORE_MANIFEST_VERSION 1u
/** @brief Most domains one manifest may list. */
#define XENCORE_MANIFEST_MAX_DOMAINS 64u

/** @brief Start of the manifest. */
struct xencore_manifest_header {
    uint32_t magic;        /**< XENCORE_MANIFEST_MAGIC */
    uint16_t version;      /**< XENCORE_MANIFEST_VERSION */
    uint16_t header_bytes; /**< sizeof(struct xencore_manifest_header) */
    uint32_t domain_count; /**< records that follow, 0..XENCORE_MANIFEST_MAX_DOMAINS */
    uint32_t record_bytes; /**< size of each record; at least sizeof(struct xencore_domain_record) */
};

/** @brief One domain to build at boot. */
struct xencore_domain_record {
    char name[64];          /**< 1..63 characters of [A-Za-z0-9_.-] */
    uint8_t uuid[16];       /**< all zero: the hypervisor makes one up */
    uint64_t memory_kib;    /**< guest RAM in KiB */
    uint32_t vcpus;         /**< 1..XENCORE_DOMAIN_MAX_VCPUS */
    uint32_t flags;         /**< reserved, 0 */
    char kernel_module[64]; /**< string of the boot module holding the kernel ELF */
    char cmdline[1024];     /**< kernel command line */
};

/** @cond INTERNAL */
_Static_assert(sizeof(struct xencore_manifest_header) == 16, "manifest header layout");
_Static_assert(sizeof(struct xencore_domain_record) == 1184, "manifest record layout");
/** @endcond */

#endif /* XENCORE_ABI_MANIFEST_H */
