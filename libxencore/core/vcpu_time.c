/* PLACEHOLDER until vCPU timers, blocking and polling land (issue 4). */
#include "core/domain.h"
