/**
 * @file abi/guest.h
 * @brief The guest ABI: Xen's PVH boot ABI and hypercall ABI, as numbers and layouts.
 *
 * Defined once, used by both ends: the hypervisor and the test guests. The
 * values are Xen's (public headers `xen.h`, `hvm/start_info.h`, `vcpu.h`,
 * `sched.h`, `memory.h`, `event_channel.h`, `hvm/params.h`); the definitions
 * are ours. Every structure has its size checked at compile time, because a
 * guest built for Xen depends on each offset. All integers are little-endian.
 */
#ifndef XENCORE_ABI_GUEST_H
#define XENCORE_ABI_GUEST_H

#include <stdint.h>

/** @name Discovery: CPUID leaves and the hypercall-page MSR */
/**@{*/
#define XEN_CPUID_BASE 0x40000000u              /**< "XenVMMXenVMM"; EAX = highest leaf */
#define XEN_CPUID_LEAVES 5u                     /**< leaves base+0 .. base+5 */
#define XEN_CPUID_SIGNATURE_EBX 0x566e6558u     /**< "XenV" */
#define XEN_CPUID_SIGNATURE_ECX 0x65584d4du     /**< "MMXe" */
#define XEN_CPUID_SIGNATURE_EDX 0x4d4d566eu     /**< "nVMM" */
#define XEN_CPUID_HVM_VCPU_ID_PRESENT (1u << 3) /**< leaf base+4 EAX: EBX holds the vCPU id */
#define XEN_CPUID_HVM_DOMID_PRESENT (1u << 4)   /**< leaf base+4 EAX: ECX holds the domain id */
#define XEN_MSR_HYPERCALL_PAGE 0x40000000u      /**< write a page-aligned GPA to fill it */
#define XEN_HYPERCALL_STUB_BYTES 32u            /**< each stub in the hypercall page */
/**@}*/

/** @name Hypercall numbers */
/**@{*/
#define HYPERVISOR_memory_op 12        /**< guest memory and its map (XENMEM_*) */
#define HYPERVISOR_xen_version 17      /**< version and feature queries (XENVER_*) */
#define HYPERVISOR_console_io 18       /**< the hypervisor's console (CONSOLEIO_*) */
#define HYPERVISOR_grant_table_op 20   /**< grant tables (GNTTABOP_*) */
#define HYPERVISOR_vcpu_op 24          /**< vCPU control and timers (VCPUOP_*) */
#define HYPERVISOR_sched_op 29         /**< yield, block, shut down, poll (SCHEDOP_*) */
#define HYPERVISOR_event_channel_op 32 /**< event channels (EVTCHNOP_*) */
#define HYPERVISOR_hvm_op 34           /**< HVM parameters (HVMOP_*) */
#define HYPERVISOR_MAX 64              /**< numbers at or above this are unknown */
/**@}*/

/** @name Error numbers returned (negated) in RAX */
/**@{*/
#define XEN_EPERM 1       /**< operation not permitted */
#define XEN_ENOENT 2      /**< no such object */
#define XEN_EACCES 13     /**< permission denied */
#define XEN_ESRCH 3       /**< no such domain */
#define XEN_EFAULT 14     /**< a guest address could not be read or written */
#define XEN_EBUSY 16      /**< resource busy */
#define XEN_EEXIST 17     /**< already exists or already set */
#define XEN_ENODEV 19     /**< no such device */
#define XEN_EINVAL 22     /**< invalid argument */
#define XEN_ENOSPC 28     /**< no space left */
#define XEN_ENOSYS 38     /**< hypercall or sub-op not implemented */
#define XEN_ETIME 62      /**< a timer deadline already passed */
#define XEN_EOPNOTSUPP 95 /**< operation not supported */
/**@}*/

/** @name xen_version sub-ops */
/**@{*/
#define XENVER_version 0             /**< returns major << 16 | minor */
#define XENVER_extraversion 1        /**< char[16] */
#define XENVER_compile_info 2        /**< struct of char[64], char[16], char[32], char[32] */
#define XENVER_capabilities 3        /**< char[1024] */
#define XENVER_changeset 4           /**< char[64] */
#define XENVER_platform_parameters 5 /**< u64 virt_start */
#define XENVER_get_features 6        /**< u32 submap_idx, u32 submap */
#define XENVER_pagesize 7            /**< returns the page size in bytes */
/**@}*/

