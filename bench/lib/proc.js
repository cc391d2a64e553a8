// Reading a server's CPU time and memory from /proc (Linux).
'use strict';

const fs = require('node:fs');
const { execFileSync } = require('node:child_process');

let ticksPerSecond = 100;
try {
  ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
} catch {
  /* the kernel's USER_HZ is 100 almost everywhere */
}

/** CPU time (user + system, all threads) of a process in milliseconds, from /proc/PID/stat. */
function cpuMs(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]); // field 14
  const stime = Number(fields[12]); // field 15
  return ((utime + stime) * 1000) / ticksPerSecond;
}

/** Resident set size and its high-water mark in bytes, from /proc/PID/status. */
function memory(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name) => {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
    return m ? Number(m[1]) * 1024 : NaN;
  };
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

function rss(pid) {
  return memory(pid).rss;
}

/** Samples a process's RSS every `everyMs` until stopped; `stop()` returns the peak in bytes. */
function rssSampler(pid, everyMs = 25) {
  let peak = 0;
  const sample = () => {
    try {
      const r = rss(pid);
      if (r > peak) peak = r;
    } catch {
      /* process gone */
    }
  };
  sample();
  const t = setInterval(sample, everyMs);
  return {
    stop() {
      clearInterval(t);
      sample();
      return peak;
    },
  };
}

/**
 * Time one CPU spent busy, in milliseconds, from /proc/stat: `task` (user + nice + system, every
 * process on that CPU) and `irq` (hardware and soft interrupts: on loopback that is mostly packet
 * processing). Over a window, task minus the server's own CPU time is what other processes took.
 */
function cpuBusyMs(cpu) {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n').find((l) => l.startsWith(`cpu${cpu} `));
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const toMs = (ticks) => (ticks * 1000) / ticksPerSecond;
    return { task: toMs(v[0] + v[1] + v[2]), irq: toMs(v[5] + v[6]) };
  } catch {
    return { task: NaN, irq: NaN };
  }
}

/**
 * Scheduler figures of a process summed over its threads, from /proc/PID/task/TID/schedstat:
 * `waitMs` is the time its threads were runnable but waiting for a CPU (NaN when unavailable).
 */
function schedMs(pid) {
  let run = 0;
  let wait = 0;
  let seen = 0;
  try {
    for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
      try {
        const f = fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ');
        run += Number(f[0]);
        wait += Number(f[1]);
        seen++;
      } catch {
        /* thread exited */
      }
    }
  } catch {
    return { runMs: NaN, waitMs: NaN };
  }
  return seen ? { runMs: run / 1e6, waitMs: wait / 1e6 } : { runMs: NaN, waitMs: NaN };
}

function alive(pid) {
  try {
    return fs.existsSync(`/proc/${pid}/stat`) && !/^\S+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

module.exports = { cpuMs, cpuBusyMs, schedMs, memory, rss, rssSampler, alive, ticksPerSecond };
