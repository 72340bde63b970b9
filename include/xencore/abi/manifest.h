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
 *
 * Version 2 adds the scheduling settings of each domain (weight, cap, CPU
 * pool, hard and soft affinity) and the CPU pools to create at boot. CPU
 * bitmaps are 4096 bits whatever the hypervisor's build, so an image tool
 * need not know it; the hypervisor refuses CPUs it does not have. Version 1
 * manifests are still decoded.
 */
#ifndef XENCORE_ABI_MANIFEST_H
#define XENCORE_ABI_MANIFEST_H

#include <stdint.h>

/** @brief Boot-module string that marks the manifest. */
#define XENCORE_MANIFEST_MODULE_NAME "xencore-manifest"
/** @brief "XCMF" read as a little-endian u32. */
#define XENCORE_MANIFEST_MAGIC 0x464d4358u
/** @brief The version this header describes (writers write it). */
#define XENCORE_MANIFEST_VERSION 2u
/** @brief The first version, still decoded: domains without scheduling fields, no pools. */
#define XENCORE_MANIFEST_VERSION_1 1u
/** @brief Most domains one manifest may list. */
#define XENCORE_MANIFEST_MAX_DOMAINS 64u
/** @brief Most CPU pools one manifest may describe (Pool-0, always there, not counted). */
#define XENCORE_MANIFEST_MAX_POOLS 63u
/** @brief CPUs a CPU bitmap holds, whatever the hypervisor's own XENCORE_MAX_CPUS. */
#define XENCORE_MANIFEST_CPU_BITS 4096u
/** @brief Bytes of a CPU bitmap: bit n is bit (n % 8) of byte (n / 8). */
#define XENCORE_MANIFEST_CPU_BYTES (XENCORE_MANIFEST_CPU_BITS / 8u)
/** @brief Size of a version 1 header (magic .. record_bytes). */
#define XENCORE_MANIFEST_V1_HEADER_BYTES 16u
/** @brief Size of a version 1 domain record (name .. cmdline). */
#define XENCORE_MANIFEST_V1_RECORD_BYTES 1184u
/** @brief Largest record size a header may declare (room for a future writer's fields). */
#define XENCORE_MANIFEST_MAX_RECORD_BYTES 65536u
/** @brief Largest domain weight; 0 in a record means the default (256). */
#define XENCORE_MANIFEST_MAX_WEIGHT 65535u
/** @brief Cap limit per vCPU, in percent of one CPU: a cap is at most this x vcpus. */
#define XENCORE_MANIFEST_CAP_PERCENT_PER_VCPU 100u

/**
 * @brief Start of the manifest.
 *
 * Layout: this header (header_bytes long), then domain_count domain records of
 * record_bytes each, then (version 2) pool_count pool records of
 * pool_record_bytes each. A reader steps by the sizes given here, so a newer
 * writer may append fields to the header and to records; a version 1 manifest
 * ends after the domain records and its header after record_bytes.
 */
struct xencore_manifest_header {
    uint32_t magic;        /**< XENCORE_MANIFEST_MAGIC */
    uint16_t version;      /**< XENCORE_MANIFEST_VERSION, or XENCORE_MANIFEST_VERSION_1 */
    uint16_t header_bytes; /**< at least 16 (version 1) or sizeof(this struct) (version 2) */
    uint32_t domain_count; /**< domain records that follow, 0..XENCORE_MANIFEST_MAX_DOMAINS */
    uint32_t record_bytes; /**< size of each domain record; at least 1184 (version 1) or
                                sizeof(struct xencore_domain_record) (version 2); at most
                                XENCORE_MANIFEST_MAX_RECORD_BYTES */
    /* Version 2 */
    uint32_t pool_count; /**< pool records after the domains, 0..XENCORE_MANIFEST_MAX_POOLS */
    uint32_t pool_record_bytes; /**< size of each pool record; at least
                                     sizeof(struct xencore_pool_record), at most
                                     XENCORE_MANIFEST_MAX_RECORD_BYTES */
};

