/* hypercalls: the hypercall ABI from a guest's side. Each hypercall goes
 * through the hypercall page unless the check says otherwise.
 *
 * xen_version (version, extraversion, unknown sub-op), an unknown
 * hypercall number, the direct vmcall/vmmcall instructions (both must work
 * on either vendor), console_io with a buffer at an unmapped guest-virtual
 * address (-EFAULT), a hypercall from CPL 3 (-EPERM), memory_op
 * maximum_ram_page and add_to_physmap of shared_info (whose time info must
 * then be valid), hvm_op get_param STORE_PFN, grant_table_op query_size,
 * event_channel_op init_control (-ENOSYS: 2-level only) and sched_op yield. */
#include "runtime/runtime.h"

const char guest_name[] = "hypercalls";

#define UNKNOWN_HYPERCALL 60
#define UNKNOWN_XENVER_SUBOP 99
/* Not mapped in our own page tables (PML4 slot 255 is empty). */
#define UNMAPPED_VIRTUAL 0x7fff00000000ull
#define EXTRAVERSION_BYTES 16
#define PAGE_SHIFT 12

static uint8_t shared_info_frame[4096] __attribute__((aligned(4096)));

static void check_xen_version(void)
{
    long version = xen_version(XENVER_version, NULL);
    check(version > 0, "xen_version(version) returns major<<16|minor, nonzero");
    printf("guest: xen_version %ld.%ld\n", version >> 16, version & 0xffff);

    char extra[EXTRAVERSION_BYTES + 1];
    memset(extra, 0x7f, sizeof(extra));
    long rc = xen_version(XENVER_extraversion, extra);
    check_eq_int("xen_version(extraversion) succeeds", 0, rc);
    bool terminated = false;
    for (unsigned int i = 0; i < EXTRAVERSION_BYTES; i++) {
        terminated = terminated || extra[i] == '\0';
    }
    check(terminated, "extraversion is a string of at most 16 bytes");
    if (terminated) {
        printf("guest: extraversion '%s'\n", extra);
    }
    check_eq_int("xen_version(99) is -ENOSYS", -XEN_ENOSYS,
                 xen_version(UNKNOWN_XENVER_SUBOP, NULL));
    check_eq_int("hypercall 60 is -ENOSYS", -XEN_ENOSYS,
                 hypercall(UNKNOWN_HYPERCALL, 0, 0, 0, 0, 0));
    /* Direct: the page need not have a slot past the hypervisor's table. */
    check_eq_int("hypercall 64 (past the table) is -ENOSYS", -XEN_ENOSYS,
                 hypercall_direct(HYPERVISOR_MAX, 0, 0, 0, 0, 0));

    /* Direct instructions, as recent Linux issues them: both on both vendors. */
    long result = 0;
    int fault = safe_hypercall_insn(false, HYPERVISOR_xen_version, XENVER_version, 0, &result);
    check_eq_int("vmcall does not fault", NO_FAULT, fault);
    check_eq_hex("vmcall xen_version equals the page's", (uint64_t)version, (uint64_t)result);
    result = 0;
    fault = safe_hypercall_insn(true, HYPERVISOR_xen_version, XENVER_version, 0, &result);
    check_eq_int("vmmcall does not fault", NO_FAULT, fault);
    check_eq_hex("vmmcall xen_version equals the page's", (uint64_t)version, (uint64_t)result);
    check_eq_hex("hypercall_direct for this vendor", (uint64_t)version,
                 (uint64_t)hypercall_direct(HYPERVISOR_xen_version, XENVER_version, 0, 0, 0, 0));
}

static void check_bad_pointer(void)
{
    long rc = hypercall(HYPERVISOR_console_io, CONSOLEIO_write, 16, UNMAPPED_VIRTUAL, 0, 0);
    check_eq_int("console_io with an unmapped buffer is -EFAULT", -XEN_EFAULT, rc);
    rc = hypercall(HYPERVISOR_xen_version, XENVER_extraversion, UNMAPPED_VIRTUAL, 0, 0, 0);
    check_eq_int("xen_version(extraversion) to an unmapped buffer is -EFAULT", -XEN_EFAULT, rc);
}

static volatile long user_result;
static volatile bool user_ran;

static void user_mode_hypercall(void)
{
    user_ran = true;
    user_result = hypercall(HYPERVISOR_xen_version, XENVER_version, 0, 0, 0, 0);
    user_mode_exit();
}

static void check_user_mode(void)
{
    user_result = 12345;
    run_in_user_mode(user_mode_hypercall);
    check(user_ran, "ran code at CPL 3 and came back");
    check_eq_int("a hypercall from CPL 3 is -EPERM", -XEN_EPERM, user_result);
}

static void check_memory_op(void)
{
    long max_page = memory_op(XENMEM_maximum_ram_page, NULL);
    check(max_page > 0, "memory_op(maximum_ram_page) returns a page number");
    printf("guest: maximum_ram_page 0x%lx\n", max_page);

    struct xen_add_to_physmap map = {
        .domid = DOMID_SELF,
        .space = XENMAPSPACE_shared_info,
        .idx = 0,
        .gpfn = (uint64_t)(uintptr_t)shared_info_frame >> PAGE_SHIFT,
    };
    long rc = memory_op(XENMEM_add_to_physmap, &map);
    check_eq_int("add_to_physmap(shared_info) succeeds", 0, rc);
    if (rc != 0) {
        return;
    }
    const volatile struct shared_info *shared =
        (const volatile struct shared_info *)shared_info_frame;
    const volatile struct vcpu_time_info *time = &shared->vcpu_info[0].time;
    check_nonzero("shared_info vcpu 0 tsc_to_system_mul", time->tsc_to_system_mul);
    check(time->version % 2 == 0, "shared_info vcpu 0 time version is even");
    printf("guest: time version %u mul %u shift %d system_time %lu\n", time->version,
           time->tsc_to_system_mul, time->tsc_shift, (unsigned long)time->system_time);
}

static void check_other_ops(void)
{
    struct xen_hvm_param param = {
        .domid = DOMID_SELF, .index = HVM_PARAM_STORE_PFN, .value = 0xdeadbeef};
    long rc = hvm_op(HVMOP_get_param, &param);
    check_eq_int("hvm_op get_param(STORE_PFN) succeeds", 0, rc);
    check_eq_hex("STORE_PFN is 0 (no xenstore)", 0, param.value);

    struct gnttab_query_size query = {.dom = DOMID_SELF, .status = -1};
    rc = hypercall(HYPERVISOR_grant_table_op, GNTTABOP_query_size, &query, 1, 0, 0);
    check_eq_int("grant_table_op query_size succeeds", 0, rc);
    check_eq_int("query_size status is 0", 0, query.status);
    check(query.max_nr_frames >= query.nr_frames && query.max_nr_frames > 0,
          "query_size frames make sense");
    printf("guest: grant frames %u of %u\n", query.nr_frames, query.max_nr_frames);

    uint8_t init_control[16] = {0};
    rc = hypercall(HYPERVISOR_event_channel_op, EVTCHNOP_init_control, init_control, 0, 0, 0);
    check_eq_int("event_channel_op init_control is -ENOSYS", -XEN_ENOSYS, rc);

    check_eq_int("sched_op yield returns 0", 0, sched_op(SCHEDOP_yield, NULL));
}

void guest_main(const struct hvm_start_info *si, const char *cmdline)
{
    (void)si;
    (void)cmdline;
    check_xen_version();
    check_bad_pointer();
    check_user_mode();
    check_memory_op();
    check_other_ops();
}
