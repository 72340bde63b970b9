/**
 * @file xenlight/manifest.h
 * @brief Building the boot manifest: which domains an image starts.
 *
 * A boot image carries one manifest module (see xencore/abi/manifest.h for
 * the bytes). Host tools build it here: make an empty manifest, add one
 * domain at a time, then encode it into a buffer or write it to a file.
 * Every domain is checked when it is added, with the same rules the
 * hypervisor's decoder applies, so a mistake is reported on the host, with a
 * message that names the field, instead of at boot.
 *
 * A manifest may also describe CPU pools to create at boot
 * (xl_manifest_add_pool()): each takes its CPUs from Pool-0 and runs its own
 * scheduler; a domain names its pool in @c pool. Affinities and pool CPUs are
 * sets from xenlight/cpulist.h (parse "0-3,^2" with xl_cpulist_parse()).
 * Which CPUs exist is only known at boot: the hypervisor refuses a pool or a
 * domain that names a CPU it does not have, and says so on its console.
 *
 * @code
 * struct xl_manifest *m = xl_manifest_new();
 * struct xl_manifest_domain d = { .name = "web", .memory_kib = 32768, .vcpus = 1,
 *                                 .kernel_module = "vmlinux", .cmdline = "console=hvc0" };
 * if (xl_manifest_add_domain(m, &d) != XL_MANIFEST_OK)
 *     fprintf(stderr, "%s\n", xl_manifest_error(m));
 * xl_manifest_write_file(m, "manifest");
 * xl_manifest_free(m);
 * @endcode
 *
 * Functions return XL_MANIFEST_OK (0) or a negative XL_MANIFEST_E* code and
 * then keep a message in the manifest object, readable with
 * xl_manifest_error() until the next call. A manifest object is not
 * thread-safe; distinct objects are independent.
 */
#ifndef XENLIGHT_MANIFEST_H
#define XENLIGHT_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include <xenlight/cpulist.h>