/** @name console_io sub-ops */
/**@{*/
#define CONSOLEIO_write 0 /**< write count bytes from a guest buffer to the console */
#define CONSOLEIO_read 1  /**< read console input into a guest buffer */
/**@}*/

/** @name sched_op sub-ops and shutdown reasons */
/**@{*/
#define SCHEDOP_yield 0     /**< give up the CPU, stay runnable */
#define SCHEDOP_block 1     /**< sleep until an event arrives */
#define SCHEDOP_shutdown 2  /**< stop the domain (struct sched_shutdown) */
#define SCHEDOP_poll 3      /**< sleep until one of the given ports has an event */
#define SCHEDOP_remote_shutdown 4 /**< stop another domain (privileged only) */
#define SHUTDOWN_poweroff 0 /**< the domain powered itself off */
#define SHUTDOWN_reboot 1   /**< the domain asks to be restarted */
#define SHUTDOWN_suspend 2  /**< the domain suspended itself */
#define SHUTDOWN_crash 3    /**< the domain crashed */
#define SHUTDOWN_watchdog 4 /**< the domain's watchdog expired */
/**@}*/

/** @name memory_op sub-ops */
/**@{*/
#define XENMEM_increase_reservation 0 /**< add RAM (struct xen_memory_reservation) */
#define XENMEM_decrease_reservation 1 /**< give RAM back (struct xen_memory_reservation) */
#define XENMEM_maximum_ram_page 2     /**< returns the highest RAM frame number */
#define XENMEM_add_to_physmap 7       /**< map a hypervisor page (struct xen_add_to_physmap) */
#define XENMEM_memory_map 9           /**< the guest's e820-style map (struct xen_memory_map) */
#define XENMAPSPACE_shared_info 0     /**< add_to_physmap space: the shared_info page */
#define XENMAPSPACE_grant_table 1     /**< add_to_physmap space: grant-table frames */
#define DOMID_SELF 0x7ff0u            /**< domid meaning "the calling domain" */
/**@}*/

/** @name vcpu_op sub-ops */
/**@{*/
#define VCPUOP_initialise 0                    /**< set a vCPU's initial register state */
#define VCPUOP_up 1                            /**< start a vCPU */
#define VCPUOP_down 2                          /**< stop a vCPU */
#define VCPUOP_is_up 3                         /**< returns 1 if the vCPU runs, else 0 */
#define VCPUOP_get_runstate_info 4             /**< read a vCPU run state (vcpu_runstate_info) */
#define VCPUOP_register_runstate_memory_area 5 /**< where to publish the vCPU run state */
#define VCPUOP_set_periodic_timer 6            /**< periodic timer (not offered to PVH) */
#define VCPUOP_stop_periodic_timer 7           /**< stop the periodic timer */
#define VCPUOP_set_singleshot_timer 8          /**< arm the one-shot timer */
#define VCPUOP_stop_singleshot_timer 9         /**< disarm the one-shot timer */
#define VCPUOP_register_vcpu_info 10 /**< move vcpu_info (struct vcpu_register_vcpu_info) */
#define VCPU_SSHOTTMR_future (1u << 0) /**< set_singleshot_timer: -ETIME if the deadline passed */
/**@}*/

