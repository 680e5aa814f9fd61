/*
 * The job's privilege drop, run by the job process as root just before exec (capabilities(7)):
 *   1. empty the bounding set, which needs CAP_SETPCAP, so before the uid change
 *   2. clear the ambient set
 *   3. supplementary groups, then gid, then uid (the first two need CAP_SETGID, gone after 3)
 *   4. capset everything to zero: the uid change empties permitted and effective, but not the
 *      inheritable set, and with uid 0 it empties nothing
 *   5. no_new_privs: execve can no longer grant privileges (setuid bits, file capabilities), and
 *      the seccomp filter may be installed without CAP_SYS_ADMIN (seccomp(2))
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "launcher.h"

int drop_privileges(const struct launch_opts *o, struct failure *f) {
  if (o->uid < 0) return 0;
  /* PR_CAPBSET_READ fails with EINVAL past the kernel's last capability, whatever our headers know */
  for (int cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++)
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) return failf(f, errno, NULL, "prctl PR_CAPBSET_DROP %d", cap);
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    return failf(f, errno, NULL, "prctl PR_CAP_AMBIENT_CLEAR_ALL");

  uid_t uid = (uid_t)o->uid;
  gid_t gid = (gid_t)o->gid;
  if (setgroups(0, NULL) < 0) return failf(f, errno, NULL, "setgroups 0");
  if (setresgid(gid, gid, gid) < 0) return failf(f, errno, NULL, "setresgid %u", (unsigned)gid);
  if (setresuid(uid, uid, uid) < 0) return failf(f, errno, NULL, "setresuid %u", (unsigned)uid);

  struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {{0}};
  if (syscall(SYS_capset, &hdr, data) < 0) return failf(f, errno, NULL, "capset 0");

  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) return failf(f, errno, NULL, "prctl PR_SET_NO_NEW_PRIVS");
  return 0;
}
