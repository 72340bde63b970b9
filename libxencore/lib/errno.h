/* Error numbers used inside the hypervisor, returned negated. The values are
 * Linux's and Xen's, because the guest ABI reports them as they are. */
#ifndef XENCORE_LIB_ERRNO_H
#define XENCORE_LIB_ERRNO_H

#define XC_EPERM 1
#define XC_ENOENT 2
#define XC_EIO 5
#define XC_ENOMEM 12
#define XC_EACCES 13
#define XC_EFAULT 14
#define XC_EBUSY 16
#define XC_EEXIST 17
#define XC_ENODEV 19
#define XC_EINVAL 22
#define XC_ENOSPC 28
#define XC_ERANGE 34
#define XC_ENOSYS 38
#define XC_EOPNOTSUPP 95
#define XC_ETIMEDOUT 110

#endif /* XENCORE_LIB_ERRNO_H */
