/* vector_state: placeholder until its helper lands (session 3). */
#include "runtime/runtime.h"

const char guest_name[] = "vector_state";

void guest_main(const struct hvm_start_info *start_info, const char *cmdline)
{
    (void)start_info;
    (void)cmdline;
}
