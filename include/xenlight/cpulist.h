/**
 * @file xenlight/cpulist.h
 * @brief CPU lists in Xen's syntax (`cpus="0-3,^2"`), parsed and printed.
 *
 * xl.cfg's `cpus` and `cpus_soft`, xlcpupool.cfg's `cpus`, and the image
 * tool's `--domain ...,cpus=` and `--pool ...,cpus=` all use one syntax, and
 * all go through this parser so that they agree:
 *
 * - a list is items separated by commas, applied from left to right to a set
 *   that starts empty;
 * - `N` adds CPU N, `N-M` adds CPUs N to M (N <= M);
 * - `^N` and `^N-M` remove them again (so a list that starts with `^`
 *   removes from nothing and selects nothing: write `all,^2`);
 * - `all` adds every CPU; `^all` is an error, as in xl;
 * - blanks around an item are ignored.
 *
 * Stricter than xl, so a typing mistake is not silently accepted: an empty
 * item (`1,,2`), a list that ends up selecting no CPU, a CPU at or above the
 * limit, and NUMA node items (`node:1`, which xencore has no use for) are
 * errors. Messages name the key and quote the offending item, e.g.
 * "cpus: '7-3' is an empty range".
 */
#ifndef XENLIGHT_CPULIST_H
#define XENLIGHT_CPULIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** @brief CPUs an xl_cpumap can hold: as many as the boot manifest format (4096). */
#define XL_CPUMAP_BITS 4096u

/** @brief Result codes (the same numbers as XL_MANIFEST_*). */
#define XL_CPULIST_OK 0         /**< success */
#define XL_CPULIST_EINVAL (-22) /**< the list is malformed or out of range; see the message */

/** @brief A set of CPUs: bit n of word n/64 is CPU n. All zero is the empty set. */
struct xl_cpumap {
    uint64_t bits[XL_CPUMAP_BITS / 64]; /**< the CPUs */
};

/**
 * @brief Parses a CPU list such as "0-3,^2" or "all,^0".
 *
 * @param key        The setting's name, for messages ("cpus", "cpus_soft").
 * @param text       The list.
 * @param limit      CPUs that exist: numbers must be below it, and `all`
 *                   means 0 to limit-1. 1..XL_CPUMAP_BITS.
 * @param map        Receives the set; left unchanged on error.
 * @param error      Receives a message naming @p key on error (no newline).
 * @param error_size Room in @p error.
 * @return XL_CPULIST_OK, or XL_CPULIST_EINVAL with a message.
 */
int xl_cpulist_parse(const char *key, const char *text, unsigned int limit, struct xl_cpumap *map,
                     char *error, size_t error_size);

/**
 * @brief Prints a set in the compact syntax: "0-3,5,8-9", "" for the empty set.
 * @param map    The set.
 * @param buffer Receives the text, always terminated when @p size > 0.
 * @param size   Room in @p buffer.
 * @return The length the full text needs (like snprintf): the text was cut
 *         short when the result is >= @p size.
 */
size_t xl_cpulist_format(const struct xl_cpumap *map, char *buffer, size_t size);

/**
 * @brief Adds a CPU to a set.
 * @param map The set.
 * @param cpu The CPU (ignored at or above XL_CPUMAP_BITS).
 */
void xl_cpumap_set(struct xl_cpumap *map, unsigned int cpu);

/**
 * @brief Whether a CPU is in a set.
 * @param map The set.
 * @param cpu The CPU.
 * @return true if it is (false at or above XL_CPUMAP_BITS).
 */
bool xl_cpumap_test(const struct xl_cpumap *map, unsigned int cpu);

/**
 * @brief Counts the CPUs in a set.
 * @param map The set.
 * @return How many CPUs it holds.
 */
unsigned int xl_cpumap_count(const struct xl_cpumap *map);

/**
 * @brief The lowest CPU two sets share.
 * @param a One set.
 * @param b The other.
 * @return That CPU, or XL_CPUMAP_BITS if they are disjoint.
 */
unsigned int xl_cpumap_first_common(const struct xl_cpumap *a, const struct xl_cpumap *b);

#ifdef __cplusplus
}
#endif

#endif /* XENLIGHT_CPULIST_H */
