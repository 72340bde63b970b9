/* Domains for unit tests of event channels and vCPU time, built by hand.
 *
 * The host build has no guest to boot, so a test domain is what the core's
 * event and time code touches: struct domain and its vCPUs (heap memory), a
 * shared_info page and the port table from the real frame allocator (a
 * 16 MiB arena of real memory: "physical" addresses are host pointers). The
 * vCPUs are up, not in any cpupool (the scheduler's wake is then only run-state
 * bookkeeping) and not running. fake_domain_destroy() tears one down the way
 * domain destruction must: timers first, then ports, then memory. */
#ifndef TESTS_UNIT_FAKE_DOMAIN_H
#define TESTS_UNIT_FAKE_DOMAIN_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arch/host/arch_host.h"
#include "core/domain.h"
#include "core/event_channel.h"
#include "core/vcpu_time.h"
#include "mm/frame_alloc.h"
#include "mm/mm.h"

#define FAKE_PAGE_BYTES 4096ULL
#define FAKE_ARENA_BYTES (16ULL << 20)
#define FAKE_ARENA_FRAMES (FAKE_ARENA_BYTES / FAKE_PAGE_BYTES)

struct fake_arena {
    void *memory;
    void *table;
};

static inline int fake_arena_init(struct fake_arena *a)
{
    if (posix_memalign(&a->memory, 2u << 20, FAKE_ARENA_BYTES))
        return -1;
    uint64_t base = (uintptr_t)a->memory / FAKE_PAGE_BYTES;
    size_t bytes = frame_alloc_table_bytes(FAKE_ARENA_FRAMES);
    a->table = malloc(bytes);
    if (!a->table || frame_alloc_init(&host_frames, a->table, bytes, base, FAKE_ARENA_FRAMES) ||
        frame_alloc_add_range(&host_frames, base, FAKE_ARENA_FRAMES))
        return -1;
    return 0;
}

static inline void fake_arena_fini(struct fake_arena *a)
{
    memset(&host_frames, 0, sizeof(host_frames));
    free(a->table);
    free(a->memory);
}

static inline struct domain *fake_domain(xencore_domid_t domid, unsigned int nr_vcpus)
{
    struct domain *d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    d->domid = domid;
    d->nr_vcpus = nr_vcpus;
    d->state = XENCORE_DOMAIN_RUNNING;
    d->max_gfn = 256;
    for (unsigned int i = 0; i < nr_vcpus; i++) {
        struct vcpu *v = calloc(1, sizeof(*v));
        if (!v)
            return NULL;
        v->id = i;
        v->domain = d;
        v->up = true;
        v->initialised = i == 0;
        cpumask_set_all(&v->hard_affinity);
        cpumask_set_all(&v->soft_affinity);
        d->vcpus[i] = v;
    }
    uint64_t shared = mm_alloc_pages(0);
    if (!shared)
        return NULL;
    d->shared_info_mfn = shared / FAKE_PAGE_BYTES;
    if (evtchn_domain_init(d))
        return NULL;
    vcpu_time_domain_init(d);
    return d;
}

static inline void fake_domain_destroy(struct domain *d)
{
    for (unsigned int i = 0; i < d->nr_vcpus; i++)
        vcpu_time_destroy(d->vcpus[i]);
    evtchn_domain_destroy(d);
    mm_free_pages(d->shared_info_mfn * FAKE_PAGE_BYTES, 0);
    for (unsigned int i = 0; i < d->nr_vcpus; i++)
        free(d->vcpus[i]);
    free(d);
}

static inline struct shared_info *fake_shared_info(struct domain *d)
{
    return (struct shared_info *)(uintptr_t)(d->shared_info_mfn * FAKE_PAGE_BYTES);
}

static inline struct vcpu_info *fake_vcpu_info(struct domain *d, unsigned int vcpu)
{
    return &fake_shared_info(d)->vcpu_info[vcpu];
}

static inline int fake_port_pending(struct domain *d, uint32_t port)
{
    return (int)((fake_shared_info(d)->evtchn_pending[port / 64] >> (port % 64)) & 1);
}

static inline void fake_mask(struct domain *d, uint32_t port)
{
    fake_shared_info(d)->evtchn_mask[port / 64] |= 1ULL << (port % 64);
}

/* What a guest's upcall handler does: forget every pending bit and flag. */
static inline void fake_clear_events(struct domain *d)
{
    struct shared_info *si = fake_shared_info(d);
    memset(si->evtchn_pending, 0, sizeof(si->evtchn_pending));
    for (unsigned int i = 0; i < d->nr_vcpus && i < XEN_LEGACY_MAX_VCPUS; i++) {
        si->vcpu_info[i].evtchn_pending_sel = 0;
        si->vcpu_info[i].evtchn_upcall_pending = 0;
    }
}

/* The callback vector a PVH guest sets: HVM_PARAM_CALLBACK_IRQ type 2. */
#define FAKE_UPCALL_VECTOR 0xf3
#define FAKE_CALLBACK_VALUE                                                                        \
    (((uint64_t)HVM_PARAM_CALLBACK_TYPE_VECTOR << HVM_PARAM_CALLBACK_TYPE_SHIFT) |                 \
     FAKE_UPCALL_VECTOR)

#endif /* TESTS_UNIT_FAKE_DOMAIN_H */
