{
  # The launcher is a plain executable: it must not link Node (DESIGN invariant 5, a job never
  # runs a Node process of ours). node-gyp builds it to build/Release/joblet-launcher.
  "targets": [
    {
      "target_name": "joblet-launcher",
      "type": "executable",
      "sources": [
        "native/launcher.c",
        "native/startup.c",
        "native/init.c",
        "native/job.c",
        "native/signals.c",
        "native/report.c",
        "native/args.c",
        "native/cgroups.c",
        "native/netns.c",
        "native/loopback.c",
        "native/paths.c",
        "native/rootfs.c",
        "native/devfs.c",
        "native/procfs.c",
        "native/uploads.c",
        "native/privileges.c",
        "native/seccomp.c",
        "native/state.c",
        "native/spool.c"
      ],
      "cflags": ["-std=gnu11", "-O2", "-Wall", "-Wextra", "-Werror=implicit-function-declaration"],
      # Linked statically: every launch execs it, and a static binary skips the dynamic loader
      # (mapping and relocating libc), ~0.3-0.5 ms of CPU and a quarter of the page faults per
      # launch on the bench VM. It uses nothing of glibc that needs NSS or dlopen.
      "ldflags": ["-static"]
    },
    {
      # Started once by the daemon; forks and execs each job's launcher off the daemon's thread
      # (native/spawner.c, docs/decisions/0014).
      "target_name": "joblet-spawner",
      "type": "executable",
      "sources": ["native/spawner.c", "native/netns_pool.c", "native/loopback.c"],
      "cflags": ["-std=gnu11", "-O2", "-Wall", "-Wextra", "-Werror=implicit-function-declaration"]
    }
  ]
}
