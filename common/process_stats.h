// What a process can tell about its own resource use, for the exit summaries the benchmark reads.
#pragma once

namespace lottery {

// Peak resident set size (VmHWM in /proc/self/status) in KiB; -1 where it cannot be read.
long long peakResidentKib();
// The same for another process (/proc/PID/status): -1 when it is gone or not ours to read.
long long peakResidentKib(long long pid);

} // namespace lottery