/**
 * @brief One domain to build at boot.
 *
 * Version 1 records end after @c cmdline; a decoder gives the version 2
 * fields of a version 1 record their defaults (all zero: weight 256, no cap,
 * Pool-0, no affinity).
 */
struct xencore_domain_record {
    char name[64];          /**< 1..63 characters of [A-Za-z0-9_.-] */
    uint8_t uuid[16];       /**< all zero: the hypervisor makes one up */
    uint64_t memory_kib;    /**< guest RAM in KiB, not 0 */
    uint32_t vcpus;         /**< 1..XENCORE_DOMAIN_MAX_VCPUS */
    uint32_t flags;         /**< reserved, 0 */
    char kernel_module[64]; /**< string of the boot module holding the kernel ELF; not empty */
    char cmdline[1024];     /**< kernel command line */
    /* Version 2 */
    uint32_t weight; /**< credit/credit2 weight, 1..XENCORE_MANIFEST_MAX_WEIGHT; 0: the default */
    uint32_t cap;    /**< cap in percent of one CPU, at most 100 x vcpus; 0: no cap */
    char pool[64];   /**< CPU pool by name (0..63 characters of [A-Za-z0-9_.-]); "": Pool-0 */
    /** Hard affinity of every vCPU (xl.cfg `cpus`): CPUs it may run on; all zero: every CPU.
     *  No bit at or above the hypervisor's XENCORE_MAX_CPUS; only CPUs that are online. */
    uint8_t cpus[XENCORE_MANIFEST_CPU_BYTES];
    /** Soft affinity of every vCPU (xl.cfg `cpus_soft`): CPUs it prefers; all zero: none.
     *  The same limits as @c cpus. */
    uint8_t cpus_soft[XENCORE_MANIFEST_CPU_BYTES];
};

/** @brief One CPU pool to create at boot (version 2), before the domains. */
struct xencore_pool_record {
    char name[64];      /**< 1..63 characters of [A-Za-z0-9_.-], unique, not "Pool-0" */
    uint32_t scheduler; /**< Xen's scheduler number (enum xencore_scheduler: 5 credit,
                             6 credit2, 9 null); 0: the scheduler Pool-0 runs */
    uint32_t flags;     /**< reserved, 0 */
    /** Its CPUs, taken from Pool-0: not empty; no bit at or above the hypervisor's
     *  XENCORE_MAX_CPUS; online; no CPU in two pools. */
    uint8_t cpus[XENCORE_MANIFEST_CPU_BYTES];
};

/** @cond INTERNAL */
_Static_assert(sizeof(struct xencore_manifest_header) == 24, "manifest header layout");
_Static_assert(__builtin_offsetof(struct xencore_manifest_header, pool_count) ==
                   XENCORE_MANIFEST_V1_HEADER_BYTES,
               "version 1 header is a prefix");
_Static_assert(sizeof(struct xencore_domain_record) == 2280, "manifest record layout");
_Static_assert(__builtin_offsetof(struct xencore_domain_record, weight) ==
                   XENCORE_MANIFEST_V1_RECORD_BYTES,
               "version 1 record is a prefix");
_Static_assert(__builtin_offsetof(struct xencore_domain_record, pool) == 1192, "pool field");
_Static_assert(__builtin_offsetof(struct xencore_domain_record, cpus) == 1256, "cpus field");
_Static_assert(__builtin_offsetof(struct xencore_domain_record, cpus_soft) == 1768,
               "cpus_soft field");
_Static_assert(sizeof(struct xencore_pool_record) == 584, "pool record layout");
_Static_assert(__builtin_offsetof(struct xencore_pool_record, cpus) == 72, "pool cpus field");
/** @endcond */

#endif /* XENCORE_ABI_MANIFEST_H */
