/**
 * @file domain.h
 * @brief Creating, running and destroying domains.
 *
 * A domain is a virtual machine running a PVH guest kernel. Its life:
 * xencore_domain_create() builds it (memory, vCPUs, the kernel loaded, the
 * PVH start state set) and leaves it paused; xencore_domain_unpause() lets it
 * run; it ends by shutting itself down (power-off, reboot, crash ...), by
 * crashing (the hypervisor stops a guest that breaks the rules), or by
 * xencore_domain_destroy(), which returns every page it held.
 *
 * Boot-time domains are created through this same API from the boot
 * manifest. All functions may be called from any CPU once xencore_start()
 * has brought the CPUs up; they return 0 or a code from errors.h.
 */
#ifndef XENCORE_DOMAIN_H
#define XENCORE_DOMAIN_H

#include <stddef.h>
#include <stdint.h>

#include <xencore/errors.h>

/** @brief A domain's number, 1..XENCORE_DOMID_MAX (0 is the hypervisor's own). */
typedef uint16_t xencore_domid_t;

/** @brief Largest domain number handed out. */
#define XENCORE_DOMID_MAX 0x7fef
/** @brief Most vCPUs one domain may have. */
#define XENCORE_DOMAIN_MAX_VCPUS 128
/** @brief Longest domain name, terminator excluded. */
#define XENCORE_DOMAIN_NAME_MAX 63

/** @brief Where a domain is in its life. */
enum xencore_domain_state {
    XENCORE_DOMAIN_BUILDING = 0, /**< being created */
    XENCORE_DOMAIN_PAUSED = 1,   /**< built, or paused; not running */
    XENCORE_DOMAIN_RUNNING = 2,  /**< its vCPUs may run */
    XENCORE_DOMAIN_SHUTDOWN = 3, /**< it shut itself down; see the reason */
    XENCORE_DOMAIN_CRASHED = 4,  /**< stopped by the hypervisor; see the message */
    XENCORE_DOMAIN_DYING = 5,    /**< being destroyed */
};

/** @brief Why a domain shut itself down (Xen's SHUTDOWN_* numbers). */
enum xencore_shutdown_reason {
    XENCORE_SHUTDOWN_POWEROFF = 0,
    XENCORE_SHUTDOWN_REBOOT = 1,
    XENCORE_SHUTDOWN_SUSPEND = 2,
    XENCORE_SHUTDOWN_CRASH = 3,
    XENCORE_SHUTDOWN_WATCHDOG = 4,
};

struct xencore_cpumask; /* see sched.h */

/** @brief What a new domain is made of. */
struct xencore_domain_config {
    /** Name, 1..63 characters of [A-Za-z0-9_.-]; unique among live domains. */
    const char *name;
    /** UUID; all zero means "make one up". */
    uint8_t uuid[16];
    /** Memory in KiB, a multiple of 4, at least 1024 (1 MiB). */
    uint64_t memory_kib;
    /** Number of vCPUs, 1..XENCORE_DOMAIN_MAX_VCPUS. */
    uint32_t vcpus;
    /** The kernel: an ELF image with a Xen PHYS32_ENTRY note, in hypervisor memory. */
    const void *kernel;
    /** Size of the kernel image in bytes. */
    size_t kernel_size;
    /** Kernel command line (at most 1023 bytes), or NULL. */
    const char *cmdline;
    /** CPU pool to live in, by name; NULL or "" for Pool-0. */
    const char *pool;
    /** credit/credit2 weight, 1..65535; 0 for the default (256). */
    uint32_t weight;
    /** credit/credit2 cap in percent of one CPU; 0 for none. */
    uint32_t cap;
    /** Hard affinity of every vCPU (xl.cfg `cpus`); NULL for all CPUs. */
    const struct xencore_cpumask *cpus;
    /** Soft affinity of every vCPU (xl.cfg `cpus_soft`); NULL for none. */
    const struct xencore_cpumask *cpus_soft;
};

/** @brief A snapshot of a domain, from xencore_domain_get_info(). */
struct xencore_domain_info {
    xencore_domid_t domid;                  /**< its number */
    char name[XENCORE_DOMAIN_NAME_MAX + 1]; /**< its name */
    uint8_t uuid[16];                       /**< its UUID */
    enum xencore_domain_state state;        /**< where it is in its life */
    enum xencore_shutdown_reason shutdown_reason; /**< valid in XENCORE_DOMAIN_SHUTDOWN */
    char crash_reason[96];                  /**< valid in XENCORE_DOMAIN_CRASHED */
    uint32_t vcpus;                         /**< number of vCPUs */
    uint64_t memory_kib;                    /**< guest RAM */
    uint64_t mapped_4k;                     /**< guest RAM mapped with 4 KiB pages */
    uint64_t mapped_2m;                     /**< ... with 2 MiB pages */
    uint64_t mapped_1g;                     /**< ... with 1 GiB pages */
};

/**
 * @brief Builds a domain and leaves it paused.
 * @param config What to build; copied, so it may be discarded afterwards.
 * @param domid  Receives the new domain's number.
 * @return 0; XENCORE_EINVAL for a bad config or kernel image (the console says
 *         what is wrong); XENCORE_EEXIST for a duplicate name; XENCORE_ENOMEM;
 *         XENCORE_ENOSPC when no domain number is free; XENCORE_ENOTSUP when
 *         the CPU cannot run guests.
 */
int xencore_domain_create(const struct xencore_domain_config *config, xencore_domid_t *domid);

/**
 * @brief Lets a paused domain run.
 * @param domid The domain.
 * @return 0; XENCORE_ENOENT; XENCORE_EPERM if it is not paused.
 */
int xencore_domain_unpause(xencore_domid_t domid);

/**
 * @brief Stops a running domain's vCPUs until xencore_domain_unpause().
 * @param domid The domain.
 * @return 0; XENCORE_ENOENT; XENCORE_EPERM if it is not running.
 */
int xencore_domain_pause(xencore_domid_t domid);

/**
 * @brief Destroys a domain in any state and returns all its memory.
 * @param domid The domain.
 * @return 0; XENCORE_ENOENT.
 */
int xencore_domain_destroy(xencore_domid_t domid);

/**
 * @brief Reports a domain's state, memory and page-size counters.
 * @param domid The domain.
 * @param info  Receives the snapshot.
 * @return 0; XENCORE_ENOENT.
 */
int xencore_domain_get_info(xencore_domid_t domid, struct xencore_domain_info *info);

#endif /* XENCORE_DOMAIN_H */
