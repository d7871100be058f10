// The standard process_* metrics of the Prometheus client libraries, read from /proc and
// getrusage() when scraped (a few system calls; nothing is kept).
#pragma once

#include <QtGlobal>

namespace lottery::server {

struct ProcessMetrics {
    double cpuSeconds = 0; // user + system
    qint64 residentBytes = -1;
    qint64 virtualBytes = -1;
    qint64 openFds = -1;
    qint64 maxFds = -1;

    static ProcessMetrics read();
};

// Bytes of the files at these paths (missing ones count 0).
quint64 fileBytes(const QString &first, const QString &second);

} // namespace lottery::server
