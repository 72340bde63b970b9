/* Event channels: Xen's 2-level ABI, between domains and across CPUs.
 *
 * What a guest sees. A port is a number 1..4095 in its own domain. Raising a
 * port sets its bit in shared_info's evtchn_pending; unless the port is
 * masked (evtchn_mask) and if the selector bit for its 64-port word was
 * clear, the notified vCPU's evtchn_pending_sel gets that bit and its
 * evtchn_upcall_pending is set, which makes the callback vector
 * (HVM_PARAM_CALLBACK_IRQ, type 2) pending for it (core_vcpu_upcall_vector).
 * The guest clears the bits; unmask re-raises a port still pending. Each
 * port is free, unbound (waiting for a named domain to connect),
 * interdomain (connected to a peer's port), bound to a VIRQ or an IPI.
 * Semantics and error numbers are Xen's, so a Xen guest finds what it expects:
 * closing one end of an interdomain channel returns the peer's end to unbound;
 * sending on an unbound port is accepted and dropped; a domain acts only on
 * its own ports (a `dom` naming another existing domain is -EPERM, an absent
 * one -ESRCH); a port number outside the table is -EINVAL.
 *
 * Hostile memory. shared_info and vcpu_info are written by the guest at any
 * time: every bitmap update is an atomic read-modify-write, and nothing read
 * back from them is used as an index or trusted beyond "bit set or not".
 * The port table itself (struct evtchn) is hypervisor memory, page-backed,
 * allocated at domain creation and freed at destruction.
 *
 * Locking. Each domain's table changes under its evtchn_lock, always taken
 * with interrupts off (timer callbacks raise VIRQs). An operation on two
 * domains (bind_interdomain, closing an interdomain port, destroying a
 * domain) first takes the global evtchn_pair_lock, then both domains' locks,
 * the lower domain id first; so at most one CPU ever holds two domain locks
 * and no order can deadlock. Sending holds only the sender's lock while it
 * raises the peer's port: the peer cannot be freed meanwhile, because its
 * destruction must take the sender's lock to unbind the sender's end first.
 * Raising touches the peer's shared memory with atomics and reads its
 * notify_vcpu with one atomic load, so it needs no lock of the peer. The
 * order of all locks: domain_list_lock, evtchn_pair_lock, domain evtchn locks
 * (lower domid first), then whatever waking a vCPU takes (scheduler). */
#include "core/event_channel.h"

#include <xencore/abi/guest.h>

#include "arch/arch.h"
#include "core/domain.h"
#include "core/vcpu_time.h"
#include "lib/errno.h"
#include "lib/spinlock.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "mm/p2m.h"

#define PORTS_PER_WORD 64
#define CALLBACK_TYPE_MASK 0xffULL                   /* HVM_PARAM_CALLBACK_IRQ bits 63:56 */
#define CALLBACK_VECTOR_MASK 0xffULL                 /* bits 7:0 for type 2 */
#define CALLBACK_RESERVED_MASK 0x00ffffffffffff00ULL /* bits 55:8, zero for type 2 */

enum evtchn_state {
    ECS_FREE = 0,
    ECS_RESERVED,    /* port 0: never allocated */
    ECS_UNBOUND,     /* remote_domid may connect */
    ECS_INTERDOMAIN, /* connected to remote:remote_port */
    ECS_VIRQ,        /* bound to virq */
    ECS_IPI,         /* signals between the domain's own vCPUs */
};

/* One port; 16 bytes, so the 4096 ports fill 16 pages. */
struct evtchn {
    uint8_t state;         /* enum evtchn_state */
    uint8_t virq;          /* ECS_VIRQ */
    uint16_t notify_vcpu;  /* whose vcpu_info gets the selector bit */
    uint16_t remote_domid; /* ECS_UNBOUND: who may connect; ECS_INTERDOMAIN: the peer */
    uint16_t remote_port;  /* ECS_INTERDOMAIN */
    struct domain *remote; /* ECS_INTERDOMAIN */
};
_Static_assert(sizeof(struct evtchn) == 16, "struct evtchn is meant to be 16 bytes");
_Static_assert(EVTCHN_2L_PORTS == XEN_EVTCHN_WORDS * PORTS_PER_WORD, "2-level port count");
_Static_assert(EVTCHN_2L_PORTS <= 65536, "ports must fit remote_port");
_Static_assert(XENCORE_DOMAIN_MAX_VCPUS <= 65536, "vCPU ids must fit notify_vcpu");
_Static_assert(NR_VIRQS == VIRQ_COUNT, "one VIRQ table size");

