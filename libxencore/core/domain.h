/* Domains and vCPUs inside the core.
 *
 * Locking: the domain list and every domain's state change under
 * domain_list_lock. A vCPU runs only on the CPU its scheduler gave it; it is
 * runnable while its pause count is zero, it is not blocked, and its domain
 * is RUNNING. Anyone may make a vCPU unrunnable (pause, shutdown, crash) and
 * then kick its CPU; the CPU notices before the next guest entry, so after
 * vcpu_sync() returns the vCPU is not in guest mode anywhere. Memory a domain
 * owns is listed in its extent list and returned on destroy. */
#ifndef XENCORE_CORE_DOMAIN_H
#define XENCORE_CORE_DOMAIN_H

#include <stdbool.h>
#include <stdint.h>

#include <xencore/abi/guest.h>
#include <xencore/domain.h>

#include "core/timer.h"
#include "lib/cpumask.h"
#include "lib/spinlock.h"

struct arch_domain; /* defined by the arch layer */
struct arch_vcpu;

enum p2m_page_size {
    P2M_4K = 0,
    P2M_2M = 1,
    P2M_1G = 2,
    P2M_SIZES = 3,
};

/* A block of host frames owned by a domain. */
struct domain_extent {
    uint64_t mfn;
    unsigned int order;
};

#define DOMAIN_CONSOLE_BYTES 4096 /* per-domain output kept for management */
#define DOMAIN_MAX_MEMORY_KIB (64ULL << 20) /* 64 GiB */

#define SCHED_POLL_MAX_PORTS 128 /* SCHEDOP_poll: most ports in one call (Xen's limit) */
#define VIRQ_COUNT 24              /* Xen's NR_VIRQS */

/* Xen's run states, as the guest reads them in its runstate area. */
enum vcpu_runstate {
    RUNSTATE_running = 0,  /* on a CPU */
    RUNSTATE_runnable = 1, /* could run, waits for a CPU */
    RUNSTATE_blocked = 2,  /* waits for an event */
    RUNSTATE_offline = 3,  /* down, or its domain is paused */
};

struct vcpu {
    unsigned int id;
    struct domain *domain;
    unsigned int processor;     /* the CPU it runs on or last ran on */
    int pause_count;            /* > 0: not runnable */
    bool blocked;               /* HLT or SCHEDOP_block/poll: waits for an event */
    bool up;                    /* false until started (vCPU 0 starts up) */
    volatile bool is_running;   /* claimed by a CPU (see sched/sched.h) */
    bool initialised;           /* has a start state (vCPU 0; others after VCPUOP_initialise) */
    struct arch_vcpu *arch;
    uint64_t vcpu_info_gfn;     /* registered with VCPUOP_register_vcpu_info, or 0 */
    uint32_t vcpu_info_offset;

    /* Scheduling (sched/). */
    cpumask_t hard_affinity;    /* where it may run */
    cpumask_t soft_affinity;    /* where it prefers to run (all set: no preference) */
    uint64_t sched_data[32];    /* the pool's policy's per-vCPU state */
    unsigned int time_cpu;      /* the CPU its vcpu_time_info was last written for */

    /* Run-state accounting (schedule.c) and the guest's copy of it. */
    enum vcpu_runstate runstate;
    uint64_t runstate_entry_ns;
    uint64_t runstate_time[4];  /* ns spent in each state */
    uint64_t runstate_area_gva; /* VCPUOP_register_runstate_memory_area, or 0 */

    /* Time and events (core/vcpu_time.c, core/event_channel.c). */
    struct timer singleshot_timer; /* VCPUOP_set_singleshot_timer */
    struct timer poll_timer;       /* SCHEDOP_poll's timeout */
    bool polling;                  /* in SCHEDOP_poll on poll_ports */
    uint32_t poll_count;
    uint32_t poll_ports[SCHED_POLL_MAX_PORTS];
    uint32_t virq_to_port[VIRQ_COUNT]; /* 0: not bound */
};

