/* CPU lists in Xen's syntax, for every host tool that takes one.
 *
 * xl applies the items of a list to an initially empty set, left to right,
 * and we do the same, so "0-3,^2" and "all,^0" mean what they mean to a Xen
 * user. Where xl quietly accepts something that is almost certainly a typing
 * mistake (an empty item, a list that selects nothing, a CPU the hypervisor
 * cannot have) we refuse it with a message that quotes the item: a domain
 * pinned to the wrong CPUs is found at boot, in a log, much later.
 *
 * Numbers are parsed by hand (digits only, no sign, no base prefix) so that
 * "0x3" or "+1" is an error rather than whatever strtoul makes of it. */
#include <xenlight/cpulist.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define CPUMAP_WORD_BITS 64u

static int cpulist_fail(char *error, size_t error_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int cpulist_fail(char *error, size_t error_size, const char *fmt, ...)
{
    if (error != NULL && error_size > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(error, error_size, fmt, ap);
        va_end(ap);
    }
    return XL_CPULIST_EINVAL;
}

void xl_cpumap_set(struct xl_cpumap *map, unsigned int cpu)
{
    if (cpu < XL_CPUMAP_BITS) {
        map->bits[cpu / CPUMAP_WORD_BITS] |= 1ull << (cpu % CPUMAP_WORD_BITS);
    }
}

static void cpumap_clear(struct xl_cpumap *map, unsigned int cpu)
{
    if (cpu < XL_CPUMAP_BITS) {
        map->bits[cpu / CPUMAP_WORD_BITS] &= ~(1ull << (cpu % CPUMAP_WORD_BITS));
    }
}

bool xl_cpumap_test(const struct xl_cpumap *map, unsigned int cpu)
{
    return cpu < XL_CPUMAP_BITS && ((map->bits[cpu / CPUMAP_WORD_BITS] >> (cpu % 64)) & 1) != 0;
}

unsigned int xl_cpumap_count(const struct xl_cpumap *map)
{
    unsigned int count = 0;
    for (unsigned int i = 0; i < XL_CPUMAP_BITS / CPUMAP_WORD_BITS; i++) {
        count += (unsigned int)__builtin_popcountll(map->bits[i]);
    }
    return count;
}

unsigned int xl_cpumap_first_common(const struct xl_cpumap *a, const struct xl_cpumap *b)
{
    for (unsigned int i = 0; i < XL_CPUMAP_BITS / CPUMAP_WORD_BITS; i++) {
        uint64_t common = a->bits[i] & b->bits[i];
        if (common != 0) {
            return i * CPUMAP_WORD_BITS + (unsigned int)__builtin_ctzll(common);
        }
    }
    return XL_CPUMAP_BITS;
}

/* Reads a CPU number at *p; returns false if there are no digits. A number
 * too large for any machine is clamped to UINT32_MAX, which the caller's
 * range check then reports with the text as written. */
static bool take_number(const char **p, const char *end, uint32_t *value)
{
    const char *s = *p;
    uint64_t v = 0;
    if (s == end || *s < '0' || *s > '9') {
        return false;
    }
    for (; s < end && *s >= '0' && *s <= '9'; s++) {
        v = v * 10 + (uint64_t)(*s - '0');
        if (v > UINT32_MAX) {
            v = UINT32_MAX;
        }
    }
    *value = (uint32_t)v;
    *p = s;
    return true;
}

/* Applies one item ("3", "^0-1", "all") of @length bytes to @map. */
static int apply_item(const char *key, const char *item, size_t length, unsigned int limit,
                      struct xl_cpumap *map, char *error, size_t error_size)
{
    const char *p = item;
    const char *end = item + length;
    int shown = (int)length; /* for "%.*s" */
    bool remove = false;

    if (*p == '^') {
        remove = true;
        p++;
    }
    size_t rest = (size_t)(end - p);
    if (rest == 3 && memcmp(p, "all", 3) == 0) {
        if (remove) {
            return cpulist_fail(error, error_size,
                                "%s: '^all' is not allowed: remove CPUs with ^N or ^N-M", key);
        }
        for (unsigned int cpu = 0; cpu < limit; cpu++) {
            xl_cpumap_set(map, cpu);
        }
        return XL_CPULIST_OK;
    }
    if ((rest >= 5 && memcmp(p, "node:", 5) == 0) || (rest >= 6 && memcmp(p, "nodes:", 6) == 0)) {
        return cpulist_fail(error, error_size,
                            "%s: '%.*s': NUMA node lists are not supported; list the CPUs", key,
                            shown, item);
    }

    uint32_t first, last;
    if (!take_number(&p, end, &first)) {
        goto bad_syntax;
    }
    last = first;
    if (p < end && *p == '-') {
        p++;
        if (!take_number(&p, end, &last)) {
            goto bad_syntax;
        }
    }
    if (p != end) {
        goto bad_syntax;
    }
    if (last < first) {
        return cpulist_fail(error, error_size, "%s: '%.*s' is an empty range", key, shown, item);
    }
    if (last >= limit) {
        return cpulist_fail(error, error_size,
                            "%s: '%.*s' names CPU %u, but the hypervisor has at most %u CPUs "
                            "(0-%u)",
                            key, shown, item, last, limit, limit - 1);
    }
    for (uint32_t cpu = first; cpu <= last; cpu++) {
        if (remove) {
            cpumap_clear(map, cpu);
        } else {
            xl_cpumap_set(map, cpu);
        }
    }
    return XL_CPULIST_OK;

bad_syntax:
    return cpulist_fail(error, error_size,
                        "%s: '%.*s' is not a CPU number, a range N-M, ^N, ^N-M or all", key, shown,
                        item);
}

int xl_cpulist_parse(const char *key, const char *text, unsigned int limit, struct xl_cpumap *map,
                     char *error, size_t error_size)
{
    struct xl_cpumap result;
    memset(&result, 0, sizeof(result));

    if (limit < 1 || limit > XL_CPUMAP_BITS) {
        return cpulist_fail(error, error_size, "%s: the CPU limit %u is not 1 to %u", key, limit,
                            XL_CPUMAP_BITS);
    }
    if (text == NULL || text[strspn(text, " \t")] == '\0') {
        return cpulist_fail(error, error_size, "%s: is empty: give CPUs such as 0-3,^2 or all",
                            key);
    }
    const char *p = text;
    for (;;) {
        size_t length = strcspn(p, ",");
        const char *item = p;
        size_t item_length = length;
        while (item_length > 0 && (*item == ' ' || *item == '\t')) {
            item++;
            item_length--;
        }
        while (item_length > 0 && (item[item_length - 1] == ' ' || item[item_length - 1] == '\t')) {
            item_length--;
        }
        if (item_length == 0) {
            return cpulist_fail(error, error_size,
                                "%s: '%s' has an empty item (two commas in a row, or a comma "
                                "at an end)",
                                key, text);
        }
        int rc = apply_item(key, item, item_length, limit, &result, error, error_size);
        if (rc != XL_CPULIST_OK) {
            return rc;
        }
        p += length;
        if (*p == '\0') {
            break;
        }
        p++; /* the ',' */
    }
    if (xl_cpumap_count(&result) == 0) {
        return cpulist_fail(error, error_size,
                            "%s: '%s' selects no CPU (items apply left to right to an empty "
                            "set: write all,^N to exclude CPUs)",
                            key, text);
    }
    *map = result;
    return XL_CPULIST_OK;
}

/* Appends to @buffer like snprintf at offset @used; returns the new length. */
static size_t append(char *buffer, size_t size, size_t used, const char *fmt, unsigned int a,
                     unsigned int b) __attribute__((format(printf, 4, 0)));

static size_t append(char *buffer, size_t size, size_t used, const char *fmt, unsigned int a,
                     unsigned int b)
{
    char piece[32];
    int n = snprintf(piece, sizeof(piece), fmt, a, b);
    size_t length = n > 0 ? (size_t)n : 0;
    if (used < size) {
        size_t room = size - used - 1;
        size_t copy = length < room ? length : room;
        memcpy(buffer + used, piece, copy);
        buffer[used + copy] = '\0';
    }
    return used + length;
}

size_t xl_cpulist_format(const struct xl_cpumap *map, char *buffer, size_t size)
{
    size_t used = 0;
    if (size > 0) {
        buffer[0] = '\0';
    }
    unsigned int cpu = 0;
    while (cpu < XL_CPUMAP_BITS) {
        if (!xl_cpumap_test(map, cpu)) {
            cpu++;
            continue;
        }
        unsigned int last = cpu;
        while (last + 1 < XL_CPUMAP_BITS && xl_cpumap_test(map, last + 1)) {
            last++;
        }
        bool first = used == 0;
        if (last == cpu) {
            used = append(buffer, size, used, first ? "%u" : ",%u", cpu, 0);
        } else {
            used = append(buffer, size, used, first ? "%u-%u" : ",%u-%u", cpu, last);
        }
        cpu = last + 1;
    }
    return used;
}