#define EVTCHN_TABLE_BYTES (EVTCHN_2L_PORTS * sizeof(struct evtchn))

static spinlock_t evtchn_pair_lock = SPINLOCK_INIT;

static struct shared_info *shared_info_of(struct domain *d)
{
    return arch_phys_to_virt(d->shared_info_mfn << ARCH_PAGE_SHIFT);
}

static bool port_valid(uint32_t port)
{
    return port < EVTCHN_2L_PORTS;
}

static uint64_t port_bit(uint32_t port)
{
    return 1ULL << (port % PORTS_PER_WORD);
}

static unsigned int table_order(void)
{
    unsigned int order = 0;
    while ((ARCH_PAGE_SIZE << order) < EVTCHN_TABLE_BYTES)
        order++;
    return order;
}

/* Xen's split of VIRQs: these are raised for one vCPU and bound on each vCPU
 * separately; the others concern the domain and are bound once, on vCPU 0. */
static bool virq_is_per_vcpu(uint32_t virq)
{
    return virq == VIRQ_TIMER || virq == VIRQ_DEBUG || virq == VIRQ_XENOPROF || virq == VIRQ_XENPMU;
}

static struct vcpu *vcpu_of(struct domain *d, uint64_t id)
{
    return id < d->nr_vcpus ? d->vcpus[id] : NULL;
}

/* ---- Locks ---------------------------------------------------------------- */

static unsigned long lock_one(struct domain *d)
{
    return spin_lock_irqsave(&d->evtchn_lock);
}

static void unlock_one(struct domain *d, unsigned long flags)
{
    spin_unlock_irqrestore(&d->evtchn_lock, flags);
}

/* Both tables, lower domain id first (the caller holds evtchn_pair_lock). */
static unsigned long lock_two(struct domain *a, struct domain *b)
{
    unsigned long flags = arch_irq_save();
    if (a == b) {
        spin_lock(&a->evtchn_lock);
    } else {
        bool a_first = a->domid < b->domid || (a->domid == b->domid && a < b);
        spin_lock(a_first ? &a->evtchn_lock : &b->evtchn_lock);
        spin_lock(a_first ? &b->evtchn_lock : &a->evtchn_lock);
    }
    return flags;
}

static void unlock_two(struct domain *a, struct domain *b, unsigned long flags)
{
    if (a != b)
        spin_unlock(&b->evtchn_lock);
    spin_unlock(&a->evtchn_lock);
    arch_irq_restore(flags);
}

/* ---- Delivery ------------------------------------------------------------- */

struct vcpu_info *evtchn_vcpu_info(struct vcpu *v)
{
    struct domain *d = v->domain;
    if (!d->shared_info_mfn)
        return NULL; /* a domain still being built */
    /* Registration happens once: offset is written before the gfn is published. */
    uint64_t gfn = __atomic_load_n(&v->vcpu_info_gfn, __ATOMIC_ACQUIRE);
    if (gfn)
        return p2m_gpa_to_virt(d, (gfn << ARCH_PAGE_SHIFT) + v->vcpu_info_offset,
                               sizeof(struct vcpu_info));
    if (v->id < XEN_LEGACY_MAX_VCPUS)
        return &shared_info_of(d)->vcpu_info[v->id];
    return NULL;
}

unsigned int core_vcpu_upcall_vector(struct vcpu *v)
{
    uint64_t callback =
        __atomic_load_n(&v->domain->hvm_params[HVM_PARAM_CALLBACK_IRQ], __ATOMIC_ACQUIRE);
    if ((callback >> HVM_PARAM_CALLBACK_TYPE_SHIFT) != HVM_PARAM_CALLBACK_TYPE_VECTOR)
        return 0;
    unsigned int vector = (unsigned int)(callback & CALLBACK_VECTOR_MASK);
    if (vector < HVM_PARAM_CALLBACK_VECTOR_MIN)
        return 0;
    struct vcpu_info *vi = evtchn_vcpu_info(v);
    if (!vi || !__atomic_load_n(&vi->evtchn_upcall_pending, __ATOMIC_SEQ_CST) ||
        __atomic_load_n(&vi->evtchn_upcall_mask, __ATOMIC_ACQUIRE))
        return 0;
    return vector;
}