/** @name event_channel_op sub-ops, channel states and VIRQs */
/**@{*/
#define EVTCHNOP_bind_interdomain 0 /**< connect to another domain's unbound port */
#define EVTCHNOP_bind_virq 1        /**< a port for a virtual interrupt (VIRQ_*) */
#define EVTCHNOP_bind_pirq 2        /**< a port for a physical interrupt (not offered) */
#define EVTCHNOP_close 3            /**< free a port */
#define EVTCHNOP_send 4             /**< signal the other end of a port */
#define EVTCHNOP_status 5           /**< what a port is bound to */
#define EVTCHNOP_alloc_unbound 6    /**< a port another domain may connect to */
#define EVTCHNOP_bind_ipi 7         /**< a port for signals between own vCPUs */
#define EVTCHNOP_bind_vcpu 8        /**< deliver a port's events to another vCPU */
#define EVTCHNOP_unmask 9           /**< unmask a port, re-raising a pending event */
#define EVTCHNOP_reset 10           /**< close all ports (not offered) */
#define EVTCHNOP_init_control 11    /**< set up the FIFO event-channel ABI (not offered) */
#define EVTCHNOP_expand_array 12    /**< grow the FIFO ABI (not offered) */
#define EVTCHNOP_set_priority 13    /**< FIFO priority (not offered) */
#define EVTCHNSTAT_closed 0         /**< status: the port is free */
#define EVTCHNSTAT_unbound 1        /**< status: waits for a domain to connect */
#define EVTCHNSTAT_interdomain 2    /**< status: connected to a domain's port */
#define EVTCHNSTAT_pirq 3           /**< status: bound to a physical interrupt */
#define EVTCHNSTAT_virq 4           /**< status: bound to a virtual interrupt */
#define EVTCHNSTAT_ipi 5            /**< status: bound for inter-vCPU signals */
#define EVTCHN_2L_PORTS 4096        /**< 2-level ABI: ports 0..4095 (0 is never allocated) */
#define VIRQ_TIMER 0                /**< per-vCPU: the one-shot timer fired */
#define VIRQ_DEBUG 1                /**< per-vCPU: debug request */
#define VIRQ_CONSOLE 2              /**< global: console input */
#define VIRQ_DOM_EXC 3              /**< global: a domain exception (control domain) */
#define VIRQ_XENOPROF 7             /**< per-vCPU: profiling */
#define VIRQ_XENPMU 13              /**< per-vCPU: performance counters */
#define NR_VIRQS 24                 /**< VIRQ numbers are below this */
/**@}*/

/** @name grant_table_op and hvm_op sub-ops */
/**@{*/
#define GNTTABOP_query_size 6       /**< grant-table size (struct gnttab_query_size) */
#define GNTTABOP_set_version 8      /**< pick grant-table version (struct gnttab_set_version) */
#define HVMOP_set_param 0           /**< set an HVM_PARAM_* (struct xen_hvm_param) */
#define HVMOP_get_param 1           /**< read an HVM_PARAM_* (struct xen_hvm_param) */
#define HVM_PARAM_CALLBACK_IRQ 0    /**< how event-channel upcalls are delivered */
#define HVM_PARAM_STORE_PFN 1       /**< frame of the xenstore ring */
#define HVM_PARAM_STORE_EVTCHN 2    /**< event channel of the xenstore ring */
#define HVM_PARAM_CONSOLE_PFN 17    /**< frame of the PV console ring */
#define HVM_PARAM_CONSOLE_EVTCHN 18 /**< event channel of the PV console ring */
#define HVM_NR_PARAMS 40            /**< parameter indexes at or above this are invalid */
#define HVM_PARAM_CALLBACK_TYPE_SHIFT 56  /**< CALLBACK_IRQ bits 63:56: how to deliver */
#define HVM_PARAM_CALLBACK_TYPE_VECTOR 2  /**< CALLBACK_IRQ type: an IDT vector in bits 7:0 */
#define HVM_PARAM_CALLBACK_VECTOR_MIN 0x20 /**< 0..31 are exception vectors */
/**@}*/

/** @brief Argument of XENMEM_add_to_physmap. */
struct xen_add_to_physmap {
    uint16_t domid; /**< DOMID_SELF */
    uint16_t size;  /**< unused here */
    uint32_t space; /**< XENMAPSPACE_* */
    uint64_t idx;   /**< index within the space */
    uint64_t gpfn;  /**< where to map it */
};

/** @brief Argument of XENMEM_memory_map: the caller's buffer for e820 entries. */
struct xen_memory_map {
    uint32_t nr_entries; /**< in: room; out: entries written */
    uint32_t pad;        /**< zero */
    uint64_t buffer;     /**< guest-virtual address of struct hvm_memmap_table_entry[] */
};

/** @brief Argument of XENMEM_increase/decrease_reservation. */
struct xen_memory_reservation {
    uint64_t extent_start; /**< guest-virtual address of u64 gpfn[] */
    uint64_t nr_extents;   /**< number of entries in extent_start */
    uint32_t extent_order; /**< each extent is 2^extent_order pages */
    uint32_t mem_flags;    /**< allocation constraints, 0 */
    uint16_t domid;        /**< DOMID_SELF */
    uint16_t pad[3];       /**< zero */
};

/** @brief Argument of HVMOP_set_param / HVMOP_get_param. */
struct xen_hvm_param {
    uint16_t domid; /**< DOMID_SELF */
    uint16_t pad;   /**< zero */
    uint32_t index; /**< HVM_PARAM_*, below HVM_NR_PARAMS */
    uint64_t value; /**< in for set, out for get */
};

