/* PLACEHOLDER until the credit2 scheduler lands (issue 4): an empty ops table. */
#include "sched/sched.h"

const struct scheduler_ops sched_credit2_ops = {
    .name = "credit2",
    .id = XENCORE_SCHED_CREDIT2,
};
