#include "common/process_stats.h"

#include <cstdio>
#include <cstring>

namespace lottery {

long long peakResidentKib()
{
    // Plain stdio: this runs at exit, where the Qt objects may already be gone.
    std::FILE *status = std::fopen("/proc/self/status", "r");
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

} // namespace lottery
