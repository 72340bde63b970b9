/* triple_fault: loads an empty IDT and executes int3. The #BP cannot be
 * delivered, nor the #GP/#DF that follow: a triple fault. The hypervisor
 * must crash this domain (and only this one). */
#include "runtime/runtime.h"

const char guest_name[] = "triple_fault";

void guest_main(const struct hvm_start_info *si, const char *cmdline)
{
    (void)si;
    (void)cmdline;
    printf("guest: about to triple fault\n");
    struct __attribute__((packed)) {
        uint16_t limit;
        uint64_t base;
    } empty_idt = {0, 0};
    __asm__ volatile("lidt %0\n\tint3" : : "m"(empty_idt) : "memory");
    printf("guest: FAIL survived the triple fault\n");
    check(false, "the hypervisor crashes a domain that triple faults");
}
