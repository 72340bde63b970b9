/* Ticket spinlocks: fair, so no CPU starves when 256 of them want the same lock.
 * The irqsave variants are for locks also taken from interrupt handlers. */
#ifndef XENCORE_LIB_SPINLOCK_H
#define XENCORE_LIB_SPINLOCK_H

#include <stdint.h>

#include "arch/arch.h"

typedef struct {
    uint32_t next;  /* ticket handed to the next arrival */
    uint32_t owner; /* ticket now holding the lock */
} spinlock_t;

#define SPINLOCK_INIT { 0, 0 }

static inline void spin_lock(spinlock_t *lock)
{
    uint32_t ticket = __atomic_fetch_add(&lock->next, 1, __ATOMIC_RELAXED);
    while (__atomic_load_n(&lock->owner, __ATOMIC_ACQUIRE) != ticket)
        arch_cpu_relax();
}

static inline void spin_unlock(spinlock_t *lock)
{
    __atomic_store_n(&lock->owner, lock->owner + 1, __ATOMIC_RELEASE);
}

static inline unsigned long spin_lock_irqsave(spinlock_t *lock)
{
    unsigned long flags = arch_irq_save();
    spin_lock(lock);
    return flags;
}

static inline void spin_unlock_irqrestore(spinlock_t *lock, unsigned long flags)
{
    spin_unlock(lock);
    arch_irq_restore(flags);
}

#endif /* XENCORE_LIB_SPINLOCK_H */