/* As in Xen for HVM guests: an upcall counts only if it can be delivered,
 * i.e. a callback vector is set. A guest that only polls never has its
 * block or poll cut short by an upcall flag nobody clears. */
bool evtchn_upcall_deliverable(struct vcpu *v)
{
    return core_vcpu_upcall_vector(v) != 0;
}

void evtchn_mark_upcall_pending(struct vcpu *v)
{
    struct vcpu_info *vi = evtchn_vcpu_info(v);
    if (!vi || __atomic_exchange_n(&vi->evtchn_upcall_pending, 1, __ATOMIC_SEQ_CST))
        return;
    if (evtchn_upcall_deliverable(v))
        vcpu_kick(v);
}

/* Sets @port pending in @d and notifies as the 2-level ABI says. @d stays
 * alive for the duration (see the locking rules above). */
static void raise_port(struct domain *d, uint32_t port)
{
    struct shared_info *si = shared_info_of(d);
    unsigned int word = port / PORTS_PER_WORD;
    uint64_t bit = port_bit(port);
    if (__atomic_fetch_or(&si->evtchn_pending[word], bit, __ATOMIC_SEQ_CST) & bit)
        return; /* already pending: whoever set it notified */
    unsigned int id = __atomic_load_n(&d->evtchn[port].notify_vcpu, __ATOMIC_RELAXED);
    struct vcpu *v = vcpu_of(d, id);
    if (v && !(__atomic_load_n(&si->evtchn_mask[word], __ATOMIC_SEQ_CST) & bit)) {
        struct vcpu_info *vi = evtchn_vcpu_info(v);
        uint64_t sel = 1ULL << word;
        if (vi && !(__atomic_fetch_or(&vi->evtchn_pending_sel, sel, __ATOMIC_SEQ_CST) & sel))
            evtchn_mark_upcall_pending(v);
    }
    vcpu_poll_notify(d, port);
}

bool evtchn_port_pending(struct domain *d, uint32_t port)
{
    if (!port_valid(port))
        return false;
    struct shared_info *si = shared_info_of(d);
    return __atomic_load_n(&si->evtchn_pending[port / PORTS_PER_WORD], __ATOMIC_SEQ_CST) &
           port_bit(port);
}

void evtchn_send_virq(struct vcpu *v, unsigned int virq)
{
    if (virq >= NR_VIRQS)
        return;
    struct domain *d = v->domain;
    /* Global VIRQs are bound on vCPU 0 (Xen's rule). */
    struct vcpu *owner = virq_is_per_vcpu(virq) ? v : d->vcpus[0];
    unsigned long flags = lock_one(d);
    uint32_t port = d->evtchn && owner ? owner->virq_to_port[virq] : 0;
    if (port)
        raise_port(d, port);
    unlock_one(d, flags);
}

/* ---- Table life cycle ----------------------------------------------------- */

int evtchn_domain_init(struct domain *d)
{
    if (d->evtchn)
        return 0;
    unsigned int order = table_order();
    uint64_t phys = mm_alloc_pages(order);
    if (!phys)
        return -XC_ENOMEM;
    struct evtchn *table = arch_phys_to_virt(phys);
    memset(table, 0, EVTCHN_TABLE_BYTES);
    table[0].state = ECS_RESERVED;
    d->evtchn_lock = (spinlock_t)SPINLOCK_INIT;
    d->evtchn_frame = phys;
    d->evtchn_order = order;
    __atomic_store_n(&d->evtchn, table, __ATOMIC_RELEASE);
    return 0;
}