struct domain {
    xencore_domid_t domid;
    char name[XENCORE_DOMAIN_NAME_MAX + 1];
    uint8_t uuid[16];
    enum xencore_domain_state state;
    enum xencore_shutdown_reason shutdown_reason;
    char crash_reason[96];
    bool reap;                  /* shut down or crashed: destroy when its vCPUs are off */
    uint64_t memory_kib;
    uint64_t max_gfn;           /* one past the last RAM frame */
    uint32_t nr_vcpus;
    struct vcpu *vcpus[XENCORE_DOMAIN_MAX_VCPUS];
    uint64_t mapped[P2M_SIZES]; /* guest RAM mappings by page size */

    struct domain_extent *extents; /* memory owned, for destroy */
    unsigned int nr_extents, max_extents;
    uint64_t extents_frame;     /* the frame holding the extent array */
    unsigned int extents_order;

    uint64_t shared_info_mfn;   /* the shared_info page (hypervisor-owned) */
    uint64_t shared_info_gfn;   /* where the guest mapped it, or 0 */
    uint64_t hvm_params[HVM_NR_PARAMS];

    char console[DOMAIN_CONSOLE_BYTES]; /* ring of the guest's console output */
    uint64_t console_written;
    char console_line[160];     /* the line being assembled for the hypervisor console */
    unsigned int console_line_length;

    /* Scheduling (sched/). */
    struct cpupool *pool;       /* the pool it lives in */
    uint64_t sched_data[16];    /* the pool's policy's per-domain state */

    /* Event channels (core/event_channel.c). */
    struct evtchn *evtchn;      /* ports 0..EVTCHN_2L_PORTS-1, page-backed */
    spinlock_t evtchn_lock;
    uint64_t evtchn_frame;      /* the frames behind evtchn, for free */
    unsigned int evtchn_order;

    struct arch_domain *arch;
    struct domain *next;
    spinlock_t lock;
};

/* Looks a domain up by number; NULL if none. Caller holds domain_list_lock or
 * knows the domain cannot go away (it is the caller's own). */
struct domain *domain_find(xencore_domid_t domid);
extern spinlock_t domain_list_lock;

/* The guest shut itself down (from its own vCPU). */
void domain_shutdown(struct domain *d, enum xencore_shutdown_reason reason);
/* The guest broke the rules: stop it, say why on the console. Only that domain
 * is affected. Safe from any of its vCPUs' exit handlers. */
void domain_crash(struct domain *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Destroys domains that shut down or crashed once none of their vCPUs runs.
 * Called by each CPU's scheduling loop. */
void domain_reap(void);
/* Number of live domains. */
unsigned int domain_count(void);
/* Keeps domain_reap() off @d (found under domain_list_lock, still held) while
 * a management call waits for its vCPUs; domain_unhold() ends it. One domain
 * at a time: callers hold the management lock (sched/cpupool.h). */
void domain_hold_locked(struct domain *d);
void domain_unhold(void);
/* Calls @fn for every domain on the list, under domain_list_lock (so @fn
 * must be short and take no lock that is held while taking that one). */
void domain_for_each(void (*fn)(struct domain *d, void *arg), void *arg);

/* Guest console output (console_io write): bytes go to the domain's ring and,
 * a line at a time, to the hypervisor console prefixed with the domain name. */
void domain_console_write(struct domain *d, const char *bytes, size_t length);

bool vcpu_runnable(const struct vcpu *v);
/* Makes a blocked vCPU runnable (an event arrived) and kicks its CPU. */
void vcpu_wake(struct vcpu *v);
/* vcpu_kick() is declared in arch/arch.h: the arch calls it too. */
/* Waits until @v is not in guest mode (it must already be unrunnable). */
void vcpu_sync(struct vcpu *v);

#endif /* XENCORE_CORE_DOMAIN_H */
