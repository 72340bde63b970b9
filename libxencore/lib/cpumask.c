/* Sets of CPUs as text (see cpumask.h): the console shows CPU lists in Xen's
 * compact syntax, the one xl and the image tool read. */
#include "lib/cpumask.h"

#include "lib/string.h"

/* Prints @mask in Xen's compact syntax ("0-3,5"), cut short with "..." if
 * @buffer is too small. */
void cpumask_format(const cpumask_t *mask, char *buffer, size_t size)
{
    size_t used = 0;
    buffer[0] = '\0';
    for (unsigned int cpu = cpumask_first(mask); cpu < XENCORE_MAX_CPUS;) {
        unsigned int last = cpu;
        while (last + 1 < XENCORE_MAX_CPUS && cpumask_test(mask, last + 1))
            last++;
        char piece[24];
        int n = last == cpu ? snprintf(piece, sizeof(piece), "%s%u", used ? "," : "", cpu)
                            : snprintf(piece, sizeof(piece), "%s%u-%u", used ? "," : "", cpu, last);
        if (n < 0 || used + (size_t)n + 4 > size) {
            xc_strlcpy(buffer + used, "...", size - used);
            return;
        }
        memcpy(buffer + used, piece, (size_t)n + 1);
        used += (size_t)n;
        cpu = cpumask_next(mask, last + 1);
    }
}