/** @brief Argument of SCHEDOP_shutdown. */
struct sched_shutdown {
    uint32_t reason; /**< SHUTDOWN_* */
};

/** @brief Argument of VCPUOP_register_vcpu_info. */
struct vcpu_register_vcpu_info {
    uint64_t mfn;    /**< guest frame holding the vcpu_info */
    uint32_t offset; /**< its offset in that frame */
    uint32_t rsvd;   /**< zero */
};

/** @brief Argument of SCHEDOP_poll. */
struct sched_poll {
    uint64_t ports;    /**< guest-virtual address of uint32_t port[nr_ports] */
    uint32_t nr_ports; /**< at most 128 */
    uint32_t pad;      /**< zero */
    uint64_t timeout;  /**< absolute system time in ns; 0: none */
};

/** @brief Argument of SCHEDOP_remote_shutdown. */
struct sched_remote_shutdown {
    uint16_t domid;  /**< the domain to stop */
    uint16_t pad;    /**< zero */
    uint32_t reason; /**< SHUTDOWN_* */
};

/** @brief Argument of VCPUOP_set_singleshot_timer. */
struct vcpu_set_singleshot_timer {
    uint64_t timeout_abs_ns; /**< deadline in system time (ns) */
    uint32_t flags;          /**< VCPU_SSHOTTMR_* */
    uint32_t pad;            /**< zero */
};

/** @brief Argument of VCPUOP_register_runstate_memory_area. */
struct vcpu_register_runstate_memory_area {
    uint64_t addr; /**< guest-virtual address of a struct vcpu_runstate_info; 0: none */
};

/** @brief A vCPU's run state as the guest reads it (Xen's RUNSTATE_* numbers). */
struct vcpu_runstate_info {
    int32_t state;             /**< 0 running, 1 runnable, 2 blocked, 3 offline */
    uint32_t pad;              /**< zero */
    uint64_t state_entry_time; /**< system time (ns) when it entered that state */
    uint64_t time[4];          /**< ns spent in each state */
};

/** @brief Argument of EVTCHNOP_alloc_unbound. */
struct evtchn_alloc_unbound {
    uint16_t dom;        /**< in: DOMID_SELF (or the caller's id) */
    uint16_t remote_dom; /**< in: who may connect (DOMID_SELF: loopback) */
    uint32_t port;       /**< out */
};

/** @brief Argument of EVTCHNOP_bind_interdomain. */
struct evtchn_bind_interdomain {
    uint16_t remote_dom;  /**< in: the domain that allocated the unbound port */
    uint16_t pad;         /**< zero */
    uint32_t remote_port; /**< in: that port */
    uint32_t local_port;  /**< out */
};

/** @brief Argument of EVTCHNOP_bind_virq. */
struct evtchn_bind_virq {
    uint32_t virq; /**< in: VIRQ_* */
    uint32_t vcpu; /**< in: the vCPU to notify (0 for global VIRQs) */
    uint32_t port; /**< out */
};

/** @brief Argument of EVTCHNOP_bind_ipi. */
struct evtchn_bind_ipi {
    uint32_t vcpu; /**< in: the vCPU to notify */
    uint32_t port; /**< out */
};

/** @brief Argument of EVTCHNOP_close. */
struct evtchn_close {
    uint32_t port; /**< in */
};

/** @brief Argument of EVTCHNOP_send. */
struct evtchn_send {
    uint32_t port; /**< in */
};

/** @brief Argument of EVTCHNOP_unmask. */
struct evtchn_unmask {
    uint32_t port; /**< in */
};

/** @brief Argument of EVTCHNOP_bind_vcpu. */
struct evtchn_bind_vcpu {
    uint32_t port; /**< in */
    uint32_t vcpu; /**< in: the vCPU to notify from now on */
};

/** @brief Argument of EVTCHNOP_status. */
struct evtchn_status {
    uint16_t dom;    /**< in: DOMID_SELF (or the caller's id) */
    uint16_t pad;    /**< zero */
    uint32_t port;   /**< in */
    uint32_t status; /**< out: EVTCHNSTAT_* */
    uint32_t vcpu;   /**< out: the vCPU notified */
    union {
        struct {
            uint16_t dom; /**< who may connect */
        } unbound;        /**< EVTCHNSTAT_unbound */
        struct {
            uint16_t dom;  /**< the peer domain */
            uint16_t pad;  /**< zero */
            uint32_t port; /**< the peer's port */
        } interdomain;     /**< EVTCHNSTAT_interdomain */
        uint32_t pirq;     /**< EVTCHNSTAT_pirq */
        uint32_t virq;     /**< EVTCHNSTAT_virq */
    } u;                   /**< by status */
};

