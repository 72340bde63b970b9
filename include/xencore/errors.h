/**
 * @file errors.h
 * @brief Result codes of the public API.
 *
 * Functions return 0 on success or one of these negative values. They are
 * the negated errno numbers Xen uses, so a code means the same thing in the C
 * API, on the management channel and on the guest ABI.
 */
#ifndef XENCORE_ERRORS_H
#define XENCORE_ERRORS_H

#define XENCORE_OK 0            /**< Success. */
#define XENCORE_EPERM (-1)      /**< Not allowed in this state or for this caller. */
#define XENCORE_ENOENT (-2)     /**< No such domain (or object). */
#define XENCORE_ENOMEM (-12)    /**< Not enough free memory. */
#define XENCORE_EFAULT (-14)    /**< A guest address could not be read or written. */
#define XENCORE_EBUSY (-16)     /**< The object is in use. */
#define XENCORE_EEXIST (-17)    /**< A domain of that name or UUID exists. */
#define XENCORE_EINVAL (-22)    /**< An argument is out of range or malformed. */
#define XENCORE_ENOSPC (-28)    /**< A table (domains, vCPUs) is full. */
#define XENCORE_ENOSYS (-38)    /**< Not implemented. */
#define XENCORE_ENOTSUP (-95)   /**< The hardware cannot do it. */

#endif /* XENCORE_ERRORS_H */
