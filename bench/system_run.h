// One run of the real system: lottery-server (one or more instances) and one agency-cli per file,
// on loopback, each writing its log to a file in the work directory; the figures are read back
// from those logs.
#pragma once

#include "dataset.h"

#include <QString>

#include <functional>
#include <vector>

namespace lottery::bench {

struct SystemOptions {
    QString binDir;
    QString workDir;
    int window = 0; // 0: the agency's default
    int batchMax = 0; // 0: the agency's default
    int workers = 0; // 0: the server's default
    int timeoutMs = 600000;
    // Empty: the file store (bets.csv in the work directory), one server. Otherwise a libpq
    // connection string every instance gets as --database (the password from the environment).
    QString database;
    int servers = 1; // instances; agency i lists all of them, starting with instance i mod servers
    // Called once the agencies have finished and before the servers are stopped (e.g. to read
    // the database backends' peak RSS while they still exist).
    std::function<void()> beforeServersStop;
};

struct ServerResult {
    qint64 batches = 0; // stored by this instance
    qint64 bets = 0;
    qint64 commits = 0;
    qint64 fsyncs = 0;
    qint64 peakRssKib = -1;
    bool ranDraw = false; // this instance logged `sorteo | result: success`
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
    qint64 batches = 0; // stored by the servers, all instances together
    qint64 bets = 0;
    qint64 commits = 0;
    qint64 fsyncs = 0;
    qint64 drawBets = -1; // bets the draw read back
    double drawSeconds = -1;
    int draws = 0; // instances that logged a successful draw
    qint64 serverPeakRssKib = -1; // the largest instance's
    std::vector<ServerResult> servers;
    std::vector<AgencyResult> agencies;
};

SystemResult runSystem(const Dataset &dataset, const SystemOptions &options);

} // namespace lottery::bench