/** @brief Argument of GNTTABOP_query_size. */
struct gnttab_query_size {
    uint16_t dom;           /**< in: DOMID_SELF */
    uint16_t pad;           /**< zero */
    uint32_t nr_frames;     /**< out */
    uint32_t max_nr_frames; /**< out */
    int16_t status;         /**< out: 0 or a GNTST_ error */
    uint16_t pad2;          /**< zero */
};

/** @brief Argument of GNTTABOP_set_version. */
struct gnttab_set_version {
    uint32_t version; /**< in: 1 or 2; out: the version in use */
};

/** @name VCPUOP_initialise for PVH/HVM vCPUs (Xen's hvm/hvm_vcpu.h) */
/**@{*/
#define VCPU_HVM_MODE_32B 0 /**< vcpu_hvm_context.cpu_regs.x86_32 is valid */
#define VCPU_HVM_MODE_64B 1 /**< vcpu_hvm_context.cpu_regs.x86_64 is valid */
/**@}*/

/** @brief A vCPU's start state in 32-bit protected mode (segments given in full). */
struct vcpu_hvm_x86_32 {
    uint32_t eax; /**< general register eax */
    uint32_t ecx; /**< general register ecx */
    uint32_t edx; /**< general register edx */
    uint32_t ebx; /**< general register ebx */
    uint32_t esp; /**< general register esp */
    uint32_t ebp; /**< general register ebp */
    uint32_t esi; /**< general register esi */
    uint32_t edi; /**< general register edi */
    uint32_t eip; /**< where it starts */
    uint32_t eflags; /**< its EFLAGS */
    uint32_t cr0; /**< control register cr0 */
    uint32_t cr3; /**< control register cr3 */
    uint32_t cr4; /**< control register cr4 */
    uint32_t pad1;                                 /**< zero */
    uint64_t efer;                                 /**< EFER */
    uint32_t cs_base; /**< cs base */
    uint32_t ds_base; /**< ds base */
    uint32_t ss_base; /**< ss base */
    uint32_t es_base; /**< es base */
    uint32_t tr_base; /**< tr base */
    uint32_t cs_limit; /**< cs limit (bytes - 1) */
    uint32_t ds_limit; /**< ds limit (bytes - 1) */
    uint32_t ss_limit; /**< ss limit (bytes - 1) */
    uint32_t es_limit; /**< es limit (bytes - 1) */
    uint32_t tr_limit; /**< tr limit (bytes - 1) */
    uint16_t cs_ar; /**< cs access rights: type, S, DPL, P, AVL, L, D/B, G */
    uint16_t ds_ar; /**< ds access rights: type, S, DPL, P, AVL, L, D/B, G */
    uint16_t ss_ar; /**< ss access rights: type, S, DPL, P, AVL, L, D/B, G */
    uint16_t es_ar; /**< es access rights: type, S, DPL, P, AVL, L, D/B, G */
    uint16_t tr_ar; /**< tr access rights: type, S, DPL, P, AVL, L, D/B, G */
    uint16_t pad2[3];                           /**< zero */
};

/** @brief A vCPU's start state in 64-bit mode (flat segments implied). */
struct vcpu_hvm_x86_64 {
    uint64_t rax; /**< general register rax */
    uint64_t rcx; /**< general register rcx */
    uint64_t rdx; /**< general register rdx */
    uint64_t rbx; /**< general register rbx */
    uint64_t rsp; /**< general register rsp */
    uint64_t rbp; /**< general register rbp */
    uint64_t rsi; /**< general register rsi */
    uint64_t rdi; /**< general register rdi */
    uint64_t rip; /**< where it starts */
    uint64_t rflags; /**< its RFLAGS */
    uint64_t cr0; /**< cr0 (paging on, EFER.LME and LMA set) */
    uint64_t cr3; /**< cr3 (paging on, EFER.LME and LMA set) */
    uint64_t cr4; /**< cr4 (paging on, EFER.LME and LMA set) */
    uint64_t efer; /**< efer (paging on, EFER.LME and LMA set) */
};

