/*
 * A new network namespace holds only a loopback device, and it starts down
 * (network_namespaces(7)), so 127.0.0.1 would not even reach the job itself. Bringing it up is
 * one SIOCSIFFLAGS ioctl (netdevice(7)); no iproute2 and no netlink code needed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loopback.h"

int loopback_up_errno(void) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return errno;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strcpy(ifr.ifr_name, "lo");
  int rc = ioctl(s, SIOCGIFFLAGS, &ifr);
  if (rc == 0) {
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    rc = ioctl(s, SIOCSIFFLAGS, &ifr);
  }
  int err = rc < 0 ? errno : 0;
  close(s);
  return err;
}
