/*
 * The syscalls each seccomp profile refuses with EPERM (see seccomp.c for the reasoning). Numbers
 * come from the build machine's <sys/syscall.h>; syscalls added since Linux 5.1 have the same
 * number on every architecture (424 and up), so older headers get them from the fallbacks below.
 * Calls that exist only on some architectures sit behind #ifdef.
 */
#ifndef JOBLET_SECCOMP_CALLS_H
#define JOBLET_SECCOMP_CALLS_H

#include <sys/syscall.h>

#ifndef __NR_io_uring_setup
#define __NR_io_uring_setup 425
#define __NR_io_uring_enter 426
#define __NR_io_uring_register 427
#endif
#ifndef __NR_open_tree
#define __NR_open_tree 428
#define __NR_move_mount 429
#define __NR_fsopen 430
#define __NR_fsconfig 431
#define __NR_fsmount 432
#define __NR_fspick 433
#endif
#ifndef __NR_clone3
#define __NR_clone3 435
#endif
#ifndef __NR_pidfd_getfd
#define __NR_pidfd_getfd 438
#endif
#ifndef __NR_mount_setattr
#define __NR_mount_setattr 442
#endif
#ifndef __NR_quotactl_fd
#define __NR_quotactl_fd 443
#endif
#ifndef __NR_set_mempolicy_home_node
#define __NR_set_mempolicy_home_node 450
#endif

static const int default_refused[] = {
    /* other namespaces and the mount table (the new mount API included) */
    __NR_unshare, __NR_setns, __NR_mount, __NR_umount2, __NR_pivot_root, __NR_chroot,
    __NR_open_tree, __NR_move_mount, __NR_fsopen, __NR_fsconfig, __NR_fsmount, __NR_fspick,
    __NR_mount_setattr,
    /* kernel keyrings are not namespaced */
    __NR_keyctl, __NR_add_key, __NR_request_key,
    /* large kernel attack surface */
    __NR_bpf, __NR_perf_event_open, __NR_userfaultfd, __NR_io_uring_setup, __NR_io_uring_enter,
    __NR_io_uring_register,
    /* the kernel itself: modules, kexec, reboot, swap, accounting, the log, quotas */
    __NR_kexec_load, __NR_kexec_file_load, __NR_init_module, __NR_finit_module, __NR_delete_module,
    __NR_reboot, __NR_swapon, __NR_swapoff, __NR_acct, __NR_syslog, __NR_quotactl, __NR_quotactl_fd,
    __NR_vhangup, __NR_lookup_dcookie,
    /* other processes' memory */
    __NR_ptrace, __NR_process_vm_readv, __NR_process_vm_writev,
    /* file handles bypass the mount namespace (the "shocker" escape) */
    __NR_open_by_handle_at, __NR_name_to_handle_at,
    /* the host's clock */
    __NR_settimeofday, __NR_clock_settime, __NR_clock_adjtime, __NR_adjtimex,
#ifdef __NR_iopl
    __NR_iopl,
#endif
#ifdef __NR_ioperm
    __NR_ioperm,
#endif
#ifdef __NR_nfsservctl
    __NR_nfsservctl,
#endif
};
#define N_DEFAULT_REFUSED (sizeof default_refused / sizeof default_refused[0])

static const int strict_refused[] = {
    __NR_kcmp, __NR_pidfd_getfd, __NR_fanotify_init, __NR_mbind, __NR_migrate_pages, __NR_move_pages,
    __NR_set_mempolicy, __NR_set_mempolicy_home_node, __NR_mknodat,
#ifdef __NR_mknod
    __NR_mknod,
#endif
#ifdef __NR_modify_ldt
    __NR_modify_ldt,
#endif
#ifdef __NR_uselib
    __NR_uselib,
#endif
#ifdef __NR_ustat
    __NR_ustat,
#endif
#ifdef __NR_sysfs
    __NR_sysfs,
#endif
};
#define N_STRICT_REFUSED (sizeof strict_refused / sizeof strict_refused[0])

#endif