/** @brief Argument of VCPUOP_initialise for a PVH vCPU. */
struct vcpu_hvm_context {
    uint32_t mode; /**< VCPU_HVM_MODE_* */
    uint32_t pad;  /**< zero */
    union {
        struct vcpu_hvm_x86_32 x86_32; /**< mode 32B */
        struct vcpu_hvm_x86_64 x86_64; /**< mode 64B */
    } cpu_regs;    /**< by mode */
};

/** @name PVH boot ABI */
/**@{*/
#define XEN_ELFNOTE_PHYS32_ENTRY 18 /**< ELF note type holding the 32-bit PVH entry point */
#define HVM_START_MAGIC 0x336ec578u /**< hvm_start_info.magic: "xEn3", the E with bit 7 set */
#define HVM_START_FLAG_CONTROL_DOMAIN (1u << 1) /**< hvm_start_info.flags: the control domain */
#define HVM_MEMMAP_TYPE_RAM 1                   /**< memory-map type: usable RAM */
#define HVM_MEMMAP_TYPE_RESERVED 2              /**< memory-map type: reserved */
#define HVM_MEMMAP_TYPE_ACPI 3                  /**< memory-map type: ACPI tables, reclaimable */
/**@}*/

/** @brief The start-of-day information a PVH guest finds at EBX. */
struct hvm_start_info {
    uint32_t magic;          /**< HVM_START_MAGIC */
    uint32_t version;        /**< 1 */
    uint32_t flags;          /**< HVM_START_FLAG_* */
    uint32_t nr_modules;     /**< entries at modlist_paddr */
    uint64_t modlist_paddr;  /**< struct hvm_modlist_entry[nr_modules] */
    uint64_t cmdline_paddr;  /**< NUL-terminated, or 0 */
    uint64_t rsdp_paddr;     /**< 0: no ACPI */
    uint64_t memmap_paddr;   /**< struct hvm_memmap_table_entry[memmap_entries] */
    uint32_t memmap_entries; /**< entries at memmap_paddr */
    uint32_t reserved;       /**< zero */
};

/** @brief One module entry of hvm_start_info. */
struct hvm_modlist_entry {
    uint64_t paddr;         /**< guest-physical start of the module */
    uint64_t size;          /**< its length in bytes */
    uint64_t cmdline_paddr; /**< the module's NUL-terminated string, or 0 */
    uint64_t reserved;      /**< zero */
};

/** @brief One memory-map entry of hvm_start_info (and of XENMEM_memory_map). */
struct hvm_memmap_table_entry {
    uint64_t addr;     /**< guest-physical start */
    uint64_t size;     /**< length in bytes */
    uint32_t type;     /**< HVM_MEMMAP_TYPE_* */
    uint32_t reserved; /**< zero */
};

/** @brief Time as the guest reads it: system_time + scaled TSC delta. */
struct vcpu_time_info {
    uint32_t version;           /**< odd while being updated */
    uint32_t pad0;              /**< zero */
    uint64_t tsc_timestamp;     /**< TSC value when system_time was sampled */
    uint64_t system_time;       /**< ns */
    uint32_t tsc_to_system_mul; /**< ns per TSC tick, a 0.32 fixed-point fraction */
    int8_t tsc_shift;           /**< shift of the TSC delta (left if positive) before multiplying */
    uint8_t flags;              /**< bit 0: TSC stable */
    uint8_t pad1[2];            /**< zero */
};

/** @brief Per-vCPU part of shared_info. */
struct vcpu_info {
    uint8_t evtchn_upcall_pending; /**< set when an event is pending */
    uint8_t evtchn_upcall_mask;    /**< non-zero: no upcalls */
    uint8_t pad0[6];               /**< zero */
    uint64_t evtchn_pending_sel;   /**< bit n: word n of evtchn_pending has events */
    uint64_t arch_cr2;             /**< PV guests only; unused */
    uint64_t arch_pad;             /**< unused */
    struct vcpu_time_info time;    /**< this vCPU's time */
};

#define XEN_LEGACY_MAX_VCPUS 32 /**< vcpu_info slots in shared_info */
#define XEN_EVTCHN_WORDS 64     /**< 2-level ABI: 4096 ports */

