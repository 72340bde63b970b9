/* PLACEHOLDER until event channels land (issue 4). */
#include "core/domain.h"
