#include "common/process_stats.h"

#include <cstdio>
#include <cstring>

namespace lottery {

namespace {

long long peakResidentKibOf(const char *statusPath)
{
    // Plain stdio: this runs at exit, where the Qt objects may already be gone.
    std::FILE *status = std::fopen(statusPath, "r");
    if (!status)
        return -1;
    long long kib = -1;
    char line[256];
    while (std::fgets(line, sizeof line, status)) {
        if (std::strncmp(line, "VmHWM:", 6) == 0) {
            if (std::sscanf(line + 6, "%lld", &kib) != 1)
                kib = -1;
            break;
        }
    }
    std::fclose(status);
    return kib;
}

} // namespace

long long peakResidentKib()
{
    return peakResidentKibOf("/proc/self/status");
}

long long peakResidentKib(long long pid)
{
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%lld/status", pid);
    return peakResidentKibOf(path);
}

} // namespace lottery
