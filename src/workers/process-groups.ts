// A process or command worker is its whole process tree: it runs in its own process group, every signal goes to the
// group, and one small reaper per parent kills the groups still registered when the parent dies by any means.
import { type ChildProcess, spawn } from 'node:child_process';
import type { Duplex } from 'node:stream';

/** Whether workers get their own process group: POSIX only (on Windows, `detached` would open a console). */
export const hasProcessGroups = process.platform !== 'win32';

// The reaper, in POSIX sh (dash on Linux: under 1 MB resident, asleep in read(2)). The outer shell starts it in the
// background and exits, so it is not this process's child (nothing waits on it, nobody counting our children sees
// it); it keeps only its end of a pipe (fd 3: Node closes a child's stdin when the child exits) whose other end is
// ours. Lines `+pgid` and `-pgid` add and remove a live group. EOF means our process is gone — exited, crashed or
// SIGKILLed — and every group still listed gets SIGTERM, then SIGKILL one second later. It ignores the signals a
// terminal or a session leader sends, which are the pools' to act on.
const reaperScript = `(
  trap '' INT TERM HUP
  live=' '
  while IFS= read -r line; do
    g=\${line#?}
    case $line in
      +*) live="$live$g " ;;
      -*) case $live in *" $g "*) live="\${live%% $g *} \${live#* $g }" ;; esac ;;
    esac
  done
  for g in $live; do kill -s TERM -- "-$g" 2>/dev/null; done
  [ "$live" = ' ' ] || sleep 1
  for g in $live; do kill -s KILL -- "-$g" 2>/dev/null; done
) <&3 3<&- &
`;

const liveGroups = new Set<number>();
let reaper: ChildProcess | undefined;

/** Register a worker's process group with the reaper, which kills it if this process dies first. */
export function adoptGroup(pgid: number | undefined): void {
  if (!hasProcessGroups || pgid === undefined || liveGroups.has(pgid)) return;
  liveGroups.add(pgid);
  tellReaper(`+${pgid}\n`);
}

/** The group is gone (its leader exited and it was killed): the reaper forgets it, so a reused id is never hit. */
export function releaseGroup(pgid: number | undefined): void {
  if (pgid === undefined || !liveGroups.delete(pgid)) return;
  tellReaper(`-${pgid}\n`);
}

/** Send `signal` to the worker's whole group (its descendants too); to the process alone where there are no groups. */
export function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  const pid = child.pid;
  if (pid === undefined) return;
  if (!hasProcessGroups) {
    child.kill(signal);
    return;
  }
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is empty, every member has exited already.
  }
}

// Reapers dying this young, this many times, are not being killed from outside but failing: no more are started.
const youngReaperMs = 1000;
const maxYoungReaperDeaths = 3;
let youngReaperDeaths = 0;
let isReaperUnavailable = false;

function tellReaper(line: string): void {
  if (reaper === undefined) {
    if (liveGroups.size === 0 || isReaperUnavailable) return;
    reaper = startReaper();
    if (reaper === undefined) return;
    line = [...liveGroups].map((pgid) => `+${pgid}\n`).join('');
  }
  (reaper.stdio[3] as Duplex).write(line);
}

function startReaper(): ChildProcess | undefined {
  let started: ChildProcess;
  try {
    started = spawn('/bin/sh', ['-c', reaperScript], {
      detached: true, // its own session: no terminal's Ctrl-C or hang-up reaches it
      stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
      // Nothing of ours (such as a marker a test counts processes by) in its environment: PATH for sleep(1), and
      // whose reaper it is, for whoever looks at it from outside.
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', POOLTOY_REAPER_OF: String(process.pid) },
    });
  } catch {
    isReaperUnavailable = true;
    return undefined;
  }
  const startedAt = Date.now();
  const replace = () => {
    if (reaper !== started) return;
    // Gone (killed from outside): another takes over every live group at once.
    reaper = undefined;
    if (Date.now() - startedAt < youngReaperMs && ++youngReaperDeaths >= maxYoungReaperDeaths) {
      isReaperUnavailable = true;
    }
    tellReaper('');
  };
  started.on('error', () => {
    isReaperUnavailable = true; // no /bin/sh: every worker is left to its own means (docs/workers.md)
    replace();
  });
  const pipe = started.stdio[3] as Duplex;
  pipe.on('error', replace);
  pipe.on('close', replace);
  pipe.resume(); // it never writes: reading only sees its end (EOF, then 'close') the moment it is gone
  // Neither the shell nor the pipe keeps this process alive: the reaper exists for our death, not our life.
  started.unref();
  (pipe as unknown as { unref?: () => void }).unref?.();
  return started;
}
