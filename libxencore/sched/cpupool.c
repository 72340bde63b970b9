/* PLACEHOLDER until cpupools land (issue 4). */
#include "sched/sched.h"
