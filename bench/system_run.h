// One run of the real system: lottery-server and one agency-cli per file, on loopback, each
// writing its log to a file in the work directory; the figures are read back from those logs.
#pragma once

#include "dataset.h"

#include <QString>

#include <vector>

namespace lottery::bench {

struct SystemOptions {
    QString binDir;
    QString workDir;
    int window = 0; // 0: the agency's default
    int batchMax = 0; // 0: the agency's default
    int workers = 0; // 0: the server's default
    int timeoutMs = 600000;
};

struct AgencyResult {
    quint32 agency = 0;
    int exitCode = -1;
    qint64 winners = -1; // as the agency reported them; -1: not reported
    qint64 batches = 0;
    double ackP50Ms = 0;
    double ackP99Ms = 0;
    qint64 peakRssKib = -1;
};

struct SystemResult {
    bool ok = false; // every program ran and reported; correctness is checked by the caller
    QString error;
    double seconds = 0; // agencies started -> the last one has its winners and has exited
    double cpuSeconds = 0; // user + system time of the server and the agencies together
    qint64 batches = 0; // stored by the server
    qint64 bets = 0;
    qint64 commits = 0;
    qint64 fsyncs = 0;
    qint64 drawBets = -1; // bets the draw read back
    double drawSeconds = -1;
    qint64 serverPeakRssKib = -1;
    std::vector<AgencyResult> agencies;
};

SystemResult runSystem(const Dataset &dataset, const SystemOptions &options);

} // namespace lottery::bench