/* Frees @port of @d (lock held): pending cleared so a new binding starts clean. */
static void free_port(struct domain *d, uint32_t port)
{
    struct evtchn *chn = &d->evtchn[port];
    if (chn->state == ECS_VIRQ) {
        struct vcpu *owner =
            virq_is_per_vcpu(chn->virq) ? vcpu_of(d, chn->notify_vcpu) : d->vcpus[0];
        if (owner && owner->virq_to_port[chn->virq] == port)
            owner->virq_to_port[chn->virq] = 0;
    }
    __atomic_fetch_and(&shared_info_of(d)->evtchn_pending[port / PORTS_PER_WORD], ~port_bit(port),
                       __ATOMIC_SEQ_CST);
    __atomic_store_n(&chn->notify_vcpu, 0, __ATOMIC_RELAXED);
    chn->state = ECS_FREE;
    chn->virq = 0;
    chn->remote_domid = 0;
    chn->remote_port = 0;
    chn->remote = NULL;
}

/* Closes @port of @d, whatever it is bound to. Caller holds evtchn_pair_lock
 * and neither domain lock. Returns 0 or -XC_EINVAL (not open). */
static long close_port(struct domain *d, uint32_t port)
{
    unsigned long flags = lock_one(d);
    struct evtchn *chn = &d->evtchn[port];
    if (chn->state == ECS_FREE || chn->state == ECS_RESERVED) {
        unlock_one(d, flags);
        return -XC_EINVAL;
    }
    if (chn->state != ECS_INTERDOMAIN) {
        free_port(d, port);
        unlock_one(d, flags);
        return 0;
    }
    /* The peer cannot go away: its destruction needs the pair lock we hold,
     * and nobody else changes this interdomain binding without it. */
    struct domain *rd = chn->remote;
    unlock_one(d, flags);
    flags = lock_two(d, rd);
    /* Unchanged while unlocked: only holders of the pair lock rebind it. */
    struct evtchn *peer = &rd->evtchn[chn->remote_port];
    peer->state = ECS_UNBOUND; /* Xen: the peer may be bound again by us */
    peer->remote_domid = d->domid;
    peer->remote_port = 0;
    peer->remote = NULL;
    free_port(d, port);
    unlock_two(d, rd, flags);
    return 0;
}

void evtchn_domain_destroy(struct domain *d)
{
    if (!__atomic_load_n(&d->evtchn, __ATOMIC_ACQUIRE))
        return;
    spin_lock(&evtchn_pair_lock);
    for (uint32_t port = 1; port < EVTCHN_2L_PORTS; port++)
        (void)close_port(d, port); /* -EINVAL for ports not open */
    unsigned long flags = lock_one(d);
    __atomic_store_n(&d->evtchn, NULL, __ATOMIC_RELEASE);
    unlock_one(d, flags);
    spin_unlock(&evtchn_pair_lock);
    mm_free_pages(d->evtchn_frame, d->evtchn_order);
    d->evtchn_frame = 0;
    d->evtchn_order = 0;
}

/* Lowest free port of @d (lock held), or -XC_ENOSPC. */
static long alloc_port(struct domain *d)
{
    for (uint32_t port = 1; port < EVTCHN_2L_PORTS; port++)
        if (d->evtchn[port].state == ECS_FREE)
            return port;
    return -XC_ENOSPC;
}

/* ---- The sub-ops ---------------------------------------------------------- */

/* A `dom` argument: the caller's own domain (DOMID_SELF or its id) is 0;
 * another existing domain -EPERM (no domain is privileged here); none -ESRCH,
 * in Xen's order (look up first, then check the right). */
static long check_own_domid(struct vcpu *v, uint16_t domid)
{
    if (domid == DOMID_SELF || domid == v->domain->domid)
        return 0;
    unsigned long flags = spin_lock_irqsave(&domain_list_lock);
    bool exists = domain_find(domid) != NULL;
    spin_unlock_irqrestore(&domain_list_lock, flags);
    return exists ? -XC_EPERM : -XEN_ESRCH;
}

static long op_alloc_unbound(struct vcpu *v, struct evtchn_alloc_unbound *a)
{
    long rc = check_own_domid(v, a->dom);
    if (rc)
        return rc;
    struct domain *d = v->domain;
    unsigned long flags = lock_one(d);
    long port = alloc_port(d);
    if (port > 0) {
        struct evtchn *chn = &d->evtchn[port];
        chn->state = ECS_UNBOUND;
        chn->remote_domid = a->remote_dom == DOMID_SELF ? d->domid : a->remote_dom;
        a->port = (uint32_t)port;
    }
    unlock_one(d, flags);
    return port > 0 ? 0 : port;
}

