/*
 * The job's seccomp filter: a classic BPF program written here by hand (<linux/filter.h>,
 * <linux/seccomp.h>), so building needs nothing beyond the kernel headers every Debian has.
 * The job installs it as its very last step, so only execve runs under it before the command.
 *
 * Shape of the program (seccomp(2), "Filter return values"):
 *   1. an architecture other than the one we were built for (i386 through int 0x80 on x86_64),
 *      or the x32 ABI (nr with bit 30 set): kill the process, since our numbers mean other calls there
 *   2. each refused syscall: `nr == N ? return ERRNO(EPERM)`
 *   3. clone with a CLONE_NEW* flag: EPERM; clone3: ENOSYS, because its flags live in memory a
 *      filter cannot read, and ENOSYS makes glibc fall back to clone (as Docker does)
 *   4. strict only: socket() of other families than unix/inet/inet6, personality() changes
 *   5. allow
 *
 * Profiles:
 * - default: modelled on Docker's default profile, as a deny list (ours refuses the calls that
 *   reach kernel attack surface or other namespaces; Docker's allow list mostly refuses the same
 *   calls plus ones that need capabilities our job does not have). Unlike Docker on new kernels
 *   we refuse ptrace entirely: the spec refuses ptrace of a non-child, and a filter cannot tell a
 *   child from any other process, while allowing PTRACE_TRACEME alone would be useless.
 * - strict: default plus NUMA memory policy calls, kcmp, pidfd_getfd, fanotify, mknod, personality
 *   changes (ASLR off and friends), and socket families other than AF_UNIX/AF_INET/AF_INET6
 *   (netlink, packet, vsock, bluetooth... are the usual kernel bugs' entry points).
 * - off: no filter (trusted jobs).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "launcher.h"
#include "seccomp_calls.h"

#if defined(__x86_64__)
#define OUR_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define OUR_ARCH AUDIT_ARCH_AARCH64
#else
#error "seccomp.c: add this architecture's AUDIT_ARCH and check seccomp_calls.h"
#endif

/* the low 32 bits of a syscall argument (flags, families and personalities all fit in them) */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#else
#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i) + 4)
#endif

#define CLONE_NEW_ANY (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP)

struct prog {
  struct sock_filter ins[512];
  unsigned short n;
};

static void emit(struct prog *p, unsigned short code, unsigned char jt, unsigned char jf, unsigned int k) {
  /* sized for the lists below with room to spare; a longer program would be a bug caught by tests */
  if (p->n < sizeof p->ins / sizeof p->ins[0]) p->ins[p->n] = (struct sock_filter)BPF_JUMP(code, k, jt, jf);
  p->n++;
}

static void load(struct prog *p, unsigned int off) { emit(p, BPF_LD | BPF_W | BPF_ABS, 0, 0, off); }
static void ret(struct prog *p, unsigned int action) { emit(p, BPF_RET | BPF_K, 0, 0, action); }

/* nr == call ? return ERRNO(err) : next (the accumulator holds nr) */
static void refuse(struct prog *p, int call, int err) {
  emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, (unsigned int)call);
  ret(p, SECCOMP_RET_ERRNO | (unsigned int)err);
}

/* nr == call ? (arg in allowed ? ALLOW : ERRNO(err)) : next (the accumulator holds nr) */
static void allow_only_args(struct prog *p, int call, int arg, const unsigned int *allowed, int n, int err) {
  emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, (unsigned char)(n + 3), (unsigned int)call);
  load(p, ARG_LO(arg));
  for (int i = 0; i < n; i++) emit(p, BPF_JMP | BPF_JEQ | BPF_K, (unsigned char)(n - i), 0, allowed[i]);
  ret(p, SECCOMP_RET_ERRNO | (unsigned int)err);
  ret(p, SECCOMP_RET_ALLOW);
}

static void build(struct prog *p, enum seccomp_profile profile) {
  load(p, offsetof(struct seccomp_data, arch));
  emit(p, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, OUR_ARCH);
  ret(p, SECCOMP_RET_KILL_PROCESS);
  load(p, offsetof(struct seccomp_data, nr));
#ifdef __x86_64__
  emit(p, BPF_JMP | BPF_JGE | BPF_K, 0, 1, 0x40000000); /* __X32_SYSCALL_BIT */
  ret(p, SECCOMP_RET_KILL_PROCESS);
#endif
  for (size_t i = 0; i < N_DEFAULT_REFUSED; i++) refuse(p, default_refused[i], EPERM);
  if (profile == SECCOMP_STRICT)
    for (size_t i = 0; i < N_STRICT_REFUSED; i++) refuse(p, strict_refused[i], EPERM);
  refuse(p, __NR_clone3, ENOSYS);

  /* clone: its flags are the first argument on x86_64 and aarch64 (clone(2), NOTES) */
  emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 4, __NR_clone);
  load(p, ARG_LO(0));
  emit(p, BPF_JMP | BPF_JSET | BPF_K, 0, 1, CLONE_NEW_ANY);
  ret(p, SECCOMP_RET_ERRNO | EPERM);
  ret(p, SECCOMP_RET_ALLOW);

  if (profile == SECCOMP_STRICT) {
    static const unsigned int families[] = {AF_UNIX, AF_INET, AF_INET6};
    /* 0xffffffff only queries the persona; 0 is PER_LINUX, the only one a job may set */
    static const unsigned int personas[] = {0, 0xffffffffU};
    allow_only_args(p, __NR_socket, 0, families, 3, EAFNOSUPPORT);
    allow_only_args(p, __NR_personality, 0, personas, 2, EPERM);
  }
  ret(p, SECCOMP_RET_ALLOW);
}

int install_seccomp(enum seccomp_profile profile, struct failure *f) {
  if (profile == SECCOMP_OFF) return 0;
  static struct prog p; /* static: 4 KiB is too much for no reason on the job's stack */
  p.n = 0;
  build(&p, profile);
  if (p.n > sizeof p.ins / sizeof p.ins[0]) return failf(f, E2BIG, "the seccomp program outgrew its buffer", "seccomp build");
  struct sock_fprog fprog = {.len = p.n, .filter = p.ins};
  /* without CAP_SYS_ADMIN the kernel requires no_new_privs first (seccomp(2)); it is a no-op if set */
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) return failf(f, errno, NULL, "prctl PR_SET_NO_NEW_PRIVS");
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog) < 0)
    return failf(f, errno, errno == EINVAL ? "was the kernel built with CONFIG_SECCOMP_FILTER?" : NULL, "prctl PR_SET_SECCOMP");
  return 0;
}