/** @brief The x86 part at the end of shared_info (unused by PVH guests). */
struct arch_shared_info {
    uint64_t max_pfn;                    /**< PV only; unused */
    uint64_t pfn_to_mfn_frame_list_list; /**< PV only; unused */
    uint64_t nmi_reason;                 /**< PV only; unused */
    uint64_t p2m_cr3;                    /**< PV only; unused */
    uint64_t p2m_vaddr;                  /**< PV only; unused */
    uint64_t p2m_generation;             /**< PV only; unused */
};

/** @brief The page a guest maps with XENMAPSPACE_shared_info. */
struct shared_info {
    struct vcpu_info vcpu_info[XEN_LEGACY_MAX_VCPUS]; /**< for vCPUs 0..31 until moved */
    uint64_t evtchn_pending[XEN_EVTCHN_WORDS];        /**< bit per port: event pending */
    uint64_t evtchn_mask[XEN_EVTCHN_WORDS];           /**< bit per port: masked */
    uint32_t wc_version;          /**< odd while the wall clock is being updated */
    uint32_t wc_sec;              /**< wall clock at system time 0: seconds, low 32 bits */
    uint32_t wc_nsec;             /**< its nanoseconds */
    uint32_t wc_sec_hi;           /**< seconds, high 32 bits */
    struct arch_shared_info arch; /**< the x86 part */
};

/** @cond INTERNAL */
_Static_assert(sizeof(struct xen_add_to_physmap) == 24, "xen_add_to_physmap layout");
_Static_assert(sizeof(struct xen_memory_map) == 16, "xen_memory_map layout");
_Static_assert(sizeof(struct xen_memory_reservation) == 32, "reservation layout");
_Static_assert(sizeof(struct xen_hvm_param) == 16, "xen_hvm_param layout");
_Static_assert(sizeof(struct vcpu_register_vcpu_info) == 16, "register_vcpu_info layout");
_Static_assert(sizeof(struct vcpu_hvm_x86_32) == 120, "vcpu_hvm_x86_32 layout");
_Static_assert(sizeof(struct vcpu_hvm_x86_64) == 112, "vcpu_hvm_x86_64 layout");
_Static_assert(sizeof(struct vcpu_hvm_context) == 128, "vcpu_hvm_context layout");
_Static_assert(sizeof(struct hvm_start_info) == 56, "hvm_start_info layout");
_Static_assert(sizeof(struct sched_poll) == 24, "sched_poll layout");
_Static_assert(sizeof(struct sched_remote_shutdown) == 8, "sched_remote_shutdown layout");
_Static_assert(sizeof(struct vcpu_set_singleshot_timer) == 16, "singleshot timer layout");
_Static_assert(sizeof(struct vcpu_runstate_info) == 48, "vcpu_runstate_info layout");
_Static_assert(sizeof(struct evtchn_alloc_unbound) == 8, "evtchn_alloc_unbound layout");
_Static_assert(sizeof(struct evtchn_bind_interdomain) == 12, "evtchn_bind_interdomain layout");
_Static_assert(sizeof(struct evtchn_bind_virq) == 12, "evtchn_bind_virq layout");
_Static_assert(sizeof(struct evtchn_bind_ipi) == 8, "evtchn_bind_ipi layout");
_Static_assert(sizeof(struct evtchn_bind_vcpu) == 8, "evtchn_bind_vcpu layout");
_Static_assert(sizeof(struct evtchn_status) == 24, "evtchn_status layout");
_Static_assert(__builtin_offsetof(struct evtchn_status, u.interdomain.port) == 20, "status");
_Static_assert(sizeof(struct hvm_modlist_entry) == 32, "hvm_modlist_entry layout");
_Static_assert(sizeof(struct hvm_memmap_table_entry) == 24, "memmap entry layout");
_Static_assert(sizeof(struct vcpu_time_info) == 32, "vcpu_time_info layout");
_Static_assert(sizeof(struct vcpu_info) == 64, "vcpu_info layout");
_Static_assert(__builtin_offsetof(struct shared_info, evtchn_pending) == 2048, "shared_info");
_Static_assert(__builtin_offsetof(struct shared_info, evtchn_mask) == 2560, "shared_info");
_Static_assert(__builtin_offsetof(struct shared_info, wc_version) == 3072, "shared_info");
_Static_assert(sizeof(struct shared_info) == 3136, "shared_info layout");
/** @endcond */

#endif /* XENCORE_ABI_GUEST_H */