/* Binds a new port of @v's domain to @rd's unbound port (pair lock held). */
static long bind_interdomain_locked(struct vcpu *v, struct domain *rd,
                                    struct evtchn_bind_interdomain *b)
{
    struct domain *ld = v->domain;
    long rc;
    uint32_t rport = b->remote_port;
    unsigned long flags = lock_two(ld, rd);
    struct evtchn *rchn = rd->evtchn && port_valid(rport) ? &rd->evtchn[rport] : NULL;
    if (!rd->evtchn)
        rc = -XEN_ESRCH; /* being destroyed */
    else if (!rchn || rchn->state != ECS_UNBOUND || rchn->remote_domid != ld->domid)
        rc = -XC_EINVAL;
    else
        rc = alloc_port(ld);
    if (rc > 0) {
        uint32_t lport = (uint32_t)rc;
        struct evtchn *lchn = &ld->evtchn[lport];
        lchn->state = ECS_INTERDOMAIN;
        lchn->remote = rd;
        lchn->remote_domid = rd->domid;
        lchn->remote_port = (uint16_t)rport;
        rchn->state = ECS_INTERDOMAIN;
        rchn->remote = ld;
        rchn->remote_domid = ld->domid;
        rchn->remote_port = (uint16_t)lport;
        b->local_port = lport;
        /* Xen: events sent to the unbound end were dropped; raise the new end
         * once so the binder never misses one. */
        raise_port(ld, lport);
        rc = 0;
    }
    unlock_two(ld, rd, flags);
    return rc;
}

long evtchn_bind_interdomain_with(struct vcpu *v, struct domain *rd,
                                  struct evtchn_bind_interdomain *b)
{
    spin_lock(&evtchn_pair_lock);
    long rc = bind_interdomain_locked(v, rd, b);
    spin_unlock(&evtchn_pair_lock);
    return rc;
}

static long op_bind_interdomain(struct vcpu *v, struct evtchn_bind_interdomain *b)
{
    struct domain *ld = v->domain;
    uint16_t rdomid = b->remote_dom == DOMID_SELF ? ld->domid : b->remote_dom;
    /* The list lock keeps the peer from being destroyed until we hold the
     * pair lock; from then on its destruction waits for us. */
    unsigned long list_flags = spin_lock_irqsave(&domain_list_lock);
    struct domain *rd = rdomid == ld->domid ? ld : domain_find(rdomid);
    if (!rd) {
        spin_unlock_irqrestore(&domain_list_lock, list_flags);
        return -XEN_ESRCH;
    }
    spin_lock(&evtchn_pair_lock);
    spin_unlock_irqrestore(&domain_list_lock, list_flags);
    long rc = bind_interdomain_locked(v, rd, b);
    spin_unlock(&evtchn_pair_lock);
    return rc;
}

static long op_bind_virq(struct vcpu *v, struct evtchn_bind_virq *b)
{
    struct domain *d = v->domain;
    if (b->virq >= NR_VIRQS)
        return -XC_EINVAL;
    if (!virq_is_per_vcpu(b->virq) && b->vcpu != 0)
        return -XC_EINVAL; /* Xen: global VIRQs are bound on vCPU 0 */
    struct vcpu *target = vcpu_of(d, b->vcpu);
    if (!target)
        return -XC_ENOENT;
    unsigned long flags = lock_one(d);
    long rc;
    if (target->virq_to_port[b->virq]) {
        rc = -XC_EEXIST;
    } else {
        rc = alloc_port(d);
        if (rc > 0) {
            struct evtchn *chn = &d->evtchn[rc];
            chn->state = ECS_VIRQ;
            chn->virq = (uint8_t)b->virq;
            __atomic_store_n(&chn->notify_vcpu, (uint16_t)b->vcpu, __ATOMIC_RELAXED);
            target->virq_to_port[b->virq] = (uint32_t)rc;
            b->port = (uint32_t)rc;
            rc = 0;
        }
    }
    unlock_one(d, flags);
    return rc;
}

