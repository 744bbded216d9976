"""CPU time and resident memory of server processes, read from /proc."""

import os

CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """utime + stime of the whole process (all threads), in seconds; 0 if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return 0.0
    # The command name (field 2) may contain spaces; the fields after it are space separated.
    fields = stat[stat.rindex(b")") + 2 :].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    return (utime + stime) / CLK_TCK


def status_kib(pid, key):
    """A `kB` field of /proc/PID/status (VmRSS, VmHWM), in KiB; 0 if the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def rss_kib(pids):
    """Resident memory of the processes together, in KiB."""
    return sum(status_kib(p, "VmRSS") for p in pids)


def total_cpu(pids):
    """CPU seconds of the processes together."""
    return sum(cpu_seconds(p) for p in pids)
