/* PLACEHOLDER until the credit scheduler lands (issue 4): an empty ops table. */
#include "sched/sched.h"

const struct scheduler_ops sched_credit_ops = {
    .name = "credit",
    .id = XENCORE_SCHED_CREDIT,
};