static long op_bind_ipi(struct vcpu *v, struct evtchn_bind_ipi *b)
{
    struct domain *d = v->domain;
    if (!vcpu_of(d, b->vcpu))
        return -XC_ENOENT;
    unsigned long flags = lock_one(d);
    long rc = alloc_port(d);
    if (rc > 0) {
        struct evtchn *chn = &d->evtchn[rc];
        chn->state = ECS_IPI;
        __atomic_store_n(&chn->notify_vcpu, (uint16_t)b->vcpu, __ATOMIC_RELAXED);
        b->port = (uint32_t)rc;
        rc = 0;
    }
    unlock_one(d, flags);
    return rc;
}

static long op_close(struct vcpu *v, const struct evtchn_close *c)
{
    if (!port_valid(c->port))
        return -XC_EINVAL;
    spin_lock(&evtchn_pair_lock);
    long rc = close_port(v->domain, c->port);
    spin_unlock(&evtchn_pair_lock);
    return rc;
}

static long op_send(struct vcpu *v, const struct evtchn_send *s)
{
    struct domain *d = v->domain;
    if (!port_valid(s->port))
        return -XC_EINVAL;
    long rc = 0;
    unsigned long flags = lock_one(d);
    struct evtchn *chn = &d->evtchn[s->port];
    switch (chn->state) {
    case ECS_INTERDOMAIN:
        raise_port(chn->remote, chn->remote_port);
        break;
    case ECS_IPI:
        raise_port(d, s->port);
        break;
    case ECS_UNBOUND:
        break; /* nobody listens yet: dropped, as in Xen */
    default:
        rc = -XC_EINVAL;
        break;
    }
    unlock_one(d, flags);
    return rc;
}

static long op_status(struct vcpu *v, struct evtchn_status *s)
{
    long rc = check_own_domid(v, s->dom);
    if (rc)
        return rc;
    if (!port_valid(s->port))
        return -XC_EINVAL;
    struct domain *d = v->domain;
    unsigned long flags = lock_one(d);
    const struct evtchn *chn = &d->evtchn[s->port];
    memset(&s->u, 0, sizeof(s->u));
    s->vcpu = chn->notify_vcpu;
    switch (chn->state) {
    case ECS_UNBOUND:
        s->status = EVTCHNSTAT_unbound;
        s->u.unbound.dom = chn->remote_domid;
        break;
    case ECS_INTERDOMAIN:
        s->status = EVTCHNSTAT_interdomain;
        s->u.interdomain.dom = chn->remote_domid;
        s->u.interdomain.port = chn->remote_port;
        break;
    case ECS_VIRQ:
        s->status = EVTCHNSTAT_virq;
        s->u.virq = chn->virq;
        break;
    case ECS_IPI:
        s->status = EVTCHNSTAT_ipi;
        break;
    default:
        s->status = EVTCHNSTAT_closed;
        break;
    }
    unlock_one(d, flags);
    return 0;
}

static long op_bind_vcpu(struct vcpu *v, const struct evtchn_bind_vcpu *b)
{
    struct domain *d = v->domain;
    if (!vcpu_of(d, b->vcpu))
        return -XC_ENOENT;
    if (!port_valid(b->port))
        return -XC_EINVAL;
    long rc = 0;
    unsigned long flags = lock_one(d);
    struct evtchn *chn = &d->evtchn[b->port];
    switch (chn->state) {
    case ECS_VIRQ:
        if (virq_is_per_vcpu(chn->virq)) {
            rc = -XC_EINVAL; /* a per-vCPU VIRQ stays with its vCPU */
            break;
        }
        __atomic_store_n(&chn->notify_vcpu, (uint16_t)b->vcpu, __ATOMIC_RELAXED);
        break;
    case ECS_UNBOUND:
    case ECS_INTERDOMAIN:
        __atomic_store_n(&chn->notify_vcpu, (uint16_t)b->vcpu, __ATOMIC_RELAXED);
        break;
    default:
        rc = -XC_EINVAL;
        break;
    }
    unlock_one(d, flags);
    return rc;
}

