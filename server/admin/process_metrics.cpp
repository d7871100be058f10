#include "server/admin/process_metrics.h"

#include <QFileInfo>
#include <QString>

#include <cstdio>
#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

namespace lottery::server {

ProcessMetrics ProcessMetrics::read()
{
    ProcessMetrics metrics;
    rusage usage {};
    if (::getrusage(RUSAGE_SELF, &usage) == 0) {
        metrics.cpuSeconds = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
    }
    // /proc/self/statm: size resident ... in pages.
    if (std::FILE *statm = std::fopen("/proc/self/statm", "r")) {
        long long size = 0;
        long long resident = 0;
        if (std::fscanf(statm, "%lld %lld", &size, &resident) == 2) {
            const long long page = ::sysconf(_SC_PAGESIZE);
            metrics.virtualBytes = size * page;
            metrics.residentBytes = resident * page;
        }
        std::fclose(statm);
    }
    if (DIR *fds = ::opendir("/proc/self/fd")) {
        qint64 count = 0;
        while (const dirent *entry = ::readdir(fds)) {
            if (entry->d_name[0] != '.')
                ++count;
        }
        ::closedir(fds);
        metrics.openFds = count - 1; // the directory's own descriptor
    }
    rlimit limit {};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
        metrics.maxFds = static_cast<qint64>(limit.rlim_cur);
    return metrics;
}

quint64 fileBytes(const QString &first, const QString &second)
{
    quint64 total = 0;
    for (const QString &path : {first, second}) {
        if (path.isEmpty())
            continue;
        const QFileInfo info(path);
        if (info.exists())
            total += static_cast<quint64>(info.size());
    }
    return total;
}

} // namespace lottery::server
