/* Sets of CPUs: the public struct xencore_cpumask with the few operations
 * the schedulers and cpupools need. Plain bit arithmetic on 64-bit words;
 * CPUs at or above XENCORE_MAX_CPUS do not exist and are never set. */
#ifndef XENCORE_LIB_CPUMASK_H
#define XENCORE_LIB_CPUMASK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xencore/config.h>
#include <xencore/sched.h>

typedef struct xencore_cpumask cpumask_t;

#define CPUMASK_WORDS ((XENCORE_MAX_CPUS + 63) / 64)

static inline void cpumask_clear_all(cpumask_t *m)
{
    for (unsigned int i = 0; i < CPUMASK_WORDS; i++)
        m->bits[i] = 0;
}

static inline void cpumask_set_all(cpumask_t *m)
{
    for (unsigned int i = 0; i < CPUMASK_WORDS; i++)
        m->bits[i] = ~0ULL;
    if (XENCORE_MAX_CPUS % 64)
        m->bits[CPUMASK_WORDS - 1] = (1ULL << (XENCORE_MAX_CPUS % 64)) - 1;
}

static inline bool cpumask_test(const cpumask_t *m, unsigned int cpu)
{
    return cpu < XENCORE_MAX_CPUS && (m->bits[cpu / 64] >> (cpu % 64)) & 1;
}

static inline void cpumask_set(cpumask_t *m, unsigned int cpu)
{
    if (cpu < XENCORE_MAX_CPUS)
        m->bits[cpu / 64] |= 1ULL << (cpu % 64);
}

static inline void cpumask_clear(cpumask_t *m, unsigned int cpu)
{
    if (cpu < XENCORE_MAX_CPUS)
        m->bits[cpu / 64] &= ~(1ULL << (cpu % 64));
}

/* dst = a & b; true if the result is not empty. */
static inline bool cpumask_and(cpumask_t *dst, const cpumask_t *a, const cpumask_t *b)
{
    uint64_t any = 0;
    for (unsigned int i = 0; i < CPUMASK_WORDS; i++)
        any |= dst->bits[i] = a->bits[i] & b->bits[i];
    return any != 0;
}

static inline void cpumask_or(cpumask_t *dst, const cpumask_t *a, const cpumask_t *b)
{
    for (unsigned int i = 0; i < CPUMASK_WORDS; i++)
        dst->bits[i] = a->bits[i] | b->bits[i];
}

static inline void cpumask_andnot(cpumask_t *dst, const cpumask_t *a, const cpumask_t *b)
{
    for (unsigned int i = 0; i < CPUMASK_WORDS; i++)
        dst->bits[i] = a->bits[i] & ~b->bits[i];
}

static inline bool cpumask_intersects(const cpumask_t *a, const cpumask_t *b)
{
    for (unsigned int i = 0; i < CPUMASK_WORDS; i++)
        if (a->bits[i] & b->bits[i])
            return true;
    return false;
}

static inline bool cpumask_empty(const cpumask_t *m)
{
    for (unsigned int i = 0; i < CPUMASK_WORDS; i++)
        if (m->bits[i])
            return false;
    return true;
}

static inline bool cpumask_subset(const cpumask_t *small, const cpumask_t *big)
{
    for (unsigned int i = 0; i < CPUMASK_WORDS; i++)
        if (small->bits[i] & ~big->bits[i])
            return false;
    return true;
}

/* SWAR count: __builtin_popcountll would call libgcc's __popcountdi2 in the
 * freestanding build (no POPCNT assumed), which the hypervisor does not link. */
static inline unsigned int cpumask_word_weight(uint64_t w)
{
    w = w - ((w >> 1) & 0x5555555555555555ULL);
    w = (w & 0x3333333333333333ULL) + ((w >> 2) & 0x3333333333333333ULL);
    w = (w + (w >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
    return (unsigned int)((w * 0x0101010101010101ULL) >> 56);
}

static inline unsigned int cpumask_weight(const cpumask_t *m)
{
    unsigned int n = 0;
    for (unsigned int i = 0; i < CPUMASK_WORDS; i++)
        n += cpumask_word_weight(m->bits[i]);
    return n;
}

/* The first CPU in @m at or after @from, or XENCORE_MAX_CPUS if none. */
static inline unsigned int cpumask_next(const cpumask_t *m, unsigned int from)
{
    while (from < XENCORE_MAX_CPUS) {
        uint64_t w = m->bits[from / 64] >> (from % 64);
        if (w)
            return from + (unsigned int)__builtin_ctzll(w);
        from = (from / 64 + 1) * 64;
    }
    return XENCORE_MAX_CPUS;
}

/* Writes @m in Xen's compact syntax ("0-3,5"), cut short with "..." if
 * @buffer is too small (at least 4 bytes). */
void cpumask_format(const cpumask_t *m, char *buffer, size_t size);

#define cpumask_first(m) cpumask_next((m), 0)
#define for_each_cpu(cpu, m)                                                              \
    for (unsigned int cpu = cpumask_first(m); cpu < XENCORE_MAX_CPUS;                     \
         cpu = cpumask_next((m), cpu + 1))

#endif /* XENCORE_LIB_CPUMASK_H */