static long op_unmask(struct vcpu *v, const struct evtchn_unmask *u)
{
    struct domain *d = v->domain;
    uint32_t port = u->port;
    if (!port_valid(port))
        return -XC_EINVAL;
    unsigned long flags = lock_one(d);
    struct shared_info *si = shared_info_of(d);
    unsigned int word = port / PORTS_PER_WORD;
    uint64_t bit = port_bit(port);
    struct vcpu *target = vcpu_of(d, d->evtchn[port].notify_vcpu);
    /* Re-raise a port that became pending while masked. */
    if ((__atomic_fetch_and(&si->evtchn_mask[word], ~bit, __ATOMIC_SEQ_CST) & bit) &&
        (__atomic_load_n(&si->evtchn_pending[word], __ATOMIC_SEQ_CST) & bit) && target) {
        struct vcpu_info *vi = evtchn_vcpu_info(target);
        uint64_t sel = 1ULL << word;
        if (vi && !(__atomic_fetch_or(&vi->evtchn_pending_sel, sel, __ATOMIC_SEQ_CST) & sel))
            evtchn_mark_upcall_pending(target);
    }
    unlock_one(d, flags);
    return 0;
}

size_t evtchn_op_arg_size(unsigned int cmd)
{
    switch (cmd) {
    case EVTCHNOP_bind_interdomain:
        return sizeof(struct evtchn_bind_interdomain);
    case EVTCHNOP_bind_virq:
        return sizeof(struct evtchn_bind_virq);
    case EVTCHNOP_close:
        return sizeof(struct evtchn_close);
    case EVTCHNOP_send:
        return sizeof(struct evtchn_send);
    case EVTCHNOP_status:
        return sizeof(struct evtchn_status);
    case EVTCHNOP_alloc_unbound:
        return sizeof(struct evtchn_alloc_unbound);
    case EVTCHNOP_bind_ipi:
        return sizeof(struct evtchn_bind_ipi);
    case EVTCHNOP_bind_vcpu:
        return sizeof(struct evtchn_bind_vcpu);
    case EVTCHNOP_unmask:
        return sizeof(struct evtchn_unmask);
    default:
        return 0; /* init_control, expand_array (2-level only), pirqs, reset */
    }
}

long evtchn_op(struct vcpu *v, unsigned int cmd, union evtchn_op_arg *arg)
{
    if (!__atomic_load_n(&v->domain->evtchn, __ATOMIC_ACQUIRE))
        return -XEN_ESRCH; /* a domain being torn down */
    switch (cmd) {
    case EVTCHNOP_bind_interdomain:
        return op_bind_interdomain(v, &arg->bind_interdomain);
    case EVTCHNOP_bind_virq:
        return op_bind_virq(v, &arg->bind_virq);
    case EVTCHNOP_close:
        return op_close(v, &arg->close);
    case EVTCHNOP_send:
        return op_send(v, &arg->send);
    case EVTCHNOP_status:
        return op_status(v, &arg->status);
    case EVTCHNOP_alloc_unbound:
        return op_alloc_unbound(v, &arg->alloc_unbound);
    case EVTCHNOP_bind_ipi:
        return op_bind_ipi(v, &arg->bind_ipi);
    case EVTCHNOP_bind_vcpu:
        return op_bind_vcpu(v, &arg->bind_vcpu);
    case EVTCHNOP_unmask:
        return op_unmask(v, &arg->unmask);
    default:
        return -XC_ENOSYS;
    }
}

/* ---- The callback vector -------------------------------------------------- */

long evtchn_set_callback_irq(struct vcpu *v, uint64_t value)
{
    uint64_t type = (value >> HVM_PARAM_CALLBACK_TYPE_SHIFT) & CALLBACK_TYPE_MASK;
    uint64_t vector = value & CALLBACK_VECTOR_MASK;
    /* 0 switches upcalls off; GSI and PCI INTx delivery (types 0 and 1)
     * need an emulated interrupt controller PVH guests do not have. */
    if (value != 0 && (type != HVM_PARAM_CALLBACK_TYPE_VECTOR ||
                       vector < HVM_PARAM_CALLBACK_VECTOR_MIN || (value & CALLBACK_RESERVED_MASK)))
        return -XC_EINVAL;
    struct domain *d = v->domain;
    uint64_t old =
        __atomic_exchange_n(&d->hvm_params[HVM_PARAM_CALLBACK_IRQ], value, __ATOMIC_SEQ_CST);
    if (old == value)
        return 0;
    /* Upcalls already pending may be deliverable now. */
    for (uint32_t i = 0; i < d->nr_vcpus; i++) {
        struct vcpu *other = d->vcpus[i];
        if (other && other != v && evtchn_upcall_deliverable(other))
            vcpu_kick(other);
    }
    return 0;
}