#ifdef __cplusplus
extern "C" {
#endif

/** @name Result codes */
/**@{*/
#define XL_MANIFEST_OK 0         /**< success */
#define XL_MANIFEST_EINVAL (-22) /**< a field is out of range; the message names it */
#define XL_MANIFEST_EEXIST (-17) /**< a domain with that name is already listed */
#define XL_MANIFEST_ENOSPC (-28) /**< too many domains, or the buffer is too small */
#define XL_MANIFEST_ENOMEM (-12) /**< out of memory */
#define XL_MANIFEST_EIO (-5)     /**< writing the file failed; the message says why */
/**@}*/

/** @name Limits (the hypervisor's decoder applies the same) */
/**@{*/
#define XL_MANIFEST_NAME_MAX 63          /**< longest domain name */
#define XL_MANIFEST_MODULE_NAME_MAX 63   /**< longest kernel module string */
#define XL_MANIFEST_CMDLINE_MAX 1023     /**< longest kernel command line */
#define XL_MANIFEST_MIN_MEMORY_KIB 1024u /**< smallest domain: 1 MiB */
#define XL_MANIFEST_MAX_VCPUS 128u       /**< most vCPUs of one domain */
#define XL_MANIFEST_MAX_DOMAINS 64u      /**< most domains in one manifest */
#define XL_MANIFEST_MAX_POOLS 63u        /**< most pools in one manifest (Pool-0 not counted) */
#define XL_MANIFEST_MAX_WEIGHT 65535u    /**< largest weight */
#define XL_MANIFEST_DEFAULT_WEIGHT 256u  /**< the weight a domain gets when it gives 0 */
#define XL_MANIFEST_CAP_PER_VCPU 100u    /**< a cap is at most this many percent per vCPU */
#define XL_MANIFEST_BOOT_POOL "Pool-0"   /**< the pool every CPU starts in; always exists */
/**@}*/

/** @name Schedulers (Xen's XEN_SCHEDULER_* numbers, as in xencore/sched.h) */
/**@{*/
#define XL_SCHED_DEFAULT 0u /**< a pool runs the scheduler Pool-0 runs (boot option sched=) */
#define XL_SCHED_CREDIT 5u  /**< credit */
#define XL_SCHED_CREDIT2 6u /**< credit2, the default of Pool-0 */
#define XL_SCHED_NULL 9u    /**< null */
/**@}*/

/** @brief A manifest being built. Opaque; make one with xl_manifest_new(). */
struct xl_manifest;

/** @brief One domain to add, as the caller describes it. */
struct xl_manifest_domain {
    /** 1..63 characters of A-Z a-z 0-9 _ . - ; unique within the manifest. */
    const char *name;
    /** UUID; all zero (or NULL) lets the hypervisor make one up. */
    const uint8_t *uuid;
    /** Guest RAM in KiB: a multiple of 4, at least 1024. */
    uint64_t memory_kib;
    /** Number of vCPUs, 1..XL_MANIFEST_MAX_VCPUS. */
    uint32_t vcpus;
    /** String of the boot module that holds the kernel ELF; 1..63 characters, no spaces. */
    const char *kernel_module;
    /** Kernel command line, at most 1023 bytes; NULL means empty. */
    const char *cmdline;
    /** credit/credit2 weight, 1..XL_MANIFEST_MAX_WEIGHT; 0 for the default (256). */
    uint32_t weight;
    /** Cap in percent of one CPU, at most 100 x vcpus; 0 for none. */
    uint32_t cap;
    /** CPU pool by name: one added with xl_manifest_add_pool(), or "Pool-0";
     *  NULL or "" for Pool-0. */
    const char *pool;
    /** Hard affinity of every vCPU (xl.cfg `cpus`), not empty; NULL for every CPU. */
    const struct xl_cpumap *cpus;
    /** Soft affinity of every vCPU (xl.cfg `cpus_soft`), not empty; NULL for none. */
    const struct xl_cpumap *cpus_soft;
};

/** @brief One CPU pool to create at boot, before the domains. */
struct xl_manifest_pool {
    /** 1..63 characters of A-Z a-z 0-9 _ . - ; unique; not "Pool-0". */
    const char *name;
    /** XL_SCHED_CREDIT, XL_SCHED_CREDIT2, XL_SCHED_NULL, or XL_SCHED_DEFAULT. */
    uint32_t scheduler;
    /** Its CPUs, moved out of Pool-0 at boot: not empty, none in another pool. */
    const struct xl_cpumap *cpus;
};

/**
 * @brief Makes an empty manifest.
 * @return The manifest, or NULL when out of memory.
 */
struct xl_manifest *xl_manifest_new(void);

/**
 * @brief Frees a manifest.
 * @param manifest The manifest, or NULL.
 */
void xl_manifest_free(struct xl_manifest *manifest);

/**
 * @brief Checks a domain and appends it to the manifest.
 *
 * On failure nothing is added and xl_manifest_error() says which field is
 * wrong and what it must be, e.g. "'vcpus' must be 1 to 128, not 0".
 *
 * @param manifest The manifest.
 * @param domain   The domain; copied, so it may be discarded afterwards.
 * @return XL_MANIFEST_OK; XL_MANIFEST_EINVAL for a bad field;
 *         XL_MANIFEST_EEXIST for a name already listed; XL_MANIFEST_ENOSPC
 *         when the manifest already holds XL_MANIFEST_MAX_DOMAINS domains.
 */
int xl_manifest_add_domain(struct xl_manifest *manifest, const struct xl_manifest_domain *domain);

/**
 * @brief Checks a pool and appends it to the manifest.
 *
 * On failure nothing is added and xl_manifest_error() names the field, e.g.
 * "pool 'rt': 'cpus' CPU 3 is already in pool 'batch'".
 *
 * @param manifest The manifest.
 * @param pool     The pool; copied.
 * @return XL_MANIFEST_OK; XL_MANIFEST_EINVAL for a bad field or CPUs another
 *         pool has; XL_MANIFEST_EEXIST for a name already listed;
 *         XL_MANIFEST_ENOSPC when it already holds XL_MANIFEST_MAX_POOLS pools.
 */
int xl_manifest_add_pool(struct xl_manifest *manifest, const struct xl_manifest_pool *pool);

/**
 * @brief Checks what spans several records: every domain's pool is Pool-0 or
 *        one of the manifest's pools. xl_manifest_encode() checks it too.
 * @param manifest The manifest.
 * @return XL_MANIFEST_OK; XL_MANIFEST_EINVAL, the message naming the domain
 *         and the pool.
 */
int xl_manifest_check(struct xl_manifest *manifest);

/**
 * @brief Number of pools added so far.
 * @param manifest The manifest.
 * @return The count.
 */
unsigned int xl_manifest_pool_count(const struct xl_manifest *manifest);

/**
 * @brief The scheduler of a name, as xl.cfg and the `sched=` boot option spell it.
 * @param name      "credit", "credit2" or "null".
 * @param scheduler Receives XL_SCHED_CREDIT, XL_SCHED_CREDIT2 or XL_SCHED_NULL.
 * @return XL_MANIFEST_OK; XL_MANIFEST_EINVAL for any other name.
 */
int xl_scheduler_from_name(const char *name, uint32_t *scheduler);

/**
 * @brief The name of a scheduler number.
 * @param scheduler A scheduler number.
 * @return "credit", "credit2", "null", "default" (XL_SCHED_DEFAULT) or NULL.
 */
const char *xl_scheduler_name(uint32_t scheduler);

/**
 * @brief Number of domains added so far.
 * @param manifest The manifest.
 * @return The count.
 */
unsigned int xl_manifest_domain_count(const struct xl_manifest *manifest);

/**
 * @brief Size of the encoded manifest in bytes.
 * @param manifest The manifest.
 * @return Header plus one record per domain and one per pool.
 */
size_t xl_manifest_encoded_size(const struct xl_manifest *manifest);

/**
 * @brief Encodes the manifest (little-endian, see xencore/abi/manifest.h).
 * @param manifest The manifest.
 * @param buffer   Receives the bytes.
 * @param size     Room in @p buffer; at least xl_manifest_encoded_size().
 * @return XL_MANIFEST_OK; XL_MANIFEST_ENOSPC when @p size is too small;
 *         XL_MANIFEST_EINVAL when xl_manifest_check() fails.
 */
int xl_manifest_encode(struct xl_manifest *manifest, void *buffer, size_t size);

/**
 * @brief Encodes the manifest into a file, replacing it.
 * @param manifest The manifest.
 * @param path     The file to write.
 * @return XL_MANIFEST_OK; XL_MANIFEST_EIO (the message holds the path and
 *         the system's reason); XL_MANIFEST_ENOMEM; XL_MANIFEST_EINVAL when
 *         xl_manifest_check() fails (nothing is written).
 */
int xl_manifest_write_file(struct xl_manifest *manifest, const char *path);

/**
 * @brief The message of the last failed call on this manifest.
 * @param manifest The manifest.
 * @return A NUL-terminated message without a trailing newline; "" if the last
 *         call succeeded. Valid until the next call on @p manifest.
 */
const char *xl_manifest_error(const struct xl_manifest *manifest);

#ifdef __cplusplus
}
#endif

#endif /* XENLIGHT_MANIFEST_H */
