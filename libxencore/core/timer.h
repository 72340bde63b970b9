/* One-shot software timers on each CPU's hardware timer.
 *
 * Each CPU keeps its armed timers in a list sorted by deadline and programs
 * arch_timer_arm() for the earliest. core_timer_interrupt() runs the expired
 * ones on that CPU with interrupts off: a callback must be short and may take
 * only locks that are always taken with interrupts off (spin_lock_irqsave).
 * A timer may be re-armed, moved to another CPU or stopped from any CPU;
 * timer_kill() also waits until its callback is not running anywhere, so the
 * owner may then free it. */
#ifndef XENCORE_CORE_TIMER_H
#define XENCORE_CORE_TIMER_H

#include <stdbool.h>
#include <stdint.h>

struct timer {
    uint64_t expires;             /* system time in ns */
    void (*fn)(void *data);
    void *data;
    unsigned int cpu;             /* whose list it is on, or was last on */
    bool active;                  /* armed */
    struct timer *next, *prev;
};

void timer_init(struct timer *t, void (*fn)(void *data), void *data);
/* Arms @t to fire on @cpu at @expires (at once if that is past). */
void timer_set(struct timer *t, uint64_t expires, unsigned int cpu);
/* Disarms @t; harmless if not armed. Its callback may be running meanwhile. */
void timer_stop(struct timer *t);
/* timer_stop() and waits until the callback is not running. Never from a callback. */
void timer_kill(struct timer *t);
bool timer_armed(const struct timer *t);

/* Runs this CPU's expired timers and re-arms the hardware (interrupts off). */
void timers_run(unsigned int cpu);

#endif /* XENCORE_CORE_TIMER_H */
